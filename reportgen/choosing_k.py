"""Stage 5: choose the number of segments from three kinds of evidence.

- The elbow: K-Means inertia for k = 1..k_max; the knee is found with the kneedle
  method (the point farthest below the straight line joining the curve's ends, both
  axes scaled to 0-1).
- The silhouette score for each k >= 2: how much closer customers are to their own
  segment than to the next one (-1 to 1, higher is better).
- Bootstrap stability for each k >= 2: the mean adjusted Rand index between the
  segmentation of all customers and segmentations fitted on resamples (1 = the
  same segments every time).

Decision rule: when the elbow and the silhouette agree, that k is chosen. When they
disagree, the more stable of the two is chosen (ties go to the better silhouette).
When the curve has no clear knee, the best silhouette is chosen.
"""

from __future__ import annotations

import functools
import logging
import warnings
from collections.abc import Sequence

import numpy as np
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import adjusted_rand_score, silhouette_score
from threadpoolctl import ThreadpoolController

from reportgen.config import EVIDENCE_SAMPLE_SIZE, SILHOUETTE_SAMPLE_SIZE, STABILITY_RESAMPLES
from reportgen.errors import DataError
from reportgen.model import FeatureMatrix, KChoice, KScore

log = logging.getLogger(__name__)

# A knee must lie at least this far below the chord (in 0-1 units) to count as a bend.
MIN_KNEE_DEPTH = 0.1
# Stability below this means the segments change a lot from one resample to another.
LOW_STABILITY = 0.6
# Stabilities closer than this are a tie.
STABILITY_TIE = 0.02
_EVIDENCE_RESTARTS = 4


def choose_k(
    features: FeatureMatrix,
    *,
    k_max: int,
    seed: int,
    forced_k: int | None = None,
    sample_size: int = EVIDENCE_SAMPLE_SIZE,
    resamples: int = STABILITY_RESAMPLES,
) -> KChoice:
    """Compute the elbow, silhouette and stability evidence and choose k.

    Args:
        features: the standardized features.
        k_max: the largest k to consider.
        seed: seeds the sample, the resamples and every K-Means fit.
        forced_k: a k the user asked for; the evidence is still computed and shown.
        sample_size: above this many customers the evidence uses a seeded sample.
        resamples: bootstrap resamples per k for the stability score.

    Raises:
        DataError: there are too few distinct customers for the requested segments.
    """
    rng = np.random.default_rng(seed)
    points = features.scaled
    if len(points) > sample_size:
        points = points[np.sort(rng.choice(len(points), sample_size, replace=False))]
    distinct = len(np.unique(points, axis=0))
    _check_enough_customers(len(features.scaled), distinct, forced_k)
    upper = max(min(k_max, distinct - 1), forced_k or 0)
    log.info("scoring k = 1..%d on %d customers", upper, len(points))

    scores = []
    for k in range(1, upper + 1):
        model = _fit(points, k, seed, _EVIDENCE_RESTARTS)
        silhouette = stability = None
        if k >= 2:
            silhouette = float(
                silhouette_score(
                    points,
                    model.labels_,
                    sample_size=min(len(points), SILHOUETTE_SAMPLE_SIZE),
                    random_state=seed,
                )
            )
            stability = _stability(points, model.labels_, k, rng, resamples, seed)
        scores.append(KScore(k, float(model.inertia_), silhouette, stability))

    elbow_k = find_knee([s.k for s in scores], [s.inertia for s in scores])
    rated = [s for s in scores if s.silhouette is not None]
    silhouette_k = max(rated, key=lambda s: s.silhouette or 0.0).k
    chosen_k, reason = decide_k(scores, elbow_k, silhouette_k, forced_k)
    return KChoice(
        scores=tuple(scores),
        elbow_k=elbow_k,
        silhouette_k=silhouette_k,
        chosen_k=chosen_k,
        reason=reason,
        methods_agree=elbow_k == silhouette_k,
        forced=forced_k is not None,
        sample_size=len(points),
        resamples=resamples,
        silhouette_sample_size=min(len(points), SILHOUETTE_SAMPLE_SIZE),
    )


def find_knee(ks: Sequence[int], inertias: Sequence[float]) -> int | None:
    """Return the k at the knee of a decreasing curve, or None if it has no clear bend."""
    if len(ks) < 3:
        return None
    x = np.asarray(ks, dtype=float)
    y = np.asarray(inertias, dtype=float)
    if y[0] <= y[-1]:
        return None
    x_scaled = (x - x[0]) / (x[-1] - x[0])
    y_scaled = (y - y[-1]) / (y[0] - y[-1])
    depth = 1.0 - x_scaled - y_scaled
    best = int(np.argmax(depth))
    return int(ks[best]) if depth[best] >= MIN_KNEE_DEPTH else None


def _check_enough_customers(customers: int, distinct: int, forced_k: int | None) -> None:
    if forced_k is not None and forced_k >= distinct:
        raise DataError(
            f"{forced_k} segments were asked for, but there are only {customers} customers "
            f"with {distinct} distinct feature values; ask for fewer segments with -k."
        )
    if distinct < 3:
        raise DataError(
            f"Only {distinct} distinct customers remain after cleaning; at least 3 are "
            "needed to compare segmentations."
        )


@functools.cache
def _threadpools() -> ThreadpoolController:
    """The thread pools of the loaded libraries, found once.

    threadpool_limits() looks for them at every call (1.3 ms); with about 200 fits and
    predictions per run that was a quarter of a second of fixed cost.
    """
    return ThreadpoolController()


def _fit(points: np.ndarray, k: int, seed: int, restarts: int) -> KMeans:
    # One thread: on samples this small, OpenMP's thread start-up costs more than the
    # work (40x slower on a busy 2-core machine), and the result cannot depend on the
    # machine's core count.
    with warnings.catch_warnings(), _threadpools().limit(limits=1):
        # Duplicate points can leave fewer distinct clusters than k; the scores show it.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return KMeans(n_clusters=k, n_init=restarts, random_state=seed).fit(points)


def _stability(
    points: np.ndarray,
    reference: np.ndarray,
    k: int,
    rng: np.random.Generator,
    resamples: int,
    seed: int,
) -> float:
    agreements = []
    for offset in range(resamples):
        rows = rng.integers(0, len(points), len(points))
        model = _fit(points[rows], k, seed + offset + 1, _EVIDENCE_RESTARTS)
        with _threadpools().limit(limits=1):
            predicted = model.predict(points)
        agreements.append(adjusted_rand_score(reference, predicted))
    return float(np.mean(agreements))


def decide_k(
    scores: Sequence[KScore], elbow_k: int | None, silhouette_k: int, forced_k: int | None
) -> tuple[int, str]:
    """Apply the decision rule (see the module docstring); return k and one plain sentence."""
    by_k = {score.k: score for score in scores}
    if forced_k is not None:
        agreement = (
            "which agrees with the evidence"
            if forced_k in (elbow_k, silhouette_k)
            else f"while the evidence points to {_evidence_phrase(elbow_k, silhouette_k)}"
        )
        return forced_k, f"{forced_k} segments were requested with -k, {agreement}."
    if elbow_k == silhouette_k:
        chosen = by_k[silhouette_k]
        reason = (
            f"We chose {chosen.k} segments: the elbow of the curve and the best silhouette "
            f"score both point to {chosen.k}"
        )
    elif elbow_k is None:
        chosen = by_k[silhouette_k]
        reason = (
            f"The elbow curve has no clear bend, so we chose {chosen.k} segments, the number "
            f"with the best silhouette score ({chosen.silhouette:.2f})"
        )
    else:
        elbow, silhouette = by_k[elbow_k], by_k[silhouette_k]
        gap = (silhouette.stability or 0.0) - (elbow.stability or 0.0)
        chosen, other = (silhouette, elbow) if gap > -STABILITY_TIE else (elbow, silhouette)
        why = (
            f"its segments are better separated (silhouette {silhouette.silhouette:.2f} "
            f"against {elbow.silhouette:.2f}) and at least as stable"
            if abs(gap) <= STABILITY_TIE
            else f"its segments are more stable when the data is resampled "
            f"({chosen.stability:.2f} against {other.stability:.2f})"
        )
        reason = (
            f"The methods disagree: the elbow points to {elbow_k} segments and the silhouette "
            f"score to {silhouette_k}. We chose {chosen.k} because {why}"
        )
        return chosen.k, reason + _stability_caveat(chosen)
    stability = chosen.stability or 0.0
    return chosen.k, reason + (
        f", and they hold up when the data is resampled (stability {stability:.2f})."
        if stability >= LOW_STABILITY
        else _stability_caveat(chosen)
    )


def _stability_caveat(chosen: KScore) -> str:
    if (chosen.stability or 0.0) >= LOW_STABILITY:
        return "."
    return (
        f". Caution: these segments change noticeably when the data is resampled "
        f"(stability {chosen.stability:.2f}), so treat their boundaries as approximate."
    )


def _evidence_phrase(elbow_k: int | None, silhouette_k: int) -> str:
    if elbow_k is None or elbow_k == silhouette_k:
        return f"{silhouette_k}"
    return f"{elbow_k} (elbow) or {silhouette_k} (silhouette)"
