"""The shortcuts cleaning takes on large tables give what the plain pandas calls give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reportgen.cleaning import (
    _is_unique,
    _kind,
    _outlier_percentiles,
    _repeated,
    exact_duplicates,
)

SERIES = [
    pd.Series([1, 2, 2, 3, 5, 5, 5, 9]),  # sorted, with repeats
    pd.Series([1, 2, 3, 4, 7]),  # strictly increasing
    pd.Series([3, 1, 2, 1]),  # unsorted
    pd.Series([1.0, 2.0, 2.0]),  # floats take the plain path
    pd.Series(["a", "b", "b"]),
    pd.Series([7]),
    pd.Series([], dtype="int64"),
    pd.Series([1, 2, None], dtype="Int64"),
]


@pytest.mark.parametrize("values", SERIES)
def test_repeated_marks_what_duplicated_keep_false_marks(values: pd.Series) -> None:
    values.index = values.index + 10  # labels are kept
    pd.testing.assert_series_equal(_repeated(values), values.duplicated(keep=False))


@pytest.mark.parametrize("values", SERIES)
def test_is_unique_agrees_with_pandas(values: pd.Series) -> None:
    assert _is_unique(values) == values.is_unique


def test_exact_duplicates_with_a_sorted_id_is_duplicated() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"CustomerID": np.sort(rng.integers(0, 300, 500)), "x": rng.integers(0, 2, 500)}
    )
    pd.testing.assert_series_equal(exact_duplicates(frame), frame.duplicated())


@pytest.mark.parametrize(
    "values",
    [
        pd.Series(np.arange(20_000)),  # many distinct values in the first rows
        pd.Series(np.r_[np.zeros(10_000), np.arange(20_000)]),  # ... only further down
        pd.Series(np.tile([1, 2, 3], 5_000)),  # a code
        pd.Series(np.tile([1.5, 2.0], 5_000)),  # few values, not whole: a measure
    ],
)
def test_kind_looks_at_the_first_rows_only_when_that_decides(values: pd.Series) -> None:
    codes = values.nunique() <= min(10, values.notna().sum() / 5)
    expected = "code" if codes and bool((values.dropna() % 1 == 0).all()) else "numeric"
    assert _kind(values) == expected


@pytest.mark.parametrize(
    "values",
    [
        pd.Series(np.random.default_rng(1).normal(50, 20, 10_001).round(1)),
        pd.Series(np.random.default_rng(2).integers(0, 1_000, 5_003)),
        pd.Series([1.0, np.nan, 3.0, 7.5]),
        pd.Series([3, 1, 2], dtype="Int64"),
    ],
)
def test_percentiles_are_those_of_pandas(values: pd.Series) -> None:
    expected = values.quantile([0.01, 0.05, 0.95, 0.99]).tolist()
    assert _outlier_percentiles(values) == expected
