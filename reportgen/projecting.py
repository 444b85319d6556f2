"""Stage 6c: the segment map's coordinates, computed once for the figures.

Two measures and no category are drawn as they are; more features, or a categorical
one, are projected onto their first two principal components. A scatter of more than
MAX_POINTS customers is saturated, so a seeded sample of that many is drawn, and the
PCA is fitted on those only: the same directions, without a PCA of millions.
"""

from __future__ import annotations

import numpy as np

from reportgen.contract import FeatureMatrix, Projection, Segmentation

# Beyond this many points a scatter is saturated: more dots cost seconds and show nothing.
MAX_POINTS = 20_000


def project(features: FeatureMatrix, segmentation: Segmentation) -> Projection:
    """Return where the segment map draws each drawn customer and each segment centre."""
    total = len(features.values)
    rows = _drawn_rows(total)
    if not features.categorical and features.values.shape[1] == 1:
        return Projection(rows=rows, customers=total)
    if not features.categorical and features.values.shape[1] == 2:
        return Projection(
            rows=rows,
            customers=total,
            points=features.values[rows],
            centres=segmentation.centroids,
        )
    from sklearn.decomposition import PCA

    pca = PCA(n_components=2, random_state=0).fit(features.scaled[rows])
    first, second = pca.explained_variance_ratio_
    return Projection(
        rows=rows,
        customers=total,
        points=pca.transform(features.scaled[rows]),
        centres=pca.transform(segmentation.centroids_scaled),
        explained=(float(first), float(second)),
    )


def _drawn_rows(total: int) -> np.ndarray:
    """Rows to draw in a scatter: all, or a seeded sample once a chart would be saturated."""
    if total <= MAX_POINTS:
        return np.arange(total)
    return np.sort(np.random.default_rng(0).choice(total, MAX_POINTS, replace=False))
