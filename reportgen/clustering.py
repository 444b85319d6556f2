"""Stage 6: the final K-Means segmentation, numbered in a stable order.

Segments are numbered by size, largest first; segments of equal size are ordered by
their centroids' standardized values, feature by feature. The numbering therefore
depends only on the segmentation, never on K-Means' internal label order.
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

from reportgen.config import FINAL_RESTARTS
from reportgen.model import FeatureMatrix, Segmentation


def fit_segments(
    features: FeatureMatrix, k: int, *, seed: int, restarts: int = FINAL_RESTARTS
) -> Segmentation:
    """Fit K-Means with ``k`` segments on the standardized features.

    The explicit seed and many restarts make the result identical from run to run.
    """
    # A fixed thread count: OpenMP reductions in another order would change the last
    # digits of the centres from one machine to another.
    with threadpool_limits(limits=1):
        model = KMeans(n_clusters=k, n_init=restarts, random_state=seed).fit(features.scaled)
    sizes = np.bincount(model.labels_, minlength=k)
    centers = model.cluster_centers_
    # np.lexsort sorts by its last key first: size (descending), then centroid values.
    order = np.lexsort((*centers.T[::-1], -sizes))
    renumber = np.empty(k, dtype=int)
    renumber[order] = np.arange(k)
    centroids_scaled = centers[order]
    return Segmentation(
        labels=renumber[model.labels_],
        # Means of the members in original units: with log1p features, the centre in
        # model space transformed back would be a geometric mean, not what people expect.
        centroids=np.array(
            [features.values[model.labels_ == label].mean(axis=0) for label in order]
        ),
        centroids_scaled=centroids_scaled,
        sizes=tuple(int(size) for size in sizes[order]),
        restarts=restarts,
        numbers=tuple(range(1, k + 1)),
    )
