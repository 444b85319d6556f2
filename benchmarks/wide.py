"""Benchmark a wide table (issue 11, point 2): reportgen run on C columns x N rows.

    .venv/bin/python benchmarks/wide.py --columns 2000 --rows 10000 [--no-pdf]

Writes the table (measures with different spreads, an ID column) into a temporary
folder, runs `reportgen run FILE -o OUT -v` in its own process and prints the wall time,
each stage's time and the PDF's page count.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def main() -> None:
    """Write the wide table, run reportgen on it and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--no-pdf", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        rng = np.random.default_rng(0)
        spreads = 1 + np.arange(options.columns) % 5
        values = rng.normal(0, 1, (options.rows, options.columns)) * spreads
        frame = pd.DataFrame(
            (values + np.arange(options.columns)).round(2),
            columns=[f"col{i}" for i in range(options.columns)],
        )
        frame.insert(0, "CustomerID", range(1, options.rows + 1))
        table = folder / "wide.csv"
        frame.to_csv(table, index=False)
        command = [sys.executable, "-m", "reportgen", "run", str(table), "-o", str(folder / "out")]
        command += ["-v", *(["--no-pdf"] if options.no_pdf else [])]
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        print(f"{options.columns:,} columns x {options.rows:,} rows: {wall:.1f} s wall")
        for stage, seconds in re.findall(r"reportgen: (.+) took ([\d.]+)s", result.stderr):
            print(f"  {stage:<34} {float(seconds):6.2f} s")
        if result.returncode:
            print(result.stderr.splitlines()[-1])
        pdf = folder / "out" / "report.pdf"
        if pdf.exists():
            from pypdf import PdfReader

            print(f"  report.pdf: {len(PdfReader(pdf).pages)} pages")


if __name__ == "__main__":
    main()
