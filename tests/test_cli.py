from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from reportgen import __version__
from reportgen.cli import main

from .conftest import blobs, write_csv

EMAIL_FILES = (
    "email/message.html",
    "email/message.txt",
    "email/subject.txt",
    "email/segment-map.png",
)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_help_and_version(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    assert "run" in result.output and "sample" in result.output
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output
    result = runner.invoke(main, ["run", "--help"])
    assert result.exit_code == 0 and "--k-max" in result.output and "--no-pdf" in result.output


def test_python_dash_m_works_and_help_imports_no_heavy_library() -> None:
    code = (
        "import sys, runpy; sys.argv = ['reportgen', '--help']\n"
        "try:\n    runpy.run_module('reportgen', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "heavy = [m for m in ('sklearn', 'matplotlib', 'weasyprint', 'pandas')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "Usage: reportgen" in completed.stdout
    assert "HEAVY []" in completed.stdout


def test_run_writes_the_outputs_and_lists_them(runner: CliRunner, tmp_path: Path) -> None:
    table = write_csv(tmp_path / "customers.csv", blobs(3))
    out = tmp_path / "out"
    result = runner.invoke(main, ["run", str(table), "-o", str(out), "--no-pdf", "-q"])
    assert result.exit_code == 0, result.output
    listed = result.stdout.split()
    names = ("report.html", "segments.csv", "summary.json", *EMAIL_FILES)
    assert listed == [str(out / name) for name in names]
    assert all(Path(path).stat().st_size > 0 for path in listed)
    assert not (out / "report.pdf").exists()
    assert result.stderr == ""


def test_progress_goes_to_stderr(runner: CliRunner, tmp_path: Path) -> None:
    table = write_csv(tmp_path / "customers.csv", blobs(3))
    result = runner.invoke(main, ["run", str(table), "-o", str(tmp_path / "o"), "--no-pdf"])
    assert result.exit_code == 0, result.output
    assert "Choosing the number of segments" in result.stderr
    assert "Choosing" not in result.stdout


def test_forced_k_and_feature_options(runner: CliRunner, tmp_path: Path) -> None:
    frame = blobs(3).assign(Region=lambda f: ["North", "South"] * (len(f) // 2))
    table = write_csv(tmp_path / "c.csv", frame)
    out = tmp_path / "out"
    result = runner.invoke(
        main,
        [
            "run",
            str(table),
            "-o",
            str(out),
            "--no-pdf",
            "-q",
            "-k",
            "4",
            "--feature",
            "Income",
            "--feature",
            "Spending",
        ],
    )
    assert result.exit_code == 0, result.output
    segments = pd.read_csv(out / "segments.csv")
    assert sorted(segments["segment"].unique()) == [1, 2, 3, 4]


BAD_RUNS = [
    # (arguments after the table, table content or None for a missing file, exit code, message)
    ([], None, 1, "does not exist"),
    ([], b"", 1, "is empty"),
    (["--feature", "Incme"], "ok", 2, "--feature names column 'Incme'"),
    (["--feature", "City"], "ok", 1, "'City' .* is not numeric"),
    (["-k", "30"], "tiny", 1, "30 segments were asked for, but there are only 6 customers"),
    (["--k-max", "1"], "ok", 2, "Invalid value for '--k-max'"),
    (["--config", "CONFIG"], "ok", 2, "Unknown key 'colour'"),
]


@pytest.mark.parametrize(("args", "content", "code", "message"), BAD_RUNS)
def test_bad_input_is_one_clear_line_and_leaves_the_old_report(
    runner: CliRunner, tmp_path: Path, args: list[str], content: object, code: int, message: str
) -> None:
    import re

    table = tmp_path / "customers.csv"
    if content == "ok":
        write_csv(table, blobs(3).assign(City="Paris"))
    elif content == "tiny":
        write_csv(table, blobs(3, per_blob=2))
    elif isinstance(content, bytes):
        table.write_bytes(content)
    config = tmp_path / "c.toml"
    config.write_text("colour = 'blue'\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("last month's report")
    arguments = ["run", str(table), "-o", str(out), "--no-pdf"]
    arguments += [str(config) if arg == "CONFIG" else arg for arg in args]

    result = runner.invoke(main, arguments)

    assert result.exit_code == code, result.output
    assert re.search(message, result.output), result.output
    assert "Traceback" not in result.output
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(error_lines) == 1, result.stderr
    assert [p.name for p in out.iterdir()] == ["report.html"]
    assert (out / "report.html").read_text() == "last month's report"


def test_sample_command_is_deterministic(runner: CliRunner, tmp_path: Path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    for path in (first, second):
        result = runner.invoke(main, ["sample", "-o", str(path), "-n", "120"])
        assert result.exit_code == 0, result.output
    assert first.read_bytes() == second.read_bytes()
    assert len(pd.read_csv(first)) > 120  # the planted duplicate rows
