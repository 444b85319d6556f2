"""RFM scores, the grid and its names, and planted customer groups recovered by name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reportgen.clustering import fit_segments
from reportgen.config import DEFAULT_RULES
from reportgen.contract import Recommendation, SegmentProfile
from reportgen.errors import SettingsError
from reportgen.rfm import (
    DEFAULT_GRID,
    SCORES,
    concentration,
    customer_table,
    describe_segments,
    grid_path,
    load_grid,
    quintile_scores,
    rfm_features,
    rfm_scores,
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
