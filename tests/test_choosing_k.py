from __future__ import annotations

import numpy as np
import pytest

from reportgen.choosing_k import choose_k, decide_k, find_knee
from reportgen.errors import DataError
from reportgen.model import FeatureMatrix, KScore

from .conftest import blobs


def matrix(values: np.ndarray) -> FeatureMatrix:
    means, scales = values.mean(axis=0), values.std(axis=0)
    return FeatureMatrix(
        ("a", "b")[: values.shape[1]], values, (values - means) / scales, means, scales
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


@pytest.mark.parametrize("k", [3, 4, 6])
def test_known_k_is_recovered_from_blobs(k: int) -> None:
    frame = blobs(k, seed=k)
    choice = choose_k(matrix(frame[["Income", "Spending"]].to_numpy()), k_max=10, seed=1)
    assert choice.chosen_k == k
    assert choice.score(k).stability is not None and choice.score(k).stability > 0.9


def test_evidence_is_deterministic_and_complete() -> None:
    features = matrix(blobs(4)[["Income", "Spending"]].to_numpy())
    first = choose_k(features, k_max=8, seed=7)
    assert first == choose_k(features, k_max=8, seed=7)
    assert [s.k for s in first.scores] == list(range(1, 9))
    assert first.scores[0].silhouette is None and all(s.silhouette for s in first.scores[1:])


def test_forced_k_is_used_and_explained() -> None:
    features = matrix(blobs(4)[["Income", "Spending"]].to_numpy())
    choice = choose_k(features, k_max=8, seed=7, forced_k=6)
    assert (choice.chosen_k, choice.forced) == (6, True)
    assert "requested with -k" in choice.reason and "evidence points to 4" in choice.reason


def scores(*rows: tuple[int, float | None, float | None]) -> list[KScore]:
    return [KScore(k, 100.0 / k, silhouette, stability) for k, silhouette, stability in rows]


EVIDENCE = scores((1, None, None), (2, 0.40, 0.70), (3, 0.50, 0.95), (4, 0.55, 0.80))


def test_disagreement_goes_to_the_more_stable_and_is_said_plainly() -> None:
    k, reason = decide_k(EVIDENCE, elbow_k=3, silhouette_k=4, forced_k=None)
    assert k == 3
    assert reason.startswith(
        "The methods disagree: the elbow points to 3 segments and the "
        "silhouette score to 4. We chose 3"
    )
    assert "more stable" in reason and "0.95 against 0.80" in reason


def test_disagreement_with_equal_stability_goes_to_the_better_silhouette() -> None:
    tied = scores((1, None, None), (2, 0.40, 0.90), (3, 0.50, 0.91))
    k, reason = decide_k(tied, elbow_k=2, silhouette_k=3, forced_k=None)
    assert k == 3 and "better separated" in reason


def test_no_knee_falls_back_to_silhouette_and_low_stability_is_a_caution() -> None:
    shaky = scores((1, None, None), (2, 0.30, 0.50), (3, 0.35, 0.40))
    k, reason = decide_k(shaky, elbow_k=None, silhouette_k=3, forced_k=None)
    assert k == 3
    assert "no clear bend" in reason and "Caution" in reason and "0.40" in reason


def test_evidence_uses_a_bounded_sample() -> None:
    features = matrix(blobs(3, per_blob=400)[["Income", "Spending"]].to_numpy())
    choice = choose_k(features, k_max=5, seed=0, sample_size=300)
    assert choice.sample_size == 300
    assert choice.chosen_k == 3


def test_too_few_customers() -> None:
    values = np.array([[1.0, 2.0], [1.0, 2.0], [3.0, 1.0], [5.0, 5.0]])
    with pytest.raises(DataError, match="5 segments were asked for, but there are only 4"):
        choose_k(matrix(values), k_max=3, seed=0, forced_k=5)
    with pytest.raises(DataError, match="Only 2 distinct customers"):
        choose_k(matrix(values[:3]), k_max=3, seed=0)


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
