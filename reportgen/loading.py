"""Stage 1: read the customer table from disk, exactly as it is."""

from __future__ import annotations

import csv
import hashlib
import io
import logging
from collections import Counter
from pathlib import Path

import pandas as pd

from reportgen.errors import DataError
from reportgen.model import Table

log = logging.getLogger(__name__)

DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
# Tried in order. cp1252 decodes almost any byte, so it comes last, as the fallback for
# spreadsheets exported on Windows.
ENCODINGS = ("utf-8-sig", "cp1252")
_SNIFF_LINES = 50


def load_table(path: Path) -> Table:
    """Read a delimited text table (comma, semicolon or tab), detecting the delimiter.

    Raises:
        DataError: the file is missing, empty, has no data rows, or cannot be parsed.
    """
    raw = _read_bytes(path)
    text, encoding = _decode(raw, path)
    delimiter = sniff_delimiter(text)
    header = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    _check_header(header, path)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, skipinitialspace=True)
    except (pd.errors.ParserError, ValueError) as error:
        raise DataError(
            f"Cannot read {path} as a {DELIMITER_NAMES[delimiter]}-separated table: {error}. "
            "Check that every row has the same number of fields as the header."
        ) from None
    if frame.empty:
        raise DataError(f"{path} has a header but no customer rows; export the table again.")
    frame.columns = [str(name).strip() for name in frame.columns]
    log.debug("read %d rows x %d columns (%s, %s)", *frame.shape, encoding, delimiter)
    return Table(
        frame=frame,
        path=path,
        sha256=hashlib.sha256(raw).hexdigest(),
        delimiter=delimiter,
        encoding=encoding,
    )


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise DataError(f"Input file {path} does not exist. Check the path and try again.")
    if path.is_dir():
        raise DataError(f"{path} is a directory; give the path of a CSV file inside it.")
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DataError(f"Cannot read {path}: {error.strerror}.") from None
    if not raw.strip():
        raise DataError(f"Input file {path} is empty; export the customer table again.")
    if b"\x00" in raw[:4096]:
        raise DataError(
            f"{path} looks like a binary file, not a CSV table. Export it as CSV and try again."
        )
    return raw


def _decode(raw: bytes, path: Path) -> tuple[str, str]:
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise DataError(f"Cannot decode {path}: save it as UTF-8 and try again.")


def sniff_delimiter(text: str) -> str:
    """Return the delimiter that splits the first lines into the most, equally sized fields."""
    lines = text.splitlines()[:_SNIFF_LINES]
    best, best_fields = ",", 1
    for delimiter in DELIMITERS:
        widths = {len(row) for row in csv.reader(lines, delimiter=delimiter) if row}
        if len(widths) == 1 and (fields := widths.pop()) > best_fields:
            best, best_fields = delimiter, fields
    return best


def _check_header(header: list[str], path: Path) -> None:
    names = [name.strip() for name in header]
    if len(names) < 2:
        raise DataError(
            f"{path} has only one column; a customer table needs an ID and at least one "
            "measure, separated by commas, semicolons or tabs."
        )
    if any(not name for name in names):
        position = names.index("") + 1
        raise DataError(f"Column {position} of {path} has no name; give every column a header.")
    repeated = [name for name, count in Counter(names).items() if count > 1]
    if repeated:
        raise DataError(
            f"Column name {repeated[0]!r} appears more than once in {path}; "
            "rename the columns so each name is unique."
        )
