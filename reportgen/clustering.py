"""Stage 6: the final K-Means segmentation, numbered in a stable order.

Segments are numbered by size, largest first; segments of equal size are ordered by
their centroids' standardized values, feature by feature. The numbering therefore
depends only on the segmentation, never on K-Means' internal label order.
"""

from __future__ import annotations

import logging

import numpy as np
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

from reportgen.config import FINAL_RESTARTS, FINAL_SAMPLE_SIZE, MIN_SEGMENT_SHARE
from reportgen.contract import FeatureMatrix, Segmentation

log = logging.getLogger(__name__)


def fit_segments(
    features: FeatureMatrix,
    k: int,
    *,
    seed: int,
    restarts: int = FINAL_RESTARTS,
    sample_size: int = FINAL_SAMPLE_SIZE,
    examined: np.ndarray | None = None,
) -> Segmentation:
    """Fit K-Means with ``k`` segments on the standardized features.

    The explicit seed and many restarts make the result identical from run to run.
    Above ``sample_size`` customers the restarts run on a seeded sample, and one final
    K-Means on every customer starts from the sample's best centres: the same answer
    (tested) at a fraction of the cost.

    Args:
        examined: the centres of the fit whose segments the tests for k examined
            (choosing_k's ResampleFits). When the best fit leaves a segment under
            MIN_SEGMENT_SHARE of customers and K-Means started from these centres does
            not, that one is kept: it is the segmentation the report's evidence for k
            describes. More restarts can find a lower-inertia fit that puts a handful of
            extreme customers in a segment of their own, which no test looked at.
    """
    points = features.scaled
    # A fixed thread count: OpenMP reductions in another order would change the last
    # digits of the centres from one machine to another.
    with threadpool_limits(limits=1):
        if len(points) > sample_size:
            rng = np.random.default_rng(seed)
            sample = points[np.sort(rng.choice(len(points), sample_size, replace=False))]
            start = KMeans(n_clusters=k, n_init=restarts, random_state=seed).fit(sample)
            model = _from(start.cluster_centers_, points, seed)
        else:
            model = KMeans(n_clusters=k, n_init=restarts, random_state=seed).fit(points)
        if (
            examined is not None
            and len(examined) == k
            and _smallest_share(model, k) < MIN_SEGMENT_SHARE
        ):
            tested = _from(examined, points, seed)
            if _smallest_share(tested, k) >= MIN_SEGMENT_SHARE:
                log.info(
                    "The best of %d K-Means restarts left a segment of %.1f%% of customers; "
                    "kept the segmentation the tests for k examined",
                    restarts,
                    100 * _smallest_share(model, k),
                )
                model = tested
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


def _from(centres: np.ndarray, points: np.ndarray, seed: int) -> KMeans:
    """K-Means on ``points`` started from ``centres`` (one start)."""
    return KMeans(n_clusters=len(centres), init=centres, n_init=1, random_state=seed).fit(points)


def _smallest_share(model: KMeans, k: int) -> float:
    return float(np.bincount(model.labels_, minlength=k).min() / len(model.labels_))


def segment_order(sizes: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """The positions of the segments in report order: largest first, ties by centroid."""
    # np.lexsort sorts by its last key first: size (descending), then centroid values.
    return np.lexsort((*np.asarray(centers).T[::-1], -np.asarray(sizes)))
