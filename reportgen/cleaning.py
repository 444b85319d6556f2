"""Stage 2: decide each column's role, drop duplicates and fill missing values."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import pandas as pd

from reportgen.errors import DataError, SettingsError
from reportgen.model import CleanTable, ColumnKind, ColumnReport, ColumnRole, DataQuality, Table
from reportgen.settings import Settings

log = logging.getLogger(__name__)

_ID_WORDS = {"id", "identifier", "uuid", "guid"}
_ID_SUFFIXES = {"no", "number", "code", "key", "ref"}
_ID_OWNERS = {"customer", "cust", "client", "member", "user", "account", "buyer", "shopper"}
# A mostly numeric column with a few stray strings ("n/a", "-") is numeric with gaps.
_NUMERIC_SHARE = 0.9


def clean_table(table: Table, settings: Settings) -> CleanTable:
    """Assign column roles, drop exact duplicate rows and fill missing values.

    Numeric columns are filled with their median and categorical ones with their
    most frequent value; every count is recorded for the data-quality section.

    Raises:
        SettingsError: a column named in the settings is not in the table.
        DataError: the table cannot be clustered (no numeric feature, an empty column).
    """
    frame = table.frame
    _check_named_columns(frame.columns, settings, table)
    notes: list[str] = []

    duplicated = frame.duplicated()
    frame = frame.loc[~duplicated]
    id_column = settings.id_column or detect_id_column(frame)
    if id_column is None:
        notes.append(
            "No customer ID column was found, so customers are identified by their row "
            "number in the input file (1 = first data row)."
        )
        customer_ids = pd.Series(frame.index + 1, index=frame.index, name="row")
    else:
        frame = _drop_rows_without_id(frame, id_column, table, notes)
        customer_ids = frame[id_column]

    frame, coerced = _coerce_features(frame, settings.features, table)
    notes.extend(coerced)
    features = settings.features or tuple(
        column
        for column in frame.columns
        if column != id_column and _kind(frame[column]) == "numeric"
    )
    if not features:
        raise DataError(
            f"{table.path} has no numeric column to segment customers on; "
            "check the delimiter or choose columns with --feature."
        )
    profile = settings.profile or tuple(
        column for column in frame.columns if column != id_column and column not in features
    )

    used = (*features, *profile)
    filled = frame.copy()
    reports = []
    for column in frame.columns:
        role = _role(column, id_column, features, profile)
        kind = _kind(frame[column])
        missing = int(frame[column].isna().sum())
        filled_with = None
        if column in used and missing:
            filled[column], filled_with = _fill(frame[column], kind, column, table)
        reports.append(ColumnReport(column, kind, role, missing, filled_with))

    if duplicated.any():
        log.info("dropped %d exact duplicate rows", duplicated.sum())
    quality = DataQuality(
        rows_read=len(table.frame),
        duplicate_rows=int(duplicated.sum()),
        rows_kept=len(filled),
        columns=tuple(reports),
        notes=tuple(notes),
    )
    return CleanTable(
        frame=filled.reset_index(drop=True),
        customer_ids=customer_ids.reset_index(drop=True),
        id_column=id_column,
        feature_columns=tuple(features),
        profile_columns=tuple(profile),
        short_names={column: settings.labels.get(column) or short_name(column) for column in used},
        quality=quality,
    )


def detect_id_column(frame: pd.DataFrame) -> str | None:
    """Return the first column with an ID-like name and one distinct value per row."""
    for column in frame.columns:
        values = frame[column]
        if not _is_id_like_name(column) or values.isna().any() or not values.is_unique:
            continue
        if pd.api.types.is_float_dtype(values) and not (values % 1 == 0).all():
            continue
        return str(column)
    return None


def _is_id_like_name(name: str) -> bool:
    words = [word.lower() for word in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", name)]
    if not words:
        return False
    last = words[-1]
    return last in _ID_WORDS or (last in _ID_SUFFIXES and bool(_ID_OWNERS & set(words)))


def short_name(column: str) -> str:
    """Return a column's name as a lower-case noun: 'Annual Income (k$)' -> 'annual income'."""
    without_units = re.sub(r"\s*[\(\[].*?[\)\]]", "", column).strip() or column
    return re.sub(r"[_\s]+", " ", without_units).lower()


def _check_named_columns(columns: Iterable[str], settings: Settings, table: Table) -> None:
    available = list(columns)
    named = {
        "--feature": settings.features,
        "--profile": settings.profile,
        "id_column": (settings.id_column,) if settings.id_column else (),
        "labels": tuple(settings.labels),
    }
    for option, names in named.items():
        for name in names:
            if name not in available:
                raise SettingsError(
                    f"{option} names column {name!r}, which is not in {table.path}. "
                    f"Its columns are: {', '.join(available)}."
                )


def _drop_rows_without_id(
    frame: pd.DataFrame, id_column: str, table: Table, notes: list[str]
) -> pd.DataFrame:
    missing = frame[id_column].isna()
    if missing.any():
        notes.append(f"{int(missing.sum())} rows without a {id_column} were left out.")
        frame = frame.loc[~missing]
    repeated = frame[id_column].duplicated()
    if repeated.any():
        example = frame.loc[repeated, id_column].iloc[0]
        raise DataError(
            f"Customer ID {example!r} appears in more than one row of {table.path} with "
            f"different values; column {id_column!r} must identify each customer once."
        )
    return frame


def _coerce_features(
    frame: pd.DataFrame, features: tuple[str, ...], table: Table
) -> tuple[pd.DataFrame, list[str]]:
    """Turn explicitly chosen text features into numbers, refusing columns that are not numeric."""
    notes = []
    for column in features:
        values = frame[column]
        if _kind(values) == "numeric":
            continue
        numbers = pd.to_numeric(values, errors="coerce")
        present = values.notna()
        parsed = numbers[present].notna()
        if not parsed.any() or parsed.mean() < _NUMERIC_SHARE:
            bad_row = int(parsed.index[~parsed][0]) + 2  # +1 for the header, +1 for 1-based
            raise DataError(
                f"Column {column!r} in {table.path} is not numeric (row {bad_row} holds "
                f"{values[parsed.index[~parsed][0]]!r}); segment on numeric columns only, or "
                "profile this one with --profile."
            )
        if (~parsed).any():
            notes.append(
                f"{int((~parsed).sum())} values in {column} were not numbers and were treated "
                "as missing."
            )
        frame = frame.assign(**{column: numbers})
    return frame, notes


def _kind(values: pd.Series) -> ColumnKind:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return "numeric"
    return "categorical"


def _role(
    column: str, id_column: str | None, features: tuple[str, ...], profile: tuple[str, ...]
) -> ColumnRole:
    if column == id_column:
        return "id"
    if column in features:
        return "feature"
    return "profile" if column in profile else "ignored"


def _fill(values: pd.Series, kind: ColumnKind, column: str, table: Table) -> tuple[pd.Series, str]:
    if values.isna().all():
        raise DataError(
            f"Column {column!r} in {table.path} has no values at all; remove it from the "
            "features and profile columns."
        )
    if kind == "numeric":
        median = float(values.median())
        return values.fillna(median), f"median {median:g}"
    mode = values.mode().sort_values().iloc[0]
    return values.fillna(mode), f"most common value {mode}"
