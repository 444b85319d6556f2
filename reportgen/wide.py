"""Bounds for wide tables: how many columns become features, charts and correlations.

A table of 2,000 columns must not mean 2,000 features, a chart of 2,000 panels or
2,000 x 2,000 correlations in prose. The rules, stated in the report where they apply:

- Features: when no --feature is given and more than ``MAX_AUTO_FEATURES`` measures
  qualify, the ones kept are those with the fewest missing values, then the most
  distinct values, then the earliest in the file.
- Charts of descriptive columns: at most ``MAX_CHART_PANELS`` panels, the first
  columns in the file; a segment card describes as many descriptive columns.
- Correlations: among at most ``MAX_CORRELATED`` measures, the features first.
- Tables: the data-quality table lists at most ``MAX_QUALITY_ROWS`` columns (the ID and
  the features, then those with a note) and the exploration table the first
  ``MAX_EXPLORED_MEASURES`` measures; the rest are counted in one line, and
  summary.json has every one.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

MAX_AUTO_FEATURES = 20
MAX_CHART_PANELS = 24
MAX_CORRELATED = 20
MAX_QUALITY_ROWS = 60
MAX_EXPLORED_MEASURES = 40


def cap_features(
    frame: pd.DataFrame, candidates: Sequence[str], limit: int = MAX_AUTO_FEATURES
) -> tuple[tuple[str, ...], str | None]:
    """Keep at most ``limit`` (MAX_AUTO_FEATURES) candidate measures, by the stated rule.

    Returns:
        The kept columns in file order, and a note for the report when some were set aside.
    """
    if len(candidates) <= limit:
        return tuple(candidates), None
    sample = frame[list(candidates)].head(100_000)
    order = sorted(
        range(len(candidates)),
        key=lambda i: (
            int(sample[candidates[i]].isna().sum()),
            -int(sample[candidates[i]].nunique()),
            i,
        ),
    )
    kept = sorted(order[:limit])
    note = (
        f"{len(candidates):,} numeric columns could be features; the {limit} with the "
        "fewest missing values and then the most distinct values were used (choose others "
        "with --feature); the rest describe the segments."
    )
    return tuple(candidates[i] for i in kept), note


def charted(columns: Sequence[str]) -> tuple[str, ...]:
    """Return the columns a chart of one panel per column shows: the first MAX_CHART_PANELS."""
    return tuple(columns[:MAX_CHART_PANELS])
