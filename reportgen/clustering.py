"""Stage 6: the final K-Means segmentation, numbered in a stable order.

Segments are numbered by size, largest first; segments of equal size are ordered by
their centroids' standardized values, feature by feature. The numbering therefore
depends only on the segmentation, never on K-Means' internal label order.
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

from reportgen.config import FINAL_RESTARTS, FINAL_SAMPLE_SIZE
from reportgen.contract import FeatureMatrix, Segmentation


def fit_segments(
    features: FeatureMatrix,
    k: int,
    *,
    seed: int,
    restarts: int = FINAL_RESTARTS,
    sample_size: int = FINAL_SAMPLE_SIZE,
) -> Segmentation:
    """Fit K-Means with ``k`` segments on the standardized features.

    The explicit seed and many restarts make the result identical from run to run.
    Above ``sample_size`` customers the restarts run on a seeded sample, and one final
    K-Means on every customer starts from the sample's best centres: the same answer
    (tested) at a fraction of the cost.
    """
    points = features.scaled
    # A fixed thread count: OpenMP reductions in another order would change the last
    # digits of the centres from one machine to another.
    with threadpool_limits(limits=1):
        if len(points) > sample_size:
            rng = np.random.default_rng(seed)
            sample = points[np.sort(rng.choice(len(points), sample_size, replace=False))]
            start = KMeans(n_clusters=k, n_init=restarts, random_state=seed).fit(sample)
            model = KMeans(
                n_clusters=k, init=start.cluster_centers_, n_init=1, random_state=seed
            ).fit(points)
        else:
            model = KMeans(n_clusters=k, n_init=restarts, random_state=seed).fit(points)
    sizes = np.bincount(model.labels_, minlength=k)
    centers = model.cluster_centers_
    order = segment_order(sizes, centers)
    renumber = np.empty(k, dtype=int)
    renumber[order] = np.arange(k)
    centroids_scaled = centers[order]
    # Each segment's rows as one contiguous block, in their original order: the means
    # below are those of values[labels == label], from one stable sort of small integers
    # instead of a pass over every customer per segment.
    by_label = np.argsort(model.labels_.astype(np.min_scalar_type(k)), kind="stable")
    ends = np.cumsum(sizes)
    grouped = features.values[by_label]
    return Segmentation(
        labels=renumber[model.labels_],
        # Means of the members in original units: with log1p features, the centre in
        # model space transformed back would be a geometric mean, not what people expect.
        centroids=np.array(
            [grouped[ends[label] - sizes[label] : ends[label]].mean(axis=0) for label in order]
        ),
        centroids_scaled=centroids_scaled,
        sizes=tuple(int(size) for size in sizes[order]),
        restarts=restarts,
        numbers=tuple(range(1, k + 1)),
    )


def segment_order(sizes: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """The positions of the segments in report order: largest first, ties by centroid."""
    # np.lexsort sorts by its last key first: size (descending), then centroid values.
    return np.lexsort((*np.asarray(centers).T[::-1], -np.asarray(sizes)))
