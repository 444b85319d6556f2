"""Benchmark the Spark engine against the local engine (issue 16), end to end.

For each size it writes seeded Parquet tables (``reportgen sample``: customers, or
order lines with ``--orders``), then runs ``reportgen run FILE --no-pdf -v`` with the
local engine and with ``--engine spark`` (Spark in local mode on this machine, master
``local[*]`` unless ``--master``), each in its own process, and prints the wall time
(process start to exit), the CPU time and the peak RSS of the largest process
(``os.wait4``; Spark's JVM is a child of the Python process, so for Spark the figure
is the larger of the two, not their sum), and the time of each stage (from ``-v``).

    .venv/bin/python benchmarks/bench_spark.py --customers 1000000 --lines 5000000
        [--workdir DIR] [--reuse-tables] [--engines local,spark] [--driver-memory 6g]

Issue 16's sizes are --customers 10000000 --lines 50000000 (writing the 50-million-line
table alone takes several minutes here).
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
_STAGE = re.compile(r"reportgen: (.+?) took ([0-9.]+)s")
_CUSTOMER_OPTIONS = [
    "--feature",
    "Annual Income (k$)",
    "--feature",
    "Spending Score (1-100)",
    "--profile",
    "Gender",
    "--profile",
    "Age",
]


def _run(command: list[str]) -> dict[str, object]:
    """Run ``command``; return its wall and CPU seconds, peak RSS (MB) and stage times."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        errors.seek(0)
        text = errors.read().decode("utf-8", "replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{text[-3000:]}")
    return {
        "wall_s": round(wall, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_mb": round(usage.ru_maxrss * 1024 / 1e6),
        "stages": {name: float(seconds) for name, seconds in _STAGE.findall(text)},
    }


def _customers(size: int, workdir: Path, reuse: bool) -> Path:
    import pyarrow.csv as arrow_csv
    import pyarrow.parquet as pq

    table = workdir / f"customers-{size}.parquet"
    if reuse and table.exists():
        return table
    csv = workdir / f"customers-{size}.csv"
    command = [str(BIN_DIR / "reportgen"), "sample", "-n", str(size), "-o", str(csv)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    pq.write_table(arrow_csv.read_csv(csv), table)
    csv.unlink()
    return table


def _orders(lines: int, workdir: Path, reuse: bool) -> Path:
    table = workdir / f"orders-{lines}.parquet"
    if not (reuse and table.exists()):
        command = [str(BIN_DIR / "reportgen"), "sample", "--orders", "-n", str(lines)]
        subprocess.run([*command, "-o", str(table)], check=True, stdout=subprocess.DEVNULL)
    return table


def main() -> None:
    """Parse the options, write the tables, run both engines on each, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="0: skip")
    parser.add_argument("--lines", type=int, default=5_000_000, help="0: skip")
    parser.add_argument("--workdir", type=Path, help="keep the tables and reports here")
    parser.add_argument("--reuse-tables", action="store_true", help="use tables already there")
    parser.add_argument("--engines", default="local,spark")
    parser.add_argument("--master", default="local[*]", help="the Spark master")
    parser.add_argument("--driver-memory", default="6g", help="spark.driver.memory")
    parser.add_argument("--json", type=Path, help="write the raw results here")
    options = parser.parse_args()
    workdir = options.workdir or Path(tempfile.mkdtemp(prefix="reportgen-spark-"))
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "spark.toml"
    config.write_text(
        f'[spark]\nmaster = "{options.master}"\n[spark.conf]\n'
        f'"spark.driver.memory" = "{options.driver_memory}"\n',
        encoding="utf-8",
    )
    tables = []
    if options.customers:
        tables.append(
            (
                "customers",
                options.customers,
                _customers(options.customers, workdir, options.reuse_tables),
            )
        )
    if options.lines:
        tables.append(
            ("order lines", options.lines, _orders(options.lines, workdir, options.reuse_tables))
        )
    load = os.getloadavg()
    print(
        f"cores: {os.cpu_count()}, load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    results = []
    for kind, size, table in tables:
        for engine in options.engines.split(","):
            out = workdir / f"report-{table.stem}-{engine}"
            command = [str(BIN_DIR / "reportgen"), "run", str(table), "-o", str(out), "-v"]
            command += ["--no-pdf", "--period", "2011-12"]
            if kind == "customers":
                command += _CUSTOMER_OPTIONS
            if engine == "spark":
                command += ["--engine", "spark", "--config", str(config)]
            print(f"{kind} {size:,}: {engine} engine ...", flush=True)
            figures = _run(command)
            results.append(
                {"input": kind, "rows": size, "engine": engine, "mb": table.stat().st_size / 1e6}
                | figures
            )
    print()
    print("| input | rows | Parquet | engine | wall time | CPU time | peak RSS (largest process) |")
    print("|---|---:|---:|---|---:|---:|---:|")
    for row in results:
        print(
            f"| {row['input']} | {row['rows']:,} | {row['mb']:,.0f} MB | {row['engine']} | "
            f"{row['wall_s']} s | {row['cpu_s']} s | {row['peak_mb']:,} MB |"
        )
    print()
    for row in results:
        stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in row["stages"].items())
        print(f"{row['input']} {row['rows']:,}, {row['engine']}: {stages}")
    if options.json:
        options.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
