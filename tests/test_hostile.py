"""Property-based: hostile tables, config files, rules files and saved models.

For every drawn case the run gives a report, or exactly one ``Error:`` line with exit
1 or 2 while the earlier report stays byte for byte as it was; never "internal
error", never a traceback, never a hang (a per-case alarm).
"""

from __future__ import annotations

import json
import math
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen.cli import main
from reportgen.settings import _CONFIG_KEYS
from tests.conftest import blobs

CASE_TIMEOUT = 120  # seconds; a hang fails the case
EARLIER = b"<html>the earlier report</html>"
HOSTILE_NUMBERS = ["inf", "-inf", "1e308", "-1e308", "nan", "1,5", "", "NaN", "1e-320", "9" * 400]
HOSTILE_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.lists(st.integers(0, 3), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@st.composite
def hostile_tables(draw: st.DrawFn) -> bytes:
    """A small customer table, then spoiled in one of the ways real exports are."""
    frame = blobs(3, per_blob=draw(st.integers(1, 12)), seed=draw(st.integers(0, 3)))
    text = frame.astype(str)
    for _ in range(draw(st.integers(0, 6))):
        row = draw(st.integers(0, len(text) - 1))
        column = draw(st.sampled_from(["Income", "Spending", "CustomerID"]))
        text.loc[row, column] = draw(st.sampled_from(HOSTILE_NUMBERS))
    if draw(st.booleans()):
        text["Spending"] = text["Spending"].str.replace(".", ",", regex=False)
    separator = draw(st.sampled_from([",", ";", "\t"]))
    body = text.to_csv(index=False, sep=separator)
    spoil = draw(
        st.sampled_from(
            ["none", "ragged", "header only", "one column", "nul", "utf-16", "cut", "constant"]
        )
    )
    if spoil == "ragged":
        body += separator.join(["1"] * 5) + "\n"
    elif spoil == "header only":
        body = body.splitlines()[0] + "\n"
    elif spoil == "one column":
        body = "\n".join(line.split(separator)[0] for line in body.splitlines()) + "\n"
    elif spoil == "cut":
        body = body[: draw(st.integers(0, len(body)))]
    elif spoil == "constant":
        body = "id,a,b\n" + "".join(f"{i},1,2\n" for i in range(draw(st.integers(1, 20))))
    data = body.encode("utf-16" if spoil == "utf-16" else "utf-8")
    if spoil == "nul":
        data = data[:10] + b"\x00\x00" + data[10:]
    return data


def _toml_value(value: Any) -> str:
    if value is None:
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else ("inf" if value > 0 else "-inf")
            if math.isinf(value)
            else repr(value)
        )
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=True)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        items = (f"{json.dumps(key)} = {_toml_value(item)}" for key, item in value.items())
        return "{" + ", ".join(items) + "}"
    return str(value)


# Keys naming paths are left out: a drawn "/" must never become the output folder.
SAFE_KEYS = sorted(key for key, (_, _, is_path) in _CONFIG_KEYS.items() if not is_path)


@st.composite
def hostile_configs(draw: st.DrawFn) -> str:
    keys = draw(st.lists(st.sampled_from([*SAFE_KEYS, "colour"]), max_size=3, unique=True))
    return "".join(f"{key} = {_toml_value(draw(HOSTILE_VALUES))}\n" for key in keys)


@st.composite
def hostile_rules(draw: st.DrawFn) -> str:
    fields = ["name", "when", "action", "campaign", "retention", "products"]
    rules = []
    for _ in range(draw(st.integers(0, 3))):
        chosen = draw(st.lists(st.sampled_from(fields), unique=True))
        lines = ["[[rule]]"]
        for key in chosen:
            value = draw(
                st.one_of(
                    HOSTILE_VALUES,
                    st.just({"Income": "low"}),
                    st.just({"Income": "huge"}),
                    st.just("text"),
                )
            )
            lines.append(f"{key} = {_toml_value(value)}")
        rules.append("\n".join(lines))
    if draw(st.booleans()):
        rules.append(
            '[[rule]]\nname = "All"\naction = "a"\ncampaign = "c"\nretention = "r"\nproducts = "p"'
        )
    if draw(st.booleans()):
        rules.insert(0, f"rule = {_toml_value(draw(HOSTILE_VALUES))}")
    return "\n".join(rules) + "\n"


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


@pytest.fixture(scope="module")
def previous_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("previous")
    table = folder / "customers.csv"
    blobs(3, per_blob=15).to_csv(table, index=False)
    result = CliRunner().invoke(
        main, ["run", str(table), "-o", str(folder / "out"), "--no-pdf", "--period", "2026-10"]
    )
    assert result.exit_code == 0, result.output
    return folder / "out"


class _Hang(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _Hang


def _run_and_check(folder: Path, args: list[str]) -> None:
    out = folder / "out"
    out.mkdir()
    (out / "report.html").write_bytes(EARLIER)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(CASE_TIMEOUT)
    try:
        result = CliRunner().invoke(
            main, ["run", *args, "-o", str(out), "--no-pdf", "-q", "--k-max", "4"]
        )
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert not isinstance(result.exception, _Hang), "the run did not finish in time"
    output = result.output
    assert "Traceback" not in output, output
    assert "internal error" not in output.lower(), output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    if result.exit_code == 0:
        assert (out / "report.html").read_bytes() != EARLIER
        return
    assert result.exit_code in (1, 2), output
    errors = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, output
    assert [p.name for p in out.iterdir()] == ["report.html"]
    assert (out / "report.html").read_bytes() == EARLIER


CASES = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


@pytest.mark.slow
@CASES
@given(hostile_tables())
def test_hostile_tables(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as directory:
        table = Path(directory) / "customers.csv"
        table.write_bytes(data)
        _run_and_check(Path(directory), [str(table)])


@pytest.mark.slow
@CASES
@given(hostile_configs())
def test_hostile_configs(text: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        blobs(3, per_blob=10).to_csv(folder / "customers.csv", index=False)
        (folder / "c.toml").write_text(text, encoding="utf-8")
        _run_and_check(folder, [str(folder / "customers.csv"), "--config", str(folder / "c.toml")])


@pytest.mark.slow
@CASES
@given(hostile_rules())
def test_hostile_rules_files(text: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        blobs(3, per_blob=10).to_csv(folder / "customers.csv", index=False)
        (folder / "rules.toml").write_text(text, encoding="utf-8")
        (folder / "c.toml").write_text(f"rules = {json.dumps(str(folder / 'rules.toml'))}\n")
        _run_and_check(folder, [str(folder / "customers.csv"), "--config", str(folder / "c.toml")])


@pytest.mark.slow
@CASES
@given(data=st.data())
def test_hostile_saved_models(previous_run: Path, data: st.DataObject) -> None:
    document = json.loads((previous_run / "model.json").read_text())
    paths = [path for path in _paths(document) if path]
    path = data.draw(st.sampled_from(paths))
    value = data.draw(
        st.one_of(HOSTILE_VALUES, st.sampled_from([float("nan"), 1e308, -1e308, 0, -1, []]))
    )
    node = document
    for key in path[:-1]:
        node = node[key]
    if data.draw(st.booleans()) and isinstance(node, dict):
        del node[path[-1]]
    else:
        node[path[-1]] = value
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        previous = shutil.copytree(previous_run, folder / "previous")
        (previous / "model.json").write_text(json.dumps(document))
        table = folder / "customers.csv"
        frame = blobs(3, per_blob=15, seed=1)
        frame["Income"] += np.linspace(0, 1, len(frame))
        frame.to_csv(table, index=False)
        _run_and_check(folder, [str(table), "--previous", str(previous), "--period", "2026-11"])
