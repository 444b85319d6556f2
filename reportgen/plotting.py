"""Stage 8: the report's figures, drawn from typed results.

Each figure function takes analysis results (never the cleaned table) and returns a
``Plot``: its title, caption, size and how to draw it on a Figure of its own (never
pyplot's global one). ``make_charts`` draws them all and renders them together
(reportgen.render_pool) into the report's ``Charts``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from reportgen.cleaning import abbreviate
from reportgen.contract import (
    CategoryMix,
    Changes,
    Charts,
    Distribution,
    Exploration,
    FeatureMatrix,
    KChoice,
    OutcomeRates,
    Projection,
    RfmSummary,
    Segmentation,
    SegmentProfile,
    histogram_bins,
)
from reportgen.render_pool import FULL_WIDTH, INK, Plot, render_all
from reportgen.rfm_charts import concentration_curve, rfm_grid

# A grid of panels taller than this would not fit on a page below its heading.
MAX_GRID_HEIGHT = 8.0
# Beyond this many columns, numbers in the correlation heatmap's cells are unreadable.
MAX_ANNOTATED_CORRELATIONS = 10
_GREY = "#9aa5b1"


def make_charts(
    features: FeatureMatrix,
    exploration: Exploration,
    k_choice: KChoice | None,
    segmentation: Segmentation,
    segments: Sequence[SegmentProfile],
    projection: Projection,
    mixes: Sequence[CategoryMix] = (),
    changes: Changes | None = None,
    outcomes: Sequence[OutcomeRates] = (),
    rfm: RfmSummary | None = None,
    monetary: pd.Series | None = None,
) -> Charts:
    """Draw every figure of the report and render them together.

    Args:
        rfm: order-line input's purchase behaviour, for the R x F grid.
        monetary: each customer's net spend (order-line input), for the revenue
            concentration curve.
    """
    colors = [segment.color for segment in segments]
    plots: dict[str, Plot | None] = {
        "segment_map": segment_map(features, segmentation, colors, projection),
        "segment_sizes": segment_sizes(segments),
        "feature_boxplots": feature_boxplots(features, segmentation, colors),
        "category_mix": category_mix(mixes, segmentation),
        "demographics": demographics(exploration),
        "behaviour": behaviour(features, projection),
        "correlations": correlations(exploration),
        "k_evidence": k_evidence(k_choice) if k_choice else None,
        "migration": migration(changes) if changes else None,
        "rfm_grid": rfm_grid(rfm) if rfm else None,
        "concentration": (
            concentration_curve(rfm, monetary)
            if rfm and monetary is not None and rfm.total_revenue
            else None
        ),
    }
    outcome_plots = [
        outcome_rates_chart(rates, segments, index) for index, rates in enumerate(outcomes)
    ]
    present = {name: plot for name, plot in plots.items() if plot is not None}
    rendered = render_all([*present.values(), *outcome_plots])
    chart = dict(zip(present, rendered, strict=False))
    return Charts(
        segment_map=chart["segment_map"],
        segment_sizes=chart["segment_sizes"],
        feature_boxplots=chart["feature_boxplots"],
        behaviour=chart["behaviour"],
        category_mix=chart.get("category_mix"),
        demographics=chart.get("demographics"),
        correlations=chart.get("correlations"),
        k_evidence=chart.get("k_evidence"),
        migration=chart.get("migration"),
        outcomes=rendered[len(present) :],
        rfm_grid=chart.get("rfm_grid"),
        concentration=chart.get("concentration"),
    )


def segment_map(
    features: FeatureMatrix,
    segmentation: Segmentation,
    colors: Sequence[str],
    projection: Projection,
) -> Plot:
    """Customers coloured by segment: the features themselves, or a PCA projection."""
    if projection.points is None or projection.centres is None:
        return Plot(
            "segment_map",
            "Customers by segment",
            f"Distribution of {features.display(0)} in each segment.",
            (FULL_WIDTH, 3.2),
            lambda figure: _stacked_histogram(figure.subplots(), features, segmentation, colors),
        )
    drawn, points, centers = projection.rows, projection.points, projection.centres
    explained = projection.explained
    raw = explained is None
    if explained is None:
        x_label, y_label = (
            features.display(index) + (" (log scale)" if _is_skewed(features, index) else "")
            for index in range(2)
        )
        caption = (
            "Each dot is a customer, coloured by segment; numbered circles mark segment centres."
        )
    else:
        x_label = f"Principal component 1 ({explained[0]:.0%} of variance)"
        y_label = f"Principal component 2 ({explained[1]:.0%} of variance)"
        caption = (
            f"The {len(features.all_columns)} features projected onto the two directions that "
            f"show most of their variation ({explained[0] + explained[1]:.0%} of it); each dot "
            "is a customer, coloured by segment."
        )

    caption += _sample_note(projection)
    palette = np.array(colors)

    def draw(figure: Figure) -> None:
        axes = figure.subplots()
        axes.scatter(
            points[:, 0],
            points[:, 1],
            s=14 if len(drawn) < 2_000 else 4,
            c=palette[segmentation.labels[drawn]],
            alpha=0.75 if len(drawn) < 2_000 else 0.35,
            linewidths=0,
            rasterized=True,
        )
        if raw:
            for index, axis in enumerate((axes.xaxis, axes.yaxis)):
                if _is_skewed(features, index):
                    (axes.set_xscale if index == 0 else axes.set_yscale)("symlog", linthresh=1)
                    # Plain numbers ("10", "1k"), not powers of ten, for a manager.
                    axis.set_major_formatter(FuncFormatter(_compact))
        for index, (x, y) in enumerate(centers[:, :2]):
            number = segmentation.numbers[index]
            axes.scatter(x, y, s=260, c=colors[index], edgecolors="white", linewidths=1.5)
            axes.annotate(
                str(number),
                (x, y),
                ha="center",
                va="center",
                color="white",
                fontweight="bold",
                fontsize=9,
            )
        axes.set_xlabel(x_label)
        axes.set_ylabel(y_label)

    return Plot("segment_map", "Customers by segment", caption, (FULL_WIDTH, 3.6), draw)


def segment_sizes(segments: Sequence[SegmentProfile]) -> Plot:
    """A horizontal bar per segment with its share of customers."""

    def draw(figure: Figure) -> None:
        axes = figure.subplots()
        _segment_bars(axes, segments, [segment.share for segment in segments])

    height = 0.9 + 0.32 * len(segments)
    return Plot("segment_sizes", "Share of customers per segment", "", (FULL_WIDTH, height), draw)


def _segment_bars(
    axes: Axes,
    segments: Sequence[SegmentProfile],
    values: Sequence[float],
    name_limit: int | None = None,
) -> None:
    """Draw a labelled bar per segment, top to bottom, each with its value as a percent."""
    names = [
        f"{segment.number}. "
        f"{segment.name if name_limit is None else abbreviate(segment.name, name_limit)}"
        for segment in segments
    ]
    axes.barh(names, values, color=[segment.color for segment in segments])
    axes.invert_yaxis()
    axes.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    axes.grid(axis="y", visible=False)
    for y, value in enumerate(values):
        if math.isnan(value):
            continue  # no customer of this segment has the outcome recorded
        axes.annotate(
            f"{value:.0%}",
            (value, y),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )


def outcome_rates_chart(
    rates: OutcomeRates, segments: Sequence[SegmentProfile], index: int = 0
) -> Plot:
    """A horizontal bar per segment with an outcome's rate, and the overall rate as a line."""
    label = rates.outcome.label

    def draw(figure: Figure) -> None:
        axes = figure.subplots()
        values = [rates.rate(segment.number).rate for segment in segments]
        _segment_bars(axes, segments, values, name_limit=48)
        axes.axvline(rates.overall, color=INK, linestyle="--", linewidth=1)
        axes.annotate(
            f"all customers {rates.overall:.1%}",
            (rates.overall, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, 2),
            textcoords="offset points",
            fontsize=7.5,
            color=INK,
        )
        rated = [value for value in values if not math.isnan(value)]
        axes.set_xlim(0, max([rates.overall, *rated]) * 1.18 or 1)

    height = 1.1 + 0.32 * len(segments)
    return Plot(
        f"outcome_{index}",
        f"{label} by segment",
        f"Share of customers with {rates.outcome.column} = {rates.outcome.positive} in each "
        f"segment; the dashed line is the rate among all customers.",
        (FULL_WIDTH, height),
        draw,
    )


def feature_boxplots(
    features: FeatureMatrix, segmentation: Segmentation, colors: Sequence[str]
) -> Plot:
    """One box plot per feature, with a box per segment."""
    columns = features.columns
    numbers = segmentation.numbers

    order, bounds = _segment_order(segmentation)

    def draw(figure: Figure) -> None:
        for index, axes in enumerate(_grid(figure, len(columns))):
            groups = np.split(features.values[order, index], bounds)
            boxes = axes.boxplot(
                groups,
                tick_labels=[str(n) for n in numbers],
                patch_artist=True,
                widths=0.6,
                flierprops={"markersize": 2},
                medianprops={"color": INK},
            )
            for patch, color in zip(boxes["boxes"], colors, strict=False):
                patch.set(facecolor=color, edgecolor=INK, linewidth=0.6)
            if _is_skewed(features, index):
                axes.set_yscale("symlog", linthresh=1)
                axes.set_ylabel("log scale")
            axes.yaxis.set_major_formatter(FuncFormatter(_compact))
            axes.set_title(_scaled_title(features, index))
            axes.set_xlabel("Segment")
            axes.grid(axis="x", visible=False)

    return Plot(
        "feature_boxplots",
        "Features by segment",
        "Boxes span the middle half of each segment's customers; the line is the median.",
        (FULL_WIDTH, _grid_height(len(columns), 2.4)),
        draw,
    )


def category_mix(mixes: Sequence[CategoryMix], segmentation: Segmentation) -> Plot | None:
    """For each categorical feature, the share of each category in every segment."""
    if not mixes:
        return None
    rows = ["All customers", *(f"Segment {number}" for number in segmentation.numbers)]

    def draw(figure: Figure) -> None:
        for axes, mix in zip(_grid(figure, len(mixes)), mixes, strict=False):
            left = np.zeros(len(rows))
            palette = sns.color_palette("Set2", len(mix.categories))
            for color, category, values in zip(palette, mix.categories, mix.shares.T, strict=True):
                # Bare codes ("2") say nothing in a legend: "region 2" does.
                if category.replace(".", "").isdigit():
                    category = f"{mix.short_name} {category}"
                axes.barh(rows, values, left=left, color=color, label=abbreviate(category, 24))
                left += values
            axes.invert_yaxis()
            axes.xaxis.set_major_formatter(PercentFormatter(1.0))
            axes.set_xlim(0, 1)
            axes.grid(axis="y", visible=False)
            axes.set_title(abbreviate(mix.display_name, 28))
            axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=3, fontsize=7)

    panels = len(mixes)
    height = min(
        (1.2 + 0.28 * len(rows)) * math.ceil(panels / _grid_columns(panels)) + 0.5,
        MAX_GRID_HEIGHT,
    )
    return Plot(
        "category_mix",
        "Categories by segment",
        "The share of each category in every segment; these categories were segmented on.",
        (FULL_WIDTH if panels > 1 else FULL_WIDTH * 0.6, height),
        draw,
    )


def demographics(exploration: Exploration) -> Plot | None:
    """The distribution of each profiled (not clustered) column."""
    distributions = exploration.distributions
    if not distributions:
        return None
    shown = (
        f" The first {len(distributions)} of {exploration.described:,} in the file are shown."
        if len(distributions) < exploration.described
        else ""
    )

    def draw(figure: Figure) -> None:
        for axes, distribution in zip(
            _grid(figure, len(distributions)), distributions, strict=False
        ):
            _distribution(axes, distribution)
            # Right-aligned: constrained layout does not make room for a centred title
            # wider than its panel, which the page edge then cut ("PaymentMetho").
            axes.set_title(abbreviate(distribution.display_name, 28), loc="right")

    return Plot(
        "demographics",
        "Who the customers are",
        "Distribution of each descriptive column after cleaning." + shown,
        (FULL_WIDTH, _grid_height(len(distributions), 2.3)),
        draw,
    )


def behaviour(features: FeatureMatrix, projection: Projection) -> Plot:
    """How the clustering features are distributed, and the first two against each other.

    The scatter draws the customers the segment map draws (``projection.rows``).
    """
    columns = features.columns
    panels = len(columns) + (1 if len(columns) >= 2 else 0)
    drawn = projection.rows

    def draw(figure: Figure) -> None:
        grid = _grid(figure, panels)
        if len(columns) >= 2:
            axes = grid.pop(0)
            axes.scatter(
                features.values[drawn, 0],
                features.values[drawn, 1],
                s=9 if len(drawn) < 2_000 else 3,
                color=_GREY,
                alpha=0.7 if len(drawn) < 2_000 else 0.3,
                linewidths=0,
                rasterized=True,
            )
            axes.set_title(abbreviate(f"{features.display(1)} against {features.display(0)}", 30))
            axes.set_xlabel(abbreviate(features.display(0), 30))
            axes.set_ylabel(abbreviate(features.display(1), 24))
            for axis in (axes.xaxis, axes.yaxis):
                axis.set_major_formatter(FuncFormatter(_compact))
            axes.locator_params(axis="x", nbins=4)
        for axes, index in zip(grid, range(len(columns)), strict=False):
            values = features.values[:, index]
            if _is_skewed(features, index):
                axes.hist(np.log1p(values), bins=30, color=_GREY, edgecolor="white", linewidth=0.5)
                ticks = [t for t in (0, 10, 100, 1_000, 10_000, 100_000, 1e6) if t <= values.max()]
                # Every other decade once there are many: labels must not run together.
                shown = ticks if len(ticks) <= 4 else ticks[::2]
                axes.set_xticks(np.log1p(shown), [_compact(t) for t in shown])
                axes.set_xlabel("log scale")
                axes.set_ylabel("Customers")
            else:
                _histogram(axes, values)
            axes.set_title(_scaled_title(features, index))

    return Plot(
        "behaviour",
        "The segmentation measures",
        "The measures customers are segmented on, before segmentation." + _sample_note(projection),
        (FULL_WIDTH, _grid_height(panels, 2.4)),
        draw,
    )


def correlations(exploration: Exploration) -> Plot | None:
    """A heatmap of the correlations between numeric columns."""
    matrix = exploration.correlations
    if matrix.empty:
        return None
    size = min(FULL_WIDTH - 1.5, 2.6 + 0.5 * len(matrix))
    # Each pair once: the diagonal (always 1) and the mirror half say nothing new.
    pairs = matrix.iloc[1:, :-1]
    redundant = np.triu(np.ones(pairs.shape, dtype=bool), k=1)

    def draw(figure: Figure) -> None:
        axes = figure.subplots()
        sns.heatmap(
            pairs,
            mask=redundant,
            annot=len(pairs) <= MAX_ANNOTATED_CORRELATIONS,
            fmt=".2f",
            vmin=-1,
            vmax=1,
            cmap="RdBu_r",
            cbar_kws={"shrink": 0.7},
            ax=axes,
            annot_kws={"size": 8},
            linewidths=1,
            linecolor="white",
        )
        axes.grid(False)
        axes.tick_params(axis="x", rotation=30)
        axes.tick_params(axis="y", rotation=0)
        for label in axes.get_xticklabels():
            label.set_horizontalalignment("right")

    return Plot(
        "correlations",
        "Correlations",
        "Pearson correlation: +1 means two columns rise together, -1 that one falls as the "
        "other rises, 0 no linear relation.",
        (size + 1.5, size),
        draw,
    )


def k_evidence(k_choice: KChoice) -> Plot:
    """The tests for each k against their thresholds, and the elbow and the silhouette."""
    scores = k_choice.scores
    rated = [score for score in scores if score.silhouette is not None]
    ks = [s.k for s in rated]

    def draw(figure: Figure) -> None:
        (strength, stability), (elbow, silhouette) = figure.subplots(2, 2)
        for axes, values, threshold, title in (
            (
                strength,
                [s.prediction_strength or 0.0 for s in rated],
                k_choice.prediction_strength_threshold,
                "Prediction strength (needs ≥ {:.1f})",
            ),
            (
                stability,
                [s.stability or 0.0 for s in rated],
                k_choice.stability_threshold,
                "Weakest segment's stability (needs ≥ {:.2f})",
            ),
        ):
            _curve(axes, ks, values, k_choice.chosen_k, title.format(threshold), None, "")
            axes.axhline(threshold, color="#c0392b", linestyle="--", linewidth=1)
            axes.set_ylim(min(0.0, *values), 1.05)
        _curve(
            elbow,
            [s.k for s in scores],
            [s.inertia for s in scores],
            k_choice.chosen_k,
            "Elbow (within-segment spread)",
            k_choice.elbow_k,
            "knee",
        )
        _curve(
            silhouette,
            ks,
            [s.silhouette or 0.0 for s in rated],
            k_choice.chosen_k,
            "Silhouette (higher = better separated)",
            k_choice.silhouette_k,
            "best",
        )

    return Plot(
        "k_evidence",
        "Evidence for the number of segments",
        "Top: the two tests of whether segments come back when the customers are resampled, "
        "with their thresholds (dashed). Bottom: the elbow and the silhouette, for comparison. "
        f"The shaded column marks the chosen number of segments ({k_choice.chosen_k}).",
        (FULL_WIDTH, 4.6),
        draw,
    )


def migration(changes: Changes) -> Plot | None:
    """A heatmap of how many customers moved from each old segment to each new one."""
    matrix = changes.migration
    if matrix.empty:
        return None
    height = min(FULL_WIDTH - 2.5, 2.0 + 0.3 * len(matrix))

    def draw(figure: Figure) -> None:
        axes = figure.subplots()
        sns.heatmap(
            matrix,
            annot=True,
            fmt="d",
            cmap="Blues",
            cbar=False,
            ax=axes,
            linewidths=1,
            linecolor="white",
            annot_kws={"size": 8},
        )
        axes.grid(False)
        axes.set_xlabel(f"Segment now ({len(matrix.columns)} segments)")
        axes.set_ylabel(f"Segment in {changes.previous_period}")
        axes.tick_params(axis="y", rotation=0)

    return Plot(
        "migration",
        "Where customers moved",
        f"Customers present in both months ({changes.customers_in_both:,}): rows are their "
        f"segment in {changes.previous_period}, columns their segment now; the diagonal "
        "stayed put.",
        (height * 1.4, height),
        draw,
    )


def _segment_order(segmentation: Segmentation) -> tuple[np.ndarray, np.ndarray]:
    """Return the rows ordered by segment, and where each segment's rows end.

    ``np.split(values[order], bounds)`` gives each segment's values in their original
    order, the same arrays as ``values[labels == position]`` for each position, from one
    stable sort of small integers instead of a pass over every customer per segment.
    """
    labels = segmentation.labels
    order = np.argsort(labels.astype(np.min_scalar_type(segmentation.k)), kind="stable")
    bounds = np.cumsum(np.bincount(labels, minlength=segmentation.k))[:-1]
    return order, bounds


def _sample_note(projection: Projection) -> str:
    if not projection.sampled:
        return ""
    drawn, total = len(projection.rows), projection.customers
    return f" A random {drawn:,} of the {total:,} customers are drawn."


def _is_skewed(features: FeatureMatrix, index: int) -> bool:
    return bool(features.transforms) and features.transforms[index] == "log1p"


def _scaled_title(features: FeatureMatrix, index: int) -> str:
    """A panel title short enough for its panel (log scales are said on the axis)."""
    # The behaviour grid has one more panel than there are features: the scatter.
    narrow = _grid_columns(len(features.columns) + 1) == 4
    return abbreviate(features.display(index), 17 if narrow else 26)


def _compact(value: float, _position: object = None) -> str:
    """A tick label that stays short: 1,500 -> 1.5k, 2,000,000 -> 2M."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"


def _grid_columns(panels: int) -> int:
    return min(4 if panels > 9 else 3, panels)


def _grid_height(panels: int, per_row: float) -> float:
    """The height of a grid of panels, shrunk to fit one PDF page when there are many."""
    rows = math.ceil(panels / _grid_columns(panels))
    return min(per_row * rows, MAX_GRID_HEIGHT)


def _grid(figure: Figure, panels: int) -> list[Axes]:
    columns = _grid_columns(panels)
    rows = math.ceil(panels / columns)
    axes = list(np.atleast_1d(figure.subplots(rows, columns)).ravel())
    for spare in axes[panels:]:
        spare.set_visible(False)
    return axes[:panels]


def _distribution(axes: Axes, distribution: Distribution) -> None:
    if distribution.edges is not None:
        edges = distribution.edges
        _histogram(axes, edges[:-1], edges.tolist(), distribution.counts)
        return
    labels = [abbreviate(label, 18) for label in distribution.categories]
    axes.barh(labels, distribution.counts, color=_GREY)
    axes.invert_yaxis()
    axes.grid(axis="y", visible=False)
    axes.set_xlabel("Customers")


def _histogram(
    axes: Axes,
    values: np.ndarray,
    bins: list[float] | None = None,
    weights: np.ndarray | None = None,
) -> None:
    """A measure's histogram: of ``values``, or already counted (``weights`` per bin)."""
    axes.hist(
        values,
        bins=histogram_bins(values) if bins is None else bins,
        weights=weights,
        color=_GREY,
        edgecolor="white",
        linewidth=0.5,
    )
    axes.set_ylabel("Customers")
    axes.xaxis.set_major_formatter(FuncFormatter(_compact))
    # Three ticks: a histogram squeezed into a grid column ran "0 2.5k 5k 7.5k" together.
    axes.locator_params(axis="x", nbins=3)


def _curve(
    axes: Axes,
    ks: Sequence[int],
    values: Sequence[float],
    chosen: int,
    title: str,
    marked: int | None,
    mark_label: str,
) -> None:
    axes.axvspan(chosen - 0.4, chosen + 0.4, color="#f2c14e", alpha=0.35, linewidth=0)
    axes.plot(ks, values, marker="o", markersize=3.5, color="#4e79a7", linewidth=1.4)
    if marked is not None:
        y = values[list(ks).index(marked)]
        # Beside the point, on the side with room: above it would run into the title.
        right_half = marked > (ks[0] + ks[-1]) / 2
        axes.annotate(
            mark_label,
            (marked, y),
            xytext=(-8 if right_half else 8, 0),
            textcoords="offset points",
            ha="right" if right_half else "left",
            va="center",
            fontsize=8,
            color="#c0392b",
        )
        axes.scatter([marked], [y], s=40, color="#c0392b", zorder=3)
    axes.set_title(title, fontsize=8.5)
    axes.set_xlabel("Number of segments (k)")
    axes.set_xticks(list(ks))


def _stacked_histogram(
    axes: Axes, features: FeatureMatrix, segmentation: Segmentation, colors: Sequence[str]
) -> None:
    groups = [features.values[segmentation.labels == index, 0] for index in range(segmentation.k)]
    axes.hist(
        groups,
        bins=30,
        stacked=True,
        color=list(colors[: segmentation.k]),
        label=[f"Segment {number}" for number in segmentation.numbers],
    )
    axes.set_xlabel(features.display(0))
    axes.set_ylabel("Customers")
    axes.legend(fontsize=7)
