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


def test_charts_and_the_encoding_group_rare_categories_by_one_rule() -> None:
    from reportgen.config import OTHER_CATEGORY
    from reportgen.contract import CleanTable, DataQuality
    from reportgen.exploring import explore
    from reportgen.features import choose_categories

    # Under 1% of 1,000 customers: "Telex" (5) and "Post" (9) are rare; "Fax" (10) is not.
    channel = pd.Series(
        ["Web"] * 600 + ["Shop"] * 376 + ["Fax"] * 10 + ["Post"] * 9 + ["Telex"] * 5,
        name="channel",
    )
    frame = pd.DataFrame({"channel": channel, "f0": rng.normal(size=1_000)})
    clean = CleanTable(
        frame,
        pd.Series(range(1_000)),
        None,
        ("f0",),
        ("channel",),
        {"channel": "channel", "f0": "f0"},
        DataQuality(1_000, 0, 1_000, (), ()),
        kinds={"channel": "categorical", "f0": "numeric"},
    )
    (charted,) = explore(clean).distributions
    encoded = choose_categories(channel)
    assert charted.categories == encoded.categories == ("Web", "Shop", "Fax", OTHER_CATEGORY)
    assert charted.counts.tolist() == [600, 376, 10, 14]
