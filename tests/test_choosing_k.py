from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs

from reportgen.choosing_k import (
    choose_k,
    decide_k,
    find_knee,
    segment_stability,
    stability_reading,
)
from reportgen.contract import FeatureMatrix, KChoice, KScore, Segmentation
from reportgen.errors import DataError

from .conftest import blobs


def matrix(values: np.ndarray) -> FeatureMatrix:
    values = np.asarray(values, dtype=float)
    means, scales = values.mean(axis=0), values.std(axis=0)
    # Named a, b, c...: other tests (test_history) build models from this matrix.
    columns = tuple("abcdefgh"[: values.shape[1]])
    return FeatureMatrix(columns, values, (values - means) / scales, means, scales)


def separated_blobs(k: int, seed: int) -> np.ndarray:
    """k groups of unequal sizes (30-250) and spreads (0.5-1.3), centres at least 7 apart."""
    rng = np.random.default_rng(seed)
    centres: list[np.ndarray] = []
    while len(centres) < k:
        centre = rng.uniform(-12, 12, 2)
        if all(np.linalg.norm(centre - other) > 7 for other in centres):
            centres.append(centre)
    sizes = rng.integers(30, 250, k)
    spreads = rng.uniform(0.5, 1.3, k)
    return np.vstack(
        [rng.normal(c, s, (n, 2)) for c, n, s in zip(centres, sizes, spreads, strict=True)]
    )


@pytest.mark.parametrize("knee", [2, 3, 4, 6])
def test_knee_of_a_hinge_curve(knee: int) -> None:
    ks = list(range(1, 11))
    curve = [
        100 - 20 * (k - 1) if k <= knee else 100 - 20 * (knee - 1) - 1 * (k - knee) for k in ks
    ]
    assert find_knee(ks, curve) == knee


def test_straight_line_and_flat_curve_have_no_knee() -> None:
    ks = list(range(1, 11))
    assert find_knee(ks, [100 - 10 * k for k in ks]) is None
    assert find_knee(ks, [5.0] * 10) is None
    assert find_knee([1, 2], [10, 1]) is None


@pytest.mark.parametrize("k", [3, 4, 5, 6, 7, 8])
def test_known_k_is_recovered_from_unequal_blobs(k: int) -> None:
    choice = choose_k(matrix(separated_blobs(k, seed=k)), k_max=8, seed=1)
    assert choice.chosen_k == k, choice.reason
    assert choice.sharp and choice.structure_note is None
    assert choice.score(k).passes and all(s >= 0.85 for s in choice.score(k).segment_stability)


def test_the_silhouette_documentation_example_gives_four() -> None:
    # The data of scikit-learn's "Selecting the number of clusters with silhouette
    # analysis on KMeans clustering" example.
    values, _ = make_blobs(
        n_samples=500,
        n_features=2,
        centers=4,
        cluster_std=1,
        center_box=(-10.0, 10.0),
        shuffle=True,
        random_state=1,
    )
    choice = choose_k(matrix(values), k_max=8, seed=42)
    assert choice.chosen_k == 4
    assert "We chose 4 segments, the largest number from 3 to 8" in choice.reason


@pytest.mark.parametrize("dimensions", [2, 4])
def test_one_gaussian_is_reported_as_having_no_sharp_groups(dimensions: int) -> None:
    values = np.random.default_rng(0).normal(size=(1_000, dimensions))
    choice = choose_k(matrix(values), k_max=8, seed=42)
    assert not choice.sharp and not any(score.passes for score in choice.scores)
    assert 3 <= choice.chosen_k <= 8
    assert choice.reason.startswith("No number of segments from 3 to 8 passed")
    assert choice.structure_note is not None
    assert "do not fall into sharply separated groups" in choice.structure_note


def test_a_plain_split_that_holds_is_pointed_out_when_nothing_finer_does() -> None:
    rng = np.random.default_rng(3)
    values = np.vstack([rng.normal(0, 1, (400, 2)), rng.normal(8, 1, (300, 2))])
    choice = choose_k(matrix(values), k_max=8, seed=42)
    assert not choice.sharp and choice.score(2).passes and choice.chosen_k >= 3
    assert choice.structure_note is not None
    assert choice.structure_note.startswith("These customers fall sharply into two groups")
    assert choice.structure_note.endswith(
        "Where fixed target lists are needed, ask for the two-group split (setting: k_min = 2)."
    )
    assert choose_k(matrix(values), k_min=2, k_max=8, seed=42).chosen_k == 2


def test_evidence_is_deterministic_and_complete() -> None:
    features = matrix(blobs(4)[["Income", "Spending"]].to_numpy())
    first = choose_k(features, k_max=8, seed=7)
    assert first == choose_k(features, k_max=8, seed=7)
    # The elbow needs k = 1; the tests run on the business range, and on 2 to say
    # whether a plain split holds up when nothing finer does.
    assert [s.k for s in first.scores] == list(range(1, 9))
    assert first.scores[0].silhouette is None and first.scores[0].prediction_strength is None
    for score in first.scores[1:]:
        assert score.prediction_strength is not None and 0 <= score.prediction_strength <= 1
        assert len(score.segment_stability) == len(score.segment_shares) == score.k
        assert score.stability == min(score.segment_stability)
        assert sum(score.segment_shares) == pytest.approx(1.0)
        assert list(score.segment_shares) == sorted(score.segment_shares, reverse=True)
        assert score.calinski_harabasz and score.davies_bouldin and score.silhouette
    assert (first.k_min, first.k_max, first.chosen_k, first.rule_k) == (3, 8, 4, 4)
    assert (first.splits, first.resamples, first.split_sample_size) == (10, 20, 120)


def test_two_is_allowed_by_option() -> None:
    features = matrix(blobs(2, per_blob=80)[["Income", "Spending"]].to_numpy())
    assert choose_k(features, k_min=2, k_max=6, seed=0).chosen_k == 2
    assert choose_k(features, k_max=6, seed=0).chosen_k >= 3


def test_forced_k_is_used_explained_and_still_scored() -> None:
    features = matrix(blobs(4)[["Income", "Spending"]].to_numpy())
    choice = choose_k(features, k_max=8, seed=7, forced_k=6)
    assert (choice.chosen_k, choice.forced, choice.rule_k) == (6, True, 4)
    assert choice.reason.startswith("6 segments were requested with -k; it does not pass")
    assert "the rule would choose 4" in choice.reason
    assert choice.score(6).prediction_strength is not None
    forced_outside = choose_k(features, k_max=5, seed=7, forced_k=2)
    assert forced_outside.chosen_k == 2 and forced_outside.score(2).segment_stability


def score(
    k: int,
    strength: float,
    stability: float,
    silhouette: float = 0.5,
    smallest: float = 0.1,
) -> KScore:
    """A KScore whose tests are decided by the given measures (as choose_k would)."""
    shares = (1 - smallest * (k - 1), *([smallest] * (k - 1)))
    failures = tuple(
        text
        for text, failed in (
            ("prediction strength below 0.8", strength < 0.8),
            ("1 segment with stability below 0.75", stability < 0.75),
            ("a segment under 2% of customers", smallest < 0.02),
        )
        if failed
    )
    return KScore(
        k,
        100.0 / k,
        silhouette,
        stability,
        prediction_strength=strength,
        segment_stability=(stability,) * k,
        segment_shares=shares,
        passes=not failures,
        failures=failures,
    )


def test_rule_chooses_the_largest_k_that_passes() -> None:
    scores = [
        score(3, 0.95, 0.95, 0.6),
        score(4, 0.7, 0.9),
        score(5, 0.9, 0.88),
        score(6, 0.5, 0.6),
    ]
    k, reason = decide_k(scores)
    assert k == 5
    assert reason.startswith("We chose 5 segments, the largest number from 3 to 6")
    assert "prediction strength 0.90 (at least 0.8)" in reason
    assert "weakest segment's stability 0.88 (at least 0.75)" in reason


def test_a_narrow_pass_ties_with_the_next_passing_k_and_silhouette_decides() -> None:
    scores = [score(3, 0.95, 0.95, 0.40), score(4, 0.95, 0.9, 0.55), score(5, 0.81, 0.9, 0.50)]
    k, reason = decide_k(scores)
    assert k == 4
    # The chosen k's own evidence first, then why not the larger one.
    assert reason.startswith("We chose 4 segments: prediction strength 0.95 (at least 0.8)")
    assert "5 segments also passed every test, but only just" in reason
    assert reason.endswith("4 separate customers better (silhouette 0.55 against 0.50).")
    # Clearly passing, or a worse silhouette below: the largest stands.
    assert decide_k([*scores[:2], score(5, 0.9, 0.9, 0.50)])[0] == 5
    assert decide_k([scores[0], score(4, 0.95, 0.9, 0.45), scores[2]])[0] == 5


def test_a_segment_too_small_fails_the_rule() -> None:
    scores = [score(3, 0.9, 0.9), score(4, 0.95, 0.95, smallest=0.01)]
    assert decide_k(scores)[0] == 3


def test_without_a_passing_k_the_closest_is_chosen() -> None:
    scores = [score(3, 0.6, 0.7, 0.30), score(4, 0.75, 0.72, 0.25), score(5, 0.5, 0.6, 0.35)]
    k, reason = decide_k(scores)
    assert k == 4
    assert reason.startswith("No number of segments from 3 to 5 passed the tests")
    assert "prediction strength 0.75 (short of 0.8)" in reason


def test_two_sharp_groups_beat_finer_splits_that_all_leave_a_handful_of_customers() -> None:
    """Hotel bookings: 7 segments "closest to passing", three of 1% or less, each with
    advice of its own, while the split in two passed every test."""
    rng = np.random.default_rng(3)
    groups = [rng.normal(centre, 0.4, size=(600, 2)) for centre in ((0, 0), (8, 0))]
    # A few far-off customers: every finer split gives them a segment of their own.
    stray = rng.normal((4, 30), 0.3, size=(6, 2))
    choice = choose_k(matrix(np.vstack([*groups, stray])), k_max=6, seed=1)
    assert all(not choice.score(k).passes for k in range(3, 7))
    assert choice.chosen_k == 2 and choice.sharp and choice.structure_note is None
    assert choice.reason.startswith("Every number of segments from 3 to 6 leaves a segment under")
    assert choice.reason.endswith("we chose those 2.")


@pytest.fixture(scope="module")
def five_groups() -> tuple[FeatureMatrix, KChoice]:
    """Five separated groups, and the choice for them without last month's k."""
    features = matrix(separated_blobs(5, seed=5))
    return features, choose_k(features, k_max=8, seed=1)


def test_last_months_k_is_kept_while_it_passes(five_groups: tuple[FeatureMatrix, KChoice]) -> None:
    features, fresh = five_groups
    assert fresh.chosen_k == 5 and fresh.score(4).passes
    kept = choose_k(features, k_max=8, seed=1, previous_k=4, previous_period="2026-10")
    assert kept.chosen_k == 4 and kept.k_change is None
    assert kept.reason.startswith("We kept the 4 segments of 2026-10: they still pass")


def test_last_months_k_gives_way_when_it_fails_and_another_passes(
    five_groups: tuple[FeatureMatrix, KChoice],
) -> None:
    features, fresh = five_groups
    assert not fresh.score(7).passes
    changed = choose_k(features, k_max=8, seed=1, previous_k=7, previous_period="2026-10")
    assert changed.chosen_k == 5 and changed.previous_k == 7
    assert changed.k_change is not None
    assert changed.k_change.startswith("The number of segments changed from 7 to 5: 7 segments")
    assert "no longer pass (" in changed.k_change and "prediction strength" in changed.k_change


def test_last_months_k_stays_when_nothing_passes() -> None:
    features = matrix(np.random.default_rng(0).normal(size=(600, 2)))
    choice = choose_k(features, k_max=8, seed=1, previous_k=6, previous_period="2026-10")
    assert choice.chosen_k == 6 and choice.k_change is None and not choice.sharp
    assert "no number of segments passes every test this month" in choice.reason


def test_last_months_k_outside_the_range_is_scored() -> None:
    features = matrix(separated_blobs(4, seed=4))
    choice = choose_k(features, k_min=3, k_max=5, seed=1, previous_k=2)
    assert choice.score(2).prediction_strength is not None
    assert choice.chosen_k in (2, 4)


def test_evidence_uses_a_bounded_sample() -> None:
    features = matrix(blobs(3, per_blob=400)[["Income", "Spending"]].to_numpy())
    choice = choose_k(features, k_max=5, seed=0, sample_size=300)
    assert choice.sample_size == 300 and choice.split_sample_size == 150
    assert choice.chosen_k == 3


def test_too_few_customers() -> None:
    values = np.array([[1.0, 2.0], [1.0, 2.0], [3.0, 1.0], [5.0, 5.0]])
    with pytest.raises(DataError, match="5 segments were asked for, but there are only 4"):
        choose_k(matrix(values), k_max=3, seed=0, forced_k=5)
    with pytest.raises(DataError, match="Only 2 distinct customers"):
        choose_k(matrix(values[:3]), k_max=3, seed=0)


def test_a_handful_of_customers_still_gets_a_choice() -> None:
    values = np.array([[1.0, 1.0], [1.1, 1.0], [5.0, 5.0], [5.1, 5.2], [9.0, 1.0], [9.1, 1.1]])
    choice = choose_k(matrix(values), k_max=8, seed=0)
    assert 2 <= choice.chosen_k <= 5


def final_segmentation(features: FeatureMatrix, centres: np.ndarray) -> Segmentation:
    """Customers assigned to the nearest of ``centres``, in that order."""
    labels = np.argmin(((features.scaled[:, None, :] - centres) ** 2).sum(axis=2), axis=1)
    return Segmentation(
        labels=labels,
        centroids=centres,
        centroids_scaled=centres,
        sizes=tuple(int(n) for n in np.bincount(labels, minlength=len(centres))),
        restarts=1,
        numbers=tuple(range(1, len(centres) + 1)),
    )


def test_each_final_segment_gets_its_own_stability() -> None:
    values = separated_blobs(4, seed=4)
    features = matrix(values)
    choice = choose_k(features, k_max=6, seed=1)
    assert choice.chosen_k == 4
    # The evidence's own fit, with its segments in reverse label order: each final
    # segment gets its own stability, equal to the evidence's for the same segment
    # (the same sample and resamples), whatever the order.
    fit = KMeans(4, n_init=4, random_state=1).fit(features.scaled)
    final = final_segmentation(features, fit.cluster_centers_[::-1])
    stabilities = segment_stability(features, final, choice, 1)
    assert all(value is not None and value > 0.9 for value in stabilities)
    # The evidence lists segments largest first; rank[label] is a label's place there.
    rank = np.argsort(np.argsort(-np.bincount(fit.labels_), kind="stable"))
    evidence = np.array(choice.score(4).segment_stability)
    assert stabilities[::-1] == pytest.approx(tuple(evidence[rank]))


def test_a_segment_without_customers_in_the_sample_has_no_stability() -> None:
    features = matrix(separated_blobs(3, seed=3))
    choice = choose_k(features, k_max=4, seed=1, forced_k=3)
    centres = np.vstack([features.scaled[:2].mean(axis=0) + 50, features.scaled[[0, -1]]])
    stabilities = segment_stability(features, final_segmentation(features, centres), choice, 1)
    assert stabilities[0] is None and all(v is not None for v in stabilities[1:])


@pytest.mark.parametrize(
    ("value", "start"),
    [
        (0.95, "highly stable"),
        (0.85, "highly stable"),
        (0.8, "stable: it comes back"),
        (0.7, "a real pattern, but with doubtful members"),
        (0.59, "not to be trusted"),
    ],
)
def test_hennigs_reading_in_plain_words(value: float, start: str) -> None:
    assert stability_reading(value).startswith(start)


@pytest.mark.slow
def test_sampled_evidence_chooses_the_same_k_as_all_customers() -> None:
    features = matrix(
        blobs(5, per_blob=1_600, spread=1.0, seed=11)[["Income", "Spending"]].to_numpy()
    )
    everyone = choose_k(features, k_max=8, seed=2, sample_size=len(features.values))
    sampled = choose_k(features, k_max=8, seed=2)
    assert sampled.sample_size == 5_000 < everyone.sample_size == 8_000
    assert sampled.chosen_k == everyone.chosen_k == 5
    assert sampled.elbow_k == everyone.elbow_k
    assert sampled.score(5).silhouette == pytest.approx(everyone.score(5).silhouette, abs=0.02)


def test_smallest_share_is_the_smallest_segment_or_none_when_not_measured():
    measured = KScore(
        k=3, inertia=1.0, silhouette=None, stability=None, segment_shares=(0.5, 0.3, 0.2)
    )
    assert measured.smallest_share == 0.2
    assert KScore(k=3, inertia=1.0, silhouette=None, stability=None).smallest_share is None


def test_the_largest_allowed_seed_does_not_crash_the_resample_fits() -> None:
    from reportgen.settings import SEED_LIMIT

    features = matrix(blobs(3)[["Income", "Spending"]].to_numpy())
    choice = choose_k(features, k_max=4, seed=SEED_LIMIT)
    assert choice.chosen_k in (3, 4)
    assert all(score.prediction_strength is not None for score in choice.scores[1:])


def test_failure_text_follows_the_thresholds_not_hard_coded_numbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reportgen import choosing_k

    weak = score(3, 0.5, 0.5, smallest=0.01)
    assert choosing_k._failures(weak) == (
        "prediction strength below 0.8",
        "3 segments with stability below 0.75",
        "a segment under 2% of customers",
    )
    monkeypatch.setattr(choosing_k, "PREDICTION_STRENGTH_THRESHOLD", 0.7)
    monkeypatch.setattr(choosing_k, "STABILITY_THRESHOLD", 0.6)
    monkeypatch.setattr(choosing_k, "MIN_SEGMENT_SHARE", 0.025)
    assert choosing_k._failures(weak) == (
        "prediction strength below 0.7",
        "3 segments with stability below 0.6",
        "a segment under 2.5% of customers",
    )


def test_the_evidence_is_the_same_in_one_process_and_in_two(monkeypatch) -> None:
    """The jobs for each k are shared with a forked copy on Linux: same results either way."""
    from reportgen import render_pool

    features = matrix(separated_blobs(4, seed=11))
    monkeypatch.setattr(render_pool, "PARALLEL", False)
    alone = choose_k(features, k_max=6, seed=3)
    monkeypatch.setattr(render_pool, "PARALLEL", True)
    shared = choose_k(features, k_max=6, seed=3)
    assert shared == alone
    assert [s.segment_stability for s in shared.scores] == [
        s.segment_stability for s in alone.scores
    ]


def test_the_final_stability_reuses_the_chosen_ks_fits_only_when_they_match() -> None:
    """The kept resample fits give what refitting gives; for other data they are not used."""
    features = matrix(separated_blobs(4, seed=4))
    choice = choose_k(features, k_max=6, seed=1)
    assert choice.resample_fits is not None and choice.resample_fits.k == choice.chosen_k
    fit = KMeans(4, n_init=4, random_state=1).fit(features.scaled)
    final = final_segmentation(features, fit.cluster_centers_)
    kept = segment_stability(features, final, choice, 1)
    refitted = segment_stability(
        features, final, dataclasses.replace(choice, resample_fits=None), 1
    )
    assert kept == refitted
    # Other customers (same shape): the kept fits are not theirs, so they are refitted.
    other = matrix(separated_blobs(4, seed=5))
    moved = final_segmentation(other, fit.cluster_centers_)
    assert segment_stability(other, moved, choice, 1) == segment_stability(
        other, moved, dataclasses.replace(choice, resample_fits=None), 1
    )


def test_the_chosen_ks_examined_centres_are_those_of_the_fit_its_shares_describe() -> None:
    """The final fit falls back on these centres (clustering): they must give the segment
    shares the report quotes for the chosen k."""
    features = matrix(separated_blobs(4, seed=4))
    choice = choose_k(features, k_max=6, seed=1)
    assert choice.resample_fits is not None and choice.resample_fits.centres is not None
    centres = choice.resample_fits.centres
    assert centres.shape == (choice.chosen_k, features.scaled.shape[1])
    nearest = ((features.scaled[:, None, :] - centres[None]) ** 2).sum(axis=2).argmin(axis=1)
    shares = sorted(np.bincount(nearest, minlength=choice.chosen_k) / len(nearest), reverse=True)
    chosen = next(s for s in choice.scores if s.k == choice.chosen_k)
    np.testing.assert_allclose(shares, chosen.segment_shares)


def test_a_measure_just_short_of_its_threshold_is_not_rounded_onto_it() -> None:
    from reportgen.choosing_k import _num_against

    assert _num_against(0.795, 0.8) == "0.795"  # not "0.80 (short of 0.8)"
    assert _num_against(0.7999, 0.8) == "0.7999"
    assert _num_against(0.81, 0.8) == "0.81"
    assert _num_against(0.8, 0.8) == "0.80"
    assert _num_against(None, 0.8) == "–"
