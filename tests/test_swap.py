"""The report folder is replaced as a whole: after a failure or a kill, old or new, never mixed."""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import threading
import time
from pathlib import Path

import pytest

from reportgen import swap
from reportgen.errors import OutputError, SettingsError
from reportgen.outputs import write_atomically
from reportgen.swap import replace_file

OLD = {"report.html": b"old html", "summary.json": b"old json", "email/message.html": b"old m"}
NEW = {
    "report.html": b"new html",
    "summary.json": b"new json",
    "model.json": b"new model",
    "email/message.html": b"new m",
}


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _leftovers(folder: Path) -> list[str]:
    return sorted(
        p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}.reportgen-")
    )


@pytest.fixture(params=["exchange", "two renames"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "two renames":
        monkeypatch.setattr(swap, "_renameat2", lambda: None)
    elif swap._renameat2() is None:
        pytest.skip("renameat2 is not available here")
    return request.param


def test_a_folder_is_replaced_with_the_new_files_and_keeps_the_others(
    tmp_path: Path, mode: str
) -> None:
    out = tmp_path / "out"
    write_atomically(out, OLD)
    (out / "notes.txt").write_text("mine")
    (out / "email" / "message.eml").write_bytes(b"eml")
    write_atomically(out, NEW, stale=("summary.json",))
    assert _tree(out) == {**NEW, "notes.txt": b"mine", "email/message.eml": b"eml"}
    assert _leftovers(out) == [".out.reportgen-lock"]


STEPS_EXCHANGE = ["build", "carry over", "exchange"]
STEPS_RENAMES = ["build", "carry over", "exchange", "journal", "set old aside", "put new in place"]


@pytest.mark.parametrize("failing", sorted(set(STEPS_EXCHANGE + STEPS_RENAMES)))
def test_a_failure_at_any_step_leaves_exactly_the_old_folder(
    tmp_path: Path, mode: str, failing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps = STEPS_EXCHANGE if mode == "exchange" else STEPS_RENAMES
    if failing not in steps:
        pytest.skip(f"no {failing!r} step when swapping by {mode}")
    out = tmp_path / "out"
    write_atomically(out, OLD)

    def fail(step: str) -> None:
        if step == failing:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(swap, "_checkpoint", fail)
    with pytest.raises(OutputError, match=r"No space left on device.*Nothing was written"):
        write_atomically(out, NEW)
    assert _tree(out) == OLD
    assert _leftovers(out) == [".out.reportgen-lock"]
    monkeypatch.setattr(swap, "_checkpoint", lambda step: None)
    write_atomically(out, NEW)
    assert _tree(out) == NEW


def test_a_failure_removing_the_old_copy_keeps_the_new_report(
    tmp_path: Path, mode: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "out"
    write_atomically(out, OLD)

    def fail(step: str) -> None:
        if step == "remove old":
            raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(swap, "_checkpoint", fail)
    write_atomically(out, NEW)
    assert _tree(out) == NEW
    assert "Could not remove the earlier report's copy" in caplog.text
    # The next run removes the leftover copy.
    monkeypatch.setattr(swap, "_checkpoint", lambda step: None)
    write_atomically(out, NEW)
    assert _leftovers(out) == [".out.reportgen-lock"]


def test_a_swap_cut_short_between_its_renames_is_rolled_back_by_the_next_run(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    write_atomically(out, OLD)
    # What a kill between "set old aside" and "put new in place" leaves behind.
    new = tmp_path / ".out.reportgen-new-abc"
    new.mkdir()
    (new / "report.html").write_bytes(b"half")
    os.rename(out, tmp_path / ".out.reportgen-old-abc")
    (tmp_path / ".out.reportgen-journal").write_text(
        json.dumps({"folder": "out", "aside": ".out.reportgen-old-abc", "new": new.name})
    )
    with swap.claim_output_dir(out):
        assert _tree(out) == OLD
    assert _leftovers(out) == [".out.reportgen-lock"]
    assert not (tmp_path / ".out.reportgen-journal").exists()


def test_stale_staging_folders_are_removed_by_the_next_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_atomically(out, OLD)
    (tmp_path / ".out.reportgen-new-xyz").mkdir()
    (tmp_path / ".out.reportgen-new-xyz" / "report.html").write_bytes(b"partial")
    (tmp_path / ".other.reportgen-new-xyz").mkdir()  # another folder's: left alone
    write_atomically(out, NEW)
    assert _tree(out) == NEW
    assert _leftovers(out) == [".out.reportgen-lock"]
    assert (tmp_path / ".other.reportgen-new-xyz").exists()


def _kill_at_random(out: Path, rounds: int, seed: int) -> list[str]:
    """Write NEW/OLD alternately in a forked copy and SIGKILL it at random instants."""
    big = {f"part/{i:03}.csv": bytes([i % 256]) * 4096 for i in range(150)}
    versions = [{**OLD, **big, "v": b"0"}, {**NEW, **big, "v": b"1"}]
    write_atomically(out, versions[0])
    chance = random.Random(seed)
    seen = []
    for round_ in range(rounds):
        files = versions[round_ % 2]
        before = _tree(out)
        expected = {**before, **files}  # files it does not name are carried over
        # How long a whole write takes now, in a forked copy as below: the machine's load
        # changes, and kills must fall before, during and after the swap.
        started = time.perf_counter()
        child = os.fork()
        if child == 0:
            try:
                write_atomically(out, before)
            finally:
                os._exit(0)
        os.waitpid(child, 0)
        duration = time.perf_counter() - started
        child = os.fork()
        if child == 0:
            try:
                write_atomically(out, files)
            finally:
                os._exit(0)
        time.sleep(chance.uniform(0, 1.3 * duration))
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        after = _tree(out) if out.exists() else None
        with swap.claim_output_dir(out):  # what the next run does first
            repaired = _tree(out)
        assert repaired in (before, expected), f"round {round_}: a mixed folder"
        if swap._renameat2() is not None and after is not None:
            assert after in (before, expected)
        seen.append("new" if repaired == expected and before != expected else "old")
        assert _leftovers(out) == [".out.reportgen-lock"]
        if repaired != expected:
            write_atomically(out, files)
    return seen


@pytest.mark.slow
def test_killing_a_run_at_random_instants_leaves_the_old_or_the_new_folder(
    tmp_path: Path, mode: str
) -> None:
    seen = _kill_at_random(tmp_path / "out", rounds=20, seed=11)
    assert "old" in seen  # killed before the swap at least once: the test can fail
    assert "new" in seen


def test_a_second_run_into_the_same_folder_waits_for_the_first(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "out"
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the first run: holds the folder until told to finish
        try:
            with swap.claim_output_dir(out):
                os.write(write, b"held")
                time.sleep(0.5)
                write_atomically(out, OLD)
        finally:
            os._exit(0)
    os.read(read, 4)
    with caplog.at_level(logging.WARNING):
        write_atomically(out, NEW)
    os.waitpid(child, 0)
    assert f"(process {child}) is writing to" in caplog.text
    assert _tree(out) == NEW  # the second run wrote last


def test_a_claim_inside_a_claim_of_the_same_folder_is_free(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = threading.Event()
    with swap.claim_output_dir(out):
        write_atomically(out, OLD)
        done.set()
    assert done.is_set() and _tree(out) == OLD


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: (d / "f").write_text("x") and d / "f", "is a file"),
        (lambda d: Path("."), "current folder"),
        (lambda d: Path(""), "current folder"),
        (lambda d: Path("/"), "current folder or one above"),
    ],
)
def test_output_folders_that_cannot_be_replaced_are_refused_before_the_analysis(
    tmp_path: Path, make, message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        swap.check_output_dir(make(tmp_path))


def test_a_folder_that_cannot_be_written_is_refused_before_the_analysis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(prefix: str, dir: Path) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(swap.tempfile, "mkstemp", refuse)
    with pytest.raises(SettingsError, match=r"is not writable .Permission denied"):
        swap.check_output_dir(tmp_path / "out")


def test_replace_file_leaves_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "data.csv"
    target.write_text("old")

    def fails_half_way(partial: Path) -> None:
        partial.write_text("half of the new")
        raise OSError(28, "No space left on device")

    with pytest.raises(OutputError, match=r"Cannot write .*data.csv: No space left on device"):
        replace_file(target, fails_half_way)
    assert target.read_text() == "old"
    assert [path.name for path in tmp_path.iterdir()] == ["data.csv"]
    replace_file(target, lambda partial: partial.write_text("new"))
    assert target.read_text() == "new"
    assert [path.name for path in tmp_path.iterdir()] == ["data.csv"]
