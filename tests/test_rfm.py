"""RFM scores, the grid and its names, and planted customer groups recovered by name."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from reportgen.cli import main
from reportgen.clustering import fit_segments
from reportgen.config import DEFAULT_RULES
from reportgen.contract import (
    OrderSummary,
    Recommendation,
    RfmSummary,
    Segmentation,
    SegmentProfile,
)
from reportgen.errors import SettingsError
from reportgen.formatting import format_percent
from reportgen.rfm import (
    DEFAULT_GRID,
    MIN_HISTORY_DAYS,
    NEGLIGIBLE_RECENT_SHARE,
    OVERDUE_FACTOR,
    SCORES,
    at_risk_basis,
    concentration,
    customer_table,
    days_between_purchases,
    describe_segments,
    grid_path,
    history_days,
    judged_intervals,
    load_grid,
    order_quality,
    overdue,
    quintile_scores,
    rfm_features,
    rfm_scores,
    short_history,
    store_interval,
    usual_intervals,
)
from reportgen.transactions import OrderOptions, aggregate_orders, plan_orders

NAMES = {
    "Champions",
    "Loyal",
    "Potential loyalists",
    "New",
    "Promising",
    "Need attention",
    "About to sleep",
    "At risk",
    "Can't lose",
    "Hibernating",
}


def test_every_cell_has_exactly_one_name_and_every_name_is_reachable() -> None:
    grid = load_grid(DEFAULT_GRID)
    reached = {grid.group(r, f).name for r in SCORES for f in SCORES}
    assert reached == NAMES == {group.name for group in grid.groups}
    for r in SCORES:
        for f in SCORES:
            assert sum((r, f) in group.cells for group in grid.groups) == 1
    assert set(grid.risk_groups) == {"At risk", "Can't lose"}


@pytest.mark.parametrize(
    ("r", "f", "name"),
    [
        (5, 5, "Champions"),
        (5, 1, "New"),
        (4, 1, "Promising"),
        (3, 4, "Loyal"),
        (3, 3, "Need attention"),
        (2, 4, "At risk"),
        (1, 5, "Can't lose"),
        (1, 1, "Hibernating"),
    ],
)
def test_cells_of_the_standard_grid(r: int, f: int, name: str) -> None:
    assert load_grid(DEFAULT_GRID).group(r, f).name == name


def test_a_grid_with_a_cell_in_two_groups_is_refused(tmp_path: Path) -> None:
    text = DEFAULT_GRID.read_text(encoding="utf-8").replace(
        "r = [3, 4]\nf = [4, 5]", "r = [3, 4, 5]\nf = [4, 5]"
    )
    path = tmp_path / "rfm.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError, match=r"Cell R 5 F 4 .* 2 groups"):
        load_grid(path)


def test_a_grid_with_an_empty_cell_is_refused(tmp_path: Path) -> None:
    text = DEFAULT_GRID.read_text(encoding="utf-8").replace(
        'name = "New"\nr = [5]\nf = [1]', 'name = "New"\nr = [5]\nf = [6]'
    )
    path = tmp_path / "rfm.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError, match="scores from 1 to 5"):
        load_grid(path)


def test_a_grid_beside_the_rules_file_wins(tmp_path: Path) -> None:
    assert grid_path(DEFAULT_RULES) == DEFAULT_GRID
    (tmp_path / "rfm.toml").write_text("", encoding="utf-8")
    assert grid_path(tmp_path / "recommendations.toml") == tmp_path / "rfm.toml"


def test_quintile_scores_keep_ties_together() -> None:
    orders = pd.Series([1] * 50 + [2] * 20 + list(range(3, 33)))
    scores = quintile_scores(orders)
    assert set(scores[:50]) == {1}
    assert set(scores[50:70]) == {3}
    assert scores.iloc[-1] == 5
    recency = quintile_scores(pd.Series([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), higher_is_better=False)
    assert list(recency) == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]


def test_concentration_of_revenue() -> None:
    top10, top20 = concentration(pd.Series([100.0] + [1.0] * 9))
    assert top10 == pytest.approx(100 / 109)
    assert top20 == pytest.approx(101 / 109)


def _planted_lines(seed: int = 3) -> tuple[pd.DataFrame, dict[str, str]]:
    """Order lines of four planted groups, and each customer's group."""
    rng = np.random.default_rng(seed)
    end = pd.Timestamp("2024-12-31")
    plan = {  # group: (customers, orders range, days-ago range, spend per order)
        "champions": (30, (12, 20), (0, 10), 120.0),
        "new": (20, (1, 1), (0, 10), 40.0),
        "regular": (60, (4, 8), (20, 90), 50.0),
        "lapsed": (50, (8, 14), (420, 560), 60.0),
        "one-off": (100, (1, 1), (250, 720), 25.0),
    }
    rows, groups, invoice = [], {}, 100_000
    for group, (count, (low, high), (near, far), spend) in plan.items():
        for _ in range(count):
            customer = f"K{len(groups) + 1:04d}"
            groups[customer] = group
            orders = int(rng.integers(low, high + 1))
            last = int(rng.integers(near, far + 1))
            days = [last, *rng.integers(last, last + 360, orders - 1)]
            for ago in days:
                invoice += 1
                day = (end - pd.Timedelta(days=int(ago))).strftime("%Y-%m-%d")
                for _line in range(int(rng.integers(1, 4))):
                    price = round(float(rng.lognormal(np.log(spend / 2), 0.3)), 2)
                    rows.append(
                        (str(invoice), day, customer, f"{rng.integers(10000, 10100)}", 1, price)
                    )
    columns = ["Invoice", "InvoiceDate", "Customer ID", "StockCode", "Quantity", "Price"]
    return pd.DataFrame(rows, columns=columns), groups


def test_planted_groups_are_recovered_with_the_right_names(tmp_path: Path) -> None:
    lines, groups = _planted_lines()
    path = tmp_path / "lines.csv"
    lines.to_csv(path, index=False)
    plan = plan_orders(path, OrderOptions())
    assert plan is not None
    totals = aggregate_orders(plan, OrderOptions())
    clean = customer_table(totals.frame, totals.summary)
    features = rfm_features(clean)
    assert features.transforms == ("log1p", "log1p", "log1p")
    segmentation = fit_segments(features, 5, seed=42)
    profiles = tuple(
        SegmentProfile(
            number=number,
            name=f"segment {number}",
            description="",
            size=size,
            share=size / len(clean.frame),
            color="#000000",
            features=(),
            demographics=(),
            recommendation=Recommendation("", "", "", "", ""),
        )
        for number, size in zip(segmentation.numbers, segmentation.sizes, strict=True)
    )
    scores = rfm_scores(totals.frame)
    named, summary = describe_segments(
        profiles, segmentation, totals.frame, scores, load_grid(DEFAULT_GRID), totals.summary
    )
    planted = pd.Series([groups[c] for c in totals.frame.index])
    found = pd.Series([named[label].name for label in segmentation.labels])
    majority = pd.crosstab(planted, found).idxmax(axis=1).to_dict()
    assert majority["champions"] == "Champions"
    assert majority["new"] == "New"
    assert majority["lapsed"] in {"At risk", "Can't lose"}
    assert majority["one-off"] == "Hibernating"
    assert summary.reference_date == pd.Timestamp("2025-01-01").date()
    # Revenue at risk: the lapsed customers' last 12 months (they stopped 300+ days ago).
    at_risk = scores.index[(scores["r"] <= 2) & (scores["f"] >= 3)]
    assert summary.revenue_at_risk == pytest.approx(
        totals.frame.loc[at_risk, "last_12_months"].sum()
    )
    recommendation = next(s for s in named if s.name == "Champions").recommendation
    assert "referral" in recommendation.action.lower()


def test_two_segments_in_one_cell_get_a_qualifier(tmp_path: Path) -> None:
    lines, _ = _planted_lines()
    path = tmp_path / "lines.csv"
    lines.to_csv(path, index=False)
    plan = plan_orders(path, OrderOptions())
    assert plan is not None
    totals = aggregate_orders(plan, OrderOptions())
    features = rfm_features(customer_table(totals.frame, totals.summary))
    segmentation = fit_segments(features, 8, seed=42)
    profiles = tuple(
        SegmentProfile(n, "", "", s, 0.0, "#000", (), (), Recommendation("", "", "", "", ""))
        for n, s in zip(segmentation.numbers, segmentation.sizes, strict=True)
    )
    named, _ = describe_segments(
        profiles,
        segmentation,
        totals.frame,
        rfm_scores(totals.frame),
        load_grid(DEFAULT_GRID),
        totals.summary,
    )
    names = [segment.name for segment in named]
    assert len(set(names)) == len(names)
    assert any("(" in name for name in names)


def _order_summary(lines: pd.DataFrame, tmp_path: Path) -> tuple[pd.DataFrame, OrderSummary]:
    path = tmp_path / "lines.csv"
    lines.to_csv(path, index=False)
    plan = plan_orders(path, OrderOptions())
    assert plan is not None
    totals = aggregate_orders(plan, OrderOptions())
    return totals.frame, totals.summary


def _named_from_cells(
    cells: list[tuple[int, int]],
    summary: OrderSummary,
    interval: float | None = None,
    population: int | None = None,
    purchases: list[int] | None = None,
) -> tuple[SegmentProfile, RfmSummary]:
    """One segment whose customers sit in the given (R, F) cells, named on the grid.

    With ``interval``, every customer bought every ``interval`` days until their last
    purchase (F purchases, or ``purchases``); without it the table has no tenure, so no
    buying rhythm.
    With ``population``, the cells are a sample of a segment of that many customers (its
    profile's size, as the Spark engine gives it).
    """
    count = len(cells)
    scores = pd.DataFrame({"r": [r for r, _ in cells], "f": [f for _, f in cells]})
    recency = [400 - 70 * r for r, _ in cells]
    frequency = purchases or [f for _, f in cells]
    rhythm = (
        {
            "tenure_days": [
                days + interval * (f - 1) for days, f in zip(recency, frequency, strict=True)
            ]
        }
        if interval is not None
        else {}
    )
    customers = pd.DataFrame(
        {
            **rhythm,
            "recency_days": recency,
            "frequency": frequency,
            "monetary": [100.0 * f for f in frequency],
            "average_order_value": [100.0] * count,
            "returned_share": [0.0] * count,
            "last_12_months": [0.0] * count,
        }
    )
    segmentation = Segmentation(
        labels=np.zeros(count, dtype=int),
        centroids=np.zeros((1, 3)),
        centroids_scaled=np.zeros((1, 3)),
        sizes=(count,),
        restarts=1,
        numbers=(1,),
    )
    profile = SegmentProfile(
        1, "", "", population or count, 1.0, "#000", (), (), Recommendation("", "", "", "", "")
    )
    named, rfm = describe_segments(
        (profile,), segmentation, customers, scores, load_grid(DEFAULT_GRID), summary
    )
    return named[0], rfm


def test_a_segment_is_named_after_its_members_groups_not_its_median_cell(tmp_path: Path) -> None:
    _, summary = _order_summary(_planted_lines()[0], tmp_path)
    # 4 Hibernating (R 1 F 1), 3 Loyal (R 3 F 5), 3 Potential loyalists (R 5 F 3): the
    # median customer's cell, R 3 F 3, is Need attention, which holds none of them.
    cells = [(1, 1)] * 4 + [(3, 5)] * 3 + [(5, 3)] * 3
    assert load_grid(DEFAULT_GRID).group(3, 3).name == "Need attention"
    segment, rfm = _named_from_cells(cells, summary)
    # No group holds a majority: the segment is named after every group that gets an
    # action of its own, largest first. Loyal and Potential loyalists tie on customers;
    # Loyal spends more (F 5 vs F 3).
    assert segment.name == "Hibernating / Loyal / Potential loyalists"
    row = rfm.segments[0]
    assert row.group == "Hibernating" and row.mixed
    assert [(share.name, share.customers) for share in row.mix] == [
        ("Hibernating", 4),
        ("Loyal", 3),
        ("Potential loyalists", 3),
    ]
    # The groups and their shares are in the name and the actions; nobody is left over.
    assert segment.description.startswith("Mixed, no majority. Median customer:")
    assert "Need attention" not in segment.description
    grid = load_grid(DEFAULT_GRID)
    hibernating = next(group for group in grid.groups if group.name == "Hibernating")
    assert segment.recommendation.action == hibernating.texts["action"]
    assert segment.recommendation.rule == (
        "RFM playbook: Hibernating (the largest part, 40% of this segment)"
    )
    # Each sizeable part gets its own group's action, with its share and count.
    by_name = {group.name: group for group in grid.groups}
    parts = segment.recommendation.parts
    assert [(part.group, part.share, part.customers, part.action) for part in parts] == [
        (name, count / 10, count, by_name[name].texts["action"])
        for name, count in (("Hibernating", 4), ("Loyal", 3), ("Potential loyalists", 3))
    ]
    assert segment.recommendation.parts_rest == ""


def test_a_majority_group_names_the_segment_and_the_others_are_listed(tmp_path: Path) -> None:
    _, summary = _order_summary(_planted_lines()[0], tmp_path)
    segment, rfm = _named_from_cells([(5, 5)] * 6 + [(1, 1)] * 3 + [(3, 3)], summary)
    assert segment.name == "Champions"
    assert not rfm.segments[0].mixed
    assert "60% are Champions, then 30% Hibernating, 10% Need attention." in segment.description
    assert segment.recommendation.parts == () and segment.recommendation.parts_rest == ""
    # Half is not a majority: both groups name it, a lapsed one and an active one alike
    # ("/" is some of each; "&" read as one group that is both).
    segment, _ = _named_from_cells([(5, 5)] * 5 + [(1, 1)] * 5, summary)
    assert segment.name == "Champions / Hibernating"
    segment, _ = _named_from_cells([(5, 5)] * 5 + [(3, 4)] * 5, summary)
    assert segment.name == "Champions / Loyal"
    # At most three groups; ties go to revenue (Need attention: F 3), then grid order
    # (New before Hibernating). The two left over are listed, not dropped.
    cells = [(5, 5)] * 3 + [(1, 1)] * 2 + [(3, 3)] * 2 + [(5, 1)] * 2 + [(4, 1)]
    segment, _ = _named_from_cells(cells, summary)
    assert segment.name == "Champions / Need attention / New"
    assert segment.description.startswith("Mixed, no majority; 30% in 2 smaller groups.")
    assert segment.recommendation.parts_rest == (
        "The other 30% (3 customers) are in 2 smaller groups: 20% Hibernating, 10% Promising."
    )
    # Only one group holds a tenth or more: named after it, and "mixed".
    # 40% Champions, 7.5% in each of eight other groups.
    others = [(3, 4), (4, 2), (5, 1), (4, 1), (3, 3), (3, 1), (1, 3), (1, 5)]
    segment, _ = _named_from_cells([(5, 5)] * 16 + others * 3, summary)
    assert segment.name == "Champions (mixed)"
    assert [part.group for part in segment.recommendation.parts] == ["Champions"]
    rest = "The other 60% (24 customers) are in 8 smaller groups: 8% Can't lose, 8% Loyal,"
    assert segment.recommendation.parts_rest.startswith(rest)
    # A group of under 1% is listed as such, not as "0%".
    segment, _ = _named_from_cells([(3, 5)] * 100 + [(1, 3)] * 99 + [(1, 1)], summary)
    assert segment.recommendation.parts_rest.endswith("a smaller group: under 1% Hibernating.")


def test_a_mixed_segment_gets_an_action_for_each_group_of_a_tenth_or_more(tmp_path: Path) -> None:
    """Kassenjournal's "Loyal (mixed)" (38% Loyal, 19% At risk, 14% Hibernating) had an
    action for Loyal only: the 62% in other groups had none."""
    _, summary = _order_summary(_planted_lines()[0], tmp_path)
    grid = load_grid(DEFAULT_GRID)
    by_name = {group.name: group for group in grid.groups}
    # 40% Loyal, 20% At risk, 15% Hibernating, 10% Potential loyalists (a fourth group:
    # over the cap of three), 5% each About to sleep, Need attention, Can't lose.
    cells = [(3, 5)] * 8 + [(1, 3)] * 4 + [(1, 1)] * 3 + [(5, 3)] * 2 + [(3, 1), (3, 3), (1, 5)]
    segment, rfm = _named_from_cells(cells, summary)
    assert rfm.segments[0].mixed
    assert segment.name == "Loyal / At risk / Hibernating"
    parts = segment.recommendation.parts
    assert [(part.group, part.share, part.customers) for part in parts] == [
        ("Loyal", 0.4, 8),
        ("At risk", 0.2, 4),
        ("Hibernating", 0.15, 3),
    ]
    assert [part.action for part in parts] == [
        by_name[name].texts["action"] for name in ("Loyal", "At risk", "Hibernating")
    ]
    assert segment.description.startswith("Mixed, no majority; 25% in 4 smaller groups.")
    assert segment.recommendation.parts_rest == (
        "The other 25% (5 customers) are in 4 smaller groups: 10% Potential loyalists, "
        "5% Can't lose, 5% Need attention, 5% About to sleep."
    )
    # Below a tenth, a group gets no action and no place in the name.
    cells = [(3, 5)] * 11 + [(1, 3)] * 9 + [(1, 1)] * 2
    segment, _ = _named_from_cells(cells, summary)
    assert segment.name == "Loyal / At risk"
    assert [part.group for part in segment.recommendation.parts] == ["Loyal", "At risk"]
    assert segment.recommendation.parts_rest.endswith("a smaller group: 9% Hibernating.")
    # A sample of a segment of 2,200 customers (Spark): the counts are the segment's.
    segment, _ = _named_from_cells(cells, summary, population=2_200)
    parts = segment.recommendation.parts
    assert [(part.group, part.customers) for part in parts] == [("Loyal", 1_100), ("At risk", 900)]
    assert segment.recommendation.parts_rest.startswith("The other 9% (200 customers) are in")


def test_usual_intervals_are_each_customers_own_rhythm_or_none() -> None:
    customers = pd.DataFrame(
        {
            # 3 purchases over 80 days; 5 over 40; one purchase; 2 purchases on one day.
            "tenure_days": [100, 50, 30, 10],
            "recency_days": [20, 10, 30, 10],
            "frequency": [3, 5, 1, 2],
        }
    )
    # One purchase, or two on one day: no rhythm of their own, and none borrowed (the
    # others' pace says nothing about whether a one-order customer has gone quiet).
    intervals = usual_intervals(customers)
    assert intervals[:2].tolist() == [40.0, 10.0] and np.isnan(intervals[2:]).all()
    # Past twice their own interval: overdue; without one, never.
    late = overdue(customers.assign(recency_days=[81, 20, 900, 900]), intervals)
    assert late.tolist() == [True, False, False, False]
    nobody_repeats = customers.assign(frequency=1)
    assert np.isnan(usual_intervals(nobody_repeats)).all()
    assert np.isnan(usual_intervals(customers.drop(columns="tenure_days"))).all()


def test_second_time_buyers_are_held_to_the_pace_of_customers_with_a_rhythm() -> None:
    customers = pd.DataFrame(
        {
            # Own intervals 40 and 60 (median 50); two purchases 480 days apart; one
            # purchase; two purchases on one day.
            "tenure_days": [100, 130, 900, 30, 10],
            "recency_days": [20, 10, 420, 30, 10],
            "frequency": [3, 3, 2, 1, 2],
        }
    )
    own = usual_intervals(customers)
    assert store_interval(own) == 50.0
    judged = judged_intervals(customers, own)
    # The second-time buyer's one gap (480 days) is no rhythm: they are held to the
    # store's 50 days and are overdue 420 days on; one purchase (or one day) is not judged.
    assert judged[:3].tolist() == [40.0, 60.0, 50.0] and np.isnan(judged[3:]).all()
    assert overdue(customers, judged).tolist() == [False, False, True, False, False]
    # Nobody with a rhythm of their own: nobody is judged.
    assert np.isnan(judged_intervals(customers, np.full(5, np.nan))).all()
    assert store_interval(np.full(5, np.nan)) is None


def test_a_loyal_segment_of_second_time_buyers_long_ago_has_gone_quiet(tmp_path: Path) -> None:
    # Relative scores call two orders 190 days ago Loyal (R 3, F 4 where most customers
    # bought once; WooCommerce: median 440 days, 2 orders): the store's repeat buyers buy
    # every 30 days, so these customers have gone quiet.
    _, summary = _order_summary(_planted_lines()[0], tmp_path)
    grid = load_grid(DEFAULT_GRID)
    cells = [(3, 4)] * 8 + [(5, 5)] * 2
    purchases = [2] * 8 + [3] * 2
    segment, rfm = _named_from_cells(cells, summary, interval=30, purchases=purchases)
    row = rfm.segments[0]
    assert row.overdue_share == 0.8 and row.second_share == 0.8 and row.rhythm_share == 1.0
    assert segment.recommendation.action.startswith("80% have gone quiet")
    assert "80% are overdue: past twice their usual interval between orders" in (
        segment.description
    )
    assert segment.name == f"Loyal ({grid.rhythm['gone_quiet_qualifier']})"
    assert rfm.usual_interval == 30 and rfm.second_time_judged
    # Second-time buyers inside their pace are not overdue; nor do they count as steady
    # regulars who would turn a lapsed group into "Infrequent regulars".
    cells = [(1, 2)] * 8 + [(5, 3)] * 2
    segment, rfm = _named_from_cells(cells, summary, interval=400)
    assert rfm.segments[0].overdue_share == 0 and rfm.segments[0].steady_share == 0.2
    assert segment.name != grid.rhythm["in_rhythm_name"]


def test_days_between_purchases_are_whole_days_rounded_half_up() -> None:
    customers = pd.DataFrame(
        {
            # 81 days over 2 gaps: 40.5 -> 41; 10 over 4: 2.5 -> 3; 7 over 3: 2.33 -> 2.
            "tenure_days": [101, 20, 17, 30, 10],
            "recency_days": [20, 10, 10, 30, 10],
            "frequency": [3, 5, 4, 1, 2],
        }
    )
    days = days_between_purchases(customers)
    assert days.iloc[:3].tolist() == [41, 3, 2]
    assert days.iloc[3:].isna().all()  # one purchase; two purchases on one day


def test_advice_follows_the_buying_rhythm_not_only_the_relative_scores(tmp_path: Path) -> None:
    _, summary = _order_summary(_planted_lines()[0], tmp_path)
    grid = load_grid(DEFAULT_GRID)
    by_name = {group.name: group for group in grid.groups}
    at_risk_cells = [(1, 3)] * 10  # last purchase 330 days ago, 3 purchases
    # They buy every 400 days: 330 days is within their rhythm, no win-back.
    segment, rfm = _named_from_cells(at_risk_cells, summary, interval=400)
    # The name does not call them lapsed either; the grid group stays in the description.
    assert segment.name == grid.rhythm["in_rhythm_name"] and rfm.segments[0].overdue_share == 0
    assert rfm.segments[0].group == "At risk" and "100% are At risk" in segment.description
    assert segment.recommendation.action.startswith("Not lapsed: 100% still buy at their usual")
    assert "about every 400 days" in segment.recommendation.action
    assert segment.recommendation.rule.endswith("adjusted to their buying rhythm")
    assert segment.recommendation.campaign == grid.rhythm["in_rhythm_campaign"]
    assert segment.recommendation.retention == grid.rhythm["in_rhythm_retention"]
    assert segment.recommendation.products == grid.rhythm["in_rhythm_products"]
    assert "None are overdue" in segment.description
    # They bought every 100 days: 330 days is past twice that, the win-back stands.
    limit = 330 / OVERDUE_FACTOR
    segment, rfm = _named_from_cells(at_risk_cells, summary, interval=limit - 1)
    assert rfm.segments[0].overdue_share == 1 and segment.name == "At risk"
    assert segment.recommendation.action == by_name["At risk"].texts["action"]
    assert segment.recommendation.campaign == by_name["At risk"].texts["campaign"]
    # Exactly twice the interval is not yet overdue.
    segment, rfm = _named_from_cells(at_risk_cells, summary, interval=limit)
    assert rfm.segments[0].overdue_share == 0
    # Loyal customers (R 3: 190 days ago) who bought every 20 days have gone quiet.
    segment, _ = _named_from_cells([(3, 5)] * 10, summary, interval=20)
    action = segment.recommendation.action
    assert action == grid.rhythm["gone_quiet"].format(share="100%", days="20")
    assert segment.name == f"Loyal ({grid.rhythm['gone_quiet_qualifier']})"
    # When only most have, the group's advice is for the others.
    segment, _ = _named_from_cells([(3, 5)] * 8 + [(5, 5)] * 2, summary, interval=30)
    loyal = by_name["Loyal"].texts["action"]
    assert segment.recommendation.action.startswith("80% have gone quiet")
    assert segment.recommendation.action.endswith(f"For the others: {loyal[0].lower()}{loyal[1:]}")
    # ... but not when the others are a handful (Etsy: "96% have gone quiet ... For the
    # others: upsell" was said of 1 customer in 28).
    segment, _ = _named_from_cells([(3, 5)] * 19 + [(5, 5)], summary, interval=30)
    assert segment.recommendation.action == grid.rhythm["gone_quiet"].format(share="95%", days="30")
    # Without a rhythm (no tenure) the playbook is used as it is.
    segment, rfm = _named_from_cells(at_risk_cells, summary)
    assert rfm.segments[0].overdue_share is None
    assert segment.recommendation.action == by_name["At risk"].texts["action"]


def test_a_grid_file_without_rhythm_texts_takes_the_bundled_ones(tmp_path: Path) -> None:
    text = DEFAULT_GRID.read_text(encoding="utf-8")
    old = tmp_path / "rfm.toml"
    old.write_text(text.split("\n[rhythm]\n")[0], encoding="utf-8")
    assert load_grid(old).rhythm == load_grid(DEFAULT_GRID).rhythm
    # A file from before the rhythm's names keeps its own texts and takes the new ones.
    older = tmp_path / "older" / "rfm.toml"
    older.parent.mkdir()
    lines = [
        line
        for line in text.replace("usual pace (about", "own pace (about").splitlines()
        if not line.startswith(("in_rhythm_name", "gone_quiet_qualifier"))
    ]
    older.write_text("\n".join(lines), encoding="utf-8")
    rhythm = load_grid(older).rhythm
    assert rhythm["in_rhythm_name"] == load_grid(DEFAULT_GRID).rhythm["in_rhythm_name"]
    assert "own pace" in rhythm["in_rhythm"]
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("{days} days)", "{weeks} weeks)"), encoding="utf-8")
    with pytest.raises(SettingsError, match=r"\[rhythm\] in .*bad.toml needs a text for"):
        load_grid(bad)


def test_revenue_at_risk_shows_lifetime_spend_when_the_last_year_is_negligible() -> None:
    assert at_risk_basis(108_988.0, 330_000.0) == "last_12_months"
    assert at_risk_basis(0.0, 62_744.0) == "lifetime"
    assert at_risk_basis(NEGLIGIBLE_RECENT_SHARE * 10_000 - 1, 10_000.0) == "lifetime"
    assert at_risk_basis(NEGLIGIBLE_RECENT_SHARE * 10_000, 10_000.0) == "last_12_months"
    assert at_risk_basis(0.0, 0.0) == "none"


def test_a_lapsed_base_never_shows_a_zero_revenue_at_risk(tmp_path: Path) -> None:
    lines, _ = _planted_lines()
    source = tmp_path / "lines.csv"
    lines.to_csv(source, index=False)
    out = tmp_path / "out"
    # Two years after the last line: nobody bought in the last 12 months.
    options = ["-o", str(out), "--period", "2026-11", "-k", "4", "--no-pdf"]
    result = CliRunner().invoke(main, ["run", str(source), *options, "--as-of", "2027-01-01"])
    assert result.exit_code == 0, result.output
    html = " ".join((out / "report.html").read_text(encoding="utf-8").split())
    segments = pd.read_csv(out / "segments.csv", dtype={"customer_id": str})
    at_risk = segments[segments["rfm_group"].isin(["At risk", "Can't lose"])]
    assert len(at_risk) > 0
    lifetime = f"{at_risk['monetary'].sum():,.0f}"
    assert f"<strong>Lapsed revenue: {lifetime}</strong>" in html
    assert f"the {len(at_risk):,} customers whose own RFM cell is At risk or Can&#39;t lose" in html
    assert "(nothing in the last 12 months)" in html
    assert "Revenue at risk: 0<" not in html
    assert f"lapsed revenue (lifetime): the {len(at_risk):,} customers in At risk" in html
    # summary.json gives each segment's mix of RFM groups, as segments.csv has them.
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    # ... and page 1's figures and actions, as the report shows them.
    behaviour = summary["purchase_behaviour"]
    assert behaviour["customers_at_risk"] == len(at_risk)
    assert behaviour["headline"] == "lifetime"
    assert f"{behaviour['lifetime_revenue_at_risk']:,.0f}" == lifetime
    assert behaviour["reference_date"] == "2027-01-01"
    # The interval second-time buyers are held to: the median of the repeat buyers' own.
    usual = segments["days_between_purchases"].median()
    assert behaviour["usual_days_between_purchases"] == pytest.approx(usual, abs=1)
    for segment in summary["segments"]:
        for part in segment["recommendations"]["parts"]:
            assert part["action"] in html.replace("&#39;", "'")
    for segment in summary["segments"]:
        members = segments.loc[segments["segment"] == segment["number"], "rfm_group"]
        expected = members.value_counts(normalize=True).to_dict()
        assert segment["rfm_groups"] == pytest.approx(expected)
        if not segment["name"].startswith(load_grid(DEFAULT_GRID).rhythm["in_rhythm_name"]):
            lead = re.split(r" \(| / ", segment["name"])[0]
            assert lead == members.value_counts().index[0]


def test_a_mixed_segment_gets_an_action_per_group_on_page_one_the_card_and_the_email(
    tmp_path: Path,
) -> None:
    lines, _ = _planted_lines()
    source = tmp_path / "lines.csv"
    lines.to_csv(source, index=False)
    out = tmp_path / "out"
    # Five planted groups in three segments: the largest holds no majority group.
    options = ["-o", str(out), "--period", "2026-11", "-k", "3", "--no-pdf"]
    result = CliRunner().invoke(main, ["run", str(source), *options])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    segments = pd.read_csv(out / "segments.csv", dtype={"customer_id": str})
    html = " ".join((out / "report.html").read_text(encoding="utf-8").split())
    html = html.replace("&#39;", "'")
    email_html = " ".join((out / "email" / "message.html").read_text(encoding="utf-8").split())
    email_html = email_html.replace("&#39;", "'")
    # The plain-text email wraps lines (at hyphens too): compare without whitespace.
    email_text = "".join((out / "email" / "message.txt").read_text(encoding="utf-8").split())
    mixed = [s for s in summary["segments"] if len(s["recommendations"]["parts"]) > 1]
    assert mixed
    where = "The <em>rfm_group</em> column of segments.csv (the file for the CRM) says which group"
    assert where in html and where in email_html
    assert "".join(where.replace("<em>", "").replace("</em>", "").split()) in email_text
    assert "<em>rfm_group</em> in segments.csv picks out its customers" in html  # page 1
    for segment in mixed:
        members = segments.loc[segments["segment"] == segment["number"], "rfm_group"]
        counts = members.value_counts()
        parts = segment["recommendations"]["parts"]
        # The name is the groups that get an action, largest first; each a tenth or more.
        assert segment["name"] == " / ".join(part["rfm_group"] for part in parts)
        assert [part["rfm_group"] for part in parts] == list(counts.index[: len(parts)])
        for part in parts:
            count = int(counts[part["rfm_group"]])
            assert part["customers"] == count
            assert part["share"] == pytest.approx(count / len(members))
            assert part["share"] >= 0.1
            share, group, action = format_percent(part["share"]), part["rfm_group"], part["action"]
            # Page 1 (the share column's style: "25%, 35") and the card.
            assert f"<strong>{group}</strong> ({share}, {count}): {action}" in html
            assert f"<strong>{group}</strong> ({share}, {count} customers): {action}" in html
            assert f"<strong>{group}</strong> ({share}, {count} customers): {action}" in email_html
            assert "".join(f"{group} ({share}, {count} customers): {action}".split()) in email_text
        # The customers outside the parts are counted and their groups named.
        rest = len(members) - sum(part["customers"] for part in parts)
        assert rest > 0
        outside = f"The other {format_percent(rest / len(members))} ({rest} customers) are in"
        assert outside in html and outside in email_html
        for group in counts.index[len(parts) :]:
            assert f"% {group}" in html.split(outside, 1)[1].split("</p>", 1)[0]
    # Segments with a majority group keep their one action.
    for segment in summary["segments"]:
        if not segment["recommendations"]["parts"]:
            assert segment["name"] in {group.name for group in load_grid(DEFAULT_GRID).groups}
            assert f'<p class="action">{segment["recommendations"]["action"]}</p>' in html


def test_the_returned_column_shows_only_when_the_data_has_returns(tmp_path: Path) -> None:
    lines, _ = _planted_lines()
    runs = {"none": lines, "some": lines.copy()}
    # Two customers return part of an order: a negative quantity.
    returned = runs["some"].iloc[[0, 40]].assign(Quantity=-1)
    runs["some"] = pd.concat([runs["some"], returned], ignore_index=True)
    html = {}
    for name, frame in runs.items():
        source = tmp_path / f"{name}.csv"
        frame.to_csv(source, index=False)
        out = tmp_path / name
        options = ["-o", str(out), "--period", "2026-11", "-k", "4", "--no-pdf"]
        result = CliRunner().invoke(main, ["run", str(source), *options])
        assert result.exit_code == 0, result.output
        html[name] = (out / "report.html").read_text(encoding="utf-8")
    assert '<th class="num">Returned</th>' in html["some"]
    assert "purchases minus returns" in html["some"]
    assert '<th class="num">Returned</th>' not in html["none"]
    assert "purchases minus returns" not in html["none"]
    assert "the file has no returns" in html["none"]


def test_customers_without_spend_are_counted_by_their_true_reason(tmp_path: Path) -> None:
    rows = [
        ("A", "2024-01-05", 10.0),
        ("A", "2024-02-05", 12.0),
        ("Z", "2024-01-07", 0.0),  # purchases all worth 0
        ("Z", "2024-03-07", 0.0),
        ("N", "2024-01-09", 20.0),  # returned more than bought
        ("N", "2024-02-09", -25.0),
        ("B", "2024-02-11", 15.0),
        ("B", "2024-03-11", 5.0),
    ]
    lines = pd.DataFrame(rows, columns=["Customer", "Date", "Amount"])
    frame, summary = _order_summary(lines, tmp_path)
    assert summary.not_positive_customers == 2
    assert summary.zero_spend_customers == 1
    assert summary.returns_only_customers == 0
    assert summary.net_negative_customers == 1
    assert set(frame.index) == {"A", "B"}
    note = next(
        note
        for note in order_quality(summary, ("recency_days",), ()).notes
        if "not segmented" in note
    )
    assert note == (
        "2 customers with no spend to segment on are counted here but not segmented: "
        "1 because all their purchases are worth 0; 1 because their returns are as large "
        "as their purchases or larger. They are listed in not_segmented.csv, with the reason."
    )


def test_copied_lines_without_an_order_number_are_said_to_be_a_guess(tmp_path: Path) -> None:
    rows = [("A", "2024-01-05", 10.0), ("A", "2024-01-05", 10.0), ("B", "2024-02-11", 15.0)]
    lines = pd.DataFrame(rows, columns=["Customer", "Date", "Amount"])
    _, summary = _order_summary(lines, tmp_path)
    assert summary.duplicate_lines == 1
    notes = order_quality(summary, ("recency_days",), ()).notes
    assert any(
        "1 line repeats another line in every column read (Customer, Date, Amount; the date "
        "without its time) and was counted once"
        in note
        and "no order number" in note
        for note in notes
    )
    with_orders = dataclasses.replace(summary, has_orders=True)
    assert not any("counted once" in note for note in order_quality(with_orders, (), ()).notes)
    # Without money, purchases are counted by day: a merged line changes nothing.
    no_money = dataclasses.replace(summary, has_money=False)
    assert not any("counted once" in note for note in order_quality(no_money, (), ()).notes)


def test_every_column_of_the_export_is_in_the_quality_table(tmp_path: Path) -> None:
    rows = [
        ("A", "2024-01-05", 10.0, "West", 2.5),
        ("A", "2024-04-05", 12.0, "West", 1.0),
        ("B", "2024-05-11", 15.0, "East", 0.5),
    ]
    lines = pd.DataFrame(rows, columns=["Customer", "Date", "Amount", "Region", "Profit"])
    frame, summary = _order_summary(lines, tmp_path)
    quality = customer_table(frame, summary).quality
    roles = {column.name: (column.kind, column.role) for column in quality.columns}
    assert roles["Customer"] == ("code", "id")
    assert roles["Date"] == ("date", "source") and roles["Amount"] == ("numeric", "source")
    # Region is the same in all of a customer's lines: it describes the segments.
    assert roles["Region"] == ("categorical", "profile")
    assert roles["Profit"] == ("unread", "ignored")
    assert roles["recency_days"] == ("numeric", "feature")
    assert len(quality.columns) == len({column.name for column in quality.columns})
    # With an amount, a quantity does not make the value: it says what it does do.
    lines["Quantity"] = [1, 2, -1]
    frame, summary = _order_summary(lines, tmp_path)
    notes = {column.name: column.note for column in customer_table(frame, summary).quality.columns}
    assert notes["Quantity"] == "a quantity below 0 marks a return (Amount is the line's value)"


@pytest.mark.parametrize(
    ("period", "warned"), [("2024-03", False), ("2025-02", False), ("2025-03", True)]
)
def test_lines_that_end_long_before_the_period_are_questioned(
    tmp_path: Path, period: str, warned: bool
) -> None:
    rows = [("A", "2024-01-05", 10.0), ("A", "2024-01-25", 5.0), ("B", "2024-02-11", 15.0)]
    _, summary = _order_summary(
        pd.DataFrame(rows, columns=["Customer", "Date", "Amount"]), tmp_path
    )
    notes = order_quality(summary, ("recency_days",), (), period).notes
    stale = [note for note in notes if "latest export" in note]
    assert bool(stale) is warned
    if warned:
        assert stale[0].startswith("The lines end on 2024-02-11, 13 months before")
    given = dataclasses.replace(summary, as_of_given=True)
    assert not any(
        "latest export" in note for note in order_quality(given, (), (), "2030-01").notes
    )


def test_the_share_of_money_without_a_customer_is_told() -> None:
    from types import SimpleNamespace

    def share(anonymous: float, known: float | None) -> float:
        rfm = SimpleNamespace(
            total_revenue=known, orders=SimpleNamespace(no_customer_value=anonymous)
        )
        return RfmSummary.anonymous_share.fget(rfm)  # type: ignore[attr-defined]

    # A till where card customers bring 22% of the money: page 1 says so.
    assert share(78.0, 22.0) == pytest.approx(0.78)
    assert share(0.0, 22.0) == 0.0 and share(5.0, None) == 0.0


def test_shares_in_sentences_never_round_to_a_wrong_none_or_all() -> None:
    from reportgen.rfm import _share_text

    assert [_share_text(x) for x in (0.0, 0.004, 0.37, 0.996, 1.0)] == [
        "none",
        "under 1%",
        "37%",
        "over 99%",
        "100%",
    ]


def test_gift_cards_get_their_own_note_with_the_config_line(tmp_path: Path) -> None:
    rows = [("A", "2024-01-05", "Latte", 4.5), ("A", "2024-02-05", "eGift Card", 50.0)]
    rows += [("B", "2024-02-11", "Bagel", 3.0), ("B", "2024-03-11", "Latte", 4.5)]
    lines = pd.DataFrame(rows, columns=["Customer", "Date", "Item", "Amount"])
    _, summary = _order_summary(lines, tmp_path)
    notes = order_quality(summary, ("recency_days",), ()).notes
    (note,) = [note for note in notes if "Gift cards" in note]
    assert "eGift Card (1 line, worth 50.00)" in note
    assert 'exclude_items = ["eGift Card"]' in note
    assert not any("look unlike the rest" in note for note in notes)


def test_many_customers_with_no_positive_net_spend_is_a_warning(tmp_path: Path) -> None:
    """Card postings whose bill payments were netted as returns: 103 of 500 holders were
    dropped without a word beyond the count."""
    rows = []
    for k in range(20):
        rows += [(f"C{k}", "2024-01-05", 50.0), (f"C{k}", "2024-02-05", 30.0)]
        if k % 4 == 0:  # a quarter pay back more than they bought
            rows.append((f"C{k}", "2024-03-05", -100.0))
    rows.append(("C1", "not a date", 5.0))
    lines = pd.DataFrame(rows, columns=["Customer", "Date", "Amount"])
    _, summary = _order_summary(lines, tmp_path)
    notes = order_quality(summary, ("recency_days",), ()).notes
    assert any(note.startswith("Check the negative lines: 25% of the customers") for note in notes)
    assert "1 line has no readable date and is left out." in notes


def _one_morning_lines(seed: int = 5) -> pd.DataFrame:
    """Order lines of 40 customers, all bought on one morning (1 to 6 invoices each)."""
    rng = np.random.default_rng(seed)
    rows, invoice = [], 500_000
    for number in range(40):
        for _ in range(int(rng.integers(1, 7))):
            invoice += 1
            minute = int(rng.integers(0, 120))
            when = f"2010-12-01 {8 + minute // 60:02d}:{minute % 60:02d}"
            price = round(float(rng.lognormal(3, 0.6)), 2)
            rows.append((str(invoice), when, f"C{number:03d}", "85123A", 2, price))
    columns = ["Invoice", "InvoiceDate", "Customer ID", "StockCode", "Quantity", "Price"]
    return pd.DataFrame(rows, columns=columns)


def test_a_history_too_short_names_nobody_lapsed_and_puts_no_revenue_at_risk(
    tmp_path: Path,
) -> None:
    source = tmp_path / "morning.csv"
    _one_morning_lines().to_csv(source, index=False)
    out = tmp_path / "out"
    options = ["-o", str(out), "--period", "2010-12", "-k", "3", "--no-pdf"]
    result = CliRunner().invoke(main, ["run", str(source), *options])
    assert result.exit_code == 0, result.output
    segments = pd.read_csv(out / "segments.csv", dtype={"customer_id": str})
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    html = " ".join((out / "report.html").read_text(encoding="utf-8").split())
    grid = load_grid(DEFAULT_GRID)
    recency_named = {group.name for group in grid.groups}
    short_named = {group.name for group in grid.short_groups}
    assert set(segments["rfm_group"]) <= short_named
    assert not set(segments["rfm_group"]) & recency_named
    for segment in summary["segments"]:
        assert not any(name in segment["name"] for name in ("Hibernating", "lose", "At risk"))
    behaviour = summary["purchase_behaviour"]
    assert behaviour["short_history"] is True
    assert behaviour["history_days"] == 1
    assert behaviour["revenue_at_risk_last_12_months"] is None
    assert behaviour["customers_at_risk"] == 0
    assert "revenue at risk (last 12 months)" not in html
    assert "too short a history to tell lapsed customers from active ones" in html
    assert "gone quiet" not in html
    assert "grouped by how often they bought and how much they spent" in html
    # Recency over one morning separates nobody: segments are on orders and spend.
    assert "days since last purchase" not in summary["segments"][0]["name"].lower()
    model = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert "recency_days" not in json.dumps(model.get("features", model))


def test_the_history_needed_to_judge_recency_is_min_history_days(tmp_path: Path) -> None:
    lines = _one_morning_lines()
    _, summary = _order_summary(lines, tmp_path)
    first = pd.Timestamp("2024-01-01").date()
    for days, short in ((MIN_HISTORY_DAYS - 1, True), (MIN_HISTORY_DAYS, False)):
        last = first + pd.Timedelta(days=days - 1)
        spanned = dataclasses.replace(summary, first_date=first, last_date=last)
        assert history_days(spanned) == days
        assert short_history(spanned) is short
        grid = load_grid(DEFAULT_GRID).for_history(spanned)
        assert any(group.lapsed for group in grid.groups) is not short


def test_one_return_and_a_configured_date_format_read_as_plain_english(tmp_path: Path) -> None:
    """Review 8: '1 lines are returns' and 'were read as read with date_format'."""
    rows = [("A", "2024-01-05", 10.0), ("A", "2024-02-05", -4.0), ("B", "2024-02-11", 15.0)]
    lines = pd.DataFrame(rows, columns=["Customer", "Date", "Amount"])
    _, summary = _order_summary(lines, tmp_path)
    notes = order_quality(summary, ("recency_days",), ()).notes
    assert any(note.startswith("1 line is a return or cancellation (") for note in notes)
    configured = dataclasses.replace(
        summary, date_interpretation="read with date_format '%Y-%m-%d'"
    )
    text = " ".join(order_quality(configured, ("recency_days",), ()).notes)
    assert "were read with date_format '%Y-%m-%d'" in text and "read as read" not in text
