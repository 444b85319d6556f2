from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reportgen import roles
from reportgen.config import DEFAULT_RULES
from reportgen.contract import (
    CategoryEncoding,
    CleanTable,
    DataQuality,
    FeatureLevel,
    FeatureMatrix,
    Segmentation,
)
from reportgen.errors import SettingsError
from reportgen.profiling import level_of, load_rules, profile_segments, recommend, unique_names

RULES = load_rules(DEFAULT_RULES)


def levels(**zs: float) -> tuple[FeatureLevel, ...]:
    return tuple(
        FeatureLevel(name, name, 50 + 10 * z, 50, z, level_of(z)) for name, z in zs.items()
    )


@pytest.mark.parametrize(
    ("z", "level"),
    [
        (-2, "very low"),
        (-1.5, "very low"),
        (-0.6, "low"),
        (-0.5, "low"),
        (0, "average"),
        (0.49, "average"),
        (0.5, "high"),
        (1.49, "high"),
        (1.5, "very high"),
    ],
)
def test_levels(z: float, level: str) -> None:
    assert level_of(z) == level


def test_names_from_crafted_centroids_follow_feature_order() -> None:
    names = unique_names(
        [
            levels(income=1.2, spending=-1.1),
            levels(income=-1.0, spending=1.3),
            levels(income=0.1, spending=-0.2),
            levels(income=-1.8, spending=-1.2),
        ]
    )
    assert names == [
        "High income, low spending",
        "Low income, high spending",
        "Average income, average spending",
        "Low income, low spending",
    ]


def test_repeated_names_gain_precision_then_letters() -> None:
    names = unique_names(
        [
            levels(income=0.8, spending=0.8),
            levels(income=2.0, spending=0.9),
            levels(income=0.9, spending=0.7),
        ]
    )
    assert names == [
        "High income, high spending (A)",
        "Very high income, high spending",
        "High income, high spending (B)",
    ]
    assert len(set(names)) == 3


def test_many_features_name_only_the_most_distinctive() -> None:
    names = unique_names(
        [
            levels(fresh=0.1, milk=1.9, grocery=1.2, frozen=-0.1, paper=0.2),
            levels(fresh=0.1, milk=0.0, grocery=0.2, frozen=-0.1, paper=0.3),
        ]
    )
    assert names == ["High milk, high grocery", "Average on every measure"]


def test_a_segment_high_on_most_measures_is_named_by_its_overall_level() -> None:
    # Wholesale's big buyers: high on four of six spends, average on the rest.
    names = unique_names(
        [
            levels(fresh=0.2, milk=1.5, grocery=1.4, frozen=0.3, paper=1.2, deli=0.9),
            levels(fresh=-0.6, milk=-1.5, grocery=-1.4, frozen=-0.8, paper=-1.2, deli=0.2),
            # Most high, but the most distinctive is low: named as usual.
            levels(fresh=-1.5, milk=0.6, grocery=1.4, frozen=0.3, paper=1.2, deli=0.9),
        ]
    )
    # All four fit in a name: all are named, so the count and the list agree.
    assert names[0] == "High on 4 of 6 measures: milk, grocery, paper, deli"
    # Five do not: the most distinctive lead, and the name says they only lead.
    assert names[1] == "Low on 5 of 6 measures, led by milk, grocery, paper"
    assert names[2] == "Low fresh, high grocery, high paper"
    # With few measures the usual name already names them all.
    assert unique_names([levels(a=1.0, b=1.0, c=1.0, d=0.0)]) == ["High a, high b, high c"]


def test_recommendations_match_the_first_rule() -> None:
    assert recommend(levels(income=1.2, spending=1.8), RULES).rule == "Affluent big spenders"
    assert recommend(levels(income=-1.0, spending=-0.9), RULES).rule == "Careful economisers"
    assert recommend(levels(orders=1.0, spend=0.9), RULES).rule == "Above-average customers"
    assert recommend(levels(orders=0.1, spend=-0.2), RULES).rule == "Typical customers"
    advice = recommend(levels(income=1.0, spending=-1.0), RULES)
    assert all([advice.action, advice.campaign, advice.retention, advice.products])


def test_overall_counts_only_the_measures_that_say_what_a_customer_is_worth() -> None:
    """Review 7: a high customer-type code (Caravan's MOSTYPE) and many past cancellations
    (hotel bookings) were "Treat as valuable", a low code "stop mailing"."""
    for code in (1.4, -1.8):
        assert recommend(levels(MOSTYPE=code), RULES).rule.startswith(("Stand-out", "Low "))
    cancelled = recommend(levels(previous_cancellations=1.6, adr=0.2), RULES)
    assert cancelled.rule == "Stand-out previous_cancellations"
    # Counted the right way round: recent buyers who spend are above average...
    assert recommend(levels(spend=0.9, recency=-0.9), RULES).rule == "Above-average customers"
    # ... and spenders who complain a lot are not.
    assert recommend(levels(spend=1.0, complaints=1.2), RULES).rule != "Above-average customers"
    # Calls to customer service are trouble, not engagement.
    calls = recommend(levels(total_charges=0.6, number_customer_service_calls=1.9), RULES)
    assert calls.rule != "Above-average customers"
    assert recommend(levels(MonthlyCharges=0.8, tenure=0.7), RULES).rule != "Typical customers"


def test_very_levels_in_a_rule_match_only_themselves() -> None:
    """Shopify's high and very high spenders were both told "Treat as valuable"."""
    assert recommend(levels(orders=1.0, spend=0.9), RULES).rule == "Above-average customers"
    assert recommend(levels(orders=2.1, spend=1.9), RULES).rule == "Top customers"
    assert recommend(levels(orders=-0.8, spend=-0.9), RULES).rule == "Below-average customers"
    assert recommend(levels(orders=-1.8, spend=-1.9), RULES).rule == "Least engaged"
    # "high" still matches "very high": the affluent rule holds for the very affluent.
    assert recommend(levels(income=2.5, spending=1.8), RULES).rule == "Affluent big spenders"


def test_rules_file_must_end_with_a_catch_all(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(
        '[[rule]]\nname = "x"\nwhen = { income = "high" }\naction = "a"\n'
        'campaign = "c"\nretention = "r"\nproducts = "p"\n'
    )
    with pytest.raises(SettingsError, match=r"last rule .* empty 'when'"):
        load_rules(rules)
    rules.write_text('[[rule]]\nname = "x"\nwhen = { income = "huge" }\n')
    with pytest.raises(SettingsError, match=r"key 'rule\[0\]\.action' is missing"):
        load_rules(rules)
    rules.write_text(
        '[[rule]]\nname = "x"\nwhen = { income = "huge" }\naction = "a"\n'
        'campaign = "c"\nretention = "r"\nproducts = "p"\n'
    )
    with pytest.raises(SettingsError, match=r"'rule\[0\]\.when\.income' must be one of 'very low'"):
        load_rules(rules)
    rules.write_text('rule = "x"\n')
    with pytest.raises(SettingsError, match=r"key 'rule' must be a list, not 'x'"):
        load_rules(rules)


def income_features(frame: pd.DataFrame) -> FeatureMatrix:
    values = frame[["Income"]].to_numpy()
    return FeatureMatrix(
        ("Income",),
        values,
        (values - values.mean()) / values.std(),
        values.mean(axis=0),
        values.std(axis=0),
    )


def test_profiles_describe_size_levels_and_demographics() -> None:
    frame = pd.DataFrame(
        {
            "Income": [10.0, 12, 11, 90, 92, 91],
            "Gender": ["F", "F", "M", "M", "M", "M"],
            "Age": [20, 22, 24, 50, 52, 54],
        }
    )
    features = income_features(frame)
    clean = CleanTable(
        frame,
        pd.Series(range(6)),
        None,
        ("Income",),
        ("Gender", "Age"),
        {"Income": "income", "Gender": "gender", "Age": "age"},
        DataQuality(6, 0, 6, (), ()),
    )
    segmentation = Segmentation(
        np.array([1, 1, 1, 0, 0, 0]),
        np.array([[91.0], [11.0]]),
        np.array([[1.0], [-1.0]]),
        (3, 3),
        1,
        (1, 2),
    )
    high, low = profile_segments(clean, features, segmentation, RULES)
    assert (high.number, high.name, high.size, high.share) == (1, "High income", 3, 0.5)
    assert low.name == "Low income"
    assert low.demographics[0].summary == "67% F (33% of all customers)"
    assert low.demographics[1].summary == "younger (average 22 vs 37)"
    assert low.description.startswith("Income 11 vs 51 for all customers")
    assert high.color != low.color


def test_tracked_segments_keep_their_names_and_new_ones_are_marked() -> None:
    frame = pd.DataFrame({"Income": [10.0, 12, 11, 90, 92, 91]})
    features = income_features(frame)
    clean = CleanTable(
        frame,
        pd.Series(range(6)),
        None,
        ("Income",),
        (),
        {"Income": "income"},
        DataQuality(6, 0, 6, (), ()),
    )
    segmentation = Segmentation(
        np.array([1, 1, 1, 0, 0, 0]),
        np.array([[91.0], [11.0]]),
        np.array([[1.0], [-1.0]]),
        (3, 3),
        1,
        (2, 7),
    )
    kept, fresh = profile_segments(
        clean, features, segmentation, RULES, known_names={2: "Big spenders", 3: "Low income"}
    )
    assert (kept.number, kept.name) == (2, "Big spenders")
    assert (fresh.number, fresh.name) == (7, "Low income (new)")


def test_a_dominant_category_of_a_categorical_feature_joins_the_name() -> None:
    frame = pd.DataFrame(
        {
            "Income": [10.0, 12, 11, 90, 92, 91],
            "Channel": ["Web", "Web", "Web", "Shop", "Shop", "Web"],
        }
    )
    encoding = CategoryEncoding("Channel", ("Web", "Shop"), 0.5)
    base = income_features(frame)
    features = dataclasses.replace(
        base,
        scaled=np.hstack([base.scaled, encoding.encode(frame["Channel"])]),
        categorical=(encoding,),
    )
    clean = CleanTable(
        frame,
        pd.Series(range(6)),
        None,
        ("Income", "Channel"),
        (),
        {"Income": "income", "Channel": "channel"},
        DataQuality(6, 0, 6, (), ()),
        kinds={"Income": "numeric", "Channel": "categorical"},
    )
    segmentation = Segmentation(
        np.array([1, 1, 1, 0, 0, 0]),
        np.array([[91.0], [11.0]]),
        np.array([[1.0, 0.2, 0.5], [-1.0, 0.7, 0.0]]),
        (3, 3),
        1,
        (1, 2),
    )
    high, low = profile_segments(clean, features, segmentation, RULES)
    # 67% Shop (33% overall) and 100% Web (67% overall): both 60%+ and 20+ points above.
    assert high.name == "High income, mostly Shop"
    assert low.name == "Low income, mostly Web"
    assert high.categories[0].summary == "67% Shop (33% of all customers)"
    assert high.demographics == ()
    assert [level.column for level in high.features] == ["Income"]


def test_a_category_common_everywhere_stays_out_of_the_name() -> None:
    from reportgen.contract import CategoryShare, DemographicProfile
    from reportgen.profiling import _dominant_category

    common = DemographicProfile(
        "Channel", "categorical", "", shares=(CategoryShare("Web", 0.8, 0.7),)
    )
    assert _dominant_category(common) == ""
    code = DemographicProfile(
        "Region", "categorical", "", shares=(CategoryShare("2", 0.9, 0.3),), short_name="region"
    )
    assert _dominant_category(code) == "mostly region 2"


def test_levels_follow_the_model_space_so_skewed_amounts_are_judged_fairly() -> None:
    # Spend 2,400 against 5,800 is within one raw standard deviation of a long-tailed
    # column, but clearly low on the log scale the segments were found on.
    frame = pd.DataFrame({"Milk": [500.0, 1_000, 5_700, 6_000, 6_500, 15_100]})
    features = FeatureMatrix(
        ("Milk",),
        frame.to_numpy(),
        np.array([[-1.6], [-1.0], [0.4], [0.5], [0.6], [1.1]]),
        np.array([7.9]),
        np.array([1.0]),
        transforms=("log1p",),
    )
    clean = CleanTable(
        frame,
        pd.Series(range(6)),
        None,
        ("Milk",),
        (),
        {"Milk": "milk"},
        DataQuality(6, 0, 6, (), ()),
    )
    segmentation = Segmentation(
        np.array([1, 1, 0, 0, 0, 0]),
        np.array([[8_325.0], [750.0]]),
        np.array([[0.65], [-1.3]]),
        (4, 2),
        1,
        (1, 2),
    )
    high, low = profile_segments(clean, features, segmentation, RULES)
    assert (low.features[0].segment_mean, low.features[0].level) == (750.0, "low")
    assert high.features[0].z == 0.65


def test_segments_matching_no_named_rule_get_advice_about_their_strongest_feature() -> None:
    advice = recommend(levels(recency=0.2, loan_balance=1.4, visits=-0.6), RULES)
    assert advice.rule == "Stand-out loan_balance"
    assert "their loan_balance, higher than most" in advice.action and "{" not in advice.products
    # Recently active (low recency) with some tenure: above average on what they are worth.
    assert recommend(levels(recency=-0.9, tenure=0.3), RULES).rule == "Above-average customers"
    assert recommend(levels(recency=-0.9, age=0.3), RULES).rule == "Low recency"


def test_codes_and_answers_say_which_column_they_belong_to() -> None:
    from reportgen.profiling import _category_label

    assert _category_label("no", "housing loan") == "housing loan: no"
    assert _category_label("2", "region") == "region 2"
    # A number that counts something is not a code: "kidhome 1" read as a label.
    assert _category_label("1", "kidhome") == "kidhome = 1"
    assert _category_label("Retail", "channel") == "Retail"


def test_a_level_never_contradicts_the_plain_averages_shown() -> None:
    from reportgen.profiling import _agreed_z

    # Mostly small spenders with a few big ones: low on the log scale, high on average.
    assert _agreed_z(-0.84, 2_491.0, 673.0) == 0.0
    assert _agreed_z(-0.84, 400.0, 673.0) == -0.84
    # A third of everyone's average is low, however little it moves on the log scale.
    assert level_of(_agreed_z(-0.3, 0.3, 1.0)) == "low"
    assert level_of(_agreed_z(0.2, 2.4, 1.0)) == "high"
    assert level_of(_agreed_z(-1.7, 0.3, 1.0)) == "very low"  # never softened
    assert level_of(_agreed_z(0.1, 1.2, 1.0)) == "average"


def test_age_is_named_as_people_say_it() -> None:
    names = unique_names(
        [levels(age=-1.0, balance=0.1), levels(age=1.7, balance=0.0), levels(age=0.1, balance=1.0)]
    )
    assert names == [
        "Younger, average balance",
        "Older, average balance",
        "Average age, high balance",
    ]
    # "very" appears only to tell two names apart.
    assert unique_names([levels(age=1.7), levels(age=0.9)]) == ["Much older", "Older"]


def test_recency_is_named_by_what_its_days_mean() -> None:
    """SaaS 'High logins, low recency' was active 6.8 days ago; 'high recency' = long ago."""
    names = unique_names([levels(logins=1.0, recency=-0.8), levels(logins=-1.0, recency=1.2)])
    assert names == ["High logins, recently active", "Low logins, long inactive"]


def test_a_yes_no_measure_is_described_by_its_shares() -> None:
    """A 0/1 flag segmented on (the gym's Group_visits) read "Group visits 1.0 vs 0.4 for
    all customers": its averages are shares of customers."""
    frame = pd.DataFrame({"Income": [10.0, 12, 11, 90, 92, 91], "Group_visits": [1, 1, 1, 0, 0, 1]})
    values = frame.to_numpy(dtype=float)
    features = FeatureMatrix(
        ("Income", "Group_visits"),
        values,
        (values - values.mean(axis=0)) / values.std(axis=0),
        values.mean(axis=0),
        values.std(axis=0),
    )
    clean = CleanTable(
        frame,
        pd.Series(range(6)),
        None,
        ("Income", "Group_visits"),
        (),
        {"Income": "income", "Group_visits": "group visits"},
        DataQuality(6, 0, 6, (), ()),
    )
    segmentation = Segmentation(
        np.array([1, 1, 1, 0, 0, 0]),
        np.array([[91.0, 1 / 3], [11.0, 1.0]]),
        features.scaled[[3, 0]],
        (3, 3),
        1,
        (1, 2),
    )
    _, low = profile_segments(clean, features, segmentation, RULES)
    assert [level.flag for level in low.features] == [False, True]
    assert low.description.startswith(
        "Income 11 vs 51 for all customers; 100% group visits (67% of all)"
    )


def test_descriptions_name_the_most_distinctive_columns_and_repeat_no_fact() -> None:
    from reportgen.contract import CategoryShare, DemographicProfile
    from reportgen.profiling import NOTABLE_SHARE_GAP, _description

    def category(column: str, top: str, share: float, population: float) -> DemographicProfile:
        return DemographicProfile(
            column,
            "categorical",
            f"{share:.0%} {top} ({population:.0%} of all customers)",
            shares=(CategoryShare(top, share, population),),
            distinctness=share - population,
            notable=abs(share - population) >= NOTABLE_SHARE_GAP,
        )

    level = FeatureLevel("tenure", "tenure", 10.0, 32.0, -1.0, "low")
    described = _description(
        [level],
        [
            category("Partner", "partner: No", 0.64, 0.52),
            category("OnlineBackup", "No internet service", 0.5, 0.22),
            category("TechSupport", "No internet service", 0.5, 0.22),
            category("Contract", "Month-to-month", 0.87, 0.55),
        ],
    )
    assert described == (
        "Tenure 10 vs 32 for all customers; 87% Month-to-month (55% of all customers); "
        "50% No internet service (22% of all customers)."
    )


def test_no_segment_name_is_longer_than_60_characters() -> None:
    long = "naive bayes classifier … 1"
    segments = [
        tuple(
            FeatureLevel(f"c{i}", f"{long} {i}", 1.0, 0.0, z * sign, level_of(z * sign))
            for i, z in enumerate((2.0, 1.8, 1.6, 1.4))
        )
        for sign in (1, -1, 1)
    ]
    names = unique_names(segments)
    assert all(len(name) <= 60 for name in names), names
    assert len(set(names)) == 3


def test_a_long_name_drops_its_least_distinctive_level_not_the_one_that_differs() -> None:
    def named(**zs: float) -> tuple[FeatureLevel, ...]:
        spelled = {"age": "age", "income": "annual household income", "score": "spending score"}
        return tuple(
            FeatureLevel(column, spelled[column], 50 + 10 * z, 50, z, level_of(z))
            for column, z in zs.items()
        )

    names = unique_names(
        [named(age=-0.3, income=1.0, score=1.3), named(age=-0.2, income=1.0, score=-1.3)]
    )
    assert names == [
        "High annual household income, high spending score",
        "High annual household income, low spending score",
    ]


def test_rules_about_a_word_apply_to_a_feature_named_with_it() -> None:
    def named(income: float, spending: float) -> list[FeatureLevel]:
        return [
            FeatureLevel("inc", "annual income", 0, 0, income, level_of(income)),
            FeatureLevel("sp", "spending score", 0, 0, spending, level_of(spending)),
        ]

    assert recommend(named(1.2, -1.2), RULES).rule == "Affluent but reserved"
    # A word in two features' names decides neither.
    twice = [
        FeatureLevel("a", "online spending", 0, 0, 1.2, "high"),
        FeatureLevel("b", "store spending", 0, 0, 1.2, "high"),
    ]
    assert recommend(twice, RULES).rule != "High spenders"


def test_a_card_lists_the_columns_where_a_segment_differs_and_sums_up_the_rest() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "Income": np.r_[rng.normal(10, 1, 50), rng.normal(90, 1, 50)],
            "Gender": rng.choice(["F", "M"], 100),  # the same mix in both segments
            "Age": np.r_[rng.normal(25, 2, 50), rng.normal(55, 2, 50)],
            "Region": ["North"] * 45 + ["South"] * 5 + ["South"] * 45 + ["North"] * 5,
        }
    )
    features = income_features(frame)
    clean = CleanTable(
        frame,
        pd.Series(range(100)),
        None,
        ("Income",),
        ("Gender", "Age", "Region"),
        {"Income": "income", "Gender": "gender", "Age": "age", "Region": "region"},
        DataQuality(100, 0, 100, (), ()),
    )
    labels = np.r_[np.ones(50, dtype=int), np.zeros(50, dtype=int)]
    segmentation = Segmentation(
        labels, np.array([[90.0], [10.0]]), np.array([[1.0], [-1.0]]), (50, 50), 1, (1, 2)
    )
    high, _ = profile_segments(clean, features, segmentation, RULES)
    # Region's share differs by 40 points (distinctness 0.4), age by about one standard
    # deviation (a quarter of it, 0.25): most distinctive first. Gender does not differ.
    assert [item.column for item in high.shown_demographics] == ["Region", "Age"]
    assert [item.label for item in high.typical_demographics] == ["Gender"]


def test_columns_that_say_the_same_thing_are_one_line_on_the_card() -> None:
    # Telco: without internet, every add-on column is "No internet service".
    internet = ["No internet service"] * 50 + ["Yes"] * 25 + ["No"] * 25
    frame = pd.DataFrame(
        {
            "Income": np.r_[np.full(50, 10.0), np.full(50, 90.0)],
            "OnlineSecurity": internet,
            "StreamingTV": internet[:50] + ["No"] * 25 + ["Yes"] * 25,
            "Contract": ["Month-to-month"] * 40 + ["Two year"] * 60,
        }
    )
    columns = ("OnlineSecurity", "StreamingTV", "Contract")
    features = income_features(frame)
    clean = CleanTable(
        frame,
        pd.Series(range(100)),
        None,
        ("Income",),
        columns,
        {"Income": "income", **{column: column.lower() for column in columns}},
        DataQuality(100, 0, 100, (), ()),
    )
    labels = np.r_[np.zeros(50, dtype=int), np.ones(50, dtype=int)]
    segmentation = Segmentation(
        labels, np.array([[10.0], [90.0]]), np.array([[-1.0], [1.0]]), (50, 50), 1, (1, 2)
    )
    low, _ = profile_segments(clean, features, segmentation, RULES)
    assert [item.column for item in low.distinct_demographics][:2] == [
        "OnlineSecurity",
        "StreamingTV",
    ]
    lines = [(item.label, item.summary) for item in low.described_demographics]
    assert lines[0] == (
        "OnlineSecurity, StreamingTV",
        "100% No internet service (50% of all customers)",
    )
    assert [label for label, _ in lines[1:]] == ["Contract"]
    # The same customers under another column's wording (InternetService: No) join it.
    internet_service = ["No"] * 50 + ["DSL"] * 50
    clean = dataclasses.replace(
        clean,
        frame=frame.assign(InternetService=internet_service),
        profile_columns=(*columns, "InternetService"),
        short_names={**clean.short_names, "InternetService": "internet service"},
    )
    low, _ = profile_segments(clean, features, segmentation, RULES)
    first, *rest = low.described_demographics
    assert set(first.label.split(", ")) == {"OnlineSecurity", "StreamingTV", "InternetService"}
    assert [item.label for item in rest] == ["Contract"]


@pytest.mark.parametrize(
    ("tenure", "charges", "rule"),
    [
        (-1.2, 1.2, "New and paying a lot"),
        (1.2, 1.2, "Long-standing, high-value"),
        (-1.2, -1.2, "New, on small plans"),
        (1.2, -1.2, "Long-standing, on small plans"),
        (-1.2, 0.0, "Newcomers"),
    ],
)
def test_subscription_segments_get_advice_for_their_tenure_and_bill(
    tenure: float, charges: float, rule: str
) -> None:
    # Telco's features: tenure (months) and MonthlyCharges, not income and spending.
    levels = [
        FeatureLevel("tenure", "tenure", 0, 0, tenure, level_of(tenure)),
        FeatureLevel("MonthlyCharges", "monthly charges", 0, 0, charges, level_of(charges)),
    ]
    assert recommend(levels, RULES).rule == rule


def test_customers_who_stopped_buying_are_advised_a_win_back() -> None:
    levels = [
        FeatureLevel("Recency", "recency", 0, 0, 1.3, level_of(1.3)),
        FeatureLevel("Income", "income", 0, 0, 0.1, level_of(0.1)),
    ]
    advice = recommend(levels, RULES)
    assert advice.rule == "Lapsing customers" and "Win them back" in advice.action


def test_a_younger_segment_without_other_advice_gets_advice_for_its_age() -> None:
    # Mall customers: younger, low income, average spending score.
    levels = [
        FeatureLevel("Age", "age", 25.3, 38.9, -1.0, level_of(-1.0)),
        FeatureLevel("Income", "annual income", 0, 0, -1.1, level_of(-1.1)),
        FeatureLevel("Score", "spending score", 0, 0, 0.1, level_of(0.1)),
    ]
    assert recommend(levels, RULES).rule == "Younger customers"
    # Card holders of 45 against 50 are younger than the others, but not young: the
    # advice for the young ('mobile and social first') does not apply.
    older = [dataclasses.replace(levels[0], segment_mean=45.0, population_mean=50.0)]
    assert recommend([*older, *levels[1:]], RULES).rule != "Younger customers"


def test_a_yes_no_flag_says_how_many_have_it() -> None:
    frame = pd.DataFrame(
        {
            "Income": np.r_[np.full(50, 10.0), np.full(50, 90.0)],
            # 16% of the high segment accepted the campaign against 10% of everyone.
            "AcceptedCmp5": [0] * 48 + [1] * 2 + [0] * 42 + [1] * 8,
            "Partner": ["No"] * 40 + ["Yes"] * 10 + ["Yes"] * 30 + ["No"] * 20,
        }
    )
    columns = ("AcceptedCmp5", "Partner")
    clean = CleanTable(
        frame,
        pd.Series(range(100)),
        None,
        ("Income",),
        columns,
        {"Income": "income", "AcceptedCmp5": "accepted cmp5", "Partner": "partner"},
        DataQuality(100, 0, 100, (), ()),
        kinds={"Income": "numeric", "AcceptedCmp5": "code", "Partner": "categorical"},
    )
    segmentation = Segmentation(
        np.r_[np.zeros(50, dtype=int), np.ones(50, dtype=int)],
        np.array([[10.0], [90.0]]),
        np.array([[-1.0], [1.0]]),
        (50, 50),
        1,
        (1, 2),
    )
    low, high = profile_segments(clean, income_features(frame), segmentation, RULES)
    summaries = {item.column: item.summary for item in high.demographics}
    assert summaries["AcceptedCmp5"] == "16% accepted cmp5 (10% of all customers)"
    assert summaries["Partner"] == "60% partner: Yes (40% of all customers)"
    summaries = {item.column: item.summary for item in low.demographics}
    assert summaries["Partner"] == "20% partner: Yes (40% of all customers)"


def test_a_product_line_as_the_strongest_measure_gets_cross_sell_or_range_advice() -> None:
    low = recommend(levels(fresh=0.3, milk=-0.4, grocery=-1.1, frozen=0.2), RULES)
    assert low.rule == "Gap in grocery"
    assert low.action.startswith("Fill the gap: they buy little grocery here.")
    wines = FeatureLevel("MntWines", "wines spend", 66.0, 50.0, 1.6, level_of(1.6))
    high = recommend((wines, *levels(Income=-0.4, visits=-0.6)), RULES)
    assert (
        high.action
        == "Build on their core, wines: volume terms, range extensions and reliable supply."
    )
    # Not a product line: research before spending.
    other = recommend(levels(utilization=1.6, limit=-0.9, months=-0.3), RULES)
    assert other.rule == "Stand-out utilization"
    assert other.action.startswith("What sets them apart is their utilization, higher than most")


def test_usage_as_the_strongest_measure_gets_engagement_advice() -> None:
    """A SaaS segment of heavy users was told to survey what its "logins" mean."""
    logins = FeatureLevel("Logins (30d)", "logins", 25.0, 14.0, 1.1, level_of(1.1))
    recent = FeatureLevel("Last Active (days)", "recency", 6.8, 92.0, -0.8, level_of(-0.8))
    assert recommend((logins, recent, *levels(seats=0.1)), RULES).rule == "Engaged core"
    quiet = FeatureLevel("Sessions", "sessions", 2.0, 14.0, -1.2, level_of(-1.2))
    advice = recommend((quiet, *levels(seats=0.3)), RULES)
    assert advice.rule == "Disengaged"
    assert advice.action.startswith(
        "Re-engage them before they leave: they are far below the rest on sessions"
    )
    # A last visit is a date, not a count of use: the recency rules speak for it.
    assert not roles.names_engagement("Last Visit Date")
    assert not roles.names_engagement("DaysSinceLastLogin")
    assert roles.names_engagement("NumWebVisitsMonth")


def test_long_standing_customers_who_stopped_buying_are_won_back_first() -> None:
    # Loyalty members who joined long ago and last visited long ago: not "ask for referrals".
    assert recommend(levels(tenure=1.2, recency=1.0), RULES).rule == "Lapsing customers"
    assert recommend(levels(tenure=1.2, recency=-0.6), RULES).rule == "Long-standing customers"


def test_crm_deals_are_not_discount_deals() -> None:
    """HubSpot's 'Number of Associated Deals' (sales opportunities) got "Serve them with
    promotions, but protect margin", the advice for discount hunters."""
    crm = FeatureLevel(
        "Number of Associated Deals", "number of associated deals", 3.4, 2.1, 1.2, "high"
    )
    assert recommend((crm, *levels(revenue=0.3)), RULES).rule != "Deal seekers"
    ifood = FeatureLevel("NumDealsPurchases", "deals purchases", 5.0, 2.3, 1.4, "high")
    assert recommend((ifood, *levels(revenue=-0.2)), RULES).rule == "Deal seekers"


def test_days_since_a_purchase_date_are_recency_never_more_is_better() -> None:
    """Olist orders read as a customer table: 'order_purchase_timestamp (days)' (days from
    the purchase to the latest date) counted as 'purchase', more is better, so the oldest
    buyers were 'Treat as valuable'."""
    from reportgen.profiling import overall_level, worth_direction

    def level(column: str, short: str, z: float) -> FeatureLevel:
        return FeatureLevel(column, short, 50 + 10 * z, 50, z, level_of(z))

    old_buyers = level("order_purchase_timestamp (days)", "order purchase timestamp", 1.5)
    assert worth_direction(old_buyers) == -1
    assert worth_direction(level("Last Visit (days)", "recency", 1.0)) == -1
    # Days since a sign-up are tenure (more is better); since another date, nothing.
    assert worth_direction(level("Dt_Customer (days)", "tenure", 1.0)) == 1
    assert worth_direction(level("Contract End (days)", "contract end", 1.0)) == 0
    assert worth_direction(level("Shipped (days)", "shipped", 1.0)) == 0
    # Alone, long-ago buyers are below average, never "valuable".
    assert overall_level([old_buyers]) is None
    # A spend column's words still count as before.
    assert worth_direction(level("purchases", "purchases", 1.0)) == 1
