"""Stage 4: describe the cleaned table before segmenting it."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from reportgen.contract import (
    CategoryCounts,
    CleanTable,
    Distribution,
    Exploration,
    NumericSummary,
    category_text,
    common_categories,
    histogram_bins,
)
from reportgen.wide import MAX_CORRELATED, charted

# Correlations weaker than this are not worth a sentence in the report.
_NOTABLE_CORRELATION = 0.3
# A chart panel names at most this many categories (the last may be Other).
SHOWN_CATEGORIES = 8


def explore(clean: CleanTable) -> Exploration:
    """Summarize every analysed column and find the notable correlations."""
    frame = clean.frame
    columns = [*clean.feature_columns, *clean.profile_columns]
    numeric = [c for c in columns if clean.is_measure(c)]
    categorical = [c for c in columns if c not in numeric]
    # Features come first in ``numeric``: a wide table correlates them, not every column.
    correlated = numeric[:MAX_CORRELATED]
    correlations = frame[correlated].corr() if len(correlated) > 1 else pd.DataFrame()
    return Exploration(
        # The data as it is: a capped feature is summarized from its values before the cap.
        numeric=tuple(_summarize(clean.uncapped.get(column, frame[column])) for column in numeric),
        categorical=tuple(
            CategoryCounts(
                column,
                tuple(
                    (str(value), int(count))
                    for value, count in frame[column].astype(str).value_counts().items()
                ),
            )
            for column in categorical
        ),
        correlations=correlations,
        findings=tuple(_correlation_findings(correlations)),
        distributions=tuple(
            _distribution(frame[column], clean.display(column), clean.is_measure(column))
            for column in charted(clean.profile_columns)
        ),
        described=len(clean.profile_columns),
    )


def _distribution(values: pd.Series, display_name: str, is_measure: bool) -> Distribution:
    """A measure's histogram, or the customers in each category (rare ones grouped)."""
    column = str(values.name)
    if is_measure:
        measures = values.to_numpy(dtype=float)
        counts, edges = np.histogram(measures, bins=histogram_bins(measures))
        return Distribution(column, display_name, counts, edges=edges)
    categories, other = common_categories(values, SHOWN_CATEGORIES)
    text = category_text(values)
    if other is not None:
        text = text.where(text.isin(categories), other)
    counts = text.value_counts().reindex(categories, fill_value=0)
    return Distribution(column, display_name, counts.to_numpy(), categories=categories)


def _summarize(values: pd.Series) -> NumericSummary:
    array = values.to_numpy()
    if array.dtype.kind in "iuf" and len(array) > 1 and not np.isnan(array).any():
        # numpy's own reductions on plain numbers without gaps: the same values as
        # pandas' (tested), without its missing-value handling (1 s less at 10M rows).
        return NumericSummary(
            column=str(values.name),
            mean=float(array.mean()),
            std=float(array.std(ddof=1)),
            minimum=float(array.min()),
            median=float(np.median(array)),
            maximum=float(array.max()),
        )
    return NumericSummary(
        column=str(values.name),
        mean=float(values.mean()),
        std=float(values.std()),
        minimum=float(values.min()),
        median=float(values.median()),
        maximum=float(values.max()),
    )


def _correlation_findings(correlations: pd.DataFrame) -> list[str]:
    pairs = [
        (first, second, float(correlations.loc[first, second]))
        for first, second in itertools.combinations(correlations.columns, 2)
    ]
    notable = sorted(
        (pair for pair in pairs if abs(pair[2]) >= _NOTABLE_CORRELATION),
        key=lambda pair: -abs(pair[2]),
    )
    if not notable:
        return [
            "No two numeric columns are strongly related (every correlation is "
            f"between -{_NOTABLE_CORRELATION} and {_NOTABLE_CORRELATION})."
        ]
    return [
        f"{first} and {second} are {_strength(r)} {'positively' if r > 0 else 'negatively'} "
        f"correlated (r = {r:.2f})."
        for first, second, r in notable[:3]
    ]


def _strength(r: float) -> str:
    return "strongly" if abs(r) >= 0.7 else "moderately"
