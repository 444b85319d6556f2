"""Every bad input class in docs/bad-inputs.md: one clear Error: line, exit 1 or 2, nothing written.

Each case has an id that docs/bad-inputs.md names; a test checks that the two stay in step.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from reportgen.cli import main
from tests.conftest import blobs, write_csv

DOC = Path(__file__).parents[1] / "docs" / "bad-inputs.md"
OLD_REPORT = "last month's report"


@dataclass(frozen=True)
class Case:
    """One bad input: how to make it, the arguments, and what the user must see."""

    id: str
    make: Callable[[Path], list[str]]  # writes files into the folder, returns arguments
    code: int
    message: str


def _table(folder: Path, frame: pd.DataFrame | None = None, **to_csv: object) -> Path:
    path = folder / "customers.csv"
    (frame if frame is not None else blobs(3)).to_csv(path, index=False, **to_csv)  # type: ignore[arg-type]
    return path


def _bytes(folder: Path, content: bytes, name: str = "customers.csv") -> Path:
    path = folder / name
    path.write_bytes(content)
    return path


def _with_model(folder: Path, edit: Callable[[dict], object]) -> list[str]:
    """A --previous folder whose model.json has been tampered with by ``edit``."""
    previous = folder / "previous"
    previous.mkdir()
    from reportgen.history import model_json
    from tests.test_history import saved_model

    model = json.loads(model_json(saved_model()))
    edit(model)
    text = json.dumps(model).replace('"DEEP"', "[" * 5000 + "1" + "]" * 5000)
    (previous / "model.json").write_text(text, encoding="utf-8")
    (previous / "segments.csv").write_text("customer_id,segment,segment_name\n1,1,A\n")
    return [str(_table(folder)), "--previous", str(previous), "--period", "2026-11"]


def _huge(folder: Path) -> list[str]:
    frame = blobs(3)
    frame["Income"] *= 1e306
    return [str(_table(folder, frame))]


def _set(path: str, value: object) -> Callable[[dict], object]:
    """An edit of model.json: set the value at a dotted path (numbers index lists)."""

    def edit(document: dict) -> None:
        *parents, last = path.split(".")
        node: object = document
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]  # type: ignore[index]
        node[int(last) if isinstance(node, list) else last] = value  # type: ignore[index]

    return edit


def _rules(folder: Path, text: str) -> list[str]:
    rules = folder / "rules.toml"
    rules.write_text(text)
    config = folder / "c.toml"
    config.write_text(f"rules = {str(rules)!r}\n")
    return [str(_table(folder)), "--config", str(config)]


def _deep(document: dict) -> None:
    document["settings"]["deep"] = "DEEP"  # replaced by 5,000 nested lists when written


def _config(folder: Path, text: str) -> list[str]:
    config = folder / "c.toml"
    config.write_text(text)
    return [str(_table(folder)), "--config", str(config)]


def _excel_first_sheet_empty(folder: Path) -> list[str]:
    path = folder / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame().to_excel(writer, sheet_name="Notes", index=False)
        # No numbers on the other sheet either (one with a table is read instead).
        blobs(3).astype(str).radd("x").to_excel(writer, sheet_name="Data", index=False)
    return [str(path)]


def _nested_parquet(folder: Path) -> list[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = folder / "t.parquet"
    pq.write_table(pa.table({"id": [1, 2, 3], "x": [[1], [2], [3]], "y": [1.0, 2, 3]}), path)
    return [str(path)]


def _fifo(folder: Path) -> list[str]:
    os.mkfifo(folder / "pipe.csv")
    return [str(folder / "pipe.csv")]


CASES: list[Case] = [
    Case(
        "config-empty-path",
        lambda d: _config(d, 'output_dir = ""\n'),
        2,
        "Key 'output_dir' in config file .* must name a path, not empty text",
    ),
    Case(
        "config-seed-negative",
        lambda d: _config(d, "seed = -5\n"),
        2,
        "seed must be a whole number from 0 to 4294967295, not -5",
    ),
    Case(
        "config-wrong-type",
        lambda d: _config(d, "features = [1, 2]\n"),
        2,
        "Key 'features' in config file .* must list column names",
    ),
    Case("seed-negative", lambda d: [str(_table(d)), "--seed", "-1"], 2, "seed must be .* not -1"),
    Case("seed-huge", lambda d: [str(_table(d)), "--seed", "99999999999999"], 2, "from 0 to"),
    Case(
        "feature-twice",
        lambda d: [str(_table(d)), "--feature", "Income", "--feature", "Income"],
        2,
        "'Income' is given twice as a feature",
    ),
    Case("rules-not-a-list", lambda d: _rules(d, 'rule = "x"\n'), 2, "key 'rule' must be a list"),
    Case(
        "rules-when-not-a-table",
        lambda d: _rules(
            d,
            '[[rule]]\nname="a"\nwhen=5\naction="a"\ncampaign="c"\nretention="r"\nproducts="p"\n',
        ),
        2,
        r"key 'rule\[0\]\.when' must be a table, not 5",
    ),
    Case(
        "model-nan",
        lambda d: _with_model(d, _set("features.0.mean", float("nan"))),
        1,
        r"model\.json is incomplete or damaged .key 'features\[0\]\.mean' must be a finite",
    ),
    Case(
        "model-zero-scale",
        lambda d: _with_model(d, _set("features.0.scale", 0)),
        1,
        r"'features\[0\]\.scale' must be a number above 0",
    ),
    Case(
        "model-huge-number",
        lambda d: _with_model(d, _set("segments.0.radius", 1e308)),
        1,
        r"'segments\[0\]\.radius' must be a number from 0 to 1e\+100",
    ),
    Case(
        "model-no-segments",
        lambda d: _with_model(d, _set("segments", [])),
        1,
        "'segments' must be a list of at least 1",
    ),
    Case(
        "model-wrong-type",
        lambda d: _with_model(d, _set("segments.0.number", "one")),
        1,
        r"'segments\[0\]\.number' must be a whole number, not 'one'",
    ),
    Case(
        "model-deep-nesting",
        lambda d: _with_model(d, _deep),
        1,
        "nested (too deeply|more than 32 levels)",
    ),
    Case(
        "model-feature-setting-unknown",
        lambda d: _with_model(d, _set("settings.features", ["Nope"])),
        1,
        "'settings.features' names 'Nope', which is not among its features",
    ),
    Case("one-row", lambda d: [str(_table(d, blobs(3).head(1)))], 1, "holds one customer row"),
    Case(
        "constant-columns",
        lambda d: [str(_table(d, blobs(3).assign(Income=5.0, Spending=3.0)))],
        1,
        r"no numeric column that can separate customers: 'Income': the same value \(5.0\)",
    ),
    Case(
        "ragged-rows",
        lambda d: [str(_bytes(d, b"a,b,c\n1,2,3\n4,5,6,7\n"))],
        1,
        "Line 3 of .* has 4 fields, but the header has 3",
    ),
    Case(
        "unnamed-column-with-data",
        lambda d: [str(_table(d, blobs(3).assign(**{"": 1})))],
        1,
        "Column 4 of .* has no name but holds values in 180 of 180 rows",
    ),
    Case(
        "excel-first-sheet-empty",
        _excel_first_sheet_empty,
        1,
        "Sheet 'Notes' .* is empty. Its other sheets: 'Data'; choose one with --sheet",
    ),
    Case("sheet-for-csv", lambda d: [str(_table(d)), "--sheet", "A"], 2, "drop --sheet"),
    Case("parquet-nested", _nested_parquet, 1, "Column 'x' .* holds list<"),
    Case("input-is-a-pipe", _fifo, 1, "is not a regular file"),
    Case("input-is-a-device", lambda d: ["/dev/zero"], 1, "is not a regular file"),
    Case("values-overflow", _huge, 1, "'Income' .* too large to standardize"),
    Case("output-empty", lambda d: [str(_table(d)), "-o", ""], 2, "'-o'.* is empty"),
    Case(
        "output-current-folder",
        lambda d: [str(_table(d)), "-o", "."],
        2,
        "is the current folder or one above it",
    ),
    Case(
        "output-is-a-file",
        lambda d: [str(_table(d)), "-o", str(_bytes(d, b"x", "file.txt"))],
        2,
        "is a file",
    ),
]


@pytest.fixture
def old_report(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text(OLD_REPORT)
    return out


def _check_one_error(result, code: int, message: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == code, result.output
    assert re.search(message, result.output), result.output
    assert "Traceback" not in result.output
    assert "internal error" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, result.output


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_a_bad_input_is_one_clear_line_and_leaves_the_old_report(
    case: Case, tmp_path: Path, old_report: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = case.make(tmp_path)
    if "-o" not in args:
        args += ["-o", str(old_report)]
    result = CliRunner().invoke(main, ["run", *args, "--no-pdf", "-q"])
    _check_one_error(result, case.code, case.message)
    assert [p.name for p in old_report.iterdir()] == ["report.html"]
    assert (old_report / "report.html").read_text() == OLD_REPORT


def test_the_documented_table_lists_every_case() -> None:
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \|", DOC.read_text(), re.MULTILINE))
    assert documented == {case.id for case in CASES} | EXTRA_DOCUMENTED


# Classes tested elsewhere (a kill, a lock, a swap that fails): named in the doc too.
EXTRA_DOCUMENTED = {
    "sigterm",
    "second-run",
    "swap-fails",
    "killed-run",
    "infinite-values",
    "utf-16",
    "decimal-commas",
    "unnamed-empty-columns",
}


@pytest.mark.slow
def test_sigterm_stops_a_run_cleanly_like_ctrl_c(tmp_path: Path) -> None:
    table = write_csv(tmp_path / "big.csv", blobs(4, per_blob=3000, seed=1))
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text(OLD_REPORT)
    command = [sys.executable, "-m", "reportgen", "run", str(table), "-o", str(out), "-v"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    # Wait until the analysis is under way, then stop it.
    assert process.stderr is not None
    for line in process.stderr:
        if "Cleaning" in line:
            break
    time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0
    assert "Traceback" not in stderr
    assert [p.name for p in out.iterdir()] == ["report.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.reportgen-lock", "big.csv", "out"]


def test_library_warnings_do_not_reach_stderr(tmp_path: Path) -> None:
    # A CJK column name made matplotlib log missing glyphs through Python's last-resort
    # handler.
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "id": range(300),
            "Spend": rng.normal(50, 10, 300),
            "收入": rng.normal(5, 1, 300),
            "Big": rng.normal(0, 1, 300) * 1e100,
        }
    )
    table = write_csv(tmp_path / "c.csv", frame)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "reportgen",
            "run",
            str(table),
            "-o",
            str(tmp_path / "o"),
            "--no-pdf",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "always"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr
