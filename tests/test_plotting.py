"""The figures, checked through the public figure functions by what they draw."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from matplotlib.colors import to_hex

from reportgen import plotting
from reportgen.contract import (
    CategoryEncoding,
    CategoryMix,
    CleanTable,
    DataQuality,
    Distribution,
    Exploration,
    FeatureMatrix,
    Recommendation,
    Segmentation,
    SegmentProfile,
)
from reportgen.exploring import explore
from reportgen.profiling import category_mixes
from reportgen.projecting import MAX_POINTS, project

COLORS = ["#4e79a7", "#f28e2b"]


def fitted(points: int, features: int = 2) -> tuple[FeatureMatrix, Segmentation]:
    """Two well-separated segments of ``points`` customers on ``features`` measures."""
    rng = np.random.default_rng(0)
    values = rng.normal(0, 1, (points, features)) + np.repeat(
        [[0] * features, [5] * features], points // 2, axis=0
    )
    labels = np.repeat([0, 1], points // 2)
    centres = np.array([values[labels == i].mean(axis=0) for i in (0, 1)])
    segmentation = Segmentation(labels, centres, centres, (points // 2,) * 2, 1, (1, 2))
    return _matrix(values), segmentation


def _matrix(values: np.ndarray) -> FeatureMatrix:
    means, scales = values.mean(axis=0), values.std(axis=0)
    columns = tuple(f"f{i}" for i in range(values.shape[1]))
    return FeatureMatrix(columns, values, (values - means) / scales, means, scales)


def profiles(segmentation: Segmentation) -> list[SegmentProfile]:
    total = sum(segmentation.sizes)
    return [
        SegmentProfile(
            number=number,
            name=f"Group {number}",
            size=size,
            share=size / total,
            description="",
            color=COLORS[number - 1],
            features=(),
            demographics=(),
            recommendation=Recommendation("", "", "", "", ""),
        )
        for number, size in zip(segmentation.numbers, segmentation.sizes, strict=True)
    ]


def _scatter_colors(axes) -> list[str]:  # type: ignore[no-untyped-def]
    """The colours of the customers' dots (the first collection is the customers)."""
    return sorted({to_hex(color) for color in axes.collections[0].get_facecolors()})


def test_two_measures_are_drawn_as_they_are_with_numbered_centres() -> None:
    import matplotlib.pyplot as plt

    features, segmentation = fitted(200)
    plot = plotting.segment_map(features, segmentation, COLORS, project(features, segmentation))
    (axes,) = plot.figure().axes
    assert (axes.get_xlabel(), axes.get_ylabel()) == ("f0", "f1")
    assert len(axes.collections[0].get_offsets()) == 200
    assert _scatter_colors(axes) == COLORS
    assert [text.get_text() for text in axes.texts] == ["1", "2"]
    chart = plot.render()
    assert chart.png.startswith(b"\x89PNG") and chart.data_uri.startswith("data:image/png")
    assert chart.title == "Customers by segment"
    assert plt.get_fignums() == []  # nothing left in pyplot's global state


def test_saturated_scatters_draw_a_stated_sample() -> None:
    features, segmentation = fitted(MAX_POINTS + 2_000)
    projection = project(features, segmentation)
    plot = plotting.segment_map(features, segmentation, COLORS, projection)
    assert f"A random {MAX_POINTS:,} of the {MAX_POINTS + 2_000:,}" in plot.caption
    assert len(plot.figure().axes[0].collections[0].get_offsets()) == MAX_POINTS
    behaviour = plotting.behaviour(features, projection)
    assert f"A random {MAX_POINTS:,}" in behaviour.caption
    scatter = behaviour.figure().axes[0]
    assert len(scatter.collections[0].get_offsets()) == MAX_POINTS
    small = fitted(200)
    plot = plotting.segment_map(*small, COLORS, project(*small))
    assert "A random" not in plot.caption


def test_more_than_two_features_are_projected_and_the_axes_say_how_much_they_show() -> None:
    features, segmentation = fitted(400, features=4)
    projection = project(features, segmentation)
    assert projection.explained is not None
    first, second = projection.explained
    assert 0 < second <= first and first + second <= 1
    plot = plotting.segment_map(features, segmentation, COLORS, projection)
    assert "The 4 features projected onto the two directions" in plot.caption
    axes = plot.figure().axes[0]
    assert axes.get_xlabel() == f"Principal component 1 ({first:.0%} of variance)"
    assert axes.get_ylabel() == f"Principal component 2 ({second:.0%} of variance)"


def test_a_single_measure_is_a_histogram_stacked_by_segment() -> None:
    features, segmentation = fitted(200, features=1)
    projection = project(features, segmentation)
    assert projection.points is None
    plot = plotting.segment_map(features, segmentation, COLORS, projection)
    axes = plot.figure().axes[0]
    assert axes.get_xlabel() == "f0" and axes.get_ylabel() == "Customers"
    assert [text.get_text() for text in axes.get_legend().get_texts()] == [
        "Segment 1",
        "Segment 2",
    ]
    assert {to_hex(patch.get_facecolor()) for patch in axes.patches} == set(COLORS)


def test_segment_sizes_draw_a_bar_per_segment_in_its_colour_with_its_share() -> None:
    segmentation = dataclasses.replace(fitted(300)[1], sizes=(100, 200))
    axes = plotting.segment_sizes(profiles(segmentation)).figure().axes[0]
    bars = axes.patches
    assert [to_hex(bar.get_facecolor()) for bar in bars] == COLORS
    assert [round(bar.get_width(), 3) for bar in bars] == [0.333, 0.667]
    assert [label.get_text() for label in axes.get_yticklabels()] == [
        "1. Group 1",
        "2. Group 2",
    ]
    assert [text.get_text() for text in axes.texts] == ["33%", "67%"]


def test_feature_boxplots_have_a_box_per_segment_over_its_own_customers() -> None:
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 3, 600)
    values = rng.normal(size=(600, 2)) + labels[:, None] * 4
    k = 3
    sizes = tuple(int(n) for n in np.bincount(labels, minlength=k))
    segmentation = Segmentation(labels, np.zeros((k, 2)), np.zeros((k, 2)), sizes, 1, (1, 2, 3))
    features = _matrix(values)
    colors = [*COLORS, "#59a14f"]
    figure = plotting.feature_boxplots(features, segmentation, colors).figure()
    panels = [axes for axes in figure.axes if axes.get_visible()]
    assert [axes.get_title() for axes in panels] == ["f0", "f1"]
    for column, axes in enumerate(panels):
        assert axes.get_xlabel() == "Segment"
        assert [label.get_text() for label in axes.get_xticklabels()] == ["1", "2", "3"]
        boxes = [patch for patch in axes.patches]
        assert [to_hex(box.get_facecolor()) for box in boxes] == colors
        medians = [line.get_ydata()[0] for line in axes.lines if line.get_color() == "#333333"]
        expected = [np.median(values[labels == position, column]) for position in range(k)]
        np.testing.assert_allclose(medians, expected)


def _channel_table(channel: list[str], f0: np.ndarray) -> CleanTable:
    count = len(channel)
    return CleanTable(
        pd.DataFrame({"f0": f0, "channel": channel}),
        pd.Series(range(count)),
        None,
        ("f0", "channel"),
        (),
        {"f0": "f0", "channel": "sales channel"},
        DataQuality(count, 0, count, (), ()),
        display_names={"channel": "Sales channel"},
    )


def test_a_categorical_feature_joins_the_projection_and_gets_its_own_chart() -> None:
    features, segmentation = fitted(200, features=1)
    assert plotting.category_mix((), segmentation) is None
    channel = ["Web", "Shop"] * 99 + ["Fax", "Fax"]
    encoding = CategoryEncoding("channel", ("Web", "Shop"), 0.7)
    features = dataclasses.replace(
        features,
        scaled=np.hstack([features.scaled, encoding.encode(pd.Series(channel))]),
        categorical=(encoding,),
    )
    centres = [features.scaled[segmentation.labels == i].mean(axis=0) for i in (0, 1)]
    segmentation = dataclasses.replace(segmentation, centroids_scaled=np.array(centres))
    projection = project(features, segmentation)
    assert projection.explained is not None
    assert "The 2 features projected" in (
        plotting.segment_map(features, segmentation, COLORS, projection).caption
    )
    (mix,) = category_mixes(_channel_table(channel, features.values[:, 0]), features, segmentation)
    # "Fax" is not among the model's categories.
    assert mix.categories == ("Web", "Shop", CategoryMix.UNKNOWN_CATEGORY)
    np.testing.assert_allclose(mix.shares.sum(axis=1), 1.0)
    np.testing.assert_allclose(mix.shares[0], [0.495, 0.495, 0.01])
    axes = plotting.category_mix((mix,), segmentation).figure().axes[0]  # type: ignore[union-attr]
    assert axes.get_title() == "Sales channel"
    assert [label.get_text() for label in axes.get_yticklabels()] == [
        "All customers",
        "Segment 1",
        "Segment 2",
    ]
    # One bar per row for each category, stacked to 100%.
    assert len(axes.patches) == 3 * 3
    assert [text.get_text() for text in axes.get_legend().get_texts()] == [
        "Web",
        "Shop",
        "(not in the model)",
    ]


def test_bare_codes_are_named_after_their_column_in_the_legend() -> None:
    mix = CategoryMix("region", "Region", "region", ("1", "2"), np.array([[0.5, 0.5]] * 3))
    _, segmentation = fitted(20)
    axes = plotting.category_mix((mix,), segmentation).figure().axes[0]  # type: ignore[union-attr]
    assert [text.get_text() for text in axes.get_legend().get_texts()] == [
        "region 1",
        "region 2",
    ]


def test_descriptive_columns_are_charted_from_their_distributions() -> None:
    rng = np.random.default_rng(3)
    # 300 customers: "Post" is under 1% of them, so it joins Other with "Fax".
    plan = ["Gold"] * 150 + ["Silver"] * 100 + ["Bronze"] * 47 + ["Post", "Fax", "Fax"]
    frame = pd.DataFrame({"f0": rng.normal(size=300), "age": rng.integers(18, 80, 300)})
    frame["plan"] = plan
    clean = CleanTable(
        frame,
        pd.Series(range(300)),
        None,
        ("f0",),
        ("age", "plan"),
        {"f0": "f0", "age": "age", "plan": "plan"},
        DataQuality(300, 0, 300, (), ()),
        kinds={"f0": "numeric", "age": "numeric", "plan": "categorical"},
    )
    exploration = explore(clean)
    age, plans = exploration.distributions
    assert age.is_measure and int(age.counts.sum()) == 300
    assert plans.categories == ("Gold", "Silver", "Bronze", "Other")
    assert plans.counts.tolist() == [150, 100, 47, 3]
    figure = plotting.demographics(exploration).figure()  # type: ignore[union-attr]
    age_axes, plan_axes = (axes for axes in figure.axes if axes.get_visible())
    assert age_axes.get_title(loc="right") == "age"
    assert age_axes.get_ylabel() == "Customers"
    assert sum(bar.get_height() for bar in age_axes.patches) == 300
    assert [label.get_text() for label in plan_axes.get_yticklabels()] == [
        "Gold",
        "Silver",
        "Bronze",
        "Other",
    ]
    assert [bar.get_width() for bar in plan_axes.patches] == [150, 100, 47, 3]


def test_no_descriptive_column_means_no_demographics_chart() -> None:
    exploration = Exploration((), (), pd.DataFrame(), (), distributions=(), described=0)
    assert plotting.demographics(exploration) is None
    counts = np.array([1, 2])
    many = Exploration(
        (),
        (),
        pd.DataFrame(),
        (),
        distributions=(Distribution("x", "x", counts, categories=("a", "b")),),
        described=30,
    )
    plot = plotting.demographics(many)
    assert plot is not None and "The first 1 of 30 in the file are shown." in plot.caption


def test_a_log_scaled_map_says_so_and_labels_ticks_as_plain_numbers() -> None:
    features, segmentation = fitted(200)
    logged = dataclasses.replace(features, transforms=("log1p", "none"))
    plot = plotting.segment_map(logged, segmentation, COLORS, project(logged, segmentation))
    (axes,) = plot.figure().axes
    assert (axes.get_xlabel(), axes.get_ylabel()) == ("f0 (log scale)", "f1")
    assert axes.get_xscale() == "symlog" and axes.get_yscale() == "linear"
    formatter = axes.xaxis.get_major_formatter()
    assert [formatter(value) for value in (1, 10, 1000)] == ["1", "10", "1k"]
