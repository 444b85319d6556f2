"""Exploring: the numeric summary's shortcut gives pandas' numbers exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reportgen.exploring import _summarize

rng = np.random.default_rng(5)


@pytest.mark.parametrize(
    "values",
    [
        pd.Series(rng.normal(50, 20, 100_001).round(2), name="income"),
        pd.Series(rng.lognormal(3, 1.5, 20_000), name="spend"),
        pd.Series(rng.integers(-5, 1_000, 50_000), name="visits"),
        pd.Series(rng.integers(0, 2**40, 10_000), name="big"),
        pd.Series([3.0, 3.0], name="same"),
        pd.Series([1.0, np.nan, 4.0], name="gaps"),  # the pandas path
        pd.Series([7], name="one"),
    ],
)
def test_summary_matches_pandas(values: pd.Series) -> None:
    expected = (values.mean(), values.std(), values.min(), values.median(), values.max())
    summary = _summarize(values)
    got = (summary.mean, summary.std, summary.minimum, summary.median, summary.maximum)
    assert got == pytest.approx(expected, rel=0, abs=0, nan_ok=True)
    assert summary.column == values.name
