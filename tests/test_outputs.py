from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pytest

from reportgen.contract import CleanTable, DataQuality, Segmentation
from reportgen.errors import OutputError
from reportgen.outputs import Content, segments_csv, write_atomically, write_segments_csv
from reportgen.spreadsheet import neutralize_formula, restore_formula


def test_segments_csv_has_one_row_per_customer_and_is_safe_in_a_spreadsheet() -> None:
    ids = pd.Series(['=HYPERLINK("http://x")', "+1", "@a", "-2", "ok", 7])
    clean = CleanTable(
        pd.DataFrame({"a": range(6)}), ids, "id", ("a",), (), {}, DataQuality(6, 0, 6, (), ())
    )
    segmentation = Segmentation(
        np.array([0, 1, 0, 1, 0, 1]), np.zeros((2, 1)), np.zeros((2, 1)), (3, 3), 1, (1, 4)
    )
    text = bytes(segments_csv(clean, segmentation, ["Big", "=Small"])).decode()
    table = pd.read_csv(pd.io.common.StringIO(text), dtype=str)
    assert list(table.columns) == ["customer_id", "segment", "segment_name"]
    assert table["customer_id"].tolist() == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'@a",
        "'-2",
        "ok",
        "7",
    ]
    assert table["segment"].tolist() == ["1", "4", "1", "4", "1", "4"]  # numbers, not positions
    assert table["segment_name"].tolist()[:2] == ["Big", "'=Small"]


@pytest.mark.parametrize(
    "ids",
    [
        pd.Series(range(101, 111)),
        pd.Series([f"C-{i}" if i % 3 else f"=x{i}" for i in range(10)]),
        pd.Series([float(i) for i in range(10)]),
    ],
)
def test_segments_csv_written_in_batches_is_the_same_as_in_one_piece(ids: pd.Series) -> None:
    clean = CleanTable(
        pd.DataFrame({"a": range(10)}), ids, "id", ("a",), (), {}, DataQuality(10, 0, 10, (), ())
    )
    labels = np.array([0, 1, 2, 0, 1, 2, 2, 2, 1, 0])
    segmentation = Segmentation(labels, np.zeros((3, 1)), np.zeros((3, 1)), (3, 3, 4), 1, (2, 1, 3))
    names = ['Low "income", high spending', "=Small", "Plain"]
    whole = io.BytesIO()
    write_segments_csv(whole, clean, segmentation, names, batch_rows=len(ids))
    for batch_rows in (1, 3, 4):
        batched = io.BytesIO()
        write_segments_csv(batched, clean, segmentation, names, batch_rows=batch_rows)
        assert batched.getvalue() == whole.getvalue()
    assert whole.getvalue().count(b"\n") == len(ids) + 1
    assert segments_csv(clean, segmentation, names) == whole.getvalue()


def test_write_atomically_streams_a_file_from_a_writer(tmp_path: Path) -> None:
    written = write_atomically(tmp_path, {"big.csv": lambda file: file.write(b"a,b\n1,2\n")})
    assert written == [tmp_path / "big.csv"]
    assert (tmp_path / "big.csv").read_bytes() == b"a,b\n1,2\n"


def test_neutralize_leaves_numbers_alone() -> None:
    assert neutralize_formula(-5) == -5
    assert neutralize_formula("\tx") == "'\tx"
    for value in ("=1+1", "-3", "'quoted", "plain"):
        assert restore_formula(neutralize_formula(value)) == value


def test_failed_write_leaves_the_earlier_report_untouched(tmp_path: Path) -> None:
    write_atomically(tmp_path, {"report.html": b"old html", "summary.json": b"old json"})

    def failing_write(file: BinaryIO) -> None:
        file.write(b"half")
        raise OSError(28, "No space left on device")

    files: dict[str, Content] = {"report.html": b"new html", "summary.json": failing_write}
    with pytest.raises(OutputError, match=r"No space left on device. Nothing was written"):
        write_atomically(tmp_path, files)
    assert (tmp_path / "report.html").read_bytes() == b"old html"
    assert (tmp_path / "summary.json").read_bytes() == b"old json"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "summary.json"]


def test_stale_outputs_are_removed_only_after_success(tmp_path: Path) -> None:
    write_atomically(tmp_path, {"report.pdf": b"old pdf", "report.html": b"old"})
    written = write_atomically(tmp_path, {"report.html": b"new"}, stale=("report.pdf",))
    assert written == [tmp_path / "report.html"]
    assert not (tmp_path / "report.pdf").exists()


def test_names_may_lead_into_a_subfolder(tmp_path: Path) -> None:
    written = write_atomically(
        tmp_path, {"report.html": b"r", "email/message.html": b"m", "email/a.png": b"p"}
    )
    assert written == [
        tmp_path / "report.html",
        tmp_path / "email/message.html",
        tmp_path / "email/a.png",
    ]
    assert (tmp_path / "email" / "message.html").read_bytes() == b"m"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["email", "report.html"]


@pytest.mark.parametrize("name", ["../escape.txt", "/tmp/abs.txt", "email/../../x", ""])
def test_names_outside_the_output_folder_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="relative path inside"):
        write_atomically(tmp_path / "out", {name: b"x"})
    assert not (tmp_path / "out").exists()
