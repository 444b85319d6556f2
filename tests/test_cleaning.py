from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reportgen.cleaning import clean_table, detect_id_column, short_name
from reportgen.errors import DataError, SettingsError
from reportgen.loading import load_table
from reportgen.settings import Settings

from .conftest import write_csv


def clean(tmp_path: Path, frame: pd.DataFrame, make_settings: Callable[..., Settings], **values):
    path = write_csv(tmp_path / "t.csv", frame)
    return clean_table(load_table(path), make_settings(path, **values))


@pytest.mark.parametrize("name", ["CustomerID", "customer_id", "ID", "Cust No", "client_number"])
def test_id_like_unique_columns_are_detected(name: str) -> None:
    frame = pd.DataFrame({"Income": [1.5, 2.5, 3.5], name: [10, 11, 12]})
    assert detect_id_column(frame) == name


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"Amount Paid": [1, 2, 3], "Income": [1, 2, 3]}),  # 'paid' is not 'id'
        pd.DataFrame({"CustomerID": [1, 1, 2], "Income": [1, 2, 3]}),  # not unique
        pd.DataFrame({"CustomerID": [1.5, 2.5, 3.5], "Income": [1, 2, 3]}),  # not whole
        pd.DataFrame({"Store No": [1, 2, 3], "Income": [1, 2, 3]}),  # a store, not a customer
    ],
)
def test_columns_that_are_not_ids_are_not_detected(frame: pd.DataFrame) -> None:
    assert detect_id_column(frame) is None


def test_duplicates_dropped_and_missing_values_filled(tmp_path: Path, make_settings) -> None:
    frame = pd.DataFrame(
        {
            "CustomerID": [1, 2, 3, 4, 4],
            "Gender": ["F", None, "F", "M", "M"],
            "Income": [10.0, 20.0, np.nan, 40.0, 40.0],
        }
    )
    result = clean(tmp_path, frame, make_settings)
    quality = result.quality
    assert (quality.rows_read, quality.duplicate_rows, quality.rows_kept) == (5, 1, 4)
    assert result.frame["Income"].tolist() == [10.0, 20.0, 20.0, 40.0]  # median of 10, 20, 40
    assert result.frame["Gender"].tolist() == ["F", "F", "F", "M"]
    by_name = {column.name: column for column in quality.columns}
    assert (by_name["Income"].missing, by_name["Income"].filled_with) == (1, "median 20")
    assert by_name["Gender"].filled_with == "most common value F"
    assert (by_name["CustomerID"].role, by_name["Income"].role) == ("id", "feature")
    assert result.customer_ids.tolist() == [1, 2, 3, 4]


def test_default_roles_cluster_on_numbers_and_profile_the_rest(
    tmp_path: Path, make_settings
) -> None:
    frame = pd.DataFrame(
        {
            "CustomerID": [1, 2, 3],
            "Gender": list("FMF"),
            "Age": [20, 30, 40],
            "Spend": [1.0, 2.0, 3.0],
        }
    )
    result = clean(tmp_path, frame, make_settings)
    assert result.feature_columns == ("Age", "Spend")
    assert result.profile_columns == ("Gender",)
    chosen = clean(tmp_path, frame, make_settings, features=("Spend",))
    assert chosen.profile_columns == ("Gender", "Age")


def test_without_an_id_row_numbers_identify_customers(tmp_path: Path, make_settings) -> None:
    frame = pd.DataFrame({"Income": [1.0, 2.0, 2.0, 3.0], "Spend": [1.0, 5.0, 5.0, 2.0]})
    result = clean(tmp_path, frame, make_settings)
    assert result.id_column is None
    assert result.customer_ids.tolist() == [1, 2, 4]  # row 3 duplicated row 2
    assert "row number" in result.quality.notes[0]


def test_unknown_column_is_a_usage_error_listing_the_columns(tmp_path: Path, make_settings) -> None:
    frame = pd.DataFrame({"CustomerID": [1, 2], "Income": [1.0, 2.0]})
    with pytest.raises(SettingsError, match=r"--feature names column 'Incme'.*Income"):
        clean(tmp_path, frame, make_settings, features=("Incme",))


def test_text_feature_is_refused_with_its_row(tmp_path: Path, make_settings) -> None:
    frame = pd.DataFrame({"CustomerID": [1, 2, 3], "Income": [1.0, 2.0, 3.0], "City": list("abc")})
    with pytest.raises(DataError, match=r"'City' .* not numeric \(row 2 holds 'a'\)"):
        clean(tmp_path, frame, make_settings, features=("City",))


def test_mostly_numeric_feature_keeps_numbers_and_notes_the_rest(tmp_path, make_settings) -> None:
    values = [str(v) for v in range(1, 20)] + ["n.a."]
    frame = pd.DataFrame({"CustomerID": range(1, 21), "Income": values})
    result = clean(tmp_path, frame, make_settings, features=("Income",))
    assert result.frame["Income"].iloc[-1] == 10.0
    assert any("1 values in Income were not numbers" in note for note in result.quality.notes)


def test_no_numeric_column_at_all(tmp_path: Path, make_settings) -> None:
    frame = pd.DataFrame({"CustomerID": [1, 2], "City": ["a", "b"]})
    with pytest.raises(DataError, match="no numeric column"):
        clean(tmp_path, frame, make_settings)


def test_short_names() -> None:
    assert short_name("Annual Income (k$)") == "annual income"
    assert short_name("Spending_Score") == "spending score"
    assert short_name("(weird)") == "(weird)"
