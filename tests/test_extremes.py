from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reportgen.cleaning import clean_table
from reportgen.contract import Table
from reportgen.errors import DataError
from reportgen.extremes import check_standardizable, read_non_finite
from reportgen.settings import Settings
from tests.conftest import blobs


def test_infinities_become_missing_values_and_are_counted() -> None:
    frame = pd.DataFrame({"a": [1.0, np.inf, -np.inf, 2.0], "b": ["x", "inf", "y", "z"]})
    details: dict[str, list[str]] = {}
    read, counts = read_non_finite(frame, details)
    assert read["a"].isna().tolist() == [False, True, True, False]
    assert counts == {"a": 2}
    assert details["a"] == ["2 infinite value(s) (inf, -inf) read as missing"]
    assert read["b"].tolist() == ["x", "inf", "y", "z"]


def test_infinities_give_no_segment_of_one_customer(tmp_path: Path) -> None:
    frame = blobs(3)
    frame.loc[5, "Income"] = np.inf
    frame.loc[7, "Spending"] = -np.inf
    table = Table(frame=frame, path=tmp_path / "c.csv", sha256="0", description="test")
    clean = clean_table(table, Settings(input_path=table.path))
    assert np.isfinite(clean.frame[["Income", "Spending"]].to_numpy()).all()
    missing = {column.name: column.missing for column in clean.quality.columns}
    assert missing["Income"] == 1 and missing["Spending"] == 1


@pytest.mark.parametrize("size", [1e160, 1e308])
def test_values_too_large_to_standardize_are_named(size: float) -> None:
    with pytest.raises(DataError, match=r"'Spend' of t\.csv holds values as large as"):
        check_standardizable(pd.Series([size, -size, 1.0]), "Spend", Path("t.csv"))


def test_large_but_safe_values_pass() -> None:
    check_standardizable(pd.Series([1e100, 2e100, np.nan]), "Spend", Path("t.csv"))
    check_standardizable(pd.Series([], dtype=float), "Spend", Path("t.csv"))
