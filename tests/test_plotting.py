from __future__ import annotations

import numpy as np

from reportgen import plotting
from reportgen.contract import Segmentation


def fitted(points: int, features: int = 2) -> tuple:
    rng = np.random.default_rng(0)
    values = rng.normal(0, 1, (points, features)) + np.repeat(
        [[0] * features, [5] * features], points // 2, axis=0
    )
    labels = np.repeat([0, 1], points // 2)
    centres = np.array([values[labels == i].mean(axis=0) for i in (0, 1)])
    segmentation = Segmentation(labels, centres, centres, (points // 2,) * 2, 1, (1, 2))
    return _matrix(values), segmentation


def _matrix(values: np.ndarray):
    from reportgen.contract import FeatureMatrix

    means, scales = values.mean(axis=0), values.std(axis=0)
    columns = tuple(f"f{i}" for i in range(values.shape[1]))
    return FeatureMatrix(columns, values, (values - means) / scales, means, scales)


def test_charts_are_pngs_and_leave_no_pyplot_figure_behind() -> None:
    import matplotlib.pyplot as plt

    features, segmentation = fitted(200)
    chart = plotting.segment_map(features, segmentation, ["#111111", "#222222"])
    assert chart.png.startswith(b"\x89PNG") and chart.data_uri.startswith("data:image/png")
    assert plt.get_fignums() == []


def test_saturated_scatters_draw_a_stated_sample() -> None:
    features, segmentation = fitted(plotting.MAX_POINTS + 2_000)
    chart = plotting.segment_map(features, segmentation, ["#111111", "#222222"])
    assert f"A random {plotting.MAX_POINTS:,} of the {plotting.MAX_POINTS + 2_000:,}" in (
        chart.caption
    )
    small = plotting.segment_map(*fitted(200), ["#111111", "#222222"])
    assert "A random" not in small.caption


def test_more_than_two_features_are_projected() -> None:
    features, segmentation = fitted(400, features=4)
    chart = plotting.segment_map(features, segmentation, ["#111111", "#222222"])
    assert "The 4 features projected onto the two directions" in chart.caption


def test_a_categorical_feature_joins_the_projection_and_gets_its_own_chart() -> None:
    import dataclasses

    import pandas as pd

    from reportgen.contract import CategoryEncoding, CleanTable, DataQuality

    features, segmentation = fitted(200, features=1)
    assert plotting.category_mix(None, features, segmentation) is None  # type: ignore[arg-type]
    channel = pd.Series(["Web", "Shop"] * 99 + ["Fax", "Fax"], name="channel")
    encoding = CategoryEncoding("channel", ("Web", "Shop"), 0.7)
    features = dataclasses.replace(
        features,
        scaled=np.hstack([features.scaled, encoding.encode(channel)]),
        categorical=(encoding,),
    )
    centres = [features.scaled[segmentation.labels == i].mean(axis=0) for i in (0, 1)]
    segmentation = dataclasses.replace(segmentation, centroids_scaled=np.array(centres))
    chart = plotting.segment_map(features, segmentation, ["#111111", "#222222"])
    assert "The 2 features projected" in chart.caption
    clean = CleanTable(
        pd.DataFrame({"f0": features.values[:, 0], "channel": channel}),
        pd.Series(range(200)),
        None,
        ("f0", "channel"),
        (),
        {"f0": "f0", "channel": "channel"},
        DataQuality(200, 0, 200, (), ()),
    )
    mix = plotting.category_mix(clean, features, segmentation)
    assert mix is not None and mix.png.startswith(b"\x89PNG")
