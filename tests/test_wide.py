from __future__ import annotations

import numpy as np
import pandas as pd

from reportgen.contract import ColumnReport, DataQuality
from reportgen.wide import (
    MAX_AUTO_FEATURES,
    MAX_CHART_PANELS,
    MAX_QUALITY_ROWS,
    cap_features,
    charted,
)


def test_few_candidates_are_all_kept() -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": [3, 4]})
    assert cap_features(frame, ["a", "b"]) == (("a", "b"), None)


def test_many_candidates_are_capped_by_the_stated_rule() -> None:
    rng = np.random.default_rng(0)
    columns = {f"c{i}": rng.normal(size=50).round(1) for i in range(30)}
    frame = pd.DataFrame(columns)
    frame.loc[:10, "c0"] = np.nan  # the most missing: set aside first
    frame["c1"] = frame["c1"].round(0)  # few distinct values: set aside next
    kept, note = cap_features(frame, list(columns))
    assert len(kept) == MAX_AUTO_FEATURES
    assert "c0" not in kept and "c1" not in kept
    assert list(kept) == sorted(kept, key=list(columns).index)  # file order
    assert note is not None and "30 numeric columns could be features" in note


def test_charts_show_a_bounded_number_of_panels() -> None:
    columns = [f"c{i}" for i in range(100)]
    assert charted(columns) == tuple(columns[:MAX_CHART_PANELS])


def test_quality_table_lists_every_column_of_a_narrow_table_and_the_used_and_noted_of_a_wide_one():
    def quality(columns: list[ColumnReport]) -> DataQuality:
        return DataQuality(
            rows_read=1, duplicate_rows=0, rows_kept=1, columns=tuple(columns), notes=()
        )

    plain = [ColumnReport(f"c{i}", "numeric", "profile", 0, None) for i in range(70)]
    noted = ColumnReport("gappy", "numeric", "profile", 3, "3 missing, filled in")
    feature = ColumnReport("spend", "numeric", "feature", 0, None)
    assert quality(plain[:10]).listed == tuple(plain[:10])
    wide = quality([*plain, noted, feature])
    assert wide.listed == (feature, noted)
    many_noted = [ColumnReport(f"n{i}", "numeric", "profile", 1, "note") for i in range(99)]
    assert len(quality(many_noted).listed) == MAX_QUALITY_ROWS
