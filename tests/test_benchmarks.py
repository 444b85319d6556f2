"""Keep benchmarks/bench.py working: a tiny run end to end, and its measuring parts.

No timing is asserted: timings belong in the benchmark's output, not in tests.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench"] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


def test_tiny_benchmark_prints_its_tables_and_exits_0(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    command = [sys.executable, str(BENCH), "--sizes", "300", "--baseline-cap", "60"]
    run = subprocess.run(
        [*command, "--workdir", str(tmp_path / "work"), "--json", str(results)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert "## Machine" in out and "CPU:" in out and "scikit-learn" in out
    assert "### 300 customers" in out
    for row in ("reportgen wall time", "reportgen peak RSS", "baseline wall time", "ratio"):
        assert f"| {row}" in out, out
    assert (
        "| customers | wall time | peak RSS | slowest stage | baseline | ratio | target | met |"
        in out
    )
    # reportgen's -v stage lines were found and tabulated, one column per size.
    assert "| stage (s) | 300 |" in out
    for stage in ("Loading", "Choosing the number of segments", "Rendering", "start-up and exit"):
        assert f"| {stage} |" in out, out
    # The generated table and both runs' outputs are in the work directory.
    work = tmp_path / "work"
    assert (work / "customers-300.csv").exists()
    assert (work / "out-300" / "report.pdf").exists()
    assert (work / "baseline-300" / "report.pdf").exists()
    (result,) = json.loads(results.read_text())["results"]
    assert result["customers"] == 300 and result["reportgen"]["returncode"] == 0
    assert not result["baseline"]["killed"]

    # A second run can reuse the table instead of generating it again.
    table = work / "customers-300.csv"
    written = table.stat().st_mtime_ns
    again = subprocess.run(
        [*command, "--no-baseline", "--workdir", str(work), "--reuse-tables"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "reused; load average" in again.stdout
    assert table.stat().st_mtime_ns == written


def test_measure_kills_a_process_at_the_cap(bench: ModuleType) -> None:
    run = bench.measure([sys.executable, "-c", "import time; time.sleep(60)"], cap=0.5)
    assert run.killed and run.returncode == -9


def test_measure_reads_peak_memory_and_stage_lines(bench: ModuleType) -> None:
    code = (
        "import sys\n"
        "block = b'x' * 300_000_000\n"
        "print('reportgen: Loading took 0.25s', file=sys.stderr)\n"
        "print('baseline: elbow k=2 took 1.50s', file=sys.stderr)\n"
    )
    run = bench.measure([sys.executable, "-c", code], cap=None)
    assert run.returncode == 0 and not run.killed
    assert run.peak_mb >= 300
    assert run.stages == {"Loading": 0.25, "elbow k=2": 1.5}


def test_targets_say_by_how_much_they_are_missed(bench: ModuleType) -> None:
    slow = bench.Measurement(wall=20.0, peak_mb=500.0, cpu=25.0, returncode=0, killed=False)
    result = bench.SizeResult(1_000_000, 22.0, 2.0, slow, [20.0], None, 120.0)
    assert bench.target_verdict(result) == ("≤ 10 s, ≤ 1,000 MB", "no: time 2.0× the target")
    capped = bench.Measurement(wall=120.0, peak_mb=300.0, cpu=200.0, returncode=-9, killed=True)
    quick = bench.Measurement(wall=4.0, peak_mb=250.0, cpu=4.5, returncode=0, killed=False)
    sample = bench.SizeResult(200, 0.01, 0.3, quick, [4.0], capped, 120.0)
    assert bench.target_verdict(sample) == ("≤ 0.5 × baseline", "yes")
    assert sample.ratio == ("<", pytest.approx(4.0 / 120.0))
