"""Values no analysis can use as they are: infinities, and numbers too large to standardize.

``inf`` and ``-inf`` (written by spreadsheets and databases for a division by zero) are
read as missing values, counted in the data-quality table, and filled like any other
gap. A measure whose values are so large that their squares overflow a 64-bit float
(about 1e154 and beyond) cannot be standardized: that is a clear error naming the
column, never a crash or a segment of one customer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from reportgen.errors import DataError

# Standardizing sums the squares of the values: n * x**2 must stay well below 1.8e308.
_SQUARES_LIMIT = 1e300


def read_non_finite(
    frame: pd.DataFrame, details: dict[str, list[str]]
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Read inf and -inf in numeric columns as missing values.

    Returns:
        The table, and how many values of each column became missing.
    """
    counts: dict[str, int] = {}
    changed = {}
    for column in frame.columns:
        values = frame[column]
        if not pd.api.types.is_float_dtype(values):
            continue
        infinite = np.isinf(values.to_numpy(dtype=float, na_value=np.nan))
        if not infinite.any():
            continue
        counts[column] = int(infinite.sum())
        changed[column] = values.where(~infinite)
        details.setdefault(column, []).append(
            f"{counts[column]:,} infinite value(s) (inf, -inf) read as missing"
        )
    return (frame.assign(**changed) if changed else frame), counts


def check_standardizable(values: pd.Series, column: str, path: Path) -> None:
    """Refuse a measure whose values are too large to standardize.

    Raises:
        DataError: the sum of the squared values would overflow a 64-bit float.
    """
    array = values.to_numpy(dtype=float, na_value=np.nan)
    if not len(array):
        return
    largest = float(np.nanmax(np.abs(array))) if not np.isnan(array).all() else 0.0
    if largest and largest > np.sqrt(_SQUARES_LIMIT / len(array)):
        raise DataError(
            f"Column {column!r} of {path} holds values as large as {largest:.3g}, too large to "
            "standardize (their squares overflow a 64-bit number). Rescale the column (divide "
            "it by a power of ten), or choose other columns with --feature."
        )
