"""Stage 7b: each outcome's rate (churn, response) overall and in every segment.

An outcome is never a segmentation feature (see roles.py); it is what the segments
are judged by. A segment's rate is notable when it is at least 1.5 times the overall
rate or at most two thirds of it, at least 5 percentage points away, and further from
it than chance would put a segment of that size (two standard errors). Notable
segments get a sentence on their card and, for an outcome that is bad news (churn),
"Retention first" in front of their recommended action; for good news (response),
"Target first".
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Literal

import numpy as np

from reportgen.contract import (
    CleanTable,
    Outcome,
    OutcomeRates,
    Recommendation,
    Segmentation,
    SegmentProfile,
    SegmentRate,
)
from reportgen.formatting import format_rate
from reportgen.roles import is_positive

NOTABLE_RATIO = 1.5
NOTABLE_POINTS = 0.05
NOTABLE_ERRORS = 2.0
# A segment rate measured on fewer customers than this also gives its count ("7 of 21").
SMALL_BASE = 100


def outcome_rates(clean: CleanTable, segmentation: Segmentation) -> tuple[OutcomeRates, ...]:
    """Return each outcome's rate among all customers and in each segment.

    Customers whose outcome is missing are left out of that outcome's rates.
    """
    results = []
    for outcome in clean.outcomes:
        values = clean.frame[outcome.column]
        present = values.notna().to_numpy()
        if not present.any():
            continue
        hits = (is_positive(values, outcome) == 1.0).to_numpy() & present
        overall = float(hits.sum() / present.sum())
        segments = []
        for index, number in enumerate(segmentation.numbers):
            members = (segmentation.labels == index) & present
            counted = int(members.sum())
            rate = float(hits[members].sum() / counted) if counted else math.nan
            segments.append(SegmentRate(number, rate, counted, _notable(rate, overall, counted)))
        results.append(
            OutcomeRates(
                outcome=outcome,
                overall=overall,
                customers=int(present.sum()),
                segments=tuple(segments),
                summary=_summary(outcome, overall, segments),
            )
        )
    return tuple(results)


def with_outcomes(
    segments: Sequence[SegmentProfile], rates: Sequence[OutcomeRates]
) -> tuple[SegmentProfile, ...]:
    """Add each notable outcome rate to its segment's card and recommendation."""
    updated = []
    for segment in segments:
        notes: list[str] = []
        recommendation = segment.recommendation
        for outcome_rates_ in rates:
            rate = outcome_rates_.rate(segment.number)
            if not rate.notable:
                continue
            notes.append(_card_sentence(outcome_rates_, rate))
            recommendation = _advise(recommendation, outcome_rates_, rate)
        updated.append(
            dataclasses.replace(segment, outcome_notes=tuple(notes), recommendation=recommendation)
        )
    return tuple(updated)


def _notable(rate: float, overall: float, counted: int) -> Literal["higher", "lower", ""]:
    if not counted or math.isnan(rate):
        return ""
    error = math.sqrt(overall * (1 - overall) / counted)
    gap = rate - overall
    if abs(gap) < max(NOTABLE_POINTS, NOTABLE_ERRORS * error):
        return ""
    if rate >= overall * NOTABLE_RATIO:
        return "higher"
    if rate <= overall / NOTABLE_RATIO:
        return "lower"
    return ""


def _summary(outcome: Outcome, overall: float, segments: Sequence[SegmentRate]) -> str:
    rated = [rate for rate in segments if not math.isnan(rate.rate)]
    text = f"{outcome.label}: {format_rate(overall, precise=True)} overall"
    if len(rated) < 2:
        return text + "."
    rates = np.array([rate.rate for rate in rated])
    high, low = rated[int(rates.argmax())], rated[int(rates.argmin())]
    return (
        f"{text}, {format_rate(high.rate)} in segment {high.number} (highest) and "
        f"{format_rate(low.rate)} in segment {low.number} (lowest)."
    )


def _base(rate: SegmentRate) -> str:
    """' (7 of 21)' after a rate measured on few customers, so nobody reads 33% as many."""
    if rate.customers >= SMALL_BASE:
        return ""
    return f" ({round(rate.rate * rate.customers):,} of {rate.customers:,})"


def _card_sentence(rates: OutcomeRates, rate: SegmentRate) -> str:
    ratio = rate.rate / rates.overall if rates.overall else math.inf
    comparison = (
        f"{ratio:.1f} times the average" if rate.notable == "higher" else "well below average"
    )
    extreme = max if rate.notable == "higher" else min
    is_extreme = rate.rate == extreme(r.rate for r in rates.segments if not math.isnan(r.rate))
    where = (
        f"; the {'highest' if rate.notable == 'higher' else 'lowest'} of all segments"
        if is_extreme
        else ""
    )
    return (
        f"{rates.outcome.label}: {format_rate(rate.rate)} of this segment{_base(rate)} against "
        f"{format_rate(rates.overall, precise=True)} of all customers ({comparison}{where})."
    )


def _advise(
    recommendation: Recommendation, rates: OutcomeRates, rate: SegmentRate
) -> Recommendation:
    outcome = rates.outcome
    label = outcome.label if outcome.label.isupper() else outcome.label.lower()
    here = (
        f"{label} {format_rate(rate.rate)} here{_base(rate)} against "
        f"{format_rate(rates.overall, precise=True)} overall"
    )
    if outcome.polarity == "bad" and rate.notable == "higher":
        return dataclasses.replace(
            recommendation,
            action=f"Retention first: {here}. {recommendation.action}",
            retention=(
                "Contact these customers before they leave: find out why similar customers "
                f"left (exit surveys, complaints, price) and answer it. {recommendation.retention}"
            ),
        )
    if outcome.polarity == "bad":
        return dataclasses.replace(
            recommendation,
            retention=(
                f"{here[0].upper() + here[1:]}: keep what holds them; costly retention "
                f"offers are not needed. {recommendation.retention}"
            ),
        )
    if outcome.polarity == "good" and rate.notable == "higher":
        return dataclasses.replace(
            recommendation,
            action=f"Target first: {here}. {recommendation.action}",
        )
    if outcome.polarity == "good":
        return dataclasses.replace(
            recommendation,
            campaign=(
                f"{here[0].upper() + here[1:]}: test a different offer or channel before "
                f"spending more. {recommendation.campaign}"
            ),
        )
    return recommendation
