from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from reportgen.contract import (
    FeatureMatrix,
    PreviousRun,
    Recommendation,
    Segmentation,
    SegmentProfile,
)
from reportgen.history import model_json, read_model
from reportgen.tracking import compare_runs, score_customers, track_segments

from .test_history import saved_model

MODEL = saved_model()
ADVICE = Recommendation("r", "a", "c", "r", "p")


def features_of(values: np.ndarray) -> FeatureMatrix:
    means, scales = values.mean(axis=0), values.std(axis=0)
    return FeatureMatrix(
        ("Income", "Spending"), values, (values - means) / scales, means, scales, ("none", "none")
    )


def fitted(
    centroids: list[tuple[float, float]], sizes: list[int]
) -> tuple[Segmentation, FeatureMatrix]:
    """A segmentation whose members all sit exactly on their segment's centre."""
    labels = np.repeat(np.arange(len(sizes)), sizes)
    array = np.array(centroids, dtype=float)
    features = features_of(array[labels])
    scaled = np.array([features.scaled[labels == i].mean(axis=0) for i in range(len(sizes))])
    segmentation = Segmentation(
        labels, array, scaled, tuple(sizes), 1, tuple(range(1, len(sizes) + 1))
    )
    return segmentation, features


def test_segments_that_moved_a_little_keep_their_numbers_in_any_order() -> None:
    # Last month: 1 = (70, 20), 2 = (30, 80), 3 = (50, 50). This month, shuffled and moved.
    fresh, features = fitted([(52, 48), (72, 25), (29, 83)], [50, 30, 20])
    tracked = track_segments(MODEL, fresh, features)
    assert tracked.numbers == (1, 2, 3)
    np.testing.assert_allclose(tracked.centroids[0], (72, 25))
    assert tracked.sizes == (30, 20, 50)
    # Every customer keeps its centre: the relabelling is consistent.
    np.testing.assert_allclose(tracked.centroids[tracked.labels], fresh.centroids[fresh.labels])


def test_a_genuinely_new_segment_gets_the_next_number_and_a_lost_one_is_gone() -> None:
    fresh, features = fitted([(70, 20), (30, 80), (95, 95)], [40, 30, 30])
    tracked = track_segments(MODEL, fresh, features)
    assert tracked.numbers == (1, 2, 4)
    profiles = tuple(
        SegmentProfile(n, f"S{n}", "", size, size / 100, "#000", (), (), ADVICE)
        for n, size in zip(tracked.numbers, tracked.sizes, strict=True)
    )
    ids = pd.Series([f"c{i}" for i in range(100)])
    previous = PreviousRun(MODEL, pd.Series(1, index=[f"c{i}" for i in range(50, 150)]))
    changes = compare_runs(
        previous,
        mode="refit",
        segments=profiles,
        segmentation=tracked,
        features=features,
        customer_ids=ids,
        has_ids=True,
    )
    status = {change.number: change.status for change in changes.segments}
    assert status == {1: "kept", 2: "kept", 3: "gone", 4: "new"}
    assert any("new segment appeared: Segment 4" in line for line in changes.highlights)
    assert any(
        "Segment 3 “Average income, average spending”" in line and "no longer exists" in line
        for line in changes.highlights
    )
    assert int(changes.migration.to_numpy().sum()) == changes.customers_in_both == 50
    assert (changes.new_customers, changes.lost_customers) == (50, 50)


def test_far_centres_are_not_forced_into_a_match() -> None:
    # Segment 3's centre moved 1.1 of last month's standard deviations (20) in spending.
    fresh, features = fitted([(70, 20), (30, 80), (50, 50 + 20 * 1.1)], [40, 30, 30])
    assert track_segments(MODEL, fresh, features).numbers == (1, 2, 4)


def test_scoring_assigns_exactly_like_the_saved_model(tmp_path: Path) -> None:
    (tmp_path / "model.json").write_bytes(model_json(MODEL))
    model = read_model(tmp_path)
    rng = np.random.default_rng(3)
    values = np.vstack([rng.normal(c, 3, (40, 2)) for c in [(70, 20), (30, 80), (50, 50)]])
    scored, warning = score_customers(model, features_of(values))
    scaled = model.standardize(features_of(values))
    expected = np.argmin(
        [np.linalg.norm(scaled - centre, axis=1) for centre in model.scaled_centroids()], axis=0
    )
    numbers = np.asarray(scored.numbers)[scored.labels]
    np.testing.assert_array_equal(numbers, expected + 1)
    assert warning is None


def test_scoring_drifted_data_warns() -> None:
    rng = np.random.default_rng(4)
    values = rng.normal((100, 150), 5, (200, 2))  # far from every centre
    scored, warning = score_customers(MODEL, features_of(values))
    assert warning is not None and "drifted" in warning and "100%" in warning
    assert scored.k == len(set(scored.numbers))


def test_migration_matrix_sums_to_customers_in_both_months() -> None:
    tracked, features = fitted([(70, 20), (30, 80), (50, 50)], [3, 3, 4])
    profiles = tuple(
        SegmentProfile(n, f"S{n}", "", s, s / 10, "#000", (), (), ADVICE)
        for n, s in zip(tracked.numbers, tracked.sizes, strict=True)
    )
    ids = pd.Series([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    before = pd.Series([1, 1, 2, 2, 2, 3, 3], index=["1", "2", "3", "4", "5", "6", "99"])
    changes = compare_runs(
        PreviousRun(MODEL, before),
        mode="refit",
        segments=profiles,
        segmentation=tracked,
        features=features,
        customer_ids=ids,
        has_ids=True,
    )
    assert changes.customers_in_both == 6
    assert int(changes.migration.to_numpy().sum()) == 6
    # Before: 1, 2 in segment 1; 3, 4, 5 in 2; 6 in 3. Now: 1-3 in 1; 4-6 in 2; 7-10 in 3.
    assert changes.migration.loc[1].tolist() == [2, 0, 0]
    assert changes.migration.loc[2].tolist() == [1, 2, 0]
    assert changes.migration.loc[3].tolist() == [0, 1, 0]
    assert (changes.new_customers, changes.lost_customers) == (4, 1)


def test_without_ids_no_migration_is_claimed() -> None:
    tracked, features = fitted([(70, 20), (30, 80), (50, 50)], [3, 3, 4])
    profiles = tuple(
        SegmentProfile(n, f"S{n}", "", 3, 0.3, "#000", (), (), ADVICE) for n in tracked.numbers
    )
    changes = compare_runs(
        PreviousRun(MODEL, pd.Series(dtype=int)),
        mode="refit",
        segments=profiles,
        segmentation=tracked,
        features=features,
        customer_ids=pd.Series(range(10)),
        has_ids=False,
    )
    assert changes.migration.empty and changes.customers_in_both == 0
    assert any("cannot be followed" in warning for warning in changes.warnings)
