"""The render pool: figures rendered in a forked pair are those rendered one by one."""

from __future__ import annotations

import os
import time

import pytest
from matplotlib.figure import Figure

from reportgen import render_pool
from reportgen.render_pool import Plot, render_all


def _bars(figure: Figure, heights: tuple[int, ...]) -> None:
    axes = figure.subplots()
    axes.bar(range(len(heights)), heights, color="#4e79a7")
    axes.set_title(f"{len(heights)} bars")


def plots() -> list[Plot]:
    return [
        Plot(f"chart_{n}", f"Chart {n}", f"{n} bars", (3, 2), lambda f, n=n: _bars(f, (1,) * n))
        for n in range(1, 6)
    ]


def test_a_plot_draws_in_the_house_style_on_a_figure_of_its_own() -> None:
    import matplotlib.pyplot as plt

    figure = plots()[2].figure()
    (axes,) = figure.axes
    assert axes.get_title() == "3 bars" and len(axes.patches) == 3
    assert not axes.spines["top"].get_visible()  # the house style, not matplotlib's default
    assert tuple(figure.get_size_inches()) == (3, 2)
    assert plt.get_fignums() == []


@pytest.mark.parametrize("parallel", [True, False])
def test_plots_rendered_together_are_those_rendered_one_by_one(
    parallel: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render_pool, "PARALLEL", parallel)
    one_by_one = [plot.render() for plot in plots()]
    together = render_all(plots())
    assert [chart.key for chart in together] == [f"chart_{n}" for n in range(1, 6)]
    assert all(chart.png.startswith(b"\x89PNG") for chart in one_by_one)
    assert list(together) == one_by_one
    assert len({chart.png for chart in together}) == 5


def test_an_error_drawing_a_figure_is_raised_here_and_rendering_recovers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(render_pool, "PARALLEL", True)

    def broken(figure: Figure) -> None:
        raise ValueError("cannot draw this")

    good, other = plots()[:2]
    with pytest.raises(ValueError, match="cannot draw this"):
        render_all([good, Plot("bad", "Bad", "", (2, 2), broken), other])
    assert render_all([good, other]) == (good.render(), other.render())


def test_a_cut_short_result_is_left_for_this_process_to_render() -> None:
    frame = render_pool._FRAME.pack(3, 4) + b"\x89PNG"
    cut = render_pool._FRAME.pack(1, 10) + b"\x89PN"
    assert render_pool._frames(frame + cut) == {3: b"\x89PNG"}


def test_plots_are_rendered_here_when_no_copy_can_be_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(render_pool, "PARALLEL", True)

    def no_fork() -> int:
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(render_pool, "_fork", no_fork)
    assert list(render_all(plots())) == [plot.render() for plot in plots()]


def test_a_stuck_copy_is_killed_and_its_plots_are_drawn_here(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(render_pool, "PARALLEL", True)
    monkeypatch.setattr(render_pool, "CHILD_TIMEOUT", 0.5)
    parent, draw = os.getpid(), render_pool._png

    def stuck_in_the_copy(plot: Plot) -> bytes:
        if os.getpid() != parent:
            time.sleep(60)
        return draw(plot)

    monkeypatch.setattr(render_pool, "_png", stuck_in_the_copy)
    together = render_all(plots())
    monkeypatch.setattr(render_pool, "_png", draw)
    assert list(together) == [plot.render() for plot in plots()]
    assert "stopped responding" in caplog.text
