from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reportgen.cleaning import clean_table, read_dates, short_name
from reportgen.contract import DateReading
from reportgen.errors import DataError, SettingsError
from reportgen.loading import load_table
from reportgen.settings import Settings

from .conftest import write_csv
from .tables import shop_customers


def clean(tmp_path: Path, frame: pd.DataFrame, make_settings: Callable[..., Settings], **values):
    path = write_csv(tmp_path / "t.csv", frame)
    return clean_table(load_table(path), make_settings(path, **values))


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
    # A description is not guessed: a missing gender is shown as not given.
    assert result.frame["Gender"].tolist() == ["F", "(not given)", "F", "M"]
    by_name = {column.name: column for column in quality.columns}
    assert (by_name["Income"].missing, by_name["Income"].note) == (
        1,
        "1 missing filled with the median (20)",
    )
    assert by_name["Gender"].note == "1 missing shown as '(not given)', not guessed"
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


def test_text_feature_without_categories_is_refused_with_its_row(
    tmp_path: Path, make_settings
) -> None:
    frame = pd.DataFrame({"CustomerID": [1, 2, 3], "Income": [1.0, 2.0, 3.0], "City": list("abc")})
    with pytest.raises(DataError, match=r"'City' .* not numeric \(row 2 holds 'a'\)"):
        clean(tmp_path, frame, make_settings, features=("City",))


def test_mostly_numeric_feature_keeps_numbers_and_notes_the_rest(tmp_path, make_settings) -> None:
    values = [str(v) for v in range(1, 20)] + ["see notes"]
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
    assert short_name("MntWines") == "wines spend"
    assert short_name("NumStorePurchases") == "store purchases"
    assert short_name("Num") == "num"
    assert short_name("AMT_CREDIT") == "credit"  # an amount, not spending
    # The prefix stands for a noun the rest needs (bank churn's "NumOfProducts").
    assert short_name("NumOfProducts") == "number of products"
    assert short_name("nb_of_visits") == "number of visits"
    assert short_name("AmtOfLoans") == "amount of loans"
    assert short_name("(weird)") == "(weird)"


def roles(result) -> dict[str, tuple[str, str]]:
    return {c.name: (c.kind, c.role) for c in result.quality.columns}


def notes(result) -> dict[str, str]:
    return {c.name: c.note or "" for c in result.quality.columns}


def test_column_roles_for_a_wholesale_like_table(tmp_path: Path, make_settings) -> None:
    rng = np.random.default_rng(1)
    n = 200
    frame = pd.DataFrame(
        {
            "Channel": rng.integers(1, 3, n),  # integer codes
            "Region": rng.integers(1, 4, n),
            "Fresh": rng.lognormal(8, 1, n).round(),
            "Milk": rng.lognormal(7, 1, n).round(),
            "Country": ["PT"] * n,  # constant
            "Comment": [f"note {i}" for i in range(n)],  # free text
            "Fax": [None] * 150 + ["x"] * 50,  # mostly missing
        }
    )
    result = clean(tmp_path, frame, make_settings)
    assert result.feature_columns == ("Fresh", "Milk")
    assert result.profile_columns == ("Channel", "Region")
    found = roles(result)
    assert found["Channel"] == ("code", "profile")
    assert found["Country"][1] == found["Comment"][1] == found["Fax"][1] == "ignored"
    reasons = notes(result)
    assert "same value (PT)" in reasons["Country"]
    assert "free text" in reasons["Comment"]
    assert "75% of values are missing" in reasons["Fax"]
    assert not result.is_measure("Channel")


def test_dates_become_tenure_and_birth_years_become_age(tmp_path: Path, make_settings) -> None:
    frame = pd.DataFrame(
        {
            "ID": [1, 2, 3, 4, 5, 6],
            "Year_Birth": [1980, 1990, 1893, 1970, 2000, 1900],
            "Dt_Customer": [
                "04-09-2012",
                "08-03-2014",
                "21-08-2013",
                "10-02-2014",
                "19-01-2014",
                "08-03-2014",
            ],
            "Income": [50_000, 60_000, 40_000, 80_000, 30_000, 55_000],
        }
    )
    result = clean(tmp_path, frame, make_settings, period="2024-06")
    # Ages in 2014, the table's own time, not the report's. 1893 is before 1900, and 1900
    # would make a customer 114: both become the median age.
    assert result.frame["Age (from Year_Birth)"].tolist() == [34, 24, 29, 44, 14, 29]
    assert result.frame["Dt_Customer (days)"].tolist() == [550, 0, 199, 26, 48, 0]
    reasons = notes(result)
    assert "2 birth years before 1900 or giving an age over 100 treated" in reasons["Year_Birth"]
    assert "latest date (2014-03-08)" in reasons["Dt_Customer"]
    assert "age in 2014, the year of the table's latest date" in reasons["Year_Birth"]
    # Without a date in the table, the age is in the report's year.
    undated = clean(tmp_path, frame.drop(columns="Dt_Customer"), make_settings, period="2024-06")
    assert undated.frame["Age (from Year_Birth)"].tolist() == [44, 34, 39, 54, 24, 39]
    assert "age in 2024, the report's year" in notes(undated)["Year_Birth"]
    assert "Age (from Year_Birth)" in result.feature_columns
    assert {"Age (from Year_Birth)", "Dt_Customer (days)"} <= set(roles(result))


def test_extreme_outliers_are_capped_and_negative_amounts_reported(tmp_path, make_settings) -> None:
    rng = np.random.default_rng(2)
    income = rng.normal(50_000, 10_000, 300)
    income[0] = 1_000_000  # 20 times the usual
    income[1] = -500
    frame = pd.DataFrame(
        {"CustomerID": range(300), "Income": income, "Visits": rng.poisson(20, 300)}
    )
    result = clean(tmp_path, frame, make_settings)
    assert result.frame["Income"].max() < 250_000  # pulled in from 1,000,000
    reason = notes(result)["Income"]
    assert "1 extreme value(s) above" in reason and "(e.g. 1,000,000)" in reason
    assert "-" not in reason.split("capped")[0]  # no negative bound for an income
    assert "1 negative value(s): expected for balances or refunds" in reason


def test_rare_categories_are_listed_and_ignore_drops_columns(tmp_path, make_settings) -> None:
    status = ["Married"] * 150 + ["Single"] * 147 + ["YOLO", "Absurd", "Alone"]
    frame = pd.DataFrame(
        {
            "CustomerID": range(300),
            "Income": np.arange(300.0),
            "Marital_Status": status,
            "Internal": np.arange(300) % 7,
        }
    )
    result = clean(tmp_path, frame, make_settings, ignore=("Internal",))
    assert (
        "rare categories, shown as Other in charts: Absurd (1), Alone (1), YOLO (1)"
        in notes(result)["Marital_Status"]
    )
    assert "Internal" not in result.frame.columns
    assert result.quality.ignored == ("Internal",)


def test_an_id_column_empty_everywhere_leaves_no_customer(tmp_path, make_settings) -> None:
    frame = pd.DataFrame({"CustomerID": [None, None], "Income": [1.0, 2.0]})
    with pytest.raises(DataError, match="empty in every row"):
        clean(tmp_path, frame, make_settings, id_column="CustomerID")


def test_a_code_or_text_feature_is_kept_as_a_category_not_capped(tmp_path, make_settings):
    frame = pd.DataFrame(
        {
            "CustomerID": range(60),
            "Income": np.arange(60.0),
            "Channel": [1, 2] * 30,
            "Region": ["North", "South", "East"] * 20,
        }
    )
    result = clean(tmp_path, frame, make_settings, features=("Income", "Channel", "Region"))
    assert result.feature_columns == ("Income", "Channel", "Region")
    assert result.kinds["Channel"] == "code" and result.kinds["Region"] == "categorical"
    assert not result.is_measure("Channel") and not result.is_measure("Region")
    assert result.frame["Region"].tolist() == frame["Region"].tolist()


def test_categories_alone_are_refused(tmp_path, make_settings):
    frame = pd.DataFrame(
        {"CustomerID": range(50), "Income": np.arange(50.0), "Channel": [1, 2] * 25}
    )
    with pytest.raises(SettingsError, match=r"\(Channel\) are all categories.*Add at least one"):
        clean(tmp_path, frame, make_settings, features=("Channel",))


def test_a_free_text_feature_is_refused_as_neither_number_nor_category(tmp_path, make_settings):
    notes = [f"Called on day {n}" for n in range(60)]
    frame = pd.DataFrame({"CustomerID": range(60), "Income": np.arange(60.0), "Notes": notes})
    with pytest.raises(
        DataError, match=r"'Notes' .* not numeric .* too many different values \(60\)"
    ):
        clean(tmp_path, frame, make_settings, features=("Income", "Notes"))
    # A person's name, different in every row, identifies customers: refused as an ID.
    frame = frame.rename(columns={"Notes": "Name"})
    with pytest.raises(SettingsError, match=r"'Name', which is an identifier \(a person's name"):
        clean(tmp_path, frame, make_settings, features=("Income", "Name"))


def test_exact_duplicates_agree_with_pandas() -> None:
    from reportgen.cleaning import exact_duplicates

    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "CustomerID": rng.integers(0, 200, 600),
            "b": rng.choice(["x", "y", None], 600),
            "c": rng.choice([1.5, np.nan], 600),
        }
    )
    assert exact_duplicates(frame).tolist() == frame.duplicated().tolist()
    no_id = frame.rename(columns={"CustomerID": "a"})
    assert exact_duplicates(no_id).tolist() == no_id.duplicated().tolist()


def test_unknown_answers_are_reported_though_not_empty(tmp_path, make_settings) -> None:
    frame = pd.DataFrame(
        {
            "CustomerID": range(40),
            "balance": np.arange(40.0),
            "contact": ["cellular"] * 28 + ["unknown"] * 12,
        }
    )
    result = clean(tmp_path, frame, make_settings)
    assert "12 'unknown' values (30%), kept as a category" in notes(result)["contact"]


def test_derived_columns_can_be_named_and_unknown_ignores_are_usage_errors(
    tmp_path, make_settings
) -> None:
    frame = pd.DataFrame(
        {"ID": range(30), "Year_Birth": np.arange(1950, 1980), "Income": np.arange(30.0)}
    )
    result = clean(tmp_path, frame, make_settings, profile=("Age (from Year_Birth)",))
    assert result.profile_columns == ("Age (from Year_Birth)",)
    with pytest.raises(SettingsError, match="'ignore' in the config file names column 'Nope'"):
        clean(tmp_path, frame, make_settings, ignore=("Nope",))


def test_minus_one_for_never_and_a_day_of_the_month_are_not_measures(tmp_path, make_settings):
    rng = np.random.default_rng(4)
    pdays = np.where(rng.random(200) < 0.8, -1, rng.integers(1, 400, 200))
    frame = pd.DataFrame(
        {
            "balance": rng.normal(1_000, 500, 200).round(),
            "day": rng.integers(1, 32, 200),
            "pdays": pdays,
            "campaign": rng.integers(1, 9, 200),
        }
    )
    result = clean(tmp_path, frame, make_settings)
    reasons = notes(result)
    assert "-1 read as 'not applicable'" in reasons["pdays"]
    assert "left out:" in reasons["pdays"] and "missing" in reasons["pdays"]
    assert "a day of the month" in reasons["day"]
    missing = {column.name: column.missing for column in result.quality.columns}
    assert missing["pdays"] == int((pdays == -1).sum())
    # campaign (contacts this campaign, 1-8) counts something: a measure, not a code.
    assert result.feature_columns == ("balance", "campaign")


def test_a_minus_one_zero_one_code_is_not_read_as_never(tmp_path, make_settings) -> None:
    trend = np.tile([-1, 0, 1, 0, 1], 20)
    frame = pd.DataFrame({"CustomerID": range(100), "Income": np.arange(100.0), "Trend": trend})
    result = clean(tmp_path, frame, make_settings, profile=("Trend",))
    assert result.frame["Trend"].tolist() == trend.tolist()
    assert "not applicable" not in (notes(result).get("Trend") or "")


def test_codes_with_a_gap_stay_whole_numbers_and_true_false_stays_an_answer(
    tmp_path, make_settings
) -> None:
    frame = pd.DataFrame(
        {
            "CustomerID": range(60),
            "Income": np.arange(60.0),
            "Channel": [1.0, 2.0, None] * 20,
            "Member": [True, False, None] * 20,
        }
    )
    result = clean(tmp_path, frame, make_settings, features=("Income", "Channel", "Member"))
    assert set(result.frame["Channel"]) == {1, 2} and result.frame["Channel"].dtype == "int64"
    assert set(result.frame["Member"].astype(str)) == {"True", "False"}


def test_a_profiled_column_is_not_also_a_default_feature(tmp_path, make_settings) -> None:
    frame = pd.DataFrame(
        {"ID": range(30), "Year_Birth": np.arange(1950, 1980), "Income": np.arange(30.0) ** 2}
    )
    result = clean(tmp_path, frame, make_settings, profile=("Year_Birth",))
    assert result.feature_columns == ("Income",)


def test_few_whole_numbers_named_as_a_quantity_are_a_measure(tmp_path, make_settings) -> None:
    frame = pd.DataFrame(
        {"CustomerID": range(60), "TENURE": [12, 11, 6, 12, 9, 12] * 10, "Region": [1, 2, 3] * 20}
    )
    result = clean(tmp_path, frame, make_settings)
    assert result.kinds["TENURE"] == "numeric" and result.kinds["Region"] == "code"


def test_a_rating_scale_is_a_measure_and_a_mailing_list_optin_is_tenure(
    tmp_path, make_settings
) -> None:
    """Mailchimp's MEMBER_RATING (1-5, engagement) was a code, 'description only', and the
    audience was segmented on 'optin time' alone ('High optin time: treat as valuable')."""
    rng = np.random.default_rng(8)
    signed_up = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 900, 80), unit="D")
    frame = pd.DataFrame(
        {
            "Email Address": [f"p{n}@example.org" for n in range(80)],
            "MEMBER_RATING": rng.integers(1, 6, 80),
            "Stars": rng.integers(1, 6, 80),
            "OPTIN_TIME": signed_up.strftime("%Y-%m-%d %H:%M:%S"),
            "Store": rng.integers(1, 6, 80),
        }
    )
    result = clean(tmp_path, frame, make_settings)
    assert result.kinds["MEMBER_RATING"] == result.kinds["Stars"] == "numeric"
    assert result.kinds["Store"] == "code"
    assert "MEMBER_RATING" in result.feature_columns
    assert result.short_names["OPTIN_TIME (days)"] == "tenure"


def test_a_date_with_a_time_of_day_becomes_tenure_not_a_category(tmp_path, make_settings):
    """iFood's Dt_Customer ("4/9/2012 0:00") was profiled as 77 categories."""
    enrolled = [f"{(i % 12) + 1}/{(i % 28) + 1}/2012 0:00" for i in range(40)]
    joined = [f"2013-{i % 12 + 1:02d}-02 10:15:00" for i in range(40)]
    frame = pd.DataFrame(
        {
            "ID": range(1, 41),
            "Dt_Customer": enrolled,
            "Joined": joined,
            "Income": range(1_000, 41_000, 1_000),
        }
    )
    result = clean(tmp_path, frame, make_settings)
    reasons = notes(result)
    assert roles(result)["Dt_Customer"][0] == roles(result)["Joined"][0] == "date"
    assert "month-first dates (mm/dd/yyyy)" in reasons["Dt_Customer"]
    assert "year-month-day dates (ISO)" in reasons["Joined"]
    expected = pd.to_datetime(enrolled, format="%m/%d/%Y %H:%M")
    assert result.frame["Dt_Customer (days)"].tolist() == list((expected.max() - expected).days)
    assert result.frame["Joined (days)"].max() == 334  # 2013-01-02 to 2013-12-02


def test_ambiguous_dates_are_decided_from_the_whole_column_and_noted(tmp_path, make_settings):
    """The order of day and month was chosen from the first 200 values, silently."""
    early = [f"{(i % 12) + 1}/{(i % 12) + 1}/2013" for i in range(300)]  # say nothing
    frame = pd.DataFrame({"ID": range(301), "Since": [*early, "1/25/2014"], "Spend": range(301)})
    decided = clean(tmp_path, frame, make_settings)
    assert "month-first dates (mm/dd/yyyy)" in notes(decided)["Since"]
    assert "e.g. 1/25/2014" in notes(decided)["Since"]
    assert not [n for n in decided.quality.notes if "day-first or month-first" in n]

    frame["Since"] = [*early, "3/4/2014"]
    guessed = clean(tmp_path, frame, make_settings)
    (note,) = [n for n in guessed.quality.notes if "day-first or month-first" in n]
    assert note.startswith("No date in Since has a day above 12")
    assert "a guess: no day in the column is above 12" in notes(guessed)["Since"]
    assert 'set date_format = "%m/%d/%Y"' in note
    assert (
        guessed.frame["Since (days)"].iloc[0]
        == (pd.Timestamp("2014-04-03") - pd.Timestamp("2013-01-01")).days
    )

    frame["Since"] = frame["Since"] + " 0:00"  # the time of day is read past
    configured = clean(tmp_path, frame, make_settings, date_format="%m/%d/%Y")
    assert "date_format '%m/%d/%Y'" in notes(configured)["Since"]
    assert (
        configured.frame["Since (days)"].iloc[0]
        == (pd.Timestamp("2014-03-04") - pd.Timestamp("2013-01-01")).days
    )
    assert not [n for n in configured.quality.notes if "day-first or month-first" in n]


def test_parts_of_a_date_are_never_features(tmp_path, make_settings):
    """iFood: Month was a feature and Year a code while Day was left out as a date part."""
    rng = np.random.default_rng(6)
    months = rng.integers(1, 13, 200)
    frame = pd.DataFrame(
        {
            "ID": range(200),
            "Income": rng.normal(50_000, 9_000, 200).round(),
            "NumWebVisitsMonth": rng.integers(0, 12, 200),  # a count per month: a measure
            "Tenure Months": rng.integers(1, 12, 200),  # a duration: a measure
            "Year": rng.integers(2012, 2015, 200),
            "Month": months,
            "Month Name": pd.Series(months).map(lambda m: pd.Timestamp(2020, m, 1).strftime("%B")),
            "Day": rng.integers(1, 32, 200),
            "signup_quarter": [f"Q{q}" for q in rng.integers(1, 5, 200)],
            "Weekday": rng.choice(["Mon", "Tue", "Sat"], 200),
        }
    )
    result = clean(tmp_path, frame, make_settings)
    reasons = notes(result)
    expected = {
        "Year": "a year",
        "Month": "a month",
        "Month Name": "a month",
        "Day": "a day of the month",
        "signup_quarter": "a quarter",
        "Weekday": "a day of the week",
    }
    for column, part in expected.items():
        assert roles(result)[column][1] == "ignored", column
        assert f"left out: {part}, a part of a date" in reasons[column]
    assert set(result.feature_columns) == {"Income", "NumWebVisitsMonth", "Tenure Months"}


def test_a_total_blank_exactly_where_tenure_is_zero_is_zero_not_the_median(tmp_path, make_settings):
    """Telco's TotalCharges is blank for the 11 customers of tenure 0: filled with 1,397."""
    rng = np.random.default_rng(7)
    tenure = rng.integers(1, 72, 300)
    tenure[[3, 50, 120]] = 0
    monthly = rng.uniform(20, 110, 300).round(2)
    total = (tenure * monthly).round(2).astype(object)
    total[tenure == 0] = " "
    frame = pd.DataFrame(
        {
            "customerID": [f"C{i:04d}" for i in range(300)],
            "tenure": tenure,
            "MonthlyCharges": monthly,
            "TotalCharges": total,
        }
    )
    result = clean(tmp_path, frame, make_settings)
    assert result.frame.loc[[3, 50, 120], "TotalCharges"].tolist() == [0, 0, 0]
    assert (
        "3 missing filled with 0: they are exactly the customers whose tenure is 0"
        in notes(result)["TotalCharges"]
    )

    # A gap on a customer with some tenure is a true gap: the median, as before.
    frame.loc[4, "TotalCharges"] = " "
    result = clean(tmp_path, frame, make_settings)
    assert "4 missing filled with the median" in notes(result)["TotalCharges"]


def test_a_capped_feature_keeps_its_raw_values_for_exploring(tmp_path, make_settings) -> None:
    """Wholesale: the exploring table showed Delicassen's cap (33,076) as its maximum."""
    from reportgen.exploring import explore

    rng = np.random.default_rng(2)
    spend = rng.normal(3_000, 500, 300).round()
    spend[0] = 60_000
    frame = pd.DataFrame({"CustomerID": range(300), "Deli": spend, "Visits": rng.poisson(20, 300)})
    result = clean(tmp_path, frame, make_settings)
    assert result.frame["Deli"].max() < 60_000  # capped for clustering
    (summary,) = [s for s in explore(result).numeric if s.column == "Deli"]
    assert summary.maximum == 60_000
    assert summary.mean == pytest.approx(spend.mean())


def test_customers_who_never_bought_are_set_apart(tmp_path: Path, make_settings) -> None:
    result = clean(tmp_path, shop_customers(never=30), make_settings)
    assert result.quality.rows_kept == 120 and result.quality.never_bought == 30
    assert result.quality.never_bought_columns == ("Total Orders", "Total Spent")
    assert (result.frame["Total Orders"] > 0).all()
    assert len(result.customer_ids) == 120 and "C0119" in set(result.customer_ids)
    left = result.not_segmented
    assert left is not None and list(left["customer_id"]) == [f"C{n:04d}" for n in range(120, 150)]
    assert set(left["reason"]) == {"never bought: Total Orders and Total Spent are 0"}
    # Averages describe the buyers only.
    assert result.frame["Total Spent"].min() > 0


def test_a_few_never_buyers_or_a_missing_total_stay(tmp_path: Path, make_settings) -> None:
    few = clean(tmp_path, shop_customers(never=9), make_settings)
    assert few.quality.never_bought == 0 and few.not_segmented is None
    assert few.quality.rows_kept == 129
    # A missing spend is not a spend of 0 where the column writes 0 for no purchase; a
    # window ("last 30 days") is not a history.
    frame = shop_customers(never=30)
    frame.loc[frame.index[-30:-5], "Total Spent"] = np.nan
    frame = frame.rename(columns={"Total Orders": "Orders last 30 days"})
    kept = clean(tmp_path, frame, make_settings)
    assert kept.quality.never_bought == 0 and kept.quality.rows_kept == 150


def test_a_blank_purchase_history_where_no_one_has_0_means_never_bought(
    tmp_path: Path, make_settings
) -> None:
    """Review 6: HubSpot leaves Total Revenue blank for contacts who never bought (79%);
    the column was left out as mostly missing and every contact was segmented."""
    frame = shop_customers(never=30).drop(columns="Total Orders")
    frame["Total Spent"] = frame["Total Spent"].where(frame["Total Spent"] > 0)
    result = clean(tmp_path, frame, make_settings)
    assert result.quality.rows_kept == 120 and result.quality.never_bought == 30
    assert result.quality.never_bought_columns == ("Total Spent",)
    assert result.quality.never_bought_blank == ("Total Spent",)
    assert "Total Spent" in result.feature_columns
    left = result.not_segmented
    assert left is not None and list(left["customer_id"]) == [f"C{n:04d}" for n in range(120, 150)]
    assert set(left["reason"]) == {"never bought: Total Spent is blank"}
    (note,) = [n for n in result.quality.notes if "blank" in n]
    assert note == (
        "Total Spent is blank in 30 rows and above 0 in all others (never 0): a blank there "
        "means no purchase, so those customers count as never bought."
    )
    # The Spark engine's sample reads it alike (its pass over every row: tests/test_spark).
    assert clean(tmp_path, frame, make_settings, engine="spark").quality.never_bought == 30
    # A blank beside a purchase in another history column is not "never bought".
    frame["Total Orders"] = [*range(1, 121), *[0] * 20, *[2] * 10]
    mixed = clean(tmp_path, frame, make_settings)
    assert mixed.quality.never_bought == 20
    assert set(mixed.not_segmented["reason"]) == {
        "never bought: Total Orders is 0 and Total Spent is blank"
    }
    # With a 0 or a negative among its values, a blank is just missing.
    for value in (0.0, -5.0):
        frame = frame.drop(columns="Total Orders")
        frame.loc[0, "Total Spent"] = value
        assert clean(tmp_path, frame, make_settings).quality.never_bought == 0
        frame["Total Orders"] = 1


def test_a_spreadsheets_total_line_is_not_a_customer(tmp_path: Path, make_settings) -> None:
    frame = shop_customers(never=0)
    total = {"Customer ID": "Grand Total", "Total Orders": frame["Total Orders"].sum()}
    frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    result = clean(tmp_path, frame, make_settings)
    assert result.quality.rows_kept == 120 and "Grand Total" not in set(result.customer_ids)
    assert "The last row ('Grand Total') is a total line of the spreadsheet" in " ".join(
        result.quality.notes
    )
    # A customer whose name merely starts the same way stays.
    frame.loc[frame.index[-1], "Customer ID"] = "Totalfit GmbH"
    assert clean(tmp_path, frame, make_settings).quality.rows_kept == 121


def test_dates_say_what_their_days_measure_and_a_birth_date_is_an_age(
    tmp_path: Path, make_settings
) -> None:
    rng = np.random.default_rng(3)
    days = pd.to_timedelta(rng.integers(0, 900, 60), unit="D")
    frame = pd.DataFrame(
        {
            "Customer ID": [f"C{n}" for n in range(60)],
            "Date of Birth": (pd.Timestamp("1980-06-15") + days * 10).strftime("%d/%m/%Y"),
            "Customer Since": (pd.Timestamp("2020-01-01") + days).strftime("%Y-%m-%d"),
            "Last Order Date": (pd.Timestamp("2023-01-01") + days).strftime("%Y-%m-%d"),
            "Spend": rng.gamma(2, 100, 60).round(2),
        }
    )
    result = clean(tmp_path, frame, make_settings)
    # 'High last order date' would read as recent: it is many days since the last order.
    assert result.short_names["Last Order Date (days)"] == "recency"
    assert result.short_names["Customer Since (days)"] == "tenure"
    ages = result.frame["Age (from Date of Birth)"]
    latest = pd.Timestamp("2023-01-01") + days.max()
    expected = latest.year - (pd.Timestamp("1980-06-15") + days * 10).year
    assert ages.tolist() == expected.astype(float).tolist()
    # Two dates of one kind keep their own names, not two "recency".
    frame["Last Visit Date"] = frame["Last Order Date"]
    twice = clean(tmp_path, frame.drop(columns=["Date of Birth"]), make_settings)
    assert twice.short_names["Last Order Date (days)"] == "last order date"


def test_a_count_of_days_since_the_last_order_is_recency(tmp_path: Path, make_settings) -> None:
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(
        {
            "CustomerID": [f"C{n}" for n in range(80)],
            "DaySinceLastOrder": rng.integers(0, 40, 80),
            "days_since_signup": rng.integers(30, 900, 80),
            "OrderCount": rng.integers(1, 15, 80),
        }
    )
    result = clean(tmp_path, frame, make_settings)
    assert result.short_names["DaySinceLastOrder"] == "recency"
    assert result.short_names["days_since_signup"] == "tenure"
    assert result.short_names["OrderCount"] == "order count"
    # Beside a column already called Recency, the day count keeps its own name.
    frame["Recency"] = rng.integers(0, 90, 80)
    both = clean(tmp_path, frame, make_settings)
    assert both.short_names["Recency"] == "recency"
    assert both.short_names["DaySinceLastOrder"] == "day since last order"


def test_values_near_the_float_limit_are_not_capped_and_warn_nothing() -> None:
    import warnings

    from reportgen.cleaning import _cap_outliers

    values = pd.Series([1e308, -1e308, 0.0, 1.0] * 10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _cap_outliers(values, []) is values


def test_a_yes_no_named_like_a_contact_describes_segments(tmp_path, make_settings) -> None:
    """Telco's PhoneService (Yes/No) was left out as personal data, like a phone number."""
    frame = pd.DataFrame(
        {
            "customerID": [f"C{i:03d}" for i in range(60)],
            "PhoneService": ["Yes", "No", "Yes"] * 20,
            "Phone": [f"+44 7700 900{i // 2:03d}" for i in range(60)],  # households
            "Last Name": ["Smith", "Jones", "Brown", "Wright", "Taylor"] * 12,
            "Spend": np.arange(60.0),
        }
    )
    reasons = notes(clean(tmp_path, frame, make_settings))
    assert "personal data" not in reasons["PhoneService"]
    assert "personal data" in reasons["Phone"]
    assert "personal data" in reasons["Last Name"]  # a name, however few


def test_a_date_column_mixing_formats_is_read_value_by_value(tmp_path: Path, make_settings):
    """Review 6: 70% Excel dates (read as ISO text) and 30% 'dd.mm.yyyy' text became a
    category, and the table lost its recency."""
    rng = np.random.default_rng(5)
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, 100), unit="D")
    pasted = np.arange(100) % 10 < 3
    written = np.where(pasted, days.strftime("%d.%m.%Y"), days.strftime("%Y-%m-%d 00:00:00"))
    frame = pd.DataFrame(
        {
            "Guest ID": [f"G{n}" for n in range(100)],
            "Last Stay": written,
            "Spend": rng.gamma(2, 100, 100).round(2),
        }
    )
    result = clean(tmp_path, frame, make_settings)
    assert roles(result)["Last Stay"][0] == "date"
    expected = (days.max() - days).days
    assert result.frame["Last Stay (days)"].tolist() == list(expected)
    assert "70 year-month-day (ISO)" in notes(result)["Last Stay"]
    assert "30 day-first dates (dd.mm.yyyy)" in notes(result)["Last Stay"]
    # When no day of the text part is above 12, its order cannot be told: not read.
    early = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(100) % 12 * 31, unit="D")
    frame["Last Stay"] = np.where(
        pasted,
        early.strftime("%d.%m.%Y").str.replace(r"^\d\d", "05", regex=True),
        days.strftime("%Y-%m-%d"),
    )
    assert roles(clean(tmp_path, frame, make_settings))["Last Stay"][0] == "categorical"


def test_a_workbooks_dates_are_dates_also_when_some_are_text(tmp_path: Path, make_settings):
    rng = np.random.default_rng(6)
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, 60), unit="D")
    cells = [
        day.strftime("%d.%m.%Y") if n % 4 == 0 else day.to_pydatetime()
        for n, day in enumerate(days)
    ]
    frame = pd.DataFrame(
        {
            "Customer ID": [f"C{n}" for n in range(60)],
            "Customer Since": days,  # Excel dates only
            "Last Order": pd.Series(cells, dtype=object),
            "Spend": rng.gamma(2, 100, 60).round(2),
        }
    )
    path = tmp_path / "customers.xlsx"
    frame.to_excel(path, index=False)
    table = load_table(path)
    assert pd.api.types.is_datetime64_any_dtype(table.frame["Last Order"])
    assert table.notes == (
        "Last Order: 45 dates and 15 dates written as text (day-first dates (dd.mm.yyyy): "
        f"{sum(day.day > 12 for day in days[::4])} distinct dates have a first number above "
        f"12, none a second (e.g. {min(d for d in cells[::4] if int(d[:2]) > 12)})) read "
        "as dates.",
    )
    result = clean_table(table, make_settings(path))
    assert roles(result)["Customer Since"][0] == roles(result)["Last Order"][0] == "date"
    assert result.frame["Last Order (days)"].tolist() == list((days.max() - days).days)
    assert result.short_names["Customer Since (days)"] == "tenure"
    # The Spark engine's sample reads them alike and records how, for every customer.
    on_spark = clean_table(table, make_settings(path, engine="spark"))
    assert roles(on_spark)["Customer Since"][0] == roles(on_spark)["Last Order"][0] == "date"
    assert {measure.source: measure.reading for measure in on_spark.derived} == {
        "Customer Since": DateReading(None),
        "Last Order": DateReading(None),  # loading read the text ones
    }


def test_a_record_keeping_date_is_no_recency_and_is_left_out(tmp_path: Path, make_settings):
    """Review 6: Mailchimp's LAST_CHANGED (when the record was edited) was 'recency', and
    a segment was told 'they have not bought for a long time'."""
    rng = np.random.default_rng(7)
    day = pd.Timestamp("2024-01-01")

    def dates(n: int) -> pd.Series:
        return (day + pd.to_timedelta(rng.integers(0, 600, n), unit="D")).strftime("%Y-%m-%d")

    frame = pd.DataFrame(
        {
            "Customer ID": [f"C{n}" for n in range(80)],
            "LAST_CHANGED": dates(80),
            "Updated At": dates(80),
            "last-updated-date": dates(80),
            "Plan Changed": dates(80),
            "Last Order Date": dates(80),
            "Spend": rng.gamma(2, 100, 80).round(2),
        }
    )
    result = clean(tmp_path, frame, make_settings)
    reasons = notes(result)
    for column in ("LAST_CHANGED", "Updated At", "last-updated-date"):
        assert f"{column} (days)" not in result.feature_columns
        assert roles(result)[f"{column} (days)"][1] == "ignored"
        assert (
            "left out: a record-keeping date (when the record was changed or synced), "
            "not something the customer did" in reasons[f"{column} (days)"]
        )
    # A change the customer made, and the last order, are behaviour.
    assert "Plan Changed (days)" in result.feature_columns
    assert result.short_names["Last Order Date (days)"] == "recency"


def test_a_placeholder_profile_is_not_a_customer(tmp_path, make_settings) -> None:
    """A hotel's 'WALK-IN, GUEST' profile (412 stays) was a customer in 'Treat as valuable'."""
    frame = pd.DataFrame(
        {
            "Guest ID": [f"G{300000 + i}" for i in range(59)] + ["G999999"],
            "Guest Name": [f"Name{i}, Guest" for i in range(59)] + ["WALK-IN, GUEST"],
            "Stays": [1 + i % 4 for i in range(59)] + [412],
            "Total Revenue": [105.5 + 37.25 * i for i in range(59)] + [61230.5],
        }
    )
    result = clean(tmp_path, frame, make_settings)
    assert "G999999" not in set(result.customer_ids)
    assert len(result.frame) == 59
    assert any(
        "1 row stands for no one in particular ('WALK-IN, GUEST')" in n
        for n in result.quality.notes
    )


def test_how_dates_were_read_is_recorded_and_counted_to_a_given_latest_date(
    tmp_path: Path, make_settings
) -> None:
    """The reading decided from the values is kept (the Spark engine applies it to every
    customer) and read_dates gives the very dates cleaning counted; with ``latest`` (every
    customer's latest date, for a sample) days and ages count to it."""
    rng = np.random.default_rng(12)
    n = 120
    days = pd.Timestamp("2013-01-01") + pd.to_timedelta(rng.integers(0, 600, n), unit="D")
    times = days + pd.to_timedelta(rng.integers(0, 1440, n), unit="min")
    frame = pd.DataFrame(
        {
            "Customer ID": [f"C{k}" for k in range(n)],
            "Dt_Customer": days.strftime("%d-%m-%y"),  # day-first, two-digit years
            "Last Order Date": times.strftime("%Y-%m-%d %H:%M"),
            "First Purchase": [
                day.strftime("%Y-%m-%d") if k % 2 else day.strftime("%d.%m.%Y")
                for k, day in enumerate(days)
            ],
            "Year_Birth": rng.integers(1950, 2000, n),
            "Spend": rng.gamma(2, 100, n).round(2),
        }
    )
    path = write_csv(tmp_path / "t.csv", frame)
    result = clean_table(load_table(path), make_settings(path))
    readings = {m.source: m.reading for m in result.derived}
    assert readings == {
        "Dt_Customer": DateReading("%d-%m-%y", part=True, dashed=True),
        "Last Order Date": DateReading("%Y-%m-%d", part=True, dashed=True),
        "First Purchase": DateReading("%d-%m-%Y", part=True, dashed=True, mixed=True),
        "Year_Birth": None,
    }
    for measure in result.derived:
        if measure.reading is not None:
            read = read_dates(frame[measure.source].astype(str), measure.reading)
            assert measure.latest == read.max() == days.max()
            assert result.frame[measure.column].tolist() == (read.max() - read).dt.days.tolist()
    assert [m.year for m in result.derived if m.reading is None] == [days.max().year]
    later = pd.Timestamp("2016-02-03 10:00")
    given = clean_table(load_table(path), make_settings(path), latest={"Dt_Customer": later})
    assert given.frame["Dt_Customer (days)"].tolist() == (later - days).days.tolist()
    assert given.frame["Age (from Year_Birth)"].tolist() == (2016 - frame["Year_Birth"]).tolist()


# Rows that are bookings or occasions, not customers


def _bookings(rows: int = 300, owner: str = "FFP Number", seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    flyers = rng.integers(10**8, 10**9, rows // 3)
    return pd.DataFrame(
        {
            "PNR": [f"X{n:05d}" for n in range(rows)],  # a booking code: unique
            owner: rng.choice(flyers, rows),
            "Booking Date": pd.date_range("2025-01-01", periods=rows, freq="D").strftime(
                "%Y-%m-%d"
            ),
            "Base Fare": rng.gamma(3, 100, rows).round(2),
            "Miles": rng.integers(0, 3_000, rows),
        }
    )


def test_rows_of_a_repeating_id_stop_with_what_to_do(tmp_path: Path, make_settings) -> None:
    path = write_csv(tmp_path / "bookings.csv", _bookings())
    with pytest.raises(DataError) as stop:
        clean_table(load_table(path), make_settings(path))
    message = str(stop.value)
    assert "look like bookings or occasions of FFP Number" in message
    assert "values in 300 rows" in message
    assert 'customer = "FFP Number" and date = "Booking Date"' in message
    assert "--input-kind customers" in message
    # Said to be customers: segmented as before.
    said = clean_table(load_table(path), make_settings(path, input_kind="customers"))
    assert said.id_column == "PNR"


def test_a_policy_list_keyed_by_a_repeating_id_is_named_a_list_of_contracts(
    tmp_path: Path, make_settings
) -> None:
    """Review 7, class 7: a policy list keyed by an ID no customer hint names stopped as
    "occasions" with the advice to run it as order lines, where each policy's start
    would be a purchase; it now says it is a list of contracts and asks for one row per
    customer."""
    policies = _bookings(owner="Insured No").rename(
        columns={"PNR": "Policy Ref", "Booking Date": "Inception Date", "Base Fare": "Premium"}
    )
    path = write_csv(tmp_path / "policies.csv", policies)
    with pytest.raises(DataError) as stop:
        clean_table(load_table(path), make_settings(path))
    message = str(stop.value)
    assert "looks like a list of contracts" in message
    assert "Insured No has 3.1 rows per customer, Policy Ref numbers the contracts" in message
    assert "Inception Date is a start date" in message and "Give one row per customer" in message
    assert 'customer = "Insured No"' not in message


def test_a_repeating_store_id_or_a_household_beside_a_customer_id_is_no_stop(
    tmp_path: Path, make_settings
) -> None:
    stores = _bookings(owner="Store ID").rename(
        columns={"PNR": "Ref", "Booking Date": "Signup Date"}
    )
    path = write_csv(tmp_path / "stores.csv", stores)
    assert clean_table(load_table(path), make_settings(path)).id_column == "Ref"
    households = _bookings(owner="Household ID").rename(columns={"PNR": "CustomerID"})
    path = write_csv(tmp_path / "households.csv", households)
    assert clean_table(load_table(path), make_settings(path)).id_column == "CustomerID"


def test_bookings_without_a_guest_id_stop_but_guest_profiles_do_not(
    tmp_path: Path, make_settings
) -> None:
    rng = np.random.default_rng(4)
    rows = 300
    bookings = pd.DataFrame(
        {
            "avg_price_per_room": rng.gamma(4, 30, rows).round(2),
            "lead_time": rng.integers(0, 300, rows),
            "adults": rng.integers(1, 4, rows),
            "reserved_room_type": rng.choice(["a", "c", "d"], rows),
            "arrival_date": pd.date_range("2016-07-01", periods=rows, freq="D").strftime(
                "%Y-%m-%d"
            ),
        }
    )
    path = write_csv(tmp_path / "hotel.csv", bookings)
    with pytest.raises(DataError, match=r"look like bookings, stays or trips.*lead_time"):
        clean_table(load_table(path), make_settings(path))
    guests = bookings.rename(
        columns={"lead_time": "Avg Lead Time", "arrival_date": "Last Arrival Date"}
    ).assign(**{"Guest ID": [f"G{n:05d}" for n in range(rows)]})
    path = write_csv(tmp_path / "guests.csv", guests)
    assert clean_table(load_table(path), make_settings(path)).id_column == "Guest ID"


# Codes and counts


def test_a_numbered_subtype_is_a_category_and_few_valued_counts_are_measures(
    tmp_path: Path, make_settings
) -> None:
    rng = np.random.default_rng(11)
    rows = 400
    frame = pd.DataFrame(
        {
            "MOSTYPE": rng.integers(1, 42, rows),  # 40 customer subtypes: labels
            "Income": rng.normal(50, 10, rows).round(1),
            "dependents": rng.integers(0, 7, rows),
            "Cards": rng.integers(1, 10, rows),
            "campaign": rng.integers(1, 9, rows),
            "Children": rng.integers(0, 2, rows),  # a yes/no, not a count
        }
    )
    path = write_csv(tmp_path / "t.csv", frame)
    result = clean_table(load_table(path), make_settings(path))
    assert result.kinds["MOSTYPE"] == "code"
    assert result.feature_columns == ("Income", "dependents", "Cards", "campaign")
    assert result.kinds["Children"] == "code"


def test_a_table_of_codes_alone_stops_and_names_the_nominal_code(
    tmp_path: Path, make_settings
) -> None:
    rng = np.random.default_rng(12)
    rows = 400
    frame = pd.DataFrame(
        {
            "MOSTYPE": rng.integers(1, 42, rows),
            **{f"M{n}": rng.integers(0, 10, rows) for n in range(5)},
        }
    )
    path = write_csv(tmp_path / "t.csv", frame)
    with pytest.raises(DataError, match=r"no column that measures customers.*MOSTYPE is named"):
        clean_table(load_table(path), make_settings(path))


def test_a_column_named_as_an_order_number_is_never_a_measure(
    tmp_path: Path, make_settings
) -> None:
    """BreadBasket's 'Transaction' (basket numbers 1..100, 2-3 lines each) was segmented
    on: '1 High transaction ... find out what it says about their needs'."""
    rng = np.random.default_rng(5)
    n = 120
    frame = pd.DataFrame(
        {
            "CustomerID": [f"C{k:04d}" for k in range(n)],
            "Transaction": [1 + k // 2 for k in range(n)],
            "Ticket No": [500 + k // 3 for k in range(n)],
            "Spend": rng.uniform(10, 900, n).round(2),
            "Visits": rng.integers(1, 30, n),
            # Counts of orders are measures, whatever the order word in their names.
            "Orders": rng.integers(1, 12, n),
            "Total Transactions": rng.integers(1, 40, n),
        }
    )
    result = clean(tmp_path, frame, make_settings)
    assert "Transaction" not in result.feature_columns
    assert "Ticket No" not in result.feature_columns
    assert {"Spend", "Visits", "Orders", "Total Transactions"} <= set(result.feature_columns)


def _dirty_churn(rng: np.random.Generator, rows: int = 120) -> pd.DataFrame:
    """Review 9: the dirtied e-commerce churn table's placeholders, -10000 and 589314."""
    tenure = rng.integers(0, 31, rows).astype(float)
    tenure[[5, 60]] = -10_000
    satisfaction = rng.integers(1, 6, rows)
    satisfaction[[3, 20, 40, 70, 100]] = 589_314
    return pd.DataFrame(
        {
            "CustomerID": range(50_001, 50_001 + rows),
            "Tenure": tenure,
            "SatisfactionScore": satisfaction,
            "WarehouseToHome": rng.integers(6, 36, rows),
            "OrderCount": rng.integers(1, 16, rows),
            "CashbackAmount": rng.gamma(9, 18, rows).round(2),
        }
    )


def test_placeholders_far_outside_the_other_values_are_read_as_missing(
    tmp_path: Path, make_settings
) -> None:
    """Review 9: 2 customers with Tenure -10,000 were a segment of their own ("Low tenure"),
    and the overall tenure was "-158"; 589314 in SatisfactionScore showed as a category."""
    frame = _dirty_churn(np.random.default_rng(9))
    result = clean(tmp_path, frame, make_settings)
    reasons = notes(result)
    assert "2 values of -10,000 read as unknown (missing)" in reasons["Tenure"]
    assert "(0 to 30)" in reasons["Tenure"]
    assert "5 values of 589,314 read as unknown (missing)" in reasons["SatisfactionScore"]
    missing = {column.name: column.missing for column in result.quality.columns}
    assert (missing["Tenure"], missing["SatisfactionScore"]) == (2, 5)
    assert result.frame["Tenure"].min() >= 0  # filled with the median, not segmented on
    assert set(result.frame["SatisfactionScore"]) <= {1, 2, 3, 4, 5}
    (said,) = [note for note in result.quality.notes if note.startswith("Placeholders")]
    assert "Tenure -10,000 (2 rows); SatisfactionScore 589,314 (5 rows)" in said
    # All nines above the others, and -999 below values that are never negative.
    frame["Age"] = rng_ages = np.random.default_rng(1).integers(18, 80, 120)
    frame.loc[[7, 8, 9], "Age"] = 999
    frame["Score"] = np.random.default_rng(2).integers(0, 101, 120)
    frame.loc[11, "Score"] = -999  # once is enough for a placeholder shape
    reasons = notes(clean(tmp_path, frame, make_settings))
    assert "3 values of 999 read as unknown" in reasons["Age"]
    assert "1 value of -999 read as unknown" in reasons["Score"]
    assert rng_ages.max() < 999


def test_heavy_tails_and_real_extremes_are_not_placeholders(tmp_path: Path, make_settings):
    """A giant customer, repeated round amounts and rare high counts are real values."""
    rng = np.random.default_rng(3)
    spend = rng.lognormal(6, 1.5, 500).round(2)
    spend[[0, 1]] = 50_000.0  # the same round amount twice, far up the tail
    spend[2] = 1_000_000.0  # one giant: an outlier (capped), not a placeholder
    complaints = rng.poisson(0.3, 500)
    complaints[[3, 4]] = 25  # rare, but a count: not far enough beyond 0-3
    balance = rng.normal(2_000, 3_000, 500).round()
    balance[5] = -9_999  # negative values are usual here: not a placeholder
    frame = pd.DataFrame(
        {
            "CustomerID": range(500),
            "Spend": spend,
            "Complaints": complaints,
            "Balance": balance,
            "Visits": rng.poisson(12, 500),
        }
    )
    result = clean(tmp_path, frame, make_settings)
    assert not any(note.startswith("Placeholders") for note in result.quality.notes)
    assert all("read as unknown" not in note for note in notes(result).values())
    assert {column.missing for column in result.quality.columns} == {0}


def test_zeros_where_a_salary_or_age_cannot_be_0_are_unknown(tmp_path: Path, make_settings):
    """Review 9, airline loyalty: Salary 0 for every College member (the source leaves
    their salaries blank) made a "Low salary" segment, and "No values were missing"."""
    rng = np.random.default_rng(7)
    education = rng.choice(["Bachelor", "College", "Master", "Doctor"], 150, p=[0.5, 0.3, 0.1, 0.1])
    salary = np.where(education == "College", 0, rng.normal(80_000, 25_000, 150).round())
    frame = pd.DataFrame(
        {
            "Loyalty_Number": rng.permutation(np.arange(100_000, 100_150)),
            "Education": education,
            "Salary": np.clip(salary, 0, None),
            "CLV": rng.gamma(2, 2_000, 150).round(2),
        }
    )
    zeros = int((frame["Salary"] == 0).sum())
    result = clean(tmp_path, frame, make_settings)
    reason = notes(result)["Salary"]
    assert f"{zeros} zeros read as unknown (missing): 0 is not a real salary" in reason
    assert f"all {zeros} are Education = College, and every College row is 0" in reason
    assert {c.name: c.missing for c in result.quality.columns}["Salary"] == zeros
    assert result.frame["Salary"].min() > 0
    assert any(f"Salary 0 ({zeros} rows: all" in note for note in result.quality.notes)


def test_real_zeros_stay_zeros(tmp_path: Path, make_settings) -> None:
    """Zeros in counts and spend are real, even when one category holds them all; an
    income running down to small amounts may be 0; an account's age may be 0."""
    rng = np.random.default_rng(8)
    plan = rng.choice(["Basic", "Plus", "Pro"], 200)
    frame = pd.DataFrame(
        {
            "CustomerID": range(200),
            "Plan": plan,
            "Complaints": np.where(plan == "Basic", 0, rng.integers(1, 6, 200)),
            "Orders": np.where(plan == "Basic", 0, rng.integers(1, 30, 200)),
            "Income": np.where(rng.random(200) < 0.1, 0, rng.gamma(1.2, 20_000, 200).round()),
            "Account Age": rng.integers(0, 10, 200),
            "Spend": rng.gamma(2, 300, 200).round(2),
        }
    )
    result = clean(tmp_path, frame, make_settings)
    assert all("read as unknown" not in note for note in notes(result).values())
    for column in ("Complaints", "Orders", "Income", "Account Age"):
        assert (result.frame[column] == 0).sum() == (frame[column] == 0).sum(), column


def test_one_or_two_percent_of_extreme_rows_cannot_escape_the_cap(tmp_path, make_settings):
    """With 2 extreme rows in 120 (1.7%) the 1st percentile was the extreme value itself,
    so the 1st-99th percentile rule capped nothing."""
    rng = np.random.default_rng(4)
    income = rng.normal(50_000, 8_000, 120).round()
    income[[10, 90]] = [-2_500_000.0, -2_400_000.0]  # different values: not placeholders
    frame = pd.DataFrame(
        {"CustomerID": range(120), "Income": income, "Visits": rng.poisson(9, 120)}
    )
    result = clean(tmp_path, frame, make_settings)
    assert result.frame["Income"].min() > -500_000
    assert "2 extreme value(s) below" in notes(result)["Income"]


@pytest.mark.parametrize(
    "values",
    [
        np.random.default_rng(1).normal(100, 15, 5_000),
        np.random.default_rng(2).exponential(50, 5_000),
        np.random.default_rng(3).lognormal(5, 1.5, 5_000),
        np.random.default_rng(4).lognormal(5, 2.0, 5_000),
    ],
)
def test_the_robust_bound_caps_no_more_than_before_on_ordinary_spreads(values) -> None:
    """On normal, exponential and log-normal spreads the 1st-99th percentile rule binds."""
    from reportgen.cleaning import OUTLIER_REACH, _outlier_percentiles, outlier_bounds

    p1, p5, p95, p99 = _outlier_percentiles(pd.Series(values))
    reach = OUTLIER_REACH * (p99 - p1)
    assert outlier_bounds(p1, p5, p95, p99) == (p1 - reach, p99 + reach)
