"""The charts of an order-line run: the R x F grid and revenue concentration.

Like every figure function, each returns a ``Plot`` (reportgen.render_pool) that draws
on a Figure of its own and never touches pyplot's global state; plotting.make_charts
renders them with the report's other figures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import PercentFormatter

from reportgen.contract import RfmSummary
from reportgen.render_pool import FULL_WIDTH, INK, Plot

# Both charts sit side by side on the purchase-behaviour page: square, half the width.
GRID_SIZE = (FULL_WIDTH - 0.25) / 2
_RISK = "#e15759"


def rfm_grid(rfm: RfmSummary) -> Plot:
    """Customers (and revenue) in each recency x frequency cell, cells grouped by name."""
    total = sum(cell.customers for cell in rfm.grid) or 1
    revenue_total = sum(cell.revenue for cell in rfm.grid)
    has_money = revenue_total > 0

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        shares = np.zeros((5, 5))
        for cell in rfm.grid:
            shares[cell.r - 1, cell.f - 1] = cell.customers / total
        axes.imshow(shares, cmap="Blues", origin="lower", vmin=0, vmax=max(shares.max(), 0.01))
        names: dict[str, list[tuple[int, int]]] = {}
        for cell in rfm.grid:
            names.setdefault(cell.name, []).append((cell.r, cell.f))
            share = cell.customers / total
            text = f"{share:.0%}"
            if has_money:
                text += f"\n{cell.revenue / revenue_total:.0%} rev."
            axes.text(
                cell.f - 1,
                cell.r - 1 - 0.18,
                text,
                ha="center",
                va="center",
                fontsize=6,
                color="white" if share > 0.6 * shares.max() else INK,
            )
        # One label per named region, centred over its top row; the region outlined.
        for name, cells in names.items():
            top_r = max(r for r, _ in cells)
            row = [f for r, f in cells if r == top_r]
            risk = name in rfm.risk_groups
            label = name.replace(" ", "\n", 1) if len(row) == 1 and len(name) > 10 else name
            axes.text(
                (min(row) + max(row)) / 2 - 1,
                top_r - 1 + 0.25,
                label,
                ha="center",
                va="center",
                fontsize=6,
                fontweight="bold",
                color=_RISK if risk else INK,
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none"},
            )
            for r, f in cells:
                axes.add_patch(
                    Rectangle(
                        (f - 1.5, r - 1.5),
                        1,
                        1,
                        fill=False,
                        edgecolor=_RISK if risk else "white",
                        linewidth=1.2 if risk else 0.6,
                    )
                )
        axes.set_xticks(range(5), [f"F {f}" for f in range(1, 6)])
        axes.set_yticks(range(5), [f"R {r}" for r in range(1, 6)])
        axes.set_xlabel("Frequency score (5 = most often)", fontsize=8)
        axes.set_ylabel("Recency score (5 = most recent)", fontsize=8)
        axes.tick_params(length=0)
        axes.grid(False)
        for spine in axes.spines.values():
            spine.set_visible(False)

    caption = (
        "Each cell holds the customers with that recency and frequency score (quintiles of "
        f"all customers, reference date {rfm.reference_date:%Y-%m-%d}): their share of "
        "customers"
        + (" and of net revenue" if has_money else "")
        + ". Cells outlined in red are the groups at risk of being lost"
        + (" (and their revenue with them)" if has_money else "")
        + ". Customers with "
        "equal values share a score (all one-order customers score F 1), so a score can be "
        "empty."
    )
    return Plot("rfm_grid", "The RFM grid", caption, (GRID_SIZE, GRID_SIZE), draw)


def concentration_curve(rfm: RfmSummary, monetary: pd.Series) -> Plot:
    """The share of net revenue from the top customers (a Pareto / Lorenz curve)."""
    values = np.sort(monetary.to_numpy(dtype=float))[::-1]
    cumulative = np.concatenate([[0.0], np.cumsum(values) / values.sum()])
    customers = np.linspace(0, 1, len(cumulative))

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        axes.plot(customers, cumulative, color="#4e79a7", linewidth=2)
        axes.plot([0, 1], [0, 1], color="#bab0ac", linestyle="--", linewidth=1)
        for top, share in ((0.1, rfm.top10_share), (0.2, rfm.top20_share)):
            if share is None:
                continue
            axes.plot([top, top], [0, share], color=INK, linewidth=0.8, linestyle=":")
            axes.plot([0, top], [share, share], color=INK, linewidth=0.8, linestyle=":")
            axes.annotate(
                f"top {top:.0%}: {share:.0%}",
                (top, share),
                xytext=(6, -12),
                textcoords="offset points",
                fontsize=7,
                color=INK,
            )
        axes.set_xlim(0, 1)
        axes.set_ylim(0, 1.02)
        axes.xaxis.set_major_formatter(PercentFormatter(1.0))
        axes.yaxis.set_major_formatter(PercentFormatter(1.0))
        axes.set_xlabel("Customers, biggest spenders first", fontsize=8)
        axes.set_ylabel("Share of net revenue", fontsize=8)

    caption = (
        f"The top 10% of customers bring {rfm.top10_share:.0%} of net revenue and the top "
        f"20% bring {rfm.top20_share:.0%}. The dashed line is what equal spending would give."
    )
    return Plot("concentration", "Revenue concentration", caption, (GRID_SIZE, GRID_SIZE), draw)
