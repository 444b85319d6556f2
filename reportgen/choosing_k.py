"""Stage 5: choose the number of segments from evidence an analyst can defend.

The evidence, for each k in the business range (3 to 8 by default), all on one seeded
sample of at most EVIDENCE_SAMPLE_SIZE customers:

- **Prediction strength** (Tibshirani & Walther 2005): the sample is split in random
  halves; each half is segmented, and for every segment of the test half we count how
  many of its pairs of customers the other half's centres also put together. The
  weakest segment's share is the prediction strength of that split; it is averaged
  over PREDICTION_SPLITS splits, both halves taking each role. The published threshold
  is 0.8: below it, another sample of the same customers would not find the same groups.
- **Per-segment stability** (Hennig's clusterboot, 2007): the sample is resampled with
  replacement BOOTSTRAP_RESAMPLES times and segmented again; each segment's stability is
  its mean Jaccard similarity with its best match in the resamples. Hennig's reading:
  >= 0.85 highly stable, >= 0.75 stable, 0.6-0.75 a real pattern with doubtful members,
  < 0.6 not to be trusted.
- The size of the smallest segment.
- For completeness: the elbow (K-Means inertia for k = 1..k_max, knee by kneedle: the
  point farthest below the chord, both axes scaled to 0-1), the silhouette, and the
  Calinski-Harabasz and Davies-Bouldin indices.

The rule: choose the largest k whose prediction strength is >= 0.8, whose every segment
has stability >= 0.75 and whose smallest segment holds at least 2% of customers. When
that k passes only narrowly (by less than NEAR_TIE) and the next smaller passing k has
the better silhouette, the two are a near-tie and the smaller one is chosen. When no k
passes, the customers do not fall into sharply separated groups: the k that comes
closest to passing is chosen (near-ties again by silhouette) and the report says so;
but when every k of the range leaves a segment under 2% and the split in two passes,
the two groups are chosen.
With last month's k, that k is kept unless it now fails and another k passes. Larger k
is preferred because the silhouette and the elbow favour coarse splits ("high spenders,
low spenders") that tell a manager nothing new; the tests above guard against
segments that are artefacts of the sample.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score
from threadpoolctl import ThreadpoolController

from reportgen.config import (
    EVIDENCE_SAMPLE_SIZE,
    MIN_SEGMENT_SHARE,
    SILHOUETTE_SAMPLE_SIZE,
    STABILITY_RESAMPLES,
)
from reportgen.contract import (
    FeatureMatrix,
    KChoice,
    KScore,
    ResampleFits,
    Segmentation,
    SegmentProfile,
)
from reportgen.errors import DataError
from reportgen.formatting import format_number
from reportgen.render_pool import shared_map

log = logging.getLogger(__name__)

# The thresholds of the rule (see the module docstring).
PREDICTION_STRENGTH_THRESHOLD = 0.8
STABILITY_THRESHOLD = 0.75
# Hennig's reading of a segment's bootstrap stability.
HIGHLY_STABLE = 0.85
DOUBTFUL = 0.6
# Measures this close to a threshold are within the noise of the resampling.
NEAR_TIE = 0.03
# A knee must lie at least this far below the chord (in 0-1 units) to count as a bend.
MIN_KNEE_DEPTH = 0.1
# Random half splits for the prediction strength; each gives two readings.
PREDICTION_SPLITS = 10
_EVIDENCE_RESTARTS = 4
# Restarts of each fit on a resample or a half: enough that a poor local optimum of
# K-Means does not pass for instability.
_RESAMPLE_RESTARTS = 2
# scikit-learn takes seeds from 0 to 2**32 - 1.
_SEED_RANGE = 2**32


def choose_k(
    features: FeatureMatrix,
    *,
    k_max: int,
    seed: int,
    k_min: int = 3,
    forced_k: int | None = None,
    previous_k: int | None = None,
    previous_period: str | None = None,
    sample_size: int = EVIDENCE_SAMPLE_SIZE,
    resamples: int = STABILITY_RESAMPLES,
    splits: int = PREDICTION_SPLITS,
) -> KChoice:
    """Compute the evidence for each k and choose k by the rule in the module docstring.

    Args:
        features: the standardized features.
        k_max: the largest k to consider.
        seed: seeds the sample, the splits, the resamples and every K-Means fit.
        k_min: the smallest k to consider.
        forced_k: a k the user asked for; the evidence is still computed and shown.
        previous_k: last month's k, kept unless it now fails and another k passes.
        previous_period: last month's period, for the sentences that mention it.
        sample_size: above this many customers the evidence uses a seeded sample.
        resamples: bootstrap resamples per k for the per-segment stability.
        splits: random half splits per k for the prediction strength.

    Raises:
        DataError: there are too few distinct customers for the requested segments.
    """
    rows, splits_drawn, resamples_drawn = _draw(
        len(features.scaled), sample_size, splits, resamples, seed
    )
    points = features.scaled[rows]
    distinct = len(np.unique(points, axis=0))
    _check_enough_customers(len(features.scaled), distinct, forced_k)
    candidates = _candidate_ks(k_min, k_max, distinct, forced_k, previous_k)
    log.info("scoring k = %d..%d on %d customers", candidates[0], candidates[-1], len(points))

    ks = []
    for k in range(1, max(k_max, candidates[-1]) + 1):
        if k > distinct - 1 and k not in candidates:
            break
        ks.append(k)
    # Every fit has its own seed and runs on one thread, so the evidence for each k can
    # be computed in any process, in any order: a forked copy takes a share (Linux).
    # Costliest first (more segments, more iterations), so neither process waits long.
    jobs = [(kind, k) for k in reversed(ks) if k in candidates for kind in _KINDS]
    jobs += [("inertia", k) for k in ks if k not in candidates]
    results = dict(
        zip(
            jobs,
            shared_map(
                functools.partial(_evidence_job, points, seed, splits_drawn, resamples_drawn),
                jobs,
            ),
            strict=True,
        )
    )
    scores, predictions, centres = [], {}, {}
    for k in ks:
        if k not in candidates:
            scores.append(KScore(k, results["inertia", k], None, None))
            continue
        partial, predictions[k], centres[k] = results["stability", k]
        score = dataclasses.replace(partial, prediction_strength=results["strength", k])
        failures = _failures(score)
        scores.append(dataclasses.replace(score, passes=not failures, failures=failures))
    elbow_k = find_knee([s.k for s in scores], [s.inertia for s in scores])
    rated = [s for s in scores if s.silhouette is not None]
    silhouette_k = max(rated, key=lambda s: s.silhouette or 0.0).k
    in_range = [s for s in rated if k_min <= s.k <= k_max] or rated
    split = _by_k(rated).get(2)
    rule_k, rule_reason = decide_k(in_range)
    two_instead = _two_groups_instead(in_range, split)
    if two_instead:
        rule_k, rule_reason = two_instead
    chosen_k, reason, k_change = rule_k, rule_reason, None
    if forced_k is not None:
        chosen_k, reason = forced_k, _forced_reason(_by_k(scores)[forced_k], rule_k, in_range)
    elif previous_k is not None and previous_k in _by_k(rated):
        chosen_k, reason, k_change = _month_to_month(
            _by_k(rated)[previous_k], rule_k, rule_reason, in_range, previous_period
        )
    sharp = any(score.passes for score in in_range) or two_instead is not None
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
        k_min=in_range[0].k,
        k_max=in_range[-1].k,
        rule_k=rule_k,
        sharp=sharp,
        structure_note=None if sharp else _no_sharp_groups(chosen_k, in_range, split),
        previous_k=previous_k,
        k_change=k_change,
        splits=splits,
        split_sample_size=len(points) // 2,
        prediction_strength_threshold=PREDICTION_STRENGTH_THRESHOLD,
        stability_threshold=STABILITY_THRESHOLD,
        min_segment_share=MIN_SEGMENT_SHARE,
        resample_fits=ResampleFits(
            chosen_k, seed, _digest(points), tuple(predictions[chosen_k]), centres[chosen_k]
        )
        if chosen_k in predictions
        else None,
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


def decide_k(scores: Sequence[KScore]) -> tuple[int, str]:
    """Apply the rule to the scored ks of the business range; return k and one sentence."""
    passing = [score for score in scores if score.passes]
    if passing:
        best = passing[-1]
        lower = passing[-2] if len(passing) > 1 else None
        if (
            lower is not None
            and _margin(best) < NEAR_TIE
            and (lower.silhouette or 0.0) > (best.silhouette or 0.0)
        ):
            return lower.k, (
                f"We chose {lower.k} segments: {_evidence(lower)}. {best.k} segments also "
                f"passed every test, but only just (prediction strength "
                f"{_num(best.prediction_strength)}, weakest segment's stability "
                f"{_num(best.stability)}), and {lower.k} separate customers better (silhouette "
                f"{_num(lower.silhouette)} against {_num(best.silhouette)})."
            )
        return best.k, (
            f"We chose {best.k} segments, the largest number from {scores[0].k} to "
            f"{scores[-1].k} whose segments come back when the customers are resampled: "
            f"{_evidence(best)}."
        )
    best = closest_k(scores)
    return best.k, (
        f"No number of segments from {scores[0].k} to {scores[-1].k} passed the tests for "
        f"well-separated groups, so we chose {best.k}, the closest to passing: "
        f"{_evidence(best)}."
    )


def _two_groups_instead(scores: Sequence[KScore], split: KScore | None) -> tuple[int, str] | None:
    """k = 2 and why, when every k of the range leaves a segment too small to act on
    (under MIN_SEGMENT_SHARE) while the two-group split passes every test; else None.

    The closest-to-passing k would then have a segment of a handful of customers with
    its own advice (hotel bookings: 7 segments, three of 1% or less, beside a split in
    two that passes).
    """
    if split is None or not split.passes or split.k >= scores[0].k:
        return None
    if any(_smallest_share(score) >= MIN_SEGMENT_SHARE for score in scores):
        return None
    return 2, (
        f"Every number of segments from {scores[0].k} to {scores[-1].k} leaves a segment "
        f"under {MIN_SEGMENT_SHARE * 100:g}% of customers, too few to act on, while the "
        f"customers fall sharply into two groups ({_brief(split)}): we chose those 2."
    )


def closest_k(scores: Sequence[KScore]) -> KScore:
    """The score that comes closest to passing; near-ties go to the better silhouette."""
    sized = [s for s in scores if _smallest_share(s) >= MIN_SEGMENT_SHARE] or list(scores)
    best_margin = max(_margin(s) for s in sized)
    tied = [s for s in sized if _margin(s) >= best_margin - NEAR_TIE]
    return max(tied, key=lambda s: (s.silhouette or 0.0, s.k))


def segment_stability(
    features: FeatureMatrix, segmentation: Segmentation, choice: KChoice, seed: int
) -> tuple[float | None, ...]:
    """Each final segment's bootstrap stability, in the segmentation's order.

    The same sample and resamples as the evidence for k (the same seed draws them), with
    the final segmentation as the reference: each segment's mean Jaccard similarity
    with its best match in the resamples. None for a segment with no customer in the
    sample.
    """
    rows, _, resamples = _draw(
        len(features.scaled), choice.sample_size, choice.splits, choice.resamples, seed
    )
    labels, points, k = segmentation.labels[rows], features.scaled[rows], segmentation.k
    kept = choice.resample_fits
    if kept is not None and (kept.k, kept.seed, kept.sample_digest) == (k, seed, _digest(points)):
        # The very fits the evidence for this k made: same sample, resamples and seeds.
        predictions: Sequence[np.ndarray] = kept.predictions
    else:
        predictions = _resample_predictions(points, k, seed, resamples)
    values = _stability(labels, k, resamples, predictions)
    present = np.bincount(labels, minlength=segmentation.k) > 0
    return tuple(float(v) if here else None for v, here in zip(values, present, strict=True))


def attach_stability(
    segments: Sequence[SegmentProfile],
    features: FeatureMatrix,
    segmentation: Segmentation,
    choice: KChoice,
    seed: int,
) -> tuple[SegmentProfile, ...]:
    """Return the segments with their bootstrap stability and its reading in words."""
    return tuple(
        dataclasses.replace(
            segment,
            stability=value,
            stability_reading="" if value is None else stability_reading(value),
            untrusted=value is not None and value < DOUBTFUL,
        )
        for segment, value in zip(
            segments, segment_stability(features, segmentation, choice, seed), strict=True
        )
    )


def stability_reading(stability: float) -> str:
    """Hennig's reading of a segment's bootstrap stability, in plain words."""
    if stability >= HIGHLY_STABLE:
        return "highly stable: it comes back almost unchanged when the customers are resampled"
    if stability >= STABILITY_THRESHOLD:
        return "stable: it comes back with most of the same customers when they are resampled"
    if stability >= DOUBTFUL:
        return (
            "a real pattern, but with doubtful members: many of its customers could as well "
            "belong to a neighbouring segment"
        )
    return (
        "not to be trusted: it does not come back reliably when the customers are "
        "resampled, so treat it as a rough grouping"
    )


def _draw(
    customers: int, sample_size: int, splits: int, resamples: int, seed: int
) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """The seeded sample's rows, its random half splits and its bootstrap resamples."""
    rng = np.random.default_rng(seed)
    rows = np.arange(customers)
    if customers > sample_size:
        rows = np.sort(rng.choice(customers, sample_size, replace=False))
    n = len(rows)
    return (
        rows,
        [rng.permutation(n) for _ in range(splits)],
        [rng.integers(0, n, n) for _ in range(resamples)],
    )


def _candidate_ks(
    k_min: int, k_max: int, distinct: int, forced_k: int | None, previous_k: int | None
) -> list[int]:
    """The ks to score: the business range, last month's k, a forced k, and 2.

    Two segments are scored even below the range: when no finer segmentation holds
    up, that a plain split does is worth saying.
    """
    upper = min(k_max, distinct - 1)
    ks = set(range(k_min, upper + 1)) or set(range(2, upper + 1))
    ks.update(k for k in (forced_k, previous_k, 2) if k is not None and 2 <= k < distinct)
    return sorted(ks)


# The evidence for one k comes from three independent jobs (see _evidence_job).
_KINDS = ("stability", "strength")


def _evidence_job(
    points: np.ndarray,
    seed: int,
    splits: Sequence[np.ndarray],
    resamples: Sequence[np.ndarray],
    job: tuple[str, int],
) -> Any:
    """One job of the evidence for k: the fit on the sample with its scores, each
    segment's bootstrap stability and the fit's centres ("stability"), the prediction
    strength ("strength"), or only the inertia for the elbow ("inertia")."""
    kind, k = job
    if kind == "strength":
        return _prediction_strength(points, k, seed, splits)
    model = _fit(points, k, seed, _EVIDENCE_RESTARTS)
    if kind == "inertia":
        return float(model.inertia_)
    score, predictions = _score(points, model, k, seed, resamples)
    return score, predictions, model.cluster_centers_


def _score(
    points: np.ndarray,
    model: KMeans,
    k: int,
    seed: int,
    resamples: Sequence[np.ndarray],
) -> tuple[KScore, list[np.ndarray]]:
    """The scores of one k but its prediction strength (and verdict), and the resample
    fits' predictions (which the final segments' stability reuses)."""
    labels = model.labels_
    sizes = np.bincount(labels, minlength=k)
    # Segments in size order, largest first, as the report numbers them.
    order = np.argsort(-sizes, kind="stable")
    predictions = _resample_predictions(points, k, seed, resamples)
    stability = _stability(labels, k, resamples, predictions)[order]
    many = len(np.unique(labels)) > 1
    score = KScore(
        k=k,
        inertia=float(model.inertia_),
        silhouette=float(
            silhouette_score(
                points,
                labels,
                sample_size=min(len(points), SILHOUETTE_SAMPLE_SIZE),
                random_state=seed,
            )
        )
        if many
        else None,
        stability=float(stability.min()),
        prediction_strength=None,
        segment_stability=tuple(float(value) for value in stability),
        segment_shares=tuple(float(size) for size in sizes[order] / len(points)),
        calinski_harabasz=float(calinski_harabasz_score(points, labels)) if many else None,
        davies_bouldin=float(davies_bouldin_score(points, labels)) if many else None,
    )
    return score, predictions


def _failures(score: KScore) -> tuple[str, ...]:
    """What keeps ``score`` from passing, in words (empty when it passes)."""
    failures = []
    if (score.prediction_strength or 0.0) < PREDICTION_STRENGTH_THRESHOLD:
        failures.append(f"prediction strength below {PREDICTION_STRENGTH_THRESHOLD:g}")
    weak = sum(value < STABILITY_THRESHOLD for value in score.segment_stability)
    if weak:
        failures.append(
            f"{weak} segment{'s' if weak > 1 else ''} with stability below {STABILITY_THRESHOLD:g}"
        )
    if _smallest_share(score) < MIN_SEGMENT_SHARE:
        failures.append(f"a segment under {MIN_SEGMENT_SHARE * 100:g}% of customers")
    return tuple(failures)


def _prediction_strength(
    points: np.ndarray, k: int, seed: int, splits: Sequence[np.ndarray]
) -> float | None:
    """Tibshirani & Walther's prediction strength, averaged over splits and both roles."""
    half = len(points) // 2
    if half <= k:
        return None
    readings = []
    for number, order in enumerate(splits):
        halves = (points[order[:half]], points[order[half : 2 * half]])
        fits = [
            _fit(part, k, child_seed(seed, 1000 + 2 * number + side), _RESAMPLE_RESTARTS)
            for side, part in enumerate(halves)
        ]
        # Each half is the test half once: its own segments against the other's centres.
        for test in (0, 1):
            predicted = _predict(fits[1 - test], halves[test])
            readings.append(_strength(fits[test].labels_, predicted, k))
    return float(np.mean(readings))


def _strength(own: np.ndarray, predicted: np.ndarray, k: int) -> float:
    """The weakest test segment's share of pairs that the training centres keep together."""
    table = np.zeros((k, k))
    np.add.at(table, (own, predicted), 1)
    sizes = table.sum(axis=1)
    kept = (table * (table - 1)).sum(axis=1)
    pairs = sizes * (sizes - 1)
    # A segment of one customer has no pairs: it says nothing either way.
    shares = kept[pairs > 0] / pairs[pairs > 0]
    return float(shares.min()) if len(shares) else 0.0


def _resample_predictions(
    points: np.ndarray, k: int, seed: int, resamples: Sequence[np.ndarray]
) -> list[np.ndarray]:
    """Segment each bootstrap resample; predict the segment of each customer drawn into it."""
    predictions = []
    for number, rows in enumerate(resamples):
        model = _fit(points[rows], k, child_seed(seed, 1 + number), _RESAMPLE_RESTARTS)
        # Compare on the customers drawn into this resample, each counted once, as
        # clusterboot does; identical points always fall in the same segment.
        predictions.append(_predict(model, points[np.unique(rows)]))
    return predictions


def _stability(
    labels: np.ndarray,
    k: int,
    resamples: Sequence[np.ndarray],
    predictions: Sequence[np.ndarray],
) -> np.ndarray:
    """Each segment's mean Jaccard similarity with its best match in the resamples."""
    totals = np.zeros(k)
    members = np.eye(k, dtype=bool)[labels]
    for rows, predicted in zip(resamples, predictions, strict=True):
        original = members[np.unique(rows)]
        again = np.eye(k, dtype=bool)[predicted]
        both = original.T.astype(float) @ again.astype(float)
        either = original.sum(axis=0)[:, None] + again.sum(axis=0)[None, :] - both
        with np.errstate(invalid="ignore", divide="ignore"):
            jaccard = np.where(either > 0, both / either, 0.0)
        totals += jaccard.max(axis=1)
    return totals / max(len(resamples), 1)


def _digest(points: np.ndarray) -> str:
    """A fingerprint of the sample, to know that kept resample fits are for these points."""
    return hashlib.blake2b(np.ascontiguousarray(points).tobytes(), digest_size=16).hexdigest()


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

    threadpool_limits() looks for them at every call (1.3 ms); with a few hundred fits
    and predictions per run that was a noticeable fixed cost.
    """
    return ThreadpoolController()


def child_seed(seed: int, offset: int) -> int:
    """Derive the seed of one resample's fit, within the 0..2**32-1 that scikit-learn accepts.

    Wrapping around keeps every seed below the top of the range as it was, and makes
    the largest allowed ``--seed`` work too.
    """
    return (seed + offset) % _SEED_RANGE


def _fit(points: np.ndarray, k: int, seed: int, restarts: int) -> KMeans:
    # One thread: on samples this small, OpenMP's thread start-up costs more than the
    # work (40x slower on a busy 2-core machine), and the result cannot depend on the
    # machine's core count.
    with warnings.catch_warnings(), _threadpools().limit(limits=1):
        # Duplicate points can leave fewer distinct clusters than k; the scores show it.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return KMeans(n_clusters=k, n_init=restarts, random_state=seed).fit(points)


def _predict(model: KMeans, points: np.ndarray) -> np.ndarray:
    with _threadpools().limit(limits=1):
        return np.asarray(model.predict(points))


def _by_k(scores: Sequence[KScore]) -> dict[int, KScore]:
    return {score.k: score for score in scores}


def _smallest_share(score: KScore) -> float:
    return score.smallest_share or 0.0


def _margin(score: KScore) -> float:
    """How far ``score`` clears the two resampling thresholds (negative: short of them)."""
    return min(
        (score.prediction_strength or 0.0) - PREDICTION_STRENGTH_THRESHOLD,
        (score.stability or 0.0) - STABILITY_THRESHOLD,
    )


def _num(value: float | None) -> str:
    return format_number(value, 2)


def _evidence(score: KScore) -> str:
    """The evidence for one k in words, each measure against its threshold."""
    strength, stability = score.prediction_strength or 0.0, score.stability or 0.0
    shown = _num_against(score.prediction_strength, PREDICTION_STRENGTH_THRESHOLD)
    return (
        f"prediction strength {shown} "
        f"({_against(strength, PREDICTION_STRENGTH_THRESHOLD)}), weakest segment's "
        f"stability {_num_against(score.stability, STABILITY_THRESHOLD)} "
        f"({_against(stability, STABILITY_THRESHOLD)}), "
        f"smallest segment {_share(score)} of customers"
    )


def _share(score: KScore) -> str:
    """The smallest segment's share; to a tenth of a percent under MIN_SEGMENT_SHARE, so
    that 0.6% does not read as a 1% just short of the 2% rule."""
    share = _smallest_share(score)
    return f"{share:.1%}" if share < MIN_SEGMENT_SHARE else f"{share:.0%}"


def _brief(score: KScore) -> str:
    """The evidence for one k in a few words, to go inside parentheses."""
    return (
        f"prediction strength {_num(score.prediction_strength)}, weakest segment's "
        f"stability {_num(score.stability)}, smallest segment "
        f"{_share(score)} of customers"
    )


def _num_against(value: float | None, threshold: float) -> str:
    """The value with enough decimals to show which side of the threshold it is on:
    0.795 is '0.795 (short of 0.8)', never '0.80 (short of 0.8)'."""
    if value is None:
        return _num(value)
    for digits in (2, 3, 4):
        if (round(value, digits) >= threshold) == (value >= threshold):
            return format_number(value, digits)
    return format_number(value, 4)


def _against(value: float, threshold: float) -> str:
    return f"{'at least' if value >= threshold else 'short of'} {threshold:g}"


def _forced_reason(forced: KScore, rule_k: int, scores: Sequence[KScore]) -> str:
    verdict = (
        "it passes every test"
        if forced.passes
        else f"it does not pass every test ({'; '.join(forced.failures)})"
    )
    rule = (
        "which is also what the rule would choose"
        if rule_k == forced.k
        else f"the rule would choose {rule_k}"
        if any(s.passes for s in scores)
        else f"no number passes, and {rule_k} comes closest"
    )
    return f"{forced.k} segments were requested with -k; {verdict}, {rule}."


def _month_to_month(
    previous: KScore,
    rule_k: int,
    rule_reason: str,
    scores: Sequence[KScore],
    period: str | None,
) -> tuple[int, str, str | None]:
    """Keep last month's k unless it now fails and another k passes."""
    when = period or "last month"
    if previous.passes:
        return (
            previous.k,
            (
                f"We kept the {previous.k} segments of {when}: they still pass every test "
                f"({_brief(previous)})."
            ),
            None,
        )
    if not any(s.passes for s in scores):
        return (
            previous.k,
            (
                f"We kept the {previous.k} segments of {when}: no number of segments passes "
                f"every test this month, so changing would not be better supported "
                f"({_brief(previous)})."
            ),
            None,
        )
    change = (
        f"The number of segments changed from {previous.k} to {rule_k}: {previous.k} "
        f"segments no longer pass ({'; '.join(previous.failures)}), while {rule_k} do "
        f"({_brief(_by_k(scores)[rule_k])})."
    )
    return rule_k, f"{rule_reason} {when}'s {previous.k} segments no longer pass.", change


def _no_sharp_groups(chosen_k: int, scores: Sequence[KScore], split: KScore | None) -> str:
    """Page 1's plain statement when no k passes the tests."""
    usage = (
        "customers near a boundary differ little from those across it, and some will move "
        "between segments from month to month. Use them to tailor messages and offers to "
        "tendencies, not as fixed target lists or for counting customers."
    )
    if split is not None and split.passes and split.k < scores[0].k:
        return (
            f"These customers fall sharply into two groups ({_brief(split)}), but no finer "
            f"division from {scores[0].k} to {scores[-1].k} segments holds up. The "
            f"{chosen_k} segments below subdivide those groups along tendencies: {usage} "
            "Where fixed target lists are needed, ask for the two-group split (setting: k_min = 2)."
        )
    return (
        "These customers do not fall into sharply separated groups. The "
        f"{chosen_k} segments below divide a continuum rather than find natural groups: {usage}"
    )
