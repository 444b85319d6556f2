"""`reportgen init`: a commented config file for a table, to review once and reuse monthly.

The file lists every column with the role cleaning would give it and the reason, as
TOML comments, and sets the features, profile columns, outcomes, ignored columns and
labels explicitly, so that next month's export is read the same way even where its
values would have tipped an automatic choice. Running init again on a later export
compares its columns with the ``columns`` the file was written for.
"""

from __future__ import annotations

import json
import os
import textwrap
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from reportgen import roles
from reportgen.cleaning import clean_table
from reportgen.contract import CleanTable, ColumnReport
from reportgen.errors import SettingsError
from reportgen.formatting import COLUMN_KIND_NAMES, COLUMN_ROLE_NAMES
from reportgen.loading import load_table
from reportgen.settings import Settings

_WIDTH = 92


@dataclass(frozen=True)
class ColumnChanges:
    """How a table's columns differ from those a config was written for."""

    appeared: tuple[str, ...]
    disappeared: tuple[str, ...]

    def describe(self, config: Path, clean: CleanTable | None = None) -> list[str]:
        """Say what changed, one line per column, with the role a new column would get."""
        if not self.appeared and not self.disappeared:
            return [f"The columns are the same as when {config} was written."]
        roles = {column.name: column for column in clean.quality.columns} if clean else {}
        lines = []
        for name in self.appeared:
            column = roles.get(name)
            guess = f": would be {_role_phrase(column)}" if column else ""
            lines.append(f"New column {name!r}{guess}.")
        for name in self.disappeared:
            lines.append(
                f"Column {name!r} is gone: remove it from {config} (features, profile, "
                "outcomes, ignore, labels, units)."
            )
        return lines


@dataclass(frozen=True)
class Draft:
    """A drafted config: its text, the table's columns, and the cleaning it describes."""

    text: str
    columns: tuple[str, ...]
    clean: CleanTable


def draft_config(
    input_path: Path, sheet: str | None = None, config_path: Path | None = None
) -> Draft:
    """Return a commented TOML config for ``input_path``.

    Args:
        config_path: where the config will be written; the input's path is written
            relative to it (a config and its data can move together).

    Raises:
        ReportgenError: the table cannot be read or cleaned.
    """
    table = load_table(input_path, sheet)
    clean = clean_table(table, Settings(input_path=input_path, sheet=sheet))
    columns = [column for column in clean.quality.columns if column.name in table.frame.columns]
    reports = {column.name: column for column in clean.quality.columns}
    # A date column is "not used" once replaced by its tenure; ignoring it would lose that.
    ignored = [c.name for c in columns if c.role == "ignored" and c.kind != "date"]
    derived = [column.name for column in clean.quality.columns if column not in columns]
    lines = [
        f"# reportgen config for {input_path.name}, written by `reportgen init` on "
        f"{date.today():%Y-%m-%d}.",
        "#",
        "# Review it once: each column's role below was guessed from its name and values,",
        "# with the reason. Move a column between the lists to change its role, then run",
        "# every month:",
        "#",
        "#   reportgen run --config THIS_FILE --period YYYY-MM -o output/YYYY-MM",
        "#",
        "# A list given here replaces the automatic choice; delete a key to go back to it.",
        "# Rerun `reportgen init NEW_EXPORT -o THIS_FILE` to see which columns appeared",
        "# or disappeared since.",
        "#",
        "# Columns as read:",
        *(
            line
            for column in columns
            for line in _wrapped(f"{_comment(column.name)} - {_role_phrase(column)}")
        ),
        *(
            line
            for name in derived
            for line in _wrapped(f"{_comment(name)} (derived) - {_role_phrase(reports[name])}")
        ),
        "",
        f"input = {_string(_relative(input_path, config_path))}",
    ]
    if sheet:
        lines.append(f"sheet = {_string(sheet)}")
    if clean.id_column:
        lines += [
            "",
            "# One row per customer; never a feature.",
            f"id_column = {_string(clean.id_column)}",
        ]
    lines += [
        "",
        "# Segmentation features: the measures customers are grouped on.",
        *_list("features", clean.feature_columns, reports),
        "",
        "# Described in each segment, not grouped on.",
        *_list("profile", clean.profile_columns, reports),
        "",
        "# Outcomes: their rate is shown overall and in each segment (page 1, cards).",
        *_list(
            "outcomes",
            [outcome.column for outcome in clean.outcomes],
            reports,
            {o.column: f"the share of {o.positive!r}" for o in clean.outcomes},
        ),
        "",
        "# Left out of the analysis altogether.",
        *_list("ignore", ignored, reports),
        "",
        "# The columns this file was written for (`reportgen init` compares a new export).",
        *_inline("columns", [str(name) for name in table.frame.columns]),
        "",
        "# How segment names and cards call each column: short, lower-case nouns.",
        "[labels]",
        *(
            f"{_string(column)} = {_string(clean.short_names[column])}"
            for column in (*clean.feature_columns, *clean.profile_columns)
        ),
        "",
        '# Units shown after a column\'s name in tables and charts, e.g. "$" or "months".',
        "[units]",
        *(
            f'# {_string(column)} = "$"'
            for column in (*clean.feature_columns, *clean.profile_columns)
            if roles.names_money(column) and clean.is_measure(column)
        ),
    ]
    text = "\n".join(lines) + "\n"
    tomllib.loads(text)  # what we write must read back
    return Draft(text=text, columns=tuple(map(str, table.frame.columns)), clean=clean)


def compare_columns(config_path: Path, columns: Sequence[str]) -> ColumnChanges:
    """Compare a table's columns with the ``columns`` an earlier config was written for.

    Raises:
        SettingsError: the config cannot be read or has no ``columns`` list.
    """
    try:
        written = tomllib.loads(config_path.read_text(encoding="utf-8")).get("columns")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise SettingsError(f"Cannot read config file {config_path}: {error}.") from None
    if not isinstance(written, list):
        raise SettingsError(
            f"Config file {config_path} has no 'columns' list, so its columns cannot be "
            "compared; write a new one with `reportgen init INPUT -o NEW_FILE`."
        )
    known = [str(name) for name in written]
    return ColumnChanges(
        appeared=tuple(name for name in columns if name not in known),
        disappeared=tuple(name for name in known if name not in columns),
    )


_SAID_BY_ROLE = ("the customer ID: ", "left out: ", "not a feature: ")


def _role_phrase(column: ColumnReport) -> str:
    """'description only: a measure; about tenure × MonthlyCharges ...'."""
    note = column.note or ""
    for prefix in _SAID_BY_ROLE:
        note = note.replace(prefix, "")
    if column.role == "id" or note.startswith("an identifier"):
        return f"{COLUMN_ROLE_NAMES[column.role]}: {note}"
    kind = f"a {COLUMN_KIND_NAMES[column.kind]}"
    return f"{COLUMN_ROLE_NAMES[column.role]}: {kind}" + (f"; {note}" if note else "")


def _wrapped(text: str, prefix: str = "#   ", indent: str = "#       ") -> list[str]:
    return textwrap.wrap(
        text,
        width=_WIDTH,
        initial_indent=prefix,
        subsequent_indent=indent,
        break_on_hyphens=False,
        break_long_words=False,
    )


def _list(
    key: str,
    names: Sequence[str],
    reports: dict[str, ColumnReport],
    extra: dict[str, str] | None = None,
) -> list[str]:
    if not names:
        return [f"{key} = []"]
    lines = [f"{key} = ["]
    for name in names:
        note = (extra or {}).get(name) or _short_reason(reports.get(name))
        comment = f"  # {_comment(note)}" if note else ""
        lines.append(f"  {_string(name)},{comment}")
    return [*lines, "]"]


def _short_reason(column: ColumnReport | None) -> str:
    if column is None or not column.note:
        return ""
    reason = column.note.split("; ")[0]
    for prefix in _SAID_BY_ROLE:
        reason = reason.removeprefix(prefix)
    return reason


def _comment(text: str) -> str:
    return " ".join(text.split())


def _string(text: str) -> str:
    # JSON strings are valid TOML basic strings (same escapes for quotes, \, control chars).
    return json.dumps(text, ensure_ascii=False)


def _inline(key: str, names: Sequence[str]) -> list[str]:
    """A TOML array of strings over as many lines as it takes, several names a line."""
    lines, line = [f"{key} = ["], "  "
    for name in names:
        item = _string(name) + ","
        if len(line) + len(item) > _WIDTH and line.strip():
            lines.append(line.rstrip())
            line = "  "
        line += item + " "
    return [*lines, line.rstrip(), "]"]


def _relative(path: Path, config_path: Path | None) -> str:
    if config_path is None:
        return str(path)
    try:
        relative = os.path.relpath(path.resolve(), config_path.resolve().parent)
    except ValueError:  # another drive on Windows
        return str(path.resolve())
    # Beside or below the config: relative, so that they move together; else absolute.
    return str(path.resolve()) if relative.startswith("..") else relative
