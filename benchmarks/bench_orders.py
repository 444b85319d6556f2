"""Benchmark ``reportgen run`` on order-line exports (issue 14), end to end.

For each size it writes a seeded Online-Retail-like export with
``reportgen sample --orders -n LINES`` (CSV, or Parquet for sizes given with a ``p``
suffix, e.g. ``50000000p``), then runs ``reportgen run FILE -o OUT -v`` in its own
process and prints the wall time (process start to exit), the peak RSS (``os.wait4``
on the child), the time of each stage (from ``-v``) and whether issue 14's targets
are met.

    .venv/bin/python benchmarks/bench_orders.py --sizes 1000000,10000000 [--workdir DIR]
        [--reuse-tables] [--no-pdf] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN_DIR = Path(sys.executable).parent
# Issue 14's targets: lines -> (seconds, MB).
TARGETS = {1_000_000: (6.0, 1_000.0), 10_000_000: (15.0, 1_500.0), 50_000_000: (60.0, 3_000.0)}
_STAGE = re.compile(r"reportgen: (.+?) took ([0-9.]+)s")


def _run(command: list[str]) -> tuple[float, float, float, str]:
    """Run ``command``; return its wall seconds, peak RSS in MB, CPU seconds and stderr."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        errors.seek(0)
        text = errors.read().decode("utf-8", "replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{text}")
    return wall, usage.ru_maxrss * 1024 / 1e6, usage.ru_utime + usage.ru_stime, text


def main() -> None:
    """Parse the options, write the tables, run reportgen on each and print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000", help="comma-separated; suffix p: Parquet")
    parser.add_argument("--workdir", type=Path, help="keep the tables and reports here")
    parser.add_argument("--reuse-tables", action="store_true", help="use tables already there")
    parser.add_argument("--no-pdf", action="store_true", help="pass --no-pdf to reportgen run")
    parser.add_argument("--json", type=Path, help="write the raw results here")
    options = parser.parse_args()
    workdir = options.workdir or Path(tempfile.mkdtemp(prefix="reportgen-orders-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    for size_text in options.sizes.split(","):
        parquet = size_text.endswith("p")
        lines = int(size_text.rstrip("p"))
        table = workdir / f"orders-{lines}.{'parquet' if parquet else 'csv'}"
        if not (options.reuse_tables and table.exists()):
            command = [str(BIN_DIR / "reportgen"), "sample", "--orders", "-n", str(lines)]
            subprocess.run([*command, "-o", str(table)], check=True, stdout=subprocess.DEVNULL)
        out = workdir / f"report-{table.stem}"
        command = [str(BIN_DIR / "reportgen"), "run", str(table), "-o", str(out), "-v"]
        command += ["--period", "2011-12", *(["--no-pdf"] if options.no_pdf else [])]
        wall, peak, cpu, log = _run(command)
        stages = {name: float(seconds) for name, seconds in _STAGE.findall(log)}
        target = TARGETS.get(lines)
        met = target is not None and wall <= target[0] and peak <= target[1]
        results.append(
            {
                "lines": lines,
                "format": "Parquet" if parquet else "CSV",
                "bytes": table.stat().st_size,
                "wall_s": round(wall, 2),
                "peak_mb": round(peak),
                "cpu_s": round(cpu, 2),
                "target_s": target[0] if target else None,
                "target_mb": target[1] if target else None,
                "met": met if target else None,
                "stages": stages,
            }
        )
        print(
            f"{lines:>12,} {results[-1]['format']:<8} {wall:7.1f} s {peak:7.0f} MB "
            f"(CPU {cpu:.1f} s)   {_verdict(target, met)}"
        )
        print("    " + ", ".join(f"{name} {value:.2f}s" for name, value in stages.items()))
    print()
    print("| order lines | file | wall time | CPU time | peak RSS | target | met |")
    print("|---:|---|---:|---:|---:|---|---|")
    for row in results:
        print(
            f"| {row['lines']:,} | {row['format']}, {row['bytes'] / 1e6:,.0f} MB "
            f"| {row['wall_s']:.1f} s | {row['cpu_s']:.1f} s | {row['peak_mb']:,} MB "
            f"| {_target_cell(TARGETS.get(row['lines']))} "
            f"| {'—' if row['met'] is None else 'yes' if row['met'] else 'no'} |"
        )
    if options.json:
        options.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


def _verdict(target: tuple[float, float] | None, met: bool) -> str:
    if target is None:
        return "no target at this size"
    return f"target {target[0]:.0f} s / {target[1]:,.0f} MB: {'met' if met else 'missed'}"


def _target_cell(target: tuple[float, float] | None) -> str:
    return "—" if target is None else f"≤ {target[0]:.0f} s, ≤ {target[1]:,.0f} MB"


if __name__ == "__main__":
    main()
