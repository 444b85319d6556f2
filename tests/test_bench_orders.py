"""Keep benchmarks/bench_orders.py working: a tiny run end to end (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_orders.py"


@pytest.mark.slow
def test_tiny_order_line_benchmark_prints_its_table(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    command = [sys.executable, str(BENCH), "--sizes", "3000", "--no-pdf"]
    run = subprocess.run(
        [*command, "--workdir", str(tmp_path / "work"), "--json", str(results)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "| order lines | file | wall time | CPU time | peak RSS |" in run.stdout
    (row,) = json.loads(results.read_text(encoding="utf-8"))
    assert row["lines"] == 3000
    assert "Aggregating order lines" in row["stages"]
    # 3,000 lines has no target of its own: said so, never "nan s ... missed".
    assert row["target_s"] is None and row["met"] is None
    assert "no target at this size" in run.stdout and "nan" not in run.stdout
