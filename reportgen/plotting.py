"""Stage 8: the report's figures, rendered to PNG.

Every function builds its own Figure (never pyplot's global one), so charts can be
drawn in any order, in any thread, and nothing leaks between runs. make_charts draws
them in two processes where it can (Linux): a forked copy of this process renders
some of the figures while this one renders the others.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
import io
import logging
import math
import os
import select
import signal
import struct
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from reportgen.cleaning import abbreviate
from reportgen.contract import (
    Changes,
    Chart,
    CleanTable,
    Exploration,
    FeatureMatrix,
    KChoice,
    OutcomeRates,
    Segmentation,
    SegmentProfile,
)
from reportgen.wide import charted

log = logging.getLogger(__name__)

DPI = 150
FULL_WIDTH = 7.0  # inches: the PDF's text width
# A grid of panels taller than this would not fit on a page below its heading.
MAX_GRID_HEIGHT = 8.0
# Beyond this many columns, numbers in the correlation heatmap's cells are unreadable.
MAX_ANNOTATED_CORRELATIONS = 10
SHOWN_CATEGORIES = 8
RARE_SHARE = 0.01
# Beyond this many points a scatter is saturated: more dots cost seconds and show nothing.
MAX_POINTS = 20_000
_INK = "#333333"
# Customers whose category was not among the model's (possible with --previous).
_UNKNOWN = "(not in the model)"
_GREY = "#9aa5b1"
_STYLE: dict[str, Any] = {
    "font.size": 8.5,
    "axes.titlesize": 9.5,
    "axes.titleweight": "bold",
    "axes.labelsize": 8.5,
    "axes.edgecolor": "#bbbbbb",
    "axes.labelcolor": _INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e6e6e6",
    "grid.linewidth": 0.6,
    "xtick.color": _INK,
    "ytick.color": _INK,
    "legend.frameon": False,
    "savefig.facecolor": "white",
}
# Charts are rendered in a forked second process on Linux only: fork is unsafe with
# the system frameworks matplotlib may load on macOS, and Windows has none.
PARALLEL = sys.platform == "linux"
# Once this process has drawn its share, a forked renderer still busy this much later
# is given up on (killed; a chart takes well under a second, even for ten million
# customers), and this process draws what the copy left undone.
_CHILD_TIMEOUT = 30.0


@dataclasses.dataclass(frozen=True)
class _Job:
    """A figure to render: its size and the function that draws it."""

    size: tuple[float, float]
    draw: Callable[[Figure], None]


# While make_charts runs, _render collects the figures here (by chart key) instead of
# rendering them.
_PENDING: contextvars.ContextVar[dict[str, _Job] | None] = contextvars.ContextVar(
    "pending_charts", default=None
)
# How the forked copy frames each PNG it sends back: job number, then byte count.
_FRAME = struct.Struct("<BI")


def _rendered_together(
    make: Callable[..., dict[str, Chart]],
) -> Callable[..., dict[str, Chart]]:
    """Collect the figures ``make`` asks for, then render them all at once, in parallel.

    Rendering (layout, rasterizing, PNG encoding) is most of a chart's cost and each
    figure is independent of the others, so two processes make the seven charts in
    about half the time, each PNG byte for byte what one process makes (tested).
    """

    @functools.wraps(make)
    def wrapper(*args: Any, **kwargs: Any) -> dict[str, Chart]:
        jobs: dict[str, _Job] = {}
        token = _PENDING.set(jobs)
        try:
            charts = make(*args, **kwargs)
        finally:
            _PENDING.reset(token)
        pngs = dict(zip(jobs, _render_all(list(jobs.values())), strict=True))
        return {
            key: dataclasses.replace(chart, png=pngs[chart.key]) for key, chart in charts.items()
        }

    return wrapper


@_rendered_together
def make_charts(
    clean: CleanTable,
    features: FeatureMatrix,
    exploration: Exploration,
    k_choice: KChoice | None,
    segmentation: Segmentation,
    segments: Sequence[SegmentProfile],
    changes: Changes | None = None,
    outcomes: Sequence[OutcomeRates] = (),
) -> dict[str, Chart]:
    """Draw every figure of the report, keyed by where the report shows it."""
    colors = [segment.color for segment in segments]
    charts = [
        segment_map(features, segmentation, colors),
        segment_sizes(segments),
        feature_boxplots(features, segmentation, colors),
        category_mix(clean, features, segmentation),
        demographics(clean),
        behaviour(features),
        correlations(exploration),
        k_evidence(k_choice) if k_choice else None,
        migration(changes) if changes else None,
        *(outcome_rates_chart(rates, segments, index) for index, rates in enumerate(outcomes)),
    ]
    return {chart.key: chart for chart in charts if chart is not None}


def segment_map(
    features: FeatureMatrix, segmentation: Segmentation, colors: Sequence[str]
) -> Chart:
    """Customers coloured by segment: the features themselves, or a PCA projection."""
    measures_only = not features.categorical
    if measures_only and features.values.shape[1] == 1:
        return _render(
            "segment_map",
            "Customers by segment",
            f"Distribution of {features.display(0)} in each segment.",
            (FULL_WIDTH, 3.2),
            lambda figure: _stacked_histogram(figure.subplots(), features, segmentation, colors),
        )
    drawn = _drawn_rows(len(features.values))
    raw = measures_only and features.values.shape[1] == 2
    if raw:
        points, centers = features.values[drawn], segmentation.centroids
        x_label, y_label = features.display(0), features.display(1)
        caption = (
            "Each dot is a customer, coloured by segment; numbered circles mark segment centres."
        )
    else:
        # Fitted on the drawn customers only: the same directions, without a PCA of millions.
        points, centers, explained = _pca(features.scaled[drawn], segmentation.centroids_scaled)
        x_label = f"Principal component 1 ({explained[0]:.0%} of variance)"
        y_label = f"Principal component 2 ({explained[1]:.0%} of variance)"
        caption = (
            f"The {len(features.all_columns)} features projected onto the two directions that "
            f"show most of their variation ({explained.sum():.0%} of it); each dot is a "
            "customer, coloured by segment."
        )

    caption += _sample_note(len(drawn), len(features.values))
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
            for index in range(2):
                if _is_skewed(features, index):
                    (axes.set_xscale if index == 0 else axes.set_yscale)("symlog", linthresh=1)
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

    return _render("segment_map", "Customers by segment", caption, (FULL_WIDTH, 3.6), draw)


def segment_sizes(segments: Sequence[SegmentProfile]) -> Chart:
    """A horizontal bar per segment with its share of customers."""

    def draw(figure: Figure) -> None:
        axes = figure.subplots()
        _segment_bars(axes, segments, [segment.share for segment in segments])

    height = 0.9 + 0.32 * len(segments)
    return _render(
        "segment_sizes", "Share of customers per segment", "", (FULL_WIDTH, height), draw
    )


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
) -> Chart:
    """A horizontal bar per segment with an outcome's rate, and the overall rate as a line."""
    label = rates.outcome.label

    def draw(figure: Figure) -> None:
        axes = figure.subplots()
        values = [rates.rate(segment.number).rate for segment in segments]
        _segment_bars(axes, segments, values, name_limit=48)
        axes.axvline(rates.overall, color=_INK, linestyle="--", linewidth=1)
        axes.annotate(
            f"all customers {rates.overall:.1%}",
            (rates.overall, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, 2),
            textcoords="offset points",
            fontsize=7.5,
            color=_INK,
        )
        rated = [value for value in values if not math.isnan(value)]
        axes.set_xlim(0, max([rates.overall, *rated]) * 1.18 or 1)

    height = 1.1 + 0.32 * len(segments)
    return _render(
        f"outcome_{index}",
        f"{label} by segment",
        f"Share of customers with {rates.outcome.column} = {rates.outcome.positive} in each "
        f"segment; the dashed line is the rate among all customers.",
        (FULL_WIDTH, height),
        draw,
    )


def feature_boxplots(
    features: FeatureMatrix, segmentation: Segmentation, colors: Sequence[str]
) -> Chart:
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
                medianprops={"color": _INK},
            )
            for patch, color in zip(boxes["boxes"], colors, strict=False):
                patch.set(facecolor=color, edgecolor=_INK, linewidth=0.6)
            if _is_skewed(features, index):
                axes.set_yscale("symlog", linthresh=1)
                axes.set_ylabel("log scale")
            axes.yaxis.set_major_formatter(FuncFormatter(_compact))
            axes.set_title(_scaled_title(features, index))
            axes.set_xlabel("Segment")
            axes.grid(axis="x", visible=False)

    return _render(
        "feature_boxplots",
        "Features by segment",
        "Boxes span the middle half of each segment's customers; the line is the median.",
        (FULL_WIDTH, _grid_height(len(columns), 2.4)),
        draw,
    )


def category_mix(
    clean: CleanTable, features: FeatureMatrix, segmentation: Segmentation
) -> Chart | None:
    """For each categorical feature, the share of each category in every segment."""
    if not features.categorical:
        return None
    rows = ["All customers", *(f"Segment {number}" for number in segmentation.numbers)]

    def draw(figure: Figure) -> None:
        for axes, encoding in zip(
            _grid(figure, len(features.categorical)), features.categorical, strict=False
        ):
            encoded = encoding.encode(clean.frame[encoding.column])
            names = np.array([*encoding.categories, _UNKNOWN])
            picked = encoded.argmax(axis=1)
            picked[encoded.max(axis=1) == 0] = len(encoding.categories)
            shown = pd.Series(names[picked])
            by_segment = pd.crosstab(segmentation.labels, shown, normalize="index")
            overall = shown.value_counts(normalize=True).to_frame().T
            shares = pd.concat([overall, by_segment]).fillna(0.0)
            shares = shares[[c for c in names if c in shares.columns]]
            left = np.zeros(len(rows))
            palette = sns.color_palette("Set2", len(shares.columns))
            for color, category in zip(palette, shares.columns, strict=True):
                values = shares[category].to_numpy()
                # Bare codes ("2") say nothing in a legend: "region 2" does.
                if category.replace(".", "").isdigit():
                    category = (
                        f"{clean.short_names.get(encoding.column, encoding.column)} {category}"
                    )
                axes.barh(rows, values, left=left, color=color, label=abbreviate(category, 24))
                left += values
            axes.invert_yaxis()
            axes.xaxis.set_major_formatter(PercentFormatter(1.0))
            axes.set_xlim(0, 1)
            axes.grid(axis="y", visible=False)
            axes.set_title(abbreviate(clean.display(encoding.column), 28))
            axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=3, fontsize=7)

    panels = len(features.categorical)
    height = min(
        (1.2 + 0.28 * len(rows)) * math.ceil(panels / _grid_columns(panels)) + 0.5,
        MAX_GRID_HEIGHT,
    )
    return _render(
        "category_mix",
        "Categories by segment",
        "The share of each category in every segment; these categories were segmented on.",
        (FULL_WIDTH if panels > 1 else FULL_WIDTH * 0.6, height),
        draw,
    )


def demographics(clean: CleanTable) -> Chart | None:
    """The distribution of each profiled (not clustered) column."""
    columns = charted(clean.profile_columns)
    if not columns:
        return None
    shown = (
        f" The first {len(columns)} of {len(clean.profile_columns):,} in the file are shown."
        if len(columns) < len(clean.profile_columns)
        else ""
    )

    def draw(figure: Figure) -> None:
        for axes, column in zip(_grid(figure, len(columns)), columns, strict=False):
            _distribution(axes, clean.frame[column], clean.is_measure(column))
            # Right-aligned: constrained layout does not make room for a centred title
            # wider than its panel, which the page edge then cut ("PaymentMetho").
            axes.set_title(abbreviate(clean.display(column), 28), loc="right")

    return _render(
        "demographics",
        "Who the customers are",
        "Distribution of each descriptive column after cleaning." + shown,
        (FULL_WIDTH, _grid_height(len(columns), 2.3)),
        draw,
    )


def behaviour(features: FeatureMatrix) -> Chart:
    """How the clustering features are distributed, and the first two against each other."""
    columns = features.columns
    panels = len(columns) + (1 if len(columns) >= 2 else 0)
    drawn = _drawn_rows(len(features.values))

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
                _distribution(axes, pd.Series(values, name=columns[index]), True)
            axes.set_title(_scaled_title(features, index))

    return _render(
        "behaviour",
        "The segmentation measures",
        "The measures customers are segmented on, before segmentation."
        + _sample_note(len(drawn), len(features.values)),
        (FULL_WIDTH, _grid_height(panels, 2.4)),
        draw,
    )


def correlations(exploration: Exploration) -> Chart | None:
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

    return _render(
        "correlations",
        "Correlations",
        "Pearson correlation: +1 means two columns rise together, -1 that one falls as the "
        "other rises, 0 no linear relation.",
        (size + 1.5, size),
        draw,
    )


def k_evidence(k_choice: KChoice) -> Chart:
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

    return _render(
        "k_evidence",
        "Evidence for the number of segments",
        "Top: the two tests of whether segments come back when the customers are resampled, "
        "with their thresholds (dashed). Bottom: the elbow and the silhouette, for comparison. "
        f"The shaded column marks the chosen number of segments ({k_choice.chosen_k}).",
        (FULL_WIDTH, 4.6),
        draw,
    )


def migration(changes: Changes) -> Chart | None:
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

    return _render(
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


def _drawn_rows(total: int) -> np.ndarray:
    """Rows to draw in a scatter: all, or a seeded sample once a chart would be saturated."""
    if total <= MAX_POINTS:
        return np.arange(total)
    return np.sort(np.random.default_rng(0).choice(total, MAX_POINTS, replace=False))


def _sample_note(drawn: int, total: int) -> str:
    return "" if drawn == total else f" A random {drawn:,} of the {total:,} customers are drawn."


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


def _render(
    key: str, title: str, caption: str, size: tuple[float, float], draw: Callable[[Figure], None]
) -> Chart:
    job = _Job(size, draw)
    pending = _PENDING.get()
    if pending is None:
        return Chart(key=key, title=title, caption=caption, png=_png(job))
    # Inside make_charts: the PNG is rendered later, with the others.
    pending[key] = job
    return Chart(key=key, title=title, caption=caption, png=b"")


def _png(job: _Job) -> bytes:
    with matplotlib.rc_context(_STYLE), warnings.catch_warnings():  # type: ignore[arg-type]
        # Column names in scripts DejaVu lacks (CJK, emoji) draw as boxes; that is all.
        warnings.filterwarnings("ignore", r"Glyph .* missing from font", UserWarning)
        figure = Figure(figsize=job.size, layout="constrained")
        job.draw(figure)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _render_all(jobs: Sequence[_Job]) -> list[bytes]:
    """Render every job, sharing them with a forked copy of this process where possible.

    Both processes take the next job number from one pipe until it is empty, so the
    work splits evenly whatever each chart costs. The copy writes its PNGs to an
    unnamed temporary file and exits; any job it did not finish (an error, a hang) is
    rendered here, so an error is raised here as it would be without the copy.
    """
    if not PARALLEL or len(jobs) < 2:
        return [_png(job) for job in jobs]
    queue_out, queue_in = os.pipe()
    os.write(queue_in, bytes(range(len(jobs))))  # a few bytes: never fills the pipe
    os.close(queue_in)
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(os.close, queue_out)
        try:
            results = cleanup.enter_context(tempfile.TemporaryFile())
            child = _fork()
        except OSError:  # no temporary file, or no memory or process left for a copy
            return [_png(job) for job in jobs]
        if child == 0:  # the copy: render, write each PNG, exit without any cleanup
            try:
                for number in _numbers(queue_out):
                    png = _png(jobs[number])
                    results.write(_FRAME.pack(number, len(png)) + png)
                results.flush()
            finally:
                os._exit(0)
        pngs: dict[int, bytes] = {}
        try:
            for number in _numbers(queue_out):
                pngs[number] = _png(jobs[number])
        finally:
            _reap(child)
        results.seek(0)
        pngs.update(_frames(results.read()))
    return [pngs[number] if number in pngs else _png(job) for number, job in enumerate(jobs)]


def _fork() -> int:
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a process with threads can deadlock the copy;
        # it only renders with matplotlib, and a stuck copy is killed (see _reap).
        warnings.simplefilter("ignore", DeprecationWarning)
        return os.fork()


def _numbers(queue: int) -> Iterator[int]:
    """Take job numbers one byte at a time (atomic on a pipe) until the pipe is empty."""
    while number := os.read(queue, 1):
        yield number[0]


def _reap(child: int) -> None:
    """Wait for the forked copy to exit; kill it if it is still busy after the timeout."""
    with contextlib.suppress(OSError):  # pidfd_open needs Linux 5.3: then just wait
        pidfd = os.pidfd_open(child)
        try:
            if not select.select([pidfd], [], [], _CHILD_TIMEOUT)[0]:
                log.warning(
                    "The second chart renderer stopped responding; drawing its charts here."
                )
                os.kill(child, signal.SIGKILL)
        finally:
            os.close(pidfd)
    os.waitpid(child, 0)


def _frames(data: bytes) -> dict[int, bytes]:
    """Read back the (job number, PNG) frames the copy wrote; a cut-short last one is left."""
    done, offset = {}, 0
    while offset + _FRAME.size <= len(data):
        number, size = _FRAME.unpack_from(data, offset)
        offset += _FRAME.size
        if offset + size > len(data):
            break
        done[number] = data[offset : offset + size]
        offset += size
    return done


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


def _distribution(axes: Axes, values: pd.Series, is_measure: bool) -> None:
    if is_measure:
        axes.hist(
            values,
            bins=min(30, max(5, values.nunique())),
            color=_GREY,
            edgecolor="white",
            linewidth=0.5,
        )
        axes.set_ylabel("Customers")
        axes.xaxis.set_major_formatter(FuncFormatter(_compact))
        # Three ticks: a histogram squeezed into a grid column ran "0 2.5k 5k 7.5k" together.
        axes.locator_params(axis="x", nbins=3)
        return
    counts = values.astype(str).value_counts()
    # Rare categories (under 1%) and those past the first few are shown together as Other.
    # A flag keeps both its values (a 0/1 complaint column must not become "0 / Other").
    rare_count = RARE_SHARE * len(values) if len(counts) > 2 else 0
    shown = counts[counts >= rare_count].iloc[: SHOWN_CATEGORIES - 1]
    if len(shown) < len(counts):
        counts = pd.concat([shown, pd.Series({"Other": counts.drop(shown.index).sum()})])
    axes.barh([abbreviate(label, 18) for label in counts.index], counts.to_numpy(), color=_GREY)
    axes.invert_yaxis()
    axes.grid(axis="y", visible=False)
    axes.set_xlabel("Customers")


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


def _pca(scaled: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.decomposition import PCA

    pca = PCA(n_components=2, random_state=0).fit(scaled)
    return pca.transform(scaled), pca.transform(centers), pca.explained_variance_ratio_
