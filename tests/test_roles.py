from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reportgen import roles
from reportgen.cleaning import abbreviate, clean_table, short_name
from reportgen.contract import CleanTable, Outcome, Table
from reportgen.errors import DataError, SettingsError
from reportgen.loading import load_table
from reportgen.settings import Settings

from .conftest import write_csv
from .tables import NAIVE_BAYES, bank_churners

ROWS = 200


def clean(
    tmp_path: Path, frame: pd.DataFrame, make_settings: Callable[..., Settings], **values
) -> CleanTable:
    path = write_csv(tmp_path / "t.csv", frame)
    return clean_table(load_table(path), make_settings(path, **values))


def notes(result: CleanTable) -> dict[str, str]:
    return {column.name: column.note or "" for column in result.quality.columns}


def used_as(result: CleanTable) -> dict[str, str]:
    return {column.name: column.role for column in result.quality.columns}


def measures(rows: int = ROWS, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"Income": rng.normal(50, 10, rows).round(1), "Visits": rng.poisson(8, rows)}
    )


# Identifiers


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("CLIENTNUM", np.random.default_rng(1).choice(np.arange(7 * 10**8, 8 * 10**8), ROWS)),
        ("customerID", [f"{n:04d}-VHVEG" for n in range(ROWS)]),
        ("Unnamed: 0", np.arange(ROWS)),
        ("Row", np.arange(1, ROWS + 1)),
        ("ref", [f"A{n:06d}" for n in range(ROWS)]),  # text codes, any name
    ],
)
def test_identifiers_are_found_by_content_and_name(name: str, values) -> None:
    found = roles.find_identifiers(pd.DataFrame({name: values, **measures()}))
    assert [identifier.column for identifier in found] == [name]


@pytest.mark.parametrize("name", ["CustomerID", "customer_id", "ID", "Cust No", "client_number"])
def test_id_like_unique_columns_are_chosen_as_the_customer_id(name: str) -> None:
    # Moved from test_cleaning with the old detect_id_column: one rule for IDs, in roles.
    frame = pd.DataFrame({"Income": [1.5, 2.5, 3.5], name: [10, 11, 12]})
    chosen = roles.choose_customer_id(roles.find_identifiers(frame))
    assert chosen is not None and chosen.column == name


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"Amount Paid": [1, 2, 3], "Income": [1, 2, 3]}),  # 'paid' is not 'id'
        pd.DataFrame({"CustomerID": [1, 1, 2], "Income": [1, 2, 3]}),  # not unique
        pd.DataFrame({"CustomerID": [1.5, 2.5, 3.5], "Income": [1, 2, 3]}),  # not whole
    ],
)
def test_columns_that_are_not_customer_ids_are_not_chosen(frame: pd.DataFrame) -> None:
    assert roles.choose_customer_id(roles.find_identifiers(frame)) is None


def test_without_an_id_a_unique_name_or_e_mail_names_the_customers() -> None:
    """Agency churn had no ID but a different "Names" on every row: segments.csv listed
    row numbers, which no CRM can match; notes and repeated names stay free text."""
    people = [f"Person {n} Smith" for n in range(ROWS)]
    for name in ("Names", "Customer Name", "Email Address"):
        values = people if "mail" not in name else [f"p{n}@x.example" for n in range(ROWS)]
        chosen = roles.choose_customer_id(
            roles.find_identifiers(pd.DataFrame({name: values, **measures()}))
        )
        assert chosen is not None and chosen.column == name
    repeated = [f"Person {n % 50} Smith" for n in range(ROWS)]
    for frame in (
        pd.DataFrame({"Names": repeated, **measures()}),
        pd.DataFrame({"Notes": people, **measures()}),
    ):
        assert roles.choose_customer_id(roles.find_identifiers(frame)) is None


def test_a_balance_in_cents_with_many_unique_values_is_not_an_identifier() -> None:
    rng = np.random.default_rng(2)
    cents = (np.exp(rng.normal(9, 1.5, ROWS)) * 100).astype(int)
    assert pd.Series(cents).nunique() / ROWS >= 0.99
    frame = pd.DataFrame({"Balance": cents, "Points": cents + 7, "Txns": np.arange(ROWS) * 3})
    assert roles.find_identifiers(frame) == []


def test_names_that_end_like_ids_but_are_not() -> None:
    assert roles.is_id_name("CLIENTNUM")
    assert roles.is_id_name("cust_no")
    assert roles.is_id_name("Member_number")
    for name in ("Amount Paid", "Casino", "No", "Postcode", "Tenure"):
        assert not roles.is_id_name(name), name


def test_first_identifier_is_the_customer_id_and_the_others_are_left_out(
    tmp_path: Path, make_settings
) -> None:
    frame = pd.DataFrame(
        {
            # Not named "Unnamed: 0", which loading leaves out as pandas' row numbers.
            "Row": np.arange(ROWS),
            "CustomerID": np.arange(1000, 1000 + ROWS),
            "Account Code": [f"AC{n}" for n in range(ROWS)],
            **measures(),
        }
    )
    result = clean(tmp_path, frame, make_settings)
    assert result.id_column == "CustomerID"  # an ID-like name comes first
    assert result.feature_columns == ("Income", "Visits")
    assert used_as(result)["Row"] == used_as(result)["Account Code"] == "ignored"
    assert "left out: an identifier (row numbers (0 to 199))" in notes(result)["Row"]
    assert "the customer ID is CustomerID" in notes(result)["Account Code"]


def test_a_unique_phone_number_before_customer_id_is_not_chosen_as_the_customer_id(
    tmp_path: Path, make_settings
) -> None:
    frame = pd.DataFrame(
        {
            "Phone Number": [f"555-{n:04d}" for n in range(ROWS)],
            "Order No": np.arange(5000, 5000 + ROWS),
            "CustomerID": [f"C{n:05d}" for n in range(ROWS)],
            **measures(),
        }
    )
    result = clean(tmp_path, frame, make_settings)
    assert result.id_column == "CustomerID"
    assert used_as(result)["Phone Number"] == "ignored"


def test_customer_id_ranking_prefers_owner_words_then_id_endings_then_uniqueness() -> None:
    def found(column: str, unique: bool = True, share: float = 1.0) -> roles.Identifier:
        return roles.Identifier(column, "", roles.is_id_name(column), unique, share)

    def chosen(*identifiers: roles.Identifier) -> str | None:
        identifier = roles.choose_customer_id(identifiers)
        return identifier.column if identifier else None

    assert chosen(found("Ticket ID"), found("client_no")) == "client_no"
    assert chosen(found("Store Code"), found("Ticket ID")) == "Ticket ID"
    assert chosen(found("AccountID", False, 0.95), found("CustomerID")) == "CustomerID"
    assert chosen(found("CLIENTNUM"), found("Phone Number")) == "CLIENTNUM"
    assert chosen(found("Ticket ID", False, 0.5)) is None


@pytest.mark.parametrize("name", ["Account", "Account Ref", "account_reference"])
def test_an_eight_digit_account_reference_is_an_identifier_not_a_measure(name: str) -> None:
    values = np.random.default_rng(3).choice(np.arange(10**7, 10**8), ROWS, replace=False)
    found = roles.find_identifiers(pd.DataFrame({name: values, **measures()}))
    assert [identifier.column for identifier in found] == [name]


def test_measure_words_match_whole_words_not_parts_of_words() -> None:
    for name in ("MonthlyCharges", "total_amount", "totalcharges", "Age", "message_count"):
        assert roles.names_a_measure(name), name
    for name in ("Account", "page_id", "Consumer", "Message", "Agent"):
        assert not roles.names_a_measure(name), name


def test_a_repeated_customer_id_is_never_a_feature_and_is_reported(
    tmp_path: Path, make_settings
) -> None:
    # Issue 11: one repeated ID made CustomerID a feature ("Low customer id").
    ids = np.arange(1, ROWS + 1)
    ids[5] = ids[4]
    frame = pd.DataFrame({"CustomerID": ids, **measures()})
    result = clean(tmp_path, frame, make_settings)
    assert result.id_column == "CustomerID"
    assert "CustomerID" not in result.feature_columns
    assert result.quality.rows_kept == ROWS - 1
    assert any(
        "1 customer ID in CustomerID appears in more than one row with different values "
        "(e.g. '5'): the first row of each was kept and 1 later row left out" in note
        for note in result.quality.notes
    )


def test_a_member_number_repeated_on_every_purchase_is_never_a_feature(
    tmp_path: Path, make_settings
) -> None:
    frame = measures().assign(Member_number=np.arange(ROWS) % 40 + 1000)
    # The rows are purchases, not customers: a stop that says so (review 7, class 3).
    with pytest.raises(DataError, match=r"occasions of Member_number.*5\.0 rows each"):
        clean(tmp_path, frame, make_settings)
    result = clean(tmp_path, frame, make_settings, input_kind="customers")
    assert result.feature_columns == ("Income", "Visits")
    assert "values repeat (40 distinct in 200 rows)" in notes(result)["Member_number"]


def test_a_repeated_store_id_plan_id_or_branch_no_is_profiled_not_thrown_away(
    tmp_path: Path, make_settings
) -> None:
    rows = 400
    frame = measures(rows).assign(
        **{
            "Store ID": np.arange(rows) % 11 + 100,
            "Plan ID": [f"P{n % 4}" for n in range(rows)],
            "Branch No": np.arange(rows) % 25,
        }
    )
    result = clean(tmp_path, frame, make_settings)
    assert result.feature_columns == ("Income", "Visits")
    assert {"Store ID", "Plan ID", "Branch No"} <= set(result.profile_columns)
    kinds = {column.name: column.kind for column in result.quality.columns}
    assert kinds["Store ID"] == kinds["Branch No"] == "code"
    assert "a category, described in each segment" in notes(result)["Store ID"]
    assert "identifier" not in notes(result)["Branch No"]


def test_postal_codes_are_categories_not_measures(tmp_path: Path, make_settings) -> None:
    frame = measures().assign(**{"Postal Code": np.arange(ROWS) % 30 + 10_000})
    result = clean(tmp_path, frame, make_settings)
    assert "Postal Code" in result.profile_columns
    assert result.kinds["Postal Code"] == "code"


def test_an_id_asked_for_as_a_feature_is_refused_with_the_reason(
    tmp_path: Path, make_settings
) -> None:
    frame = pd.DataFrame({"CustomerID": np.arange(1, ROWS + 1), **measures()})
    refused = r"--feature includes column 'CustomerID', which is an identifier \(row numbers"
    with pytest.raises(SettingsError, match=refused):
        clean(tmp_path, frame, make_settings, features=("CustomerID", "Income"))


# Outcomes


@pytest.mark.parametrize(
    ("name", "values", "positive", "label"),
    [
        ("Churn", ["Yes", "No"], "Yes", "Churn"),
        (
            "Attrition_Flag",
            ["Existing Customer", "Attrited Customer"],
            "Attrited Customer",
            "Attrited",
        ),
        ("Exited", [0, 1], "1", "Exited"),
        ("y", ["no", "yes"], "yes", "y = yes"),
        ("Response", [0, 1], "1", "Response"),
        ("left", [False, True], "True", "Left"),
    ],
)
def test_outcomes_are_found_by_name_and_values(name, values, positive, label) -> None:
    column = pd.Series(values * (ROWS // 2))
    outcome = roles.outcome_of(name, column)
    assert outcome is not None
    assert (outcome.positive, outcome.label) == (positive, label)


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("default", ["no", "yes"]),  # a bank customer's credit in default: not by name alone
        ("Churn", ["a", "b", "c", "d", "e", "f"]),  # too many values
        ("Days left", [1, 2]),  # 'left' as a word among others: a measure
        ("Gender", ["F", "M"]),
    ],
)
def test_columns_that_are_not_outcomes(name, values) -> None:
    assert roles.outcome_of(name, pd.Series(values * 10)) is None


@pytest.mark.parametrize(
    ("name", "values", "positive", "polarity"),
    [
        ("Purchase", ["No"] * 9 + ["Yes"], "Yes", "good"),  # the CoIL caravan policy
        ("Status", ["good"] * 7 + ["bad"] * 3, "bad", "bad"),  # credit scoring
        ("default", ["no"] * 9 + ["yes"], "yes", "bad"),
        ("is_fraud", [0] * 9 + [1], "1", "bad"),
        ("Application", ["approved"] * 6 + ["declined"] * 4, "approved", "good"),
    ],
)
def test_a_yes_no_event_or_an_outcome_pair_looks_like_an_outcome(
    name, values, positive, polarity
) -> None:
    outcome = roles.event_outcome(name, pd.Series(values * 20))
    assert outcome is not None
    assert (outcome.positive, outcome.polarity) == (positive, polarity)


@pytest.mark.parametrize(
    "name",
    [
        "PhoneService",
        "Partner",
        "Dependents",
        "HasCrCard",
        "Accepts Email Marketing",
        "Loyalty Member",
        "NumPurchases",
        "Default Address Company",
    ],
)
def test_ordinary_yes_no_attributes_are_not_outcomes(name: str) -> None:
    assert roles.event_outcome(name, pd.Series(["Yes", "No"] * 50)) is None


def test_an_event_outcome_is_taken_only_when_no_name_says_outcome(
    tmp_path: Path, make_settings
) -> None:
    rows = np.arange(ROWS)
    frame = measures().assign(Purchase=np.where(rows % 10 == 0, "Yes", "No"))
    result = clean(tmp_path, frame, make_settings)
    assert [(o.column, o.positive) for o in result.outcomes] == [("Purchase", "Yes")]
    assert used_as(result)["Purchase"] == "outcome"
    assert "it looks like one" in notes(result)["Purchase"]
    # A bank-marketing table: y is the outcome; default (credit in default) describes.
    bank = measures().assign(
        default=np.where(rows % 7 == 0, "yes", "no"), y=np.where(rows % 9 == 0, "yes", "no")
    )
    assert [o.column for o in clean(tmp_path, bank, make_settings).outcomes] == ["y"]


def test_a_measure_known_only_after_the_outcome_is_a_leak(tmp_path: Path, make_settings) -> None:
    rng = np.random.default_rng(9)
    frame = measures(1_000)
    answered = rng.random(1_000) < 0.15
    frame["y"] = np.where(answered, "yes", "no")
    # A call's length: long when the client says yes (AUC about 0.9, r well under 0.9).
    frame["duration"] = np.where(
        answered, rng.gamma(4, 150, 1_000), rng.gamma(2, 90, 1_000)
    ).round()
    result = clean(tmp_path, frame, make_settings)
    assert "duration" not in result.feature_columns
    assert "AUC 0.9" in notes(result)["duration"]


@pytest.mark.parametrize(
    ("name", "spread", "kept"),
    [
        # About 0.86 (the gym table's Lifetime, the bank campaign's call duration).
        ("Lifetime", 0.95, True),
        ("tenure_months", 0.95, True),
        ("Visits", 0.95, True),
        ("duration", 0.95, False),
        ("Complaints", 0.95, False),
        # About 0.96: a near-perfect separator, whatever its name, but tenure.
        ("Visits", 0.6, False),
        ("Lifetime", 0.6, True),
        # About 0.99: even tenure.
        ("Lifetime", 0.4, False),
    ],
)
def test_a_strong_driver_is_no_leak_but_a_post_outcome_name_or_a_near_perfect_one_is(
    tmp_path: Path, make_settings, name: str, spread: float, kept: bool
) -> None:
    rng = np.random.default_rng(11)
    frame = measures(1_000)
    churned = rng.random(1_000) < 0.3
    frame["Churn"] = np.where(churned, 1, 0)
    # Churners' values sit lower by 1.5 (log scale) than the others', with this spread.
    frame[name] = np.exp(np.where(churned, 0.0, 1.5) + rng.normal(0, spread, 1_000)).round(2)
    target = pd.Series(churned.astype(float))
    auc = roles.separation(frame[name], target)
    assert auc is not None
    result = clean(tmp_path, frame, make_settings)
    assert (name in result.feature_columns) is kept, (auc, notes(result).get(name))
    if not kept:
        how = "almost perfectly" if auc >= roles.LEAK_AUC else "strongly"
        assert f"from the others {how} (AUC {auc:.2f}" in notes(result)[name]


def test_a_measure_that_one_side_holds_at_one_value_is_not_a_leak(
    tmp_path: Path, make_settings
) -> None:
    rng = np.random.default_rng(10)
    frame = measures(1_000)
    churned = rng.random(1_000) < 0.2
    frame["Churned"] = np.where(churned, "Yes", "No")
    frame["Seats"] = np.where(churned, 1, rng.integers(2, 40, 1_000))
    result = clean(tmp_path, frame, make_settings)
    assert "Seats" in result.feature_columns


@pytest.mark.parametrize(
    "name",
    ["Target Group", "Response Time", "Private Label", "Churn Score", "Responsibility", "Label"],
)
def test_a_treatment_control_target_group_is_not_an_outcome(name: str) -> None:
    values = pd.Series(["treatment", "control"] * 50 if name != "Label" else ["A", "B"] * 50)
    expected = None if name != "Label" else "neutral"
    assert roles.outcome_polarity(name) == expected
    if expected is None:
        assert roles.outcome_of(name, values) is None


@pytest.mark.parametrize(
    ("name", "polarity"),
    [
        ("Target", "neutral"),
        ("target_flag", "neutral"),
        ("Outcome", "neutral"),
        ("Responded", "good"),
        ("Responder Flag", "good"),
        ("Churn Label", "bad"),
    ],
)
def test_outcome_names_that_still_say_outcome(name: str, polarity: str) -> None:
    assert roles.outcome_polarity(name) == polarity


def test_a_configured_outcome_is_used_and_an_empty_list_turns_detection_off(
    tmp_path: Path, make_settings
) -> None:
    frame = measures().assign(
        default=np.where(np.arange(ROWS) % 5 == 0, "yes", "no"),
        Churn=np.where(np.arange(ROWS) % 4 == 0, "Yes", "No"),
    )
    detected = clean(tmp_path, frame, make_settings)
    assert [outcome.column for outcome in detected.outcomes] == ["Churn"]
    assert used_as(detected)["default"] == "profile"
    assert used_as(detected)["Churn"] == "outcome"
    configured = clean(tmp_path, frame, make_settings, outcomes=("default",))
    assert [(o.column, o.positive) for o in configured.outcomes] == [("default", "yes")]
    assert "as configured" in notes(configured)["default"]
    assert used_as(configured)["Churn"] == "profile"
    assert clean(tmp_path, frame, make_settings, outcomes=()).outcomes == ()


def test_a_configured_outcome_must_have_a_few_values(tmp_path: Path, make_settings) -> None:
    with pytest.raises(
        SettingsError, match="'outcomes' in the config file names column 'Income', which has 1"
    ):
        clean(tmp_path, measures(), make_settings, outcomes=("Income",))
    with pytest.raises(
        SettingsError, match=r"'outcomes' in the config file names column 'Nope', which is not in"
    ):
        clean(tmp_path, measures(), make_settings, outcomes=("Nope",))


def test_an_outcome_cannot_also_be_a_feature(make_settings, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="'Churn' is both an outcome and a feature"):
        make_settings(tmp_path / "t.csv", outcomes=("Churn",), features=("Churn",))


# Model outputs and leaks


def test_model_outputs_are_found_by_name_but_a_spending_score_is_not() -> None:
    assert roles.model_output_by_name(NAIVE_BAYES + "1")
    assert roles.model_output_by_name("churn_proba")
    assert roles.model_output_by_name("PredictedValue")
    assert not roles.model_output_by_name("Spending Score (1-100)")
    assert not roles.model_output_by_name("Credit Score")
    assert not roles.model_output_by_name("Probation Months")


@pytest.mark.parametrize(
    "name", ["score_v3", "decile", "propensity", "Storno-Score", "churn_score", "Cluster_2023"]
)
def test_scores_deciles_propensities_and_old_cluster_labels_are_model_outputs(name: str) -> None:
    assert roles.model_output_by_name(name, pd.Series([1, 2, 3]))


@pytest.mark.parametrize(
    "name", ["Spending Score (1-100)", "CreditScore", "Satisfaction Score", "Income decile"]
)
def test_a_score_that_measures_the_customer_is_not_a_model_output(name: str) -> None:
    assert not roles.model_output_by_name(name, pd.Series([1, 2, 3]))


def test_a_numbered_segment_is_an_old_label_but_a_named_segment_is_a_category() -> None:
    assert roles.model_output_by_name("Segment", pd.Series([1, 2, 3]))
    assert not roles.model_output_by_name("Segment", pd.Series(["Consumer", "Corporate"]))


def test_a_leftover_score_and_decile_are_left_out_of_the_features(
    tmp_path: Path, make_settings
) -> None:
    rng = np.random.default_rng(8)
    frame = measures().assign(score_v3=rng.random(ROWS).round(3), decile=rng.integers(1, 11, ROWS))
    result = clean(tmp_path, frame, make_settings)
    assert result.feature_columns == ("Income", "Visits")
    assert "named like a model's score or rank" in notes(result)["score_v3"]
    assert used_as(result)["decile"] == "ignored"


def test_fractions_summing_to_one_are_a_model_pair_but_one_hot_columns_are_not() -> None:
    rng = np.random.default_rng(3)
    p = rng.random(ROWS).round(4)
    male = rng.integers(0, 2, ROWS)
    frame = pd.DataFrame(
        {"p_a": p, "p_b": (1 - p).round(4), "male": male, "female": 1 - male, "r": rng.random(ROWS)}
    )
    assert roles.probability_pairs(frame, list(frame.columns)) == {"p_a": "p_b", "p_b": "p_a"}


def test_channel_mix_shares_summing_to_one_keep_the_first_and_describe_the_second(
    tmp_path: Path, make_settings
) -> None:
    online = np.random.default_rng(4).random(ROWS).round(3)
    frame = measures().assign(share_online=online, share_store=(1 - online).round(3))
    result = clean(tmp_path, frame, make_settings)
    assert result.feature_columns == ("Income", "Visits", "share_online")
    assert used_as(result)["share_store"] == "profile"
    assert "sums to 1 with share_online on every row" in notes(result)["share_store"]


def test_a_probability_pair_with_one_model_named_side_is_left_out(
    tmp_path: Path, make_settings
) -> None:
    p = np.random.default_rng(5).random(ROWS).round(4)
    frame = measures().assign(churn_proba=p, p_stay=(1 - p).round(4))
    result = clean(tmp_path, frame, make_settings)
    assert result.feature_columns == ("Income", "Visits")
    assert used_as(result)["churn_proba"] == used_as(result)["p_stay"] == "ignored"
    assert "like a model's two probabilities" in notes(result)["p_stay"]


def test_a_measure_that_predicts_the_outcome_is_a_leak(tmp_path: Path, make_settings) -> None:
    frame = measures()
    churn = frame["Visits"] < 6
    frame["Churn"] = np.where(churn, "Yes", "No")
    frame["Risk"] = churn * 0.9 + np.random.default_rng(4).random(ROWS) * 0.05
    result = clean(tmp_path, frame, make_settings)
    assert "Risk" not in result.feature_columns
    assert "predicts the outcome Churn almost perfectly" in notes(result)["Risk"]


# Redundant measures


def test_a_near_twin_of_a_kept_measure_is_described_not_segmented_on(
    tmp_path: Path, make_settings
) -> None:
    frame = bank_churners(400)
    result = clean(tmp_path, frame, make_settings)
    assert "Avg_Open_To_Buy" not in result.feature_columns
    assert "Avg_Open_To_Buy" in result.profile_columns
    assert "measures much the same as Credit_Limit" in notes(result)["Avg_Open_To_Buy"]


def test_a_total_that_is_months_times_a_monthly_charge_is_left_out(
    tmp_path: Path, make_settings
) -> None:
    rng = np.random.default_rng(5)
    tenure = rng.integers(1, 73, ROWS)
    monthly = rng.uniform(18, 119, ROWS).round(2)
    frame = pd.DataFrame(
        {
            "tenure": tenure,
            "MonthlyCharges": monthly,
            "TotalCharges": (tenure * monthly * rng.uniform(0.95, 1.05, ROWS)).round(2),
        }
    )
    result = clean(tmp_path, frame, make_settings)
    assert result.feature_columns == ("tenure", "MonthlyCharges")
    assert "about tenure × MonthlyCharges" in notes(result)["TotalCharges"]


def test_a_total_that_is_the_sum_of_two_kept_measures_is_left_out(
    tmp_path: Path, make_settings
) -> None:
    rng = np.random.default_rng(6)
    one_off = np.where(rng.random(ROWS) < 0.4, 0, rng.exponential(500, ROWS)).round(2)
    instalments = np.where(rng.random(ROWS) < 0.4, 0, rng.exponential(300, ROWS)).round(2)
    frame = pd.DataFrame(
        {
            "PURCHASES": (one_off + instalments).round(2),
            "ONEOFF_PURCHASES": one_off,
            "INSTALLMENTS_PURCHASES": instalments,
            "TENURE": rng.integers(6, 13, ROWS),
        }
    )
    result = clean(tmp_path, frame, make_settings)
    assert result.feature_columns == ("ONEOFF_PURCHASES", "INSTALLMENTS_PURCHASES", "TENURE")
    assert "the sum of ONEOFF_PURCHASES and INSTALLMENTS_PURCHASES" in notes(result)["PURCHASES"]


def test_chosen_features_are_never_dropped_as_redundant(tmp_path: Path, make_settings) -> None:
    frame = bank_churners(200)
    chosen = ("Credit_Limit", "Avg_Open_To_Buy")
    assert clean(tmp_path, frame, make_settings, features=chosen).feature_columns == chosen


# The bank churn table, end to end through cleaning


def test_bank_churners_segment_on_behaviour_only(tmp_path: Path, make_settings) -> None:
    result = clean(tmp_path, bank_churners(1_000), make_settings)
    assert result.id_column == "CLIENTNUM"
    assert [(o.column, o.positive, o.label) for o in result.outcomes] == [
        ("Attrition_Flag", "Attrited Customer", "Attrited")
    ]
    left_out = {"CLIENTNUM", "Attrition_Flag", NAIVE_BAYES + "1", NAIVE_BAYES + "2"}
    assert not left_out & set(result.feature_columns)
    assert "named like a model's output" in notes(result)[NAIVE_BAYES + "1"]
    assert len(result.feature_columns) >= 8
    assert all(len(name) <= 30 for name in result.short_names.values())


# Long names


def test_long_names_are_shortened_readably() -> None:
    assert abbreviate(NAIVE_BAYES + "1") == "Naive Bayes Classifier … 1"
    assert short_name(NAIVE_BAYES + "2") == "naive bayes classifier … 2"
    long = "Average number of purchases made through the website per month"
    assert short_name(long) == "average number of purchases …"
    assert short_name("Total_Relationship_Count") == "total relationship count"


def test_text_holding_numbers_and_blanks_is_read_as_numbers(make_settings, tmp_path) -> None:
    # As an Excel export keeps it: TotalCharges " " for customers who joined this month.
    totals = [" " if n % 50 == 0 else f"{n * 10.5:.2f}" for n in range(ROWS)]
    codes = [f"0{n:04d}" for n in range(ROWS)]  # zero-padded: codes, left as text
    frame = measures().assign(TotalCharges=totals, Zone=codes)
    table = Table(frame, tmp_path / "t.xlsx", "", "")
    result = clean_table(table, make_settings(tmp_path / "t.xlsx"))
    assert result.kinds["TotalCharges"] == "numeric"
    assert "4 blank values read as missing" in notes(result)["TotalCharges"]
    assert {c.name: c.missing for c in result.quality.columns}["TotalCharges"] == 4
    assert result.kinds["Zone"] == "categorical"


def test_the_cli_refuses_an_id_as_a_feature_with_exit_2(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from reportgen.cli import main

    ids = np.arange(1, ROWS + 1)
    ids[3] = ids[2]  # one repeated ID is enough to fool a uniqueness test
    path = write_csv(tmp_path / "t.csv", pd.DataFrame({"CustomerID": ids, **measures()}))
    result = CliRunner().invoke(
        main, ["run", str(path), "--feature", "CustomerID", "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 2, result.output
    assert "--feature includes column 'CustomerID', which is an identifier" in result.output
    assert not (tmp_path / "out").exists()


def test_a_wide_table_removes_near_copies_before_capping_the_features(
    tmp_path: Path, make_settings
) -> None:
    rng = np.random.default_rng(6)
    columns: dict[str, np.ndarray] = {}
    for n in range(15):
        base = rng.normal(100, 20, ROWS).round(2)
        columns[f"m{n}"] = base
        columns[f"m{n}_copy"] = (base * 2 + rng.normal(0, 0.01, ROWS)).round(3)
    for n in range(10):
        columns[f"count{n}"] = rng.integers(0, 60, ROWS)  # fewer distinct values
    result = clean(tmp_path, pd.DataFrame(columns), make_settings)
    assert len(result.feature_columns) == 20
    assert not any(column.endswith("_copy") for column in result.feature_columns)
    assert "measures much the same as m0" in notes(result)["m0_copy"]


def test_negative_fees_and_charges_are_noted_by_the_one_money_word_list(
    tmp_path: Path, make_settings
) -> None:
    # Cleaning's own list missed fee and charge, which init's list had.
    rng = np.random.default_rng(7)
    fees = rng.normal(20, 5, ROWS).round(2)
    fees[:3] = -5.0
    frame = measures().assign(**{"Late Fee": fees, "Discount": -fees})
    result = clean(tmp_path, frame, make_settings)
    assert "3 negative value(s)" in notes(result)["Late Fee"]
    assert "negative" not in notes(result)["Discount"]
    assert roles.names_money("MonthlyCharges") and roles.names_money("MntWines")
    assert roles.MONEY_WORDS <= roles.MEASURE_WORDS


def test_an_insurance_premium_or_a_beitrag_is_money() -> None:
    """Review 7, class 7: a policy list's premium was no money word ('Jahresbeitrag |
    not used'); the insurance claims table's policy_annual_premium is money too."""
    assert roles.names_money("policy_annual_premium") and roles.names_money("Premium")
    assert roles.names_money("Beitrag") and roles.names_money("Monthly Premiums")


@pytest.mark.parametrize(
    ("name", "personal"),
    [
        ("First Name", True),
        ("Last Name", True),
        ("CustomerName", True),
        ("Billing Name", True),
        ("Guest Name", True),
        ("Member Name", True),
        ("Default Address Zip", False),
        ("Address1", True),
        ("Phone", True),
        ("Email", True),
        ("Default Address City", False),
        ("Default Address Country Code", False),
        ("Accepts Email Marketing", False),
        ("Product Name", False),
        ("Region", False),
        ("Gender", False),
    ],
)
def test_personal_data_is_told_from_descriptions_by_name(name: str, personal: bool) -> None:
    assert roles.is_personal_data(name) is personal


def test_purchase_history_columns_are_lifetime_counts_and_totals() -> None:
    names = [
        "Total Orders",
        "total_spent",
        "NumWebPurchases",
        "order_count",
        "Orders last 30 days",
        "Spending Score (1-100)",
        "Average Order Value",
        "Annual Income",
        "Recency",
        "MonthlyCharges",
        "Returned Orders",
        "Cancelled Orders",
        "Order_ID",
        "Sales Rep ID",
        "Spend Limit",
        "transaction_fee",
        "Purchase Intent",
    ]
    found = roles.purchase_history_columns(names)
    assert found == ["Total Orders", "total_spent", "NumWebPurchases", "order_count"]


def test_an_outcome_and_its_text_twin_are_one_outcome(tmp_path: Path, make_settings) -> None:
    rng = np.random.default_rng(12)
    frame = measures(400)
    churned = rng.random(400) < 0.3
    frame["Churn"] = churned.astype(int)
    frame["Churn_label"] = np.where(churned, "Yes", "No")
    result = clean(tmp_path, frame, make_settings)
    assert [o.column for o in result.outcomes] == ["Churn"]
    assert "Churn_label" not in result.feature_columns
    assert "a copy of the outcome Churn" in notes(result)["Churn_label"]
    # An outcome that marks other customers is another outcome.
    frame = frame.drop(columns="Churn_label")
    frame["Exited"] = np.where(churned & (rng.random(400) < 0.5), "Yes", "No")
    result = clean(tmp_path, frame, make_settings)
    assert [o.column for o in result.outcomes] == ["Churn", "Exited"]


def test_outcomes_that_mark_the_same_or_the_other_customers_are_told_apart() -> None:
    churned = np.array([1, 0, 0, 1, 0] * 20)
    frame = pd.DataFrame(
        {
            "a": churned,
            "b": np.where(churned == 1, "Yes", "No"),
            "c": np.where(churned == 1, "No", "Yes"),
            "d": np.roll(churned, 1),
        }
    )
    a = Outcome("a", "1", "a", "bad")
    assert roles.same_outcome(frame, a, Outcome("b", "Yes", "b", "bad")) == "same"
    assert roles.same_outcome(frame, a, Outcome("c", "Yes", "c", "bad")) == "reverse"
    assert roles.same_outcome(frame, a, Outcome("d", "1", "d", "bad")) is None


@pytest.mark.parametrize(
    ("name", "values", "positive", "polarity"),
    [
        ("Cancelled", ["Yes", "No", "No", "No"], "Yes", "bad"),
        ("is_terminated", ["1", "0", "0", "0"], "1", "bad"),
        ("satisfaction", ["satisfied", "neutral or dissatisfied"] * 2, "satisfied", "good"),
        ("Would recommend", ["no", "yes", "yes", "no"], "yes", "good"),
    ],
)
def test_cancellation_termination_and_satisfaction_are_outcomes(
    name: str, values: list[str], positive: str, polarity: str
) -> None:
    """Review 9: a loyalty table's cancellation and a survey's satisfaction were read as
    plain categories, so no segment showed its rate."""
    outcome = roles.outcome_of(name, pd.Series(values * 10))
    assert outcome is not None
    assert (outcome.positive, outcome.polarity) == (positive, polarity)


@pytest.mark.parametrize(
    "name", ["Cancelled Orders", "Cancellation Count", "Cancel Reason", "SatisfactionScore"]
)
def test_counts_reasons_and_scores_of_those_events_are_not_outcomes(name: str) -> None:
    assert roles.outcome_of(name, pd.Series(["0", "1"] * 20)) is None
