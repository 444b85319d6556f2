from __future__ import annotations

import numpy as np

from reportgen.clustering import fit_segments
from reportgen.contract import FeatureMatrix

from .test_choosing_k import matrix


def uneven_groups(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    sizes = {(0, 0): 30, (20, 0): 80, (0, 20): 50}
    return np.vstack([rng.normal(c, 1.0, (n, 2)) for c, n in sizes.items()])


def test_segments_are_numbered_largest_first() -> None:
    segmentation = fit_segments(matrix(uneven_groups()), 3, seed=0)
    assert segmentation.sizes == (80, 50, 30)
    np.testing.assert_allclose(segmentation.centroids[0], [20, 0], atol=0.5)
    assert np.bincount(segmentation.labels).tolist() == [80, 50, 30]


def test_same_data_and_seed_give_identical_segments() -> None:
    features = matrix(uneven_groups())
    first, second = fit_segments(features, 3, seed=5), fit_segments(features, 3, seed=5)
    np.testing.assert_array_equal(first.labels, second.labels)
    np.testing.assert_array_equal(first.centroids, second.centroids)


def test_numbering_does_not_depend_on_row_order_or_seed() -> None:
    values = uneven_groups()
    order = np.random.default_rng(1).permutation(len(values))
    original = fit_segments(matrix(values), 3, seed=0)
    shuffled = fit_segments(matrix(values[order]), 3, seed=99)
    np.testing.assert_array_equal(original.labels[order], shuffled.labels)


def test_centroids_are_segment_means_in_original_units() -> None:
    features: FeatureMatrix = matrix(uneven_groups())
    segmentation = fit_segments(features, 3, seed=0)
    for index in range(3):
        members = features.values[segmentation.labels == index]
        np.testing.assert_allclose(segmentation.centroids[index], members.mean(axis=0))


def test_centroids_are_exactly_the_means_of_each_segments_rows() -> None:
    rng = np.random.default_rng(3)
    values = np.vstack([rng.normal(c, 1.7, (n, 3)) for c, n in ((0, 3_001), (5, 2_003), (9, 997))])
    features = matrix(values)
    segmentation = fit_segments(features, 3, seed=0)
    for index in range(3):
        members = features.values[segmentation.labels == index]
        assert segmentation.centroids[index].tolist() == members.mean(axis=0).tolist()


def test_fitting_on_a_sample_then_all_rows_gives_the_full_fit() -> None:
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(7)
    centres = [(0, 0), (6, 0), (0, 6), (6, 6), (3, 10)]
    values = np.vstack([rng.normal(c, 1.3, (1_200, 2)) for c in centres])
    features = matrix(values)
    full = fit_segments(features, 5, seed=3, sample_size=len(values))
    sampled = fit_segments(features, 5, seed=3, sample_size=500)
    assert adjusted_rand_score(full.labels, sampled.labels) >= 0.99
    assert np.abs(np.array(sampled.sizes) - np.array(full.sizes)).max() <= 0.01 * len(values)


def two_groups_and_two_extremes() -> np.ndarray:
    """Two groups of 100 and two customers far from both: with k = 3 the best fit gives
    the two a segment of their own (1%); splitting the larger group does not."""
    rng = np.random.default_rng(4)
    groups = [rng.normal(centre, 1.0, (100, 2)) for centre in ((0, 0), (8, 0))]
    return np.vstack([*groups, [[60.0, 60.0], [61.0, 59.0]]])


def test_a_tiny_segment_the_tests_for_k_did_not_see_gives_way_to_the_examined_fit() -> None:
    features = matrix(two_groups_and_two_extremes())
    best = fit_segments(features, 3, seed=0)
    assert min(best.sizes) == 2  # the extremes alone: 1% of customers
    # The centres the evidence for k examined: the first group split, extremes in the second.
    scaled = features.scaled
    examined = np.array(
        [scaled[:50].mean(axis=0), scaled[50:100].mean(axis=0), scaled[100:].mean(axis=0)]
    )
    kept = fit_segments(features, 3, seed=0, examined=examined)
    assert min(kept.sizes) / len(scaled) >= 0.02
    assert sorted(kept.sizes) != sorted(best.sizes)


def test_the_examined_centres_change_nothing_when_every_segment_is_large_enough() -> None:
    features = matrix(uneven_groups())
    other = np.array([[0.0, 0.0], [1.0, 1.0], [-1.0, 1.0]])
    first, second = (
        fit_segments(features, 3, seed=0),
        fit_segments(features, 3, seed=0, examined=other),
    )
    np.testing.assert_array_equal(first.labels, second.labels)
