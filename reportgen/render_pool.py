"""Figures to PNG: the house style, and a forked second process to render in.

A figure is described by a ``Plot``: what the report says about it (key, title,
caption), its size, and a function that draws it on a blank ``Figure``. Nothing here
knows what a chart shows. ``render_all`` turns plots into ``Chart`` objects, in two
processes where it can (Linux): a forked copy of this process renders some of the
figures while this one renders the others, each PNG byte for byte what one process
makes (tested). Every figure is its own ``Figure`` (never pyplot's global one), so
figures can be drawn in any order and nothing leaks between them.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import pickle
import select
import signal
import struct
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib
from matplotlib.figure import Figure

from reportgen.contract import Chart

log = logging.getLogger(__name__)

DPI = 150
# Inches: the PDF's text width, which a full-width figure spans.
FULL_WIDTH = 7.0
INK = "#333333"
STYLE: dict[str, Any] = {
    "font.size": 8.5,
    "axes.titlesize": 9.5,
    "axes.titleweight": "bold",
    "axes.labelsize": 8.5,
    "axes.edgecolor": "#bbbbbb",
    "axes.labelcolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e6e6e6",
    "grid.linewidth": 0.6,
    "xtick.color": INK,
    "ytick.color": INK,
    "legend.frameon": False,
    "savefig.facecolor": "white",
}
# Figures are rendered in a forked second process on Linux only: fork is unsafe with
# the system frameworks matplotlib may load on macOS, and Windows has none.
PARALLEL = sys.platform == "linux"
# Once this process has drawn its share, a forked renderer still busy this much later
# is given up on (killed; a chart takes well under a second, even for ten million
# customers), and this process draws what the copy left undone.
CHILD_TIMEOUT = 30.0
# How the forked copy frames each PNG it sends back: job number, then byte count.
_FRAME = struct.Struct("<BI")


@dataclass(frozen=True)
class Plot:
    """A figure not yet rendered: what the report says about it and how to draw it."""

    key: str
    title: str
    caption: str
    size: tuple[float, float]
    draw: Callable[[Figure], None]

    def figure(self) -> Figure:
        """Draw the figure in the house style and return it (to look at or to test)."""
        with _house_style():
            figure = Figure(figsize=self.size, layout="constrained")
            self.draw(figure)
        return figure

    def render(self) -> Chart:
        """Render the figure to PNG, in this process."""
        return self._chart(self.png())

    def png(self) -> bytes:
        """Return the figure as PNG bytes."""
        with _house_style():
            figure = Figure(figsize=self.size, layout="constrained")
            self.draw(figure)
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=DPI)
        return buffer.getvalue()

    def _chart(self, png: bytes) -> Chart:
        return Chart(key=self.key, title=self.title, caption=self.caption, png=png)


def render_all(plots: Sequence[Plot]) -> tuple[Chart, ...]:
    """Render every plot, in order, sharing them with a forked copy of this process.

    Rendering (layout, rasterizing, PNG encoding) is most of a chart's cost and each
    figure is independent of the others, so two processes make a report's charts in
    about half the time. Both take the next job number from one pipe until it is
    empty, so the work splits evenly whatever each chart costs. The copy writes its
    PNGs to an unnamed temporary file and exits; any job it did not finish (an error,
    a hang) is rendered here, so an error is raised here as it would be without it.
    """
    pngs = _render_pngs(plots)
    return tuple(plot._chart(png) for plot, png in zip(plots, pngs, strict=True))


@contextlib.contextmanager
def _house_style() -> Iterator[None]:
    with matplotlib.rc_context(STYLE), warnings.catch_warnings():  # type: ignore[arg-type]
        # Column names in scripts DejaVu lacks (CJK, emoji) draw as boxes; that is all.
        warnings.filterwarnings("ignore", r"Glyph .* missing from font", UserWarning)
        yield


def _png(plot: Plot) -> bytes:
    return plot.png()


def _render_pngs(plots: Sequence[Plot]) -> list[bytes]:
    if len(plots) < 2:
        return [_png(plot) for plot in plots]
    return _shared(lambda number: _png(plots[number]), len(plots))


def shared_map(function: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
    """``[function(item) for item in items]``, shared with a forked copy of this process.

    As for the charts: both processes take the next item from one pipe, so the work
    splits evenly whatever each item costs; the copy sends its results back pickled,
    and any item it did not finish is done here. ``function`` must give the same result
    in either process (seeded, and single-threaded where thread counts change results),
    and must not rely on threads of this process: a forked copy has none.
    """
    if len(items) < 2:
        return [function(item) for item in items]
    results = _shared(lambda number: pickle.dumps(function(items[number]), protocol=5), len(items))
    return [pickle.loads(result) for result in results]


def _shared(job: Callable[[int], bytes], count: int) -> list[bytes]:
    """``job(0) ... job(count - 1)``, split between this process and a forked copy."""
    if not PARALLEL or count > 256:  # job numbers travel as single bytes
        return [job(number) for number in range(count)]
    queue_out, queue_in = os.pipe()
    os.write(queue_in, bytes(range(count)))  # a few bytes: never fills the pipe
    os.close(queue_in)
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(os.close, queue_out)
        try:
            results = cleanup.enter_context(tempfile.TemporaryFile())
            child = _fork()
        except OSError:  # no temporary file, or no memory or process left for a copy
            return [job(number) for number in range(count)]
        if child == 0:  # the copy: do jobs, write each result, exit without any cleanup
            try:
                for number in _numbers(queue_out):
                    done = job(number)
                    results.write(_FRAME.pack(number, len(done)) + done)
                results.flush()
            finally:
                os._exit(0)
        finished: dict[int, bytes] = {}
        try:
            for number in _numbers(queue_out):
                finished[number] = job(number)
        finally:
            _reap(child)
        results.seek(0)
        finished.update(_frames(results.read()))
    return [finished[number] if number in finished else job(number) for number in range(count)]


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
            if not select.select([pidfd], [], [], CHILD_TIMEOUT)[0]:
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
