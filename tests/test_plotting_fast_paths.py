"""The shortcuts the charts take on large tables give the arrays the plain code gives."""

from __future__ import annotations

import numpy as np
import pytest

from reportgen import plotting
from reportgen.contract import Segmentation
from reportgen.plotting import _segment_order

from .test_plotting import fitted


def test_segment_order_splits_values_as_a_mask_per_segment_does() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 1_000)
    labels[labels == 2] = 0  # an empty segment
    values = rng.normal(size=(1_000, 3))
    k = 4
    sizes = tuple(int(n) for n in np.bincount(labels, minlength=k))
    segmentation = Segmentation(labels, np.zeros((k, 3)), np.zeros((k, 3)), sizes, 1, (1, 2, 3, 4))
    order, bounds = _segment_order(segmentation)
    for column in range(3):
        groups = np.split(values[order, column], bounds)
        assert len(groups) == k
        for position, group in enumerate(groups):
            np.testing.assert_array_equal(group, values[labels == position, column])


def _some_charts(features, segmentation) -> dict:
    colors = ["#111111", "#222222"]
    charts = [
        plotting.segment_map(features, segmentation, colors),
        plotting.feature_boxplots(features, segmentation, colors),
        plotting.behaviour(features),
    ]
    return {chart.key: chart for chart in charts}


@pytest.mark.parametrize("parallel", [True, False])
def test_charts_rendered_together_are_those_rendered_one_by_one(
    parallel: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plotting, "PARALLEL", parallel)
    features, segmentation = fitted(300, features=3)
    one_by_one = _some_charts(features, segmentation)
    together = plotting._rendered_together(_some_charts)(features, segmentation)
    assert list(together) == list(one_by_one)
    for key, chart in one_by_one.items():
        assert chart.png.startswith(b"\x89PNG")
        assert together[key] == chart


def test_an_error_drawing_a_chart_is_raised_here_and_rendering_recovers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(plotting, "PARALLEL", True)

    def broken(figure) -> None:
        raise ValueError("cannot draw this")

    @plotting._rendered_together
    def charts() -> dict:
        made = [
            plotting._render("good", "Good", "", (2, 2), lambda figure: figure.subplots()),
            plotting._render("bad", "Bad", "", (2, 2), broken),
            plotting._render("other", "Other", "", (2, 2), lambda figure: figure.subplots()),
        ]
        return {chart.key: chart for chart in made}

    with pytest.raises(ValueError, match="cannot draw this"):
        charts()
    # Nothing is left pending: a chart drawn on its own is rendered at once.
    assert plotting.segment_sizes([]).png.startswith(b"\x89PNG")


def test_a_cut_short_result_is_left_for_this_process_to_render() -> None:
    frame = plotting._FRAME.pack(3, 4) + b"\x89PNG"
    assert plotting._frames(frame + plotting._FRAME.pack(1, 10) + b"\x89PN") == {3: b"\x89PNG"}


def test_charts_are_rendered_here_when_no_copy_can_be_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(plotting, "PARALLEL", True)

    def no_fork() -> int:
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(plotting, "_fork", no_fork)
    features, segmentation = fitted(300, features=3)
    together = plotting._rendered_together(_some_charts)(features, segmentation)
    assert together == _some_charts(features, segmentation)


def test_a_stuck_copy_is_killed_and_its_charts_are_drawn_here(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import os
    import time

    monkeypatch.setattr(plotting, "PARALLEL", True)
    monkeypatch.setattr(plotting, "_CHILD_TIMEOUT", 0.5)
    parent, draw = os.getpid(), plotting._png

    def stuck_in_the_copy(job):
        if os.getpid() != parent:
            time.sleep(60)
        return draw(job)

    monkeypatch.setattr(plotting, "_png", stuck_in_the_copy)
    features, segmentation = fitted(300, features=3)
    together = plotting._rendered_together(_some_charts)(features, segmentation)
    monkeypatch.setattr(plotting, "_png", draw)
    assert together == _some_charts(features, segmentation)
    assert "stopped responding" in caplog.text
