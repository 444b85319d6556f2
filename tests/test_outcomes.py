from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reportgen.contract import (
    CleanTable,
    DataQuality,
    Outcome,
    Recommendation,
    Segmentation,
    SegmentProfile,
)
from reportgen.outcomes import outcome_rates, with_outcomes
from reportgen.pipeline import run
from reportgen.settings import Settings, resolve_settings

from .conftest import write_csv
from .tables import churn_table
from .test_end_to_end import pdf_pages

CHURN = Outcome(column="Churn", positive="Yes", label="Churn", polarity="bad")
RESPONSE = Outcome(column="Response", positive="1", label="Response", polarity="good")


def table(churn: list[str], response: list[float]) -> CleanTable:
    frame = pd.DataFrame({"Churn": churn, "Response": response})
    return CleanTable(
        frame=frame,
        customer_ids=pd.Series(range(len(frame))),
        id_column=None,
        feature_columns=(),
        profile_columns=(),
        short_names={},
        quality=DataQuality(0, 0, 0, (), ()),
        outcomes=(CHURN, RESPONSE),
    )


def segmentation(labels: list[int], numbers: tuple[int, ...]) -> Segmentation:
    k = len(numbers)
    return Segmentation(
        labels=np.array(labels),
        centroids=np.zeros((k, 1)),
        centroids_scaled=np.zeros((k, 1)),
        sizes=tuple(labels.count(index) for index in range(k)),
        restarts=1,
        numbers=numbers,
    )


def profile(number: int) -> SegmentProfile:
    advice = Recommendation("Rule", "Act.", "Campaign.", "Retain.", "Products.")
    return SegmentProfile(number, f"Segment {number}", "", 100, 0.5, "#000", (), (), advice)


def test_rates_overall_and_per_segment_and_which_differ_much() -> None:
    # Segment 1 (position 0): 60 of 100 churn; segment 2: 10 of 100; 35% overall.
    churn = ["Yes"] * 60 + ["No"] * 40 + ["Yes"] * 10 + ["No"] * 90
    response = [1.0] * 20 + [0.0] * 80 + [1.0] * 18 + [np.nan] * 2 + [0.0] * 80
    labels = [0] * 100 + [1] * 100
    churn_rates, response_rates = outcome_rates(
        table(churn, response), segmentation(labels, (1, 2))
    )
    assert churn_rates.overall == pytest.approx(0.35)
    assert [(r.number, r.rate, r.notable) for r in churn_rates.segments] == [
        (1, 0.6, "higher"),
        (2, 0.1, "lower"),
    ]
    assert churn_rates.summary == (
        "Churn: 35.0% overall, 60% in segment 1 (highest) and 10% in segment 2 (lowest)."
    )
    # Missing answers are left out; 20% and 18% are no notable difference.
    assert response_rates.customers == 198
    assert response_rates.rate(2).rate == pytest.approx(18 / 98)
    assert [r.notable for r in response_rates.segments] == ["", ""]


def test_a_small_gap_in_a_small_segment_is_not_notable() -> None:
    churn = ["Yes"] * 9 + ["No"] * 11 + ["Yes"] * 50 + ["No"] * 130
    labels = [0] * 20 + [1] * 180
    rates = outcome_rates(table(churn, [0.0] * 200), segmentation(labels, (2, 1)))[0]
    assert rates.rate(2).rate == pytest.approx(0.45)  # 45% of 20 against 29.5%: chance
    assert rates.rate(2).notable == ""


def test_high_churn_puts_retention_first_and_low_churn_says_so() -> None:
    churn = ["Yes"] * 60 + ["No"] * 40 + ["Yes"] * 10 + ["No"] * 90
    rates = outcome_rates(table(churn, [0.0] * 200), segmentation([0] * 100 + [1] * 100, (1, 2)))[
        :1
    ]
    high, low = with_outcomes((profile(1), profile(2)), rates)
    assert high.recommendation.action == (
        "Retention first: churn 60% here against 35.0% overall. Act."
    )
    assert high.outcome_notes == (
        "Churn: 60% of this segment against 35.0% of all customers (1.7 times the average; "
        "the highest of all segments).",
    )
    assert low.recommendation.action == "Act."
    assert low.recommendation.retention.startswith("Churn 10% here against 35.0% overall")
    assert "well below average; the lowest" in low.outcome_notes[0]


def test_a_rate_on_few_customers_gives_its_count() -> None:
    # BankChurners' head: 7 of 21 attrited in one segment, 6.8% overall.
    churn = ["Yes"] * 7 + ["No"] * 14 + ["Yes"] * 8 + ["No"] * 192
    labels = [0] * 21 + [1] * 200
    rates = outcome_rates(table(churn, [0.0] * 221), segmentation(labels, (1, 2)))[:1]
    small, large = with_outcomes((profile(1), profile(2)), rates)
    assert small.recommendation.action == (
        "Retention first: churn 33% here (7 of 21) against 6.8% overall. Act."
    )
    assert small.outcome_notes[0].startswith("Churn: 33% of this segment (7 of 21) against")
    assert "of 200" not in large.recommendation.retention


def test_high_response_puts_targeting_first() -> None:
    response = [1.0] * 40 + [0.0] * 60 + [1.0] * 5 + [0.0] * 95
    rates = outcome_rates(
        table(["No"] * 200, response), segmentation([0] * 100 + [1] * 100, (1, 2))
    )[1:]
    high, low = with_outcomes((profile(1), profile(2)), rates)
    assert high.recommendation.action.startswith("Target first: response 40% here")
    assert low.recommendation.campaign.startswith("Response 5.0% here against 22.5% overall")


@pytest.mark.slow
def test_a_churn_table_gives_the_churn_rate_per_segment_on_page_one(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "churn.csv", churn_table(600))
    settings = Settings(input_path=path, output_dir=tmp_path / "out", period="2026-11")
    result = run(settings)
    report = result.report
    assert report.feature_columns == ("tenure", "MonthlyCharges")
    (rates,) = report.outcomes
    first = pdf_pages(tmp_path / "out" / "report.pdf")[0]
    assert "Churn" in first and f"{rates.overall:.1%} overall" in first
    assert rates.summary in first
    for segment in report.segments:
        assert f"{rates.rate(segment.number).rate:.0%}" in first
    riskiest = max(rates.segments, key=lambda rate: rate.rate)
    top = next(s for s in report.segments if s.number == riskiest.number)
    assert top.recommendation.action.startswith("Retention first: churn")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["outcomes"][0]["column"] == "Churn"
    assert summary["outcomes"][0]["overall_rate"] == pytest.approx(rates.overall)
    assert {s["number"] for s in summary["outcomes"][0]["segments"]} == {
        s.number for s in report.segments
    }
    assert [chart.title for chart in report.charts.outcomes] == [
        f"{outcome.outcome.label} by segment" for outcome in report.outcomes
    ]


@pytest.mark.slow
def test_configured_outcomes_carry_over_to_next_month(tmp_path: Path) -> None:
    frame = churn_table(300).rename(columns={"Churn": "Cancelled"})
    path = write_csv(tmp_path / "oct.csv", frame)
    october = Settings(
        input_path=path,
        output_dir=tmp_path / "oct",
        period="2026-10",
        make_pdf=False,
        outcomes=("Cancelled",),
    )
    run(october)
    november = resolve_settings(
        path,
        None,
        {
            "output_dir": tmp_path / "nov",
            "period": "2026-11",
            "make_pdf": False,
            "previous_dir": tmp_path / "oct",
        },
    )
    assert november.outcomes == ("Cancelled",)
    (rates,) = run(november).report.outcomes
    assert rates.outcome.column == "Cancelled"


def test_a_segment_with_its_outcome_all_missing_shows_a_dash_not_nan_percent() -> None:
    from reportgen import plotting
    from reportgen.formatting import format_percent

    churn = ["Yes"] * 30 + ["No"] * 70 + [np.nan] * 100
    rates = outcome_rates(table(churn, [0.0] * 200), segmentation([0] * 100 + [1] * 100, (1, 2)))[0]
    assert np.isnan(rates.rate(2).rate)
    assert format_percent(rates.rate(2).rate) == "–"
    assert format_percent(None) == "–"
    assert format_percent(0.3) == "30%"

    figure = plotting.outcome_rates_chart(rates, (profile(1), profile(2))).figure()
    (axes,) = figure.axes
    labels = [text.get_text() for text in axes.texts]
    assert "30%" in labels
    assert not any("nan" in label for label in labels)
    assert axes.get_xlim()[1] > 0.3


def test_outcome_rates_count_positives_by_the_same_rule_as_roles() -> None:
    from reportgen.roles import is_positive

    # Floats with gaps (1.0 read as "1") and padded text (" Yes") are the tricky cases.
    response = [1.0, 0.0, np.nan, 1.0] * 50
    churn = [" Yes", "No", "Yes ", "No"] * 50
    churn_rates, response_rates = outcome_rates(
        table(churn, response), segmentation([0] * 200, (1,))
    )
    expected_churn = is_positive(pd.Series(churn), CHURN).mean()
    expected_response = is_positive(pd.Series(response), RESPONSE).mean()
    assert churn_rates.overall == pytest.approx(expected_churn) == pytest.approx(0.5)
    assert response_rates.overall == pytest.approx(expected_response) == pytest.approx(2 / 3)
