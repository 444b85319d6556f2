"""Run ``reportgen run`` in this process and report each stage's time and memory.

bench.py measures reportgen from the outside, as a user sees it. This script looks
inside one run, to see which stage to optimise: it listens to the pipeline's own
stage log lines ("<Stage> ..." when a stage starts, "<Stage> took N.NNs" when it
ends) and, at each, reads this process's resident memory from /proc/self/status.
At the start of every stage the peak (VmHWM) is reset by writing 5 to
/proc/self/clear_refs (Linux), so "peak" is that stage's own high-water mark.

    .venv/bin/python benchmarks/profile_stages.py [--cprofile FILE.prof] -- \\
        customers.csv -o /tmp/out

Everything after ``--`` is passed to ``reportgen run`` (``-v`` is added). With
``--cprofile`` the run is also profiled and the 25 functions with the most
cumulative time are printed (main thread only: the OpenMP threads of scikit-learn
and the BLAS do not show, but the main thread waits for them, so the wall time does).
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import pstats
import sys
import time
from dataclasses import dataclass
from pathlib import Path

_STARTED = time.perf_counter()


@dataclass
class Stage:
    """One pipeline stage as seen from inside the process."""

    name: str
    started: float
    rss_before: float
    seconds: float = 0.0
    peak: float = 0.0
    rss_after: float = 0.0


class StageWatcher(logging.Handler):
    """Record time and memory at each stage's start and end log lines."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.stages: list[Stage] = []
        self.peak_reset = True

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "%s %s" and record.args:
            self.peak_reset = _reset_peak() and self.peak_reset
            rss = _status_mb("VmRSS")
            self.stages.append(Stage(str(record.args[0]), time.perf_counter(), rss))
        elif record.msg == "%s took %.2fs" and self.stages:
            stage = self.stages[-1]
            stage.seconds = time.perf_counter() - stage.started
            stage.peak = _status_mb("VmHWM")
            stage.rss_after = _status_mb("VmRSS")


def main(argv: list[str] | None = None) -> int:
    """Run reportgen with the stage watcher attached and print the stage table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cprofile", type=Path, help="also profile with cProfile into FILE")
    parser.add_argument("run_args", nargs=argparse.REMAINDER, help="arguments of reportgen run")
    args = parser.parse_args(argv)
    run_args = [arg for arg in args.run_args if arg != "--"]

    from reportgen.cli import main as reportgen_main

    watcher = StageWatcher()
    pipeline_log = logging.getLogger("reportgen.pipeline")
    pipeline_log.addHandler(watcher)
    profiler = cProfile.Profile() if args.cprofile else None
    if profiler:
        profiler.enable()
    try:
        reportgen_main(["run", *run_args, "-v"], standalone_mode=False)
    finally:
        if profiler:
            profiler.disable()
        pipeline_log.removeHandler(watcher)
    total = time.perf_counter() - _STARTED

    print(stage_table(watcher.stages, total, _status_mb("VmRSS")))
    if not watcher.peak_reset:
        print("\n(/proc/self/clear_refs was not writable: peaks are running maxima)")
    if profiler and args.cprofile:
        profiler.dump_stats(args.cprofile)
        print(f"\ncProfile written to {args.cprofile}; top 25 by cumulative time:\n")
        pstats.Stats(str(args.cprofile)).sort_stats("cumulative").print_stats(25)
    return 0


def stage_table(stages: list[Stage], total: float, rss_end: float) -> str:
    """The stages as a Markdown table; the time before the first stage is start-up."""
    first = stages[0].started - _STARTED if stages else total
    lines = [
        "| stage | seconds | RSS before (MB) | peak during (MB) | RSS after (MB) |",
        "|---|---:|---:|---:|---:|",
        f"| start-up (imports, settings) | {first:.2f} | | | "
        f"{stages[0].rss_before if stages else rss_end:,.0f} |",
    ]
    lines += [
        f"| {s.name} | {s.seconds:.2f} | {s.rss_before:,.0f} | {s.peak:,.0f} | {s.rss_after:,.0f} |"
        for s in stages
    ]
    lines.append(f"| total in this process | {total:.2f} | | | {rss_end:,.0f} |")
    return "\n".join(lines)


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _status_mb(field: str) -> float:
    """A memory field of /proc/self/status (in kB there) in MB of 10^6 bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024 / 1e6
    return float("nan")


if __name__ == "__main__":
    sys.exit(main())
