"""Stage 2: decide each column's role, derive measures, drop duplicates, fill gaps, tame outliers.

Column roles, decided here and shown in the data-quality section (the config's
``id_column``, ``features``, ``profile`` and ``ignore`` override them):

- customer ID: an ID-like name (``CustomerID``, ``cust_no``...) with a unique value in
  every row; never clustered.
- left out, with the reason: a constant column; a column more than half missing; free
  text (text with a different value in at least 90% of rows, such as names).
- code: whole numbers with at most 10 distinct values (channel 1/2, region 1-3); they
  are categories, so they describe segments and are never used as distances. Asked
  for as a feature, a code or a text column with at most 50 categories is one-hot
  encoded (see features.py); a text column with more is refused.
- date: text that reads as dates, with or without a time of day; replaced by a tenure
  in days, counted up to the latest date in the column (not today, so reruns give the
  same numbers). The order of day and month is decided from every distinct date, as for
  order lines (transactions.decide_date_order); when no value tells, day-first, with a
  note on setting ``date_format``, which wins where it reads the column.
- part of a date (Month, Year, Day, Quarter, Weekday, "Month Name"... with values in
  range, see roles.date_part): left out, never a feature.
- birth year: a column named like "year of birth"; replaced by an age in the year of
  the table's latest date (the report's year when it has no dates). Years before 1900,
  or giving an age over 100, are implausible and treated as missing.
- numeric: a measure, clustered on by default; categorical: text, profiled.

Values: missing numbers are filled with the median, missing categories of features with
the most common value, and those of descriptive columns are shown as "(not given)"; but
a money or total column missing exactly where a tenure, age or other duration is 0 (a
total not billed yet) is filled with 0. In the features, extreme outliers (beyond three
times the 1st-99th percentile range past either percentile, e.g. an income 20 times the
usual) are capped at that bound (the exploring table still summarises the values before
the cap). Negative values in money-like columns are reported.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from reportgen import roles, transactions
from reportgen.config import RARE_SHARE
from reportgen.contract import (
    CleanTable,
    ColumnKind,
    ColumnReport,
    ColumnRole,
    DataQuality,
    DateReading,
    DerivedMeasure,
    Outcome,
    Table,
)
from reportgen.errors import DataError, SettingsError
from reportgen.extremes import check_standardizable, read_non_finite
from reportgen.formatting import format_number, format_significant
from reportgen.settings import Settings
from reportgen.wide import cap_features

log = logging.getLogger(__name__)

# Words that make a column of a few whole numbers a quantity rather than a code: counts
# and durations, and rating scales (Mailchimp's MEMBER_RATING 1-5 is engagement, more
# or less of it, not five kinds of subscriber).
_QUANTITY_WORDS = {
    "rating",
    "ratings",
    "stars",
    "engagement",
    "tenure",
    "months",
    "years",
    "days",
    "weeks",
    "age",
    "count",
    "visits",
    "purchases",
    "frequency",
    "recency",
    "num",
    "number",
    "times",
    "previous",
}
# Counts of things a customer has or did, however few their values (AER's dependents
# 0-6, ISLR's Cards 1-9, a hotel booking's adults or booking_changes): more or fewer of
# them, not kinds. Only with three values or more: a 0/1 "Children" is a yes/no.
_COUNT_WORDS = {
    "cards",
    "majorcards",
    "changes",
    "dependents",
    "adults",
    "children",
    "babies",
    "kids",
    "calls",
    "contacts",
    "tickets",
    "reports",
    "claims",
    "policies",
    "accounts",
    "loans",
    "products",
    "items",
    "logins",
    "sessions",
    "seats",
    "nights",
    "stays",
    "bookings",
    "orders",
    "transactions",
    "members",
    "persons",
    "people",
}
# A whole name for a count by convention: UCI bank marketing's "campaign" (contacts
# during this campaign).
_COUNT_NAMES = {"campaign"}
# The last word of a nominal code's name: "MOSTYPE" (CoIL's 40 customer subtypes),
# "customer_type", "Subclass", "AgeGroup", "Product Category". Its numbers are labels,
# however many: a category, never a measure.
_NOMINAL_ENDINGS = ("type", "class", "group", "category")
# A total that accrues over time, and the durations it accrues over (for gaps that are 0).
_TOTAL_WORDS = {"total", "totals", "sum", "cumulative", "lifetime", "accumulated"}
_DURATION_WORDS = {"tenure", "months", "days", "weeks", "years", "age", "seniority", "duration"}
_UNKNOWN_WORDS = {"unknown", "unk", "not known", "n/k", "undisclosed"}
_SPEND_PREFIXES = {"mnt"}  # "MntWines": the amount spent on wine
_DROPPED_PREFIXES = {"num", "nb", "nbr", "cnt", "amt"}
# Units written into a name ("annual_income_thousands", "price_usd") are not the noun.
_UNIT_SUFFIXES = {"thousands", "thousand", "usd", "eur", "gbp", "dollars", "euros", "pct"}
# The date at the start of a value, before any time of day ("4/9/2012 0:00").
_DATE_PART = r"^(\d{8}|\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4})"
# A value in one of the date formats order lines accept (transactions.date_kind): ISO,
# day and month in either order, or compact; with or without a time of day.
_DATE_TEXT = (
    r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"
    r"|(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))(?:[ T]\d{1,2}:\d{2}.*)?$"
)
# How each order of date parts (transactions.decide_date_order) is parsed, once the
# separators are made "-"; a two-digit year takes %y.
_ORDER_FORMATS = {"ymd": "%Y-%m-%d", "dmy": "%d-%m-%Y", "mdy": "%m-%d-%Y", "compact": "%Y%m%d"}
# A mostly numeric column with a few stray strings ("n/a", "-") is numeric with gaps.
_NUMERIC_SHARE = 0.9
MAX_CODES = 10
# What a missing value of a descriptive category column is shown as (never guessed).
NOT_GIVEN = "(not given)"
MOSTLY_MISSING = 0.5
FREE_TEXT_SHARE = 0.9
# Contacts (e-mails, phones) tell people apart: more values than this.
FEW_CONTACT_VALUES = 10
# Near-copies are looked for among at most this many candidate measures, before the cap.
REDUNDANCY_POOL = 60
# A text column asked for as a feature is a category up to this many distinct values.
MAX_FEATURE_CATEGORIES = 50
OUTLIER_REACH = 3.0
# The same rule on the 5th-95th percentiles, with a longer reach: a bound that 1-4% of
# rows at one extreme (placeholders, a handful of giants) cannot move, as they move the
# 1st and 99th percentiles. The tighter of the two bounds applies; on ordinary spreads
# (normal, exponential, log-normal up to sigma 2) the 1st-99th bound is the tighter, and
# on a count that is 0 for 95% of rows it caps a few more (hotel bookings' previous
# bookings: 14 of 15,402 rows above 21 instead of 8 above 24).
ROBUST_REACH = 20.0
# Placeholders for "unknown" written as numbers (-9999, 999999, -10000, a repeated
# 589314): how far beyond the other values, in spans (max - min) of those values, a value
# must lie. All nines (99, 999, ...) above the others; -1, -9.., -10.. below others that
# are never negative; any other value only when repeated, an order of magnitude beyond the
# largest other value as well.
PLACEHOLDER_NINES_GAP = 10.0
PLACEHOLDER_NEGATIVE_GAP = 1.0
PLACEHOLDER_REPEATED_GAP = 50.0
# A measure that every customer has above 0 ("Salary", "Annual Income", "Age"): a 0 there
# is an unknown written as 0 when the other values stand apart from 0 (the smallest at
# least this share of their median).
_NEVER_ZERO_WORDS = {"age", "salary", "salaries", "income", "wage", "wages", "earnings"}
# Words with "age" that make it something other than the customer's age ("Account Age").
_AGE_OF_WHAT = {"customer", "client", "member", "person", "user", "cust", "years", "yrs"}
ZERO_APART_SHARE = 0.05
# A spreadsheet's total lines ("Total", "Grand total") among the last rows.
TOTAL_LINES = 3
TOTAL_LABELS = {
    "total",
    "totals",
    "grand total",
    "subtotal",
    "sum",
    "summe",
    "gesamt",
    "gesamtsumme",
    "total général",
    "totaal",
    "totale",
}
# Fewer customers than this who never bought stay in the table: too few to matter.
NEVER_BOUGHT_MIN = 10
EARLIEST_BIRTH_YEAR = 1900
OLDEST_AGE = 100
_HEAD_ROWS = 10_000


def clean_table(
    table: Table,
    settings: Settings,
    known_kinds: Mapping[str, ColumnKind] | None = None,
    latest: Mapping[str, pd.Timestamp] | None = None,
) -> CleanTable:
    """Assign column roles, derive measures, drop duplicates and fill missing values.

    Args:
        known_kinds: kinds decided by an earlier model (its measures and categories), kept
            so that a measure with few distinct values this month stays a measure.
        latest: the latest date of date columns over more rows than the table holds (the
            Spark engine's every customer, when the table is its sample): days and ages
            are counted to it instead of the table's own latest date.

    Raises:
        SettingsError: a column named in the settings is not in the table.
        DataError: the table cannot be clustered (no numeric feature, an empty column,
            no row left).
    """
    notes: list[str] = [*table.notes, *_config_columns_changed(table, settings)]
    settings = _without_gone_columns(settings, table)
    for name in settings.ignore:
        if name not in table.frame.columns:
            raise SettingsError(
                f"{settings.named('ignore')} names column {name!r}, which is not in {table.path}."
            )
    frame = table.frame.drop(columns=list(settings.ignore))
    details: dict[str, list[str]] = {column: [] for column in table.frame.columns}
    kinds: dict[str, ColumnKind] = {}

    duplicated = exact_duplicates(frame)
    if duplicated.any():
        # take() by position copies each column faster than a boolean .loc (same rows, same labels).
        frame = frame.take(np.flatnonzero(~duplicated.to_numpy()))
    frame = _drop_total_lines(frame, notes)
    date_names: dict[str, str] = {}
    derived: list[DerivedMeasure] = []
    frame = _derive_measures(
        frame, settings, details, kinds, notes, date_names, derived, latest or {}
    )
    # After deriving, so that "Age (from Year_Birth)" can be named like any column.
    _check_named_columns(frame.columns, settings, table)
    frame, blanks = _read_numbers_in_text(frame, settings, details)
    roles_found = _decide_roles(frame, settings, details)
    _refuse_rows_of_occasions(frame, settings, roles_found, kinds, table)
    id_column = roles_found.id_column
    if id_column is None:
        notes.append(
            "No customer ID column was found, so customers are identified by their row "
            "number in the input file (1 = first data row)."
        )
        frame = _drop_placeholder_customers(frame, id_column, notes)
        customer_ids = pd.Series(frame.index + 1, index=frame.index, name="row")
    else:
        frame = _drop_rows_without_id(frame, id_column, table, notes)
        frame = _drop_placeholder_customers(frame, id_column, notes)
        customer_ids = frame[id_column]

    frame, not_applicable = _read_sentinels(frame, id_column, details)
    frame, placeholders = _read_placeholders(frame, id_column, details, notes)
    not_applicable = {
        c: not_applicable.get(c, 0) + placeholders.get(c, 0)
        for c in {*not_applicable, *placeholders}
    }
    not_applicable.update(blanks)
    frame, infinite = read_non_finite(frame, details)
    not_applicable = {c: not_applicable.get(c, 0) + infinite.get(c, 0) for c in frame.columns}
    frame, coerced = _coerce_features(frame, settings, table)
    notes.extend(coerced)
    kinds.update({c: kind for c, kind in (known_kinds or {}).items() if c in frame.columns})
    kinds.update({column: "code" for column in roles_found.codes if column not in kinds})
    for column in frame.columns:
        kinds.setdefault(column, _kind(frame[column], str(column)))
    frame, customer_ids, never_bought = _leave_out_never_bought(
        frame,
        customer_ids,
        [c for c in frame.columns if c != id_column and kinds[c] == "numeric"],
    )
    if never_bought:
        notes.extend(never_bought.notes)
        for column in never_bought.blank:
            details[column].append(
                "blank for the customers who never bought (set apart), not a missing value"
            )
    named = {*settings.features, *settings.profile, id_column}
    outcome_columns = {outcome.column for outcome in roles_found.outcomes}
    left_out = dict(roles_found.left_out)
    left_out.update(
        {
            days: RECORD_DATE_REASON
            for column, kind in kinds.items()
            if kind == "date"
            and (days := f"{column} (days)") in frame.columns
            and days not in named
            and is_record_date(column)
        }
    )
    left_out.update(
        {
            column: reason
            for column in frame.columns
            if column not in named
            and column not in left_out
            and column not in outcome_columns
            and (reason := _reason_to_leave_out(column, frame[column], kinds[column]))
        }
    )
    left_out.update(
        roles.leaks(
            frame,
            [
                c
                for c in frame.columns
                if c not in named | left_out.keys() | outcome_columns and kinds[c] == "numeric"
            ],
            roles_found.outcomes,
        )
    )
    if settings.features and all(kinds[column] != "numeric" for column in settings.features):
        raise SettingsError(
            f"The features ({', '.join(settings.features)}) are all categories; segmenting "
            "on categories alone is not supported. Add at least one measure to "
            f"{settings.named('features')}."
        )
    usable = [
        c
        for c in frame.columns
        if c != id_column and c not in left_out and c not in outcome_columns
    ]
    described = {c: why for c, why in roles_found.described.items() if c in usable}
    features = settings.features or tuple(
        c
        for c in usable
        if kinds[c] == "numeric" and c not in settings.profile and c not in described
    )
    for column, reason in described.items():
        if settings.profile:
            left_out[column] = reason.replace("; described in each segment", "")
            usable.remove(column)
        else:
            details[column].append(reason)
    if not settings.features:
        # Near-copies are set aside before the cap, so that they do not take the places
        # of independent measures; among a bounded pool, as the search compares every pair.
        candidates = features
        pool, pooled = cap_features(frame, candidates, limit=REDUNDANCY_POOL)
        twins = roles.redundant(frame, pool) if len(pool) > 1 else {}
        features, capped = cap_features(frame, [c for c in pool if c not in twins])
        if pooled:
            capped = (
                f"{len(candidates):,} numeric columns could be features; the {len(features)} "
                "with the fewest missing values and then the most distinct values, near-copies "
                "of each other aside, were used (choose others with "
                f"{settings.named('features')}); the rest describe the segments."
            )
        notes.extend([capped] if capped else [])
        for column, reason in twins.items():
            if settings.profile:
                left_out[column] = reason.replace("; described in each segment", "")
                usable.remove(column)
            else:
                details[column].append(reason)
    if not features:
        # Say why when there were measures, but none could be used (constant, empty).
        unusable = [f"{c!r}: {r.removeprefix('left out: ')}" for c, r in left_out.items()]
        if len(frame) == 1:
            raise DataError(
                f"{table.path} holds one customer row; segmenting needs many customers. "
                "Check that the whole table was exported."
            )
        codes = [
            c
            for c in usable
            if kinds[c] == "code"
            and pd.api.types.is_numeric_dtype(frame[c])
            and not pd.api.types.is_bool_dtype(frame[c])
        ]
        if codes:
            nominal = [c for c in codes if names_nominal_code(c)]
            which = (
                f"{_names(nominal[:3])} {'is' if len(nominal) == 1 else 'are'} named like "
                "a nominal code (type, class, group, category) and the others hold"
                if nominal
                else "they hold"
            )
            raise DataError(
                f"{table.path} has no column that measures customers: its "
                f"{len(codes):,} numeric column{'s are' if len(codes) > 1 else ' is'} read "
                f"as codes (categories): {which} at most {MAX_CODES} whole numbers each. "
                "Segments need at least one measure, and a code asked for with "
                f"{settings.named('features')} is a category (one-hot encoded), not a "
                "measure. Export a measure with the table (spend, tenure, a number of "
                f"policies written as a number) and run again.{_other_sheets(table)}"
            )
        if any(pd.api.types.is_numeric_dtype(frame[c]) for c in left_out):
            raise DataError(
                f"{table.path} has no numeric column that can separate customers: "
                f"{'; '.join(unusable[:3])}{' …' if len(unusable) > 3 else ''}."
                f"{_other_sheets(table)}"
            )
        if table.sheets:
            raise DataError(
                f"{table.path} has no numeric column to segment customers on in sheet "
                f"{table.sheet!r}; "
                f"choose the sheet that holds the customer table with --sheet (its sheets: "
                f"{', '.join(map(repr, table.sheets))}), or columns with "
                f"{settings.named('features')}."
            )
        delimiter = "check the delimiter or " if "-separated text" in table.description else ""
        raise DataError(
            f"{table.path} has no numeric column to segment customers on; "
            f"{delimiter}choose columns with {settings.named('features')}."
        )
    profile = settings.profile or tuple(c for c in usable if c not in features)
    used = (*features, *profile)

    filled = frame.copy(deep=False)  # copy-on-write: only the columns changed below are new
    for column in used:
        missing = int(frame[column].isna().sum())
        if missing and (duration := _structural_zero(frame, column, kinds)):
            filled[column] = frame[column].fillna(0)
            details[column].append(
                f"{missing:,} missing filled with 0: they are exactly the customers whose "
                f"{duration} is 0, who have had no time to accrue any (a median would "
                "invent an amount)"
            )
        elif missing and kinds[column] == "categorical" and column not in features:
            # A description is not a distance: a blank province is not Ontario, and a
            # blank name on an order's second line is not the most common customer.
            filled[column] = frame[column].astype(object).where(frame[column].notna(), NOT_GIVEN)
            details[column].append(f"{missing:,} missing shown as {NOT_GIVEN!r}, not guessed")
        elif missing:
            filled[column], how = _fill(frame[column], kinds[column], column, table)
            details[column].append(f"{missing:,} missing filled with {how}")
            if kinds[column] != "numeric":
                # A gap made pandas read the codes as 1.0, 2.0: back to 1, 2 once filled.
                filled[column] = _whole_numbers(filled[column])
    uncapped: dict[str, pd.Series] = {}
    for column in features:
        if kinds[column] == "numeric":
            values = filled[column]
            capped_values = _cap_outliers(values, details[column])
            if capped_values is not values:  # the same Series back when nothing was capped
                uncapped[column] = values.reset_index(drop=True)
            filled[column] = capped_values
            check_standardizable(filled[column], column, table.path)
    for column in used:
        _note_negative_money(filled[column], column, details[column])
        if kinds[column] in ("categorical", "code"):
            _note_rare_categories(filled[column], details[column])
            _note_unknowns(filled[column], details[column])
    for column, reason in left_out.items():
        details[column].append(reason)

    if duplicated.any():
        log.info("dropped %d exact duplicate rows", duplicated.sum())
    reports = tuple(
        ColumnReport(
            name=column,
            kind=kinds.get(column, "categorical"),
            role="outcome"
            if column in outcome_columns
            else _role(column, id_column, features, profile),
            missing=(int(table.frame[column].isna().sum()) if column in table.frame else 0)
            + not_applicable.get(column, 0),
            note="; ".join(details.get(column, [])) or None,
        )
        for column in [*table.frame.columns, *(c for c in frame.columns if c not in table.frame)]
        if column not in settings.ignore
    )
    quality = DataQuality(
        rows_read=len(table.frame),
        duplicate_rows=int(duplicated.sum()),
        rows_kept=len(filled),
        columns=reports,
        notes=tuple(notes),
        source=table.description,
        ignored=tuple(settings.ignore),
        never_bought=len(never_bought.table) if never_bought else 0,
        never_bought_columns=never_bought.columns if never_bought else (),
        never_bought_blank=never_bought.blank if never_bought else (),
    )
    return CleanTable(
        frame=filled.reset_index(drop=True),
        customer_ids=customer_ids.reset_index(drop=True),
        id_column=id_column,
        feature_columns=tuple(features),
        profile_columns=tuple(profile),
        short_names=_short_names(used, kinds, date_names, settings.labels),
        quality=quality,
        kinds={column: kinds[column] for column in frame.columns},
        display_names={
            column: display_name(column, {**table.units, **settings.units})
            for column in frame.columns
        },
        outcomes=roles_found.outcomes,
        uncapped=uncapped,
        not_segmented=never_bought.table if never_bought else None,
        derived=tuple(derived),
    )


def _other_sheets(table: Table) -> str:
    """A sentence naming a workbook's other sheets, for a message that refuses the one read."""
    others = [name for name in table.sheets if name != table.sheet]
    if not others:
        return ""
    return (
        f" Sheet {table.sheet!r} was read; the workbook's other sheets "
        f"({', '.join(map(repr, others))}) can be chosen with --sheet."
    )


def _config_columns_changed(table: Table, settings: Settings) -> list[str]:
    """Say which columns appeared or disappeared since the config was written (init)."""
    if not settings.columns:
        return []
    current = [str(column) for column in table.frame.columns]
    appeared = [column for column in current if column not in settings.columns]
    gone = [column for column in settings.columns if column not in current]
    notes = []
    if appeared:
        notes.append(
            f"New since the config was written: {', '.join(appeared)}. The table below says "
            "how each was used; `reportgen init` shows the role each would get."
        )
    if gone:
        unused = [
            f"{key} ({', '.join(names)})"
            for key, names in _gone_entries(settings, gone).items()
            if names
        ]
        skipped = (
            f" The config's {' and '.join(unused)} entries for them were skipped; remove "
            "them from the config when convenient."
            if unused
            else ""
        )
        notes.append(f"Gone since the config was written: {', '.join(gone)}.{skipped}")
    return notes


def _gone_entries(settings: Settings, gone: Iterable[str]) -> dict[str, list[str]]:
    """The config's ignore, profile, labels and units entries naming columns now gone."""
    gone = set(gone)
    return {
        "ignore": [c for c in settings.ignore if c in gone],
        "profile": [c for c in settings.profile if c in gone],
        "labels": [c for c in settings.labels if c in gone],
        "units": [c for c in settings.units if c in gone],
    }


def _without_gone_columns(settings: Settings, table: Table) -> Settings:
    """Drop the entries that only describe or skip a column that has since disappeared.

    An unused column dropped from next month's export must not stop the monthly run: its
    ignore, profile, labels and units entries are moot (and noted). Features, the ID
    column and outcomes stay required, and a name never in the table is still a typo,
    refused.
    """
    current = {str(column) for column in table.frame.columns}
    gone = [column for column in settings.columns if column not in current]
    if not gone:
        return settings
    entries = _gone_entries(settings, gone)
    return dataclasses.replace(
        settings,
        ignore=tuple(c for c in settings.ignore if c not in entries["ignore"]),
        profile=tuple(c for c in settings.profile if c not in entries["profile"]),
        labels={k: v for k, v in settings.labels.items() if k not in entries["labels"]},
        units={k: v for k, v in settings.units.items() if k not in entries["units"]},
    )


@dataclass(frozen=True)
class _Roles:
    """The roles decided before measures are chosen: ID, outcomes, columns left out."""

    id_column: str | None
    outcomes: tuple[Outcome, ...]
    left_out: dict[str, str]
    codes: tuple[str, ...] = ()
    # Not segmented on, but described: the second of two shares that sum to 1.
    described: Mapping[str, str] = field(default_factory=dict)
    # Whether the customer ID says whose rows they are (CustomerID, Guest ID), rather
    # than numbering rows or coding them (rownames, a booking's PNR, a Transaction ID).
    named_id: bool = False


def _refuse_rows_of_occasions(
    frame: pd.DataFrame,
    settings: Settings,
    found: _Roles,
    kinds: Mapping[str, ColumnKind],
    table: Table,
) -> None:
    """Stop when the rows are bookings or shopping trips, not one row per customer.

    Only when no ID names the customer (row numbers, a booking code, no ID), the
    table is not said to be customers (--input-kind customers) and no ID is configured:
    either an ID-like column repeats and names no store, plan or branch ("FFP Number"
    2,385 rows of 800 flyers, a panel's household id), or two or more columns describe
    one stay or trip (arrival_date, lead_time, reserved_room_type) and no column names
    the guest.

    Raises:
        DataError: with the column, the rows per value and what to do.
    """
    if settings.input_kind == "customers" or settings.id_column or found.named_id:
        return
    name = table.path.name
    dates = [str(c) for c, kind in kinds.items() if kind == "date"]
    instead = (
        "If each row really is one customer, run with --input-kind customers "
        '(input_kind = "customers" in the config).'
    )
    for column in frame.columns:
        if column == found.id_column or column in settings.features:
            continue
        owner = roles.repeating_owner(str(column), frame[column])
        if owner is None:
            continue
        distinct, rows, most = owner
        # A list of contracts keyed by its holder ('insured_id', policies beside a start
        # date and a premium): order lines would read each contract as a purchase
        # (review 7, class 7), so the advice is one row per customer, not orders.
        owned = transactions.Roles(customer=str(column))
        head = transactions.as_text(table.frame.head(transactions.HEAD_LINES))
        if column in head.columns and (shown := transactions.contract_columns(head, owned)):
            evidence = {"lines_per_customer": rows / distinct}
            raise DataError(transactions.contract_message(name, owned, evidence, shown))
        by = (
            f'Run them as order lines: --input-kind orders with customer = "{column}" '
            f'and date = "{dates[0]}" (and amount, order, status as needed) in the '
            "config; or aggregate"
            if dates
            else "Aggregate"
        )
        raise DataError(
            f"The rows of {name} look like bookings or occasions of {column}, not "
            f"customers: {column} repeats ({distinct:,} values in {rows:,} rows, "
            f"{rows / distinct:.1f} rows each on average and up to {most:,} for one), while "
            f"{_chosen_id(found)}. Segments of these rows would group occasions, not "
            f"customers. {by} the rows to one per {column} before running. {instead}"
        )
    occasions = roles.occasion_columns(
        [str(c) for c in table.frame.columns if c not in settings.ignore]
    )
    if len(occasions) >= roles.MIN_OCCASION_COLUMNS:
        raise DataError(
            f"The rows of {name} look like bookings, stays or trips, not customers: "
            f"{', '.join(occasions[:4])} describe one occasion, and {_chosen_id(found)}. "
            "A table of bookings without a guest or customer identifier cannot be "
            "segmented by customer. Export one row per customer (a guest profile with "
            "their stays, nights and spend), or bookings with the guest's ID to run as "
            f"order lines (--input-kind orders). {instead}"
        )


def _chosen_id(found: _Roles) -> str:
    if found.id_column is None:
        return "no column names the customer"
    return f"the only unique ID, {found.id_column}, numbers or codes the rows"


def _without_copies(
    frame: pd.DataFrame, outcomes: tuple[Outcome, ...], left_out: dict[str, str]
) -> tuple[Outcome, ...]:
    """The outcomes found, each once: one that marks the same customers as an earlier one
    (Churn 0/1 and its text twin Churn_label Yes/No, or their reverse) is a copy, left out
    with the reason, so page 1 and every action do not say it twice."""
    kept: list[Outcome] = []
    for outcome in outcomes:
        twin = next(
            ((other, how) for other in kept if (how := roles.same_outcome(frame, other, outcome))),
            None,
        )
        if twin is None:
            kept.append(outcome)
            continue
        other, how = twin
        says = "the same customers as" if how == "same" else "exactly the customers not in"
        left_out[outcome.column] = (
            f"left out: a copy of the outcome {other.column} ({outcome.positive!r} marks "
            f"{says} {other.positive!r} of {other.column} on every row), which is kept"
        )
    return tuple(kept)


def _decide_roles(frame: pd.DataFrame, settings: Settings, details: dict[str, list[str]]) -> _Roles:
    """Find the identifiers, the outcomes and the model outputs (see roles.py).

    Columns named in the settings keep the role they were given, except that an
    identifier is refused as a feature.

    Raises:
        SettingsError: a feature is an identifier.
    """
    configured = {*settings.profile, *(settings.outcomes or ())}
    identifiers = roles.find_identifiers(frame, skip=configured - {settings.id_column})
    by_column = {identifier.column: identifier for identifier in identifiers}
    if settings.id_column:
        id_column: str | None = settings.id_column
    else:
        chosen = roles.choose_customer_id(identifiers)
        id_column = chosen.column if chosen else None
    for column in settings.features:
        identifier = by_column.get(column)
        if column == id_column or (identifier and (identifier.named or "row" in identifier.reason)):
            why = f" ({identifier.reason})" if identifier else ""
            raise SettingsError(
                f"{settings.named('features')} includes column {column!r}, which is an "
                f"identifier{why}. An ID "
                "numbers customers, it does not measure them, so segments built on it would mean "
                f"nothing; remove {column!r} from the features."
            )
    left_out: dict[str, str] = {}
    for identifier in identifiers:
        if identifier.column == id_column:
            details[identifier.column].append(f"the customer ID: {identifier.reason}")
        elif identifier.column not in settings.features:
            also = f"; the customer ID is {id_column}" if id_column else ""
            left_out[identifier.column] = (
                f"left out: an identifier ({identifier.reason}), never a feature{also}"
            )
    for column in frame.columns:
        column = str(column)
        if (
            column not in left_out
            and column != id_column
            and column not in settings.features
            and column not in settings.profile
            and roles.names_an_order_number(column)
        ):
            # Basket numbers are not a behaviour: 'High transaction' segments meant nothing.
            left_out[column] = (
                "left out: named as an order, receipt or ticket number, which numbers "
                "purchases and measures nothing about a customer"
            )
    explicit = {*settings.features, *settings.profile, *left_out, id_column}
    if settings.outcomes is not None:
        for column in settings.outcomes:
            distinct = frame[column].nunique()
            if not 2 <= distinct <= roles.MAX_OUTCOME_VALUES:
                raise SettingsError(
                    f"{settings.named('outcomes')} names column {column!r}, which has "
                    f"{distinct:,} different value{'s' if distinct != 1 else ''}; an outcome "
                    f"has two (or up to {roles.MAX_OUTCOME_VALUES}) values, such as Yes/No: "
                    "remove it from the outcomes."
                )
        outcomes = tuple(roles.configured_outcome(c, frame[c]) for c in settings.outcomes)
    else:
        outcomes = tuple(
            outcome
            for column in frame.columns
            if column not in explicit and (outcome := roles.outcome_of(str(column), frame[column]))
        )
    events: tuple[Outcome, ...] = ()
    if settings.outcomes is None and not outcomes:
        events = tuple(
            outcome
            for column in frame.columns
            if column not in explicit
            and (outcome := roles.event_outcome(str(column), frame[column]))
        )
        outcomes = events
    if settings.outcomes is None:
        outcomes = _without_copies(frame, outcomes, left_out)
        explicit |= set(left_out)
    for outcome in outcomes:
        how = "as configured" if settings.outcomes is not None else "by its name and values"
        if outcome in events:
            how = (
                "it looks like one: two values, and they or the name say something happened "
                "to the customer; set outcomes in the config if it is not"
            )
        details[outcome.column].append(
            f"a result to explain ({how}): never a feature; the report shows the share "
            f"of {outcome.positive!r} in each segment"
        )
    explicit |= {outcome.column for outcome in outcomes}
    candidates = [str(column) for column in frame.columns if column not in explicit]
    for column in candidates:
        if model := roles.model_output(column, frame[column]):
            left_out[column] = (
                f"left out: {model}, not a customer's behaviour; segmenting on what a model "
                "said would only give its answer back"
            )
    named_models = set(left_out)
    pairs = roles.probability_pairs(
        frame, [c for c in candidates if c not in left_out or c in named_models]
    )
    described: dict[str, str] = {}
    for column, pair in pairs.items():
        if column in left_out:
            continue
        if pair in named_models:
            left_out[column] = (
                f"left out: sums to 1 with {pair} on every row, like a model's two "
                "probabilities, not a customer's behaviour"
            )
        elif candidates.index(column) > candidates.index(pair):
            # Shares of a whole (online + store = 1) are behaviour, but the second says
            # only what the first says; a leak of the outcome is caught with the measures.
            described[column] = (
                f"not a feature: sums to 1 with {pair} on every row, so it says what {pair} "
                "says; described in each segment"
            )
    # Postal codes and phone numbers are numbers but not quantities: categories.
    codes = tuple(
        column
        for column in candidates
        if column not in left_out
        and roles.is_code_name(column)
        and pd.api.types.is_numeric_dtype(frame[column])
    )
    for column in codes:
        details[column].append("numbers named like a code (postal code, phone): a category")
    # A repeated Store ID or Plan ID names what customers share: a category too.
    shared = tuple(
        column
        for column in candidates
        if column not in left_out
        and column not in codes
        and column not in by_column
        and pd.api.types.is_numeric_dtype(frame[column])
        and roles.is_shared_code(column, frame[column])
    )
    for column in shared:
        details[column].append(
            f"an ID-like name with {frame[column].nunique():,} values shared by many "
            "customers (a store, plan or branch): a category, described in each segment"
        )
    codes = (*codes, *shared)
    chosen = by_column.get(id_column) if id_column else None
    named_id = bool(settings.id_column) or (
        chosen is not None
        and roles.names_a_customer(chosen.column)
        and not chosen.reason.startswith("row numbers")
    )
    return _Roles(
        id_column=id_column,
        outcomes=outcomes,
        left_out=left_out,
        codes=codes,
        described=described,
        named_id=named_id,
    )


def _read_numbers_in_text(
    frame: pd.DataFrame, settings: Settings, details: dict[str, list[str]]
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Read text columns that hold numbers and blanks (a total left " " for new customers).

    Text with a leading zero ("00042") stays text: such values are codes, not amounts.

    Returns:
        The table, and how many blanks of each column became missing.
    """
    counts = {}
    for column in frame.columns:
        values = frame[column]
        text_like = values.dtype == object or pd.api.types.is_string_dtype(values)
        if not text_like or column in settings.features:
            continue
        head = values.head(_HEAD_ROWS).dropna().astype(str).str.strip()
        head = head[head != ""]
        if len(head) and pd.to_numeric(head, errors="coerce").isna().any():
            continue  # names, categories: not worth reading millions of values
        stripped = values.astype(str).str.strip().where(values.notna())
        blank = stripped == ""
        filled = stripped[values.notna() & ~blank]
        if filled.empty or not blank.any() or filled.str.match(r"^[-+]?0\d").any():
            continue
        if pd.to_numeric(filled, errors="coerce").isna().any():
            continue
        frame = frame.assign(**{column: pd.to_numeric(stripped.where(~blank), errors="coerce")})
        counts[column] = int(blank.sum())
        details[column].append(
            f"{counts[column]:,} blank value{'s' if counts[column] != 1 else ''} read as "
            "missing; the others are numbers"
        )
    return frame, counts


def exact_duplicates(frame: pd.DataFrame) -> pd.Series:
    """Mark rows identical to an earlier row, as DataFrame.duplicated does, but faster.

    Two identical rows share every value, so rows whose ID-like column holds a value
    no other row has cannot be duplicates: only the rest are compared in full. On ten
    million customers this takes a second instead of five.
    """
    key = next((column for column in frame.columns if roles.is_id_name(str(column))), None)
    if key is None:
        return frame.duplicated()
    repeated = _repeated(frame[key])
    duplicated = pd.Series(False, index=frame.index)
    if repeated.any():
        duplicated[repeated] = frame.loc[repeated].duplicated().to_numpy()
    return duplicated


def _repeated(values: pd.Series) -> pd.Series:
    """Mark every value that occurs more than once, as ``duplicated(keep=False)`` does.

    Exports are usually sorted by their ID: then repeats are neighbours, and one
    comparison of each value with the next replaces hashing ten million values.
    """
    array = values.to_numpy()
    if len(array) < 2 or not _is_sorted_numbers(array):
        return values.duplicated(keep=False)
    same_as_next = array[1:] == array[:-1]
    repeated = np.zeros(len(array), dtype=bool)
    repeated[:-1] |= same_as_next
    repeated[1:] |= same_as_next
    return pd.Series(repeated, index=values.index)


def _is_unique(values: pd.Series) -> bool:
    """Return ``values.is_unique``, without hashing when the values are strictly increasing."""
    return roles.increasing(values) or bool(values.is_unique)


def _is_sorted_numbers(array: np.ndarray) -> bool:
    """Return whether ``array`` holds integers in non-decreasing order (one cheap pass)."""
    return array.dtype.kind in "iu" and bool((array[1:] >= array[:-1]).all())


def display_name(column: str, units: Mapping[str, str]) -> str:
    """Return a column's name with its configured unit: 'Income' -> 'Income (€)'.

    A name longer than LONG_NAME characters is abbreviated (see ``abbreviate``).
    """
    unit = units.get(column)
    shown = abbreviate(column)
    return f"{shown} ({unit})" if unit and unit not in column else shown


LONG_NAME = 30


def abbreviate(text: str, limit: int = LONG_NAME) -> str:
    """Shorten a long name readably: its first words, '…', and a short last word.

    'Naive_Bayes_Classifier_Attrition_Flag_..._mon_1' -> 'Naive Bayes Classifier … 1'.
    A last word that is a number (or two letters) is kept, since it is what tells apart columns that
    differ only at the end (…_1, …_2).
    """
    if len(text) <= limit:
        return text
    parts = [part for part in re.split(r"[_\s]+", text) if part]
    tail = parts[-1] if len(parts) > 1 and (parts[-1].isdigit() or len(parts[-1]) <= 2) else ""
    budget = limit - (len(tail) + 3 if tail else 2)
    head: list[str] = []
    for part in parts[: len(parts) - 1 if tail else len(parts)]:
        if len(" ".join([*head, part])) > budget:
            break
        head.append(part)
    start = " ".join(head) or text[:budget]
    return f"{start} … {tail}" if tail else f"{start} …"


def short_name(column: str) -> str:
    """Return a column's name as a lower-case noun: 'Annual Income (k$)' -> 'annual income'.

    Export abbreviations read badly in a segment's name: the marketing tables' "Mnt"
    (amount spent) becomes "spend" ('MntWines' -> 'wines spend'), count and amount
    prefixes are dropped ('NumStorePurchases' -> 'store purchases', 'AMT_CREDIT' -> 'credit';
    spelt out before "of": 'NumOfProducts' -> 'number of products'), and so is a unit at
    the end ('annual_income_thousands' -> 'annual income').
    """
    without_units = re.sub(r"\s*[\(\[].*?[\)\]]", "", column).strip() or column
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", without_units)  # MntWines -> Mnt Wines
    words = re.sub(r"[_\s]+", " ", spaced).lower().split(" ")
    if len(words) > 1 and words[0] in _SPEND_PREFIXES:
        words = [*words[1:], "spend"]
    elif len(words) > 2 and words[0] in _DROPPED_PREFIXES and words[1] == "of":
        words = ["amount" if words[0] == "amt" else "number", *words[1:]]  # "NumOfProducts"
    elif len(words) > 1 and words[0] in _DROPPED_PREFIXES:
        words = words[1:]
    if len(words) > 1 and words[-1] in _UNIT_SUFFIXES:
        words = words[:-1]
    return abbreviate(" ".join(words))


def _check_named_columns(columns: Iterable[str], settings: Settings, table: Table) -> None:
    available = list(columns)
    named = {
        "features": settings.features,
        "profile": settings.profile,
        "id_column": (settings.id_column,) if settings.id_column else (),
        "outcomes": settings.outcomes or (),
        "labels": tuple(settings.labels),
        "units": tuple(settings.units),
    }
    for setting, names in named.items():
        for name in names:
            if name not in available:
                raise SettingsError(
                    f"{settings.named(setting)} names column {name!r}, which is not in "
                    f"{table.path}."
                    f"{_did_you_mean(name, available)} Its columns are: {', '.join(available)}."
                )


def _did_you_mean(name: str, available: list[str]) -> str:
    same_letters = [column for column in available if column.lower() == name.lower()]
    close = same_letters or difflib.get_close_matches(name, available, n=1, cutoff=0.75)
    return f" Did you mean {close[0]!r}?" if close else ""


def _derive_measures(
    frame: pd.DataFrame,
    settings: Settings,
    details: dict[str, list[str]],
    kinds: dict[str, ColumnKind],
    notes: list[str],
    date_names: dict[str, str],
    derived: list[DerivedMeasure],
    latest_known: Mapping[str, pd.Timestamp],
) -> pd.DataFrame:
    """Replace date columns by the days to the latest date, and birth years and birth
    dates by age.

    A date's order of day and month is decided from the whole column, as for order
    lines; when no value tells, the dates are read day-first and a note says how to
    set ``date_format`` if that is wrong. ``date_names`` receives the short names of the
    day counts whose dates say what they measure (date_measure_name); ``derived`` each
    measure made, with how (what the Spark engine makes again over every customer). A
    column's latest date is ``latest_known``'s when given.
    """
    named = {*settings.features, *settings.profile, settings.id_column}
    guessed: list[str] = []
    births: dict[str, DateReading | None] = {
        column: None
        for column in frame.columns
        if column not in named and _is_birth_year(column, frame[column])
    }
    # The table's own time: ages as of its latest date (iFood's 2014 customers were not
    # 12 years older then), or the report's year when it has no dates.
    latest_dates: list[pd.Timestamp] = []
    measured: dict[str, str | None] = {}
    for column in list(frame.columns):
        values = frame[column]
        if column in named or column in births:
            continue
        if pd.api.types.is_datetime64_any_dtype(values):
            # A workbook's own dates (or a Parquet file's): nothing to decide.
            if isinstance(values.dtype, pd.DatetimeTZDtype):
                values = values.dt.tz_localize(None)
            read: tuple[pd.Series, str, bool, DateReading] | None = (
                values,
                "dates",
                False,
                DateReading(None),
            )
        elif values.dtype == object or pd.api.types.is_string_dtype(values):
            read = _parse_dates(values, settings.date_format)
        else:
            read = None
        if read is not None:
            dates, reading, ambiguous, how = read
            if _names_birth(column):
                # A birth date is an age, like a birth year: the year is enough.
                frame = frame.assign(**{column: dates.dt.year.astype(float)})
                births[column] = how
                details[column].append(f"read as {reading}")
                if ambiguous:
                    guessed.append(column)
                continue
            latest = latest_known.get(column, dates.max())
            tenure_column = f"{column} (days)"
            measured[tenure_column] = date_measure_name(column)
            frame = frame.assign(**{tenure_column: (latest - dates).dt.days})
            frame = frame.drop(columns=column)
            latest_dates.append(latest)
            derived.append(DerivedMeasure(tenure_column, column, how, latest=latest))
            kinds[column] = "date"
            details[column].append(
                f"read as {reading}; replaced by {tenure_column!r}: days to the latest date "
                f"({latest:%Y-%m-%d})"
            )
            details[tenure_column] = []
            if ambiguous:
                guessed.append(column)
    date_names.update({c: name for c, name in measured.items() if name})
    for column, birth in births.items():
        frame, year = _birth_year_to_age(
            frame, column, latest_dates, settings.period, details, kinds
        )
        derived.append(DerivedMeasure(f"Age (from {column})", column, birth, year=year))
    if guessed:
        notes.append(
            f"No date in {_names(guessed)} has a day above 12, so whether "
            f"{'they are' if len(guessed) > 1 else 'it is'} day-first or month-first cannot be "
            'told: read day-first (dd/mm/yyyy). If month-first, set date_format = "%m/%d/%Y" '
            "in the config file."
        )
    return frame


_LAST_WORDS = {"last", "latest", "recent", "previous", "prev", "lst"}
_FIRST_WORDS = {
    "first",
    "signup",
    "registration",
    "registered",
    "joined",
    "join",
    "since",
    "start",
    "opened",
    "enrolled",
    "enrollment",
    "enrolment",
    "acquisition",
    "acquired",
    "onboarded",
    # A mailing list's sign-up: Mailchimp's OPTIN_TIME, 'Subscribed On'.
    "optin",
    "opted",
    "subscribed",
}
_BIRTH_WORDS = {"birth", "born", "dob", "birthday", "birthdate"}
# A date that says when a record was changed, not what the customer did: 'LAST_CHANGED',
# 'Last Modified', 'Updated At', 'Record edited', 'last_sync'. Only these words and the
# fillers below: 'Plan Changed' names a change the customer made.
_RECORD_WORDS = {
    "changed",
    "change",
    "modified",
    "modification",
    "updated",
    "update",
    "edited",
    "edit",
    "sync",
    "synced",
    "synchronised",
    "synchronized",
    "refreshed",
    "imported",
    "exported",
}
_RECORD_FILLERS = {
    "last",
    "latest",
    "date",
    "time",
    "timestamp",
    "datetime",
    "at",
    "on",
    "dt",
    "ts",
    "record",
    "row",
    "entry",
    "profile",
    "contact",
    "member",
    "customer",
    "account",
    "data",
}
RECORD_DATE_REASON = (
    "left out: a record-keeping date (when the record was changed or synced), not something "
    "the customer did; as recency it would call customers lapsed whose record was not edited"
)


def is_record_date(column: str) -> bool:
    """Whether a date column's name says only when its record was changed (_RECORD_WORDS)."""
    words = set(roles.words(column))
    return bool(words & _RECORD_WORDS) and not words - _RECORD_WORDS - _RECORD_FILLERS


def date_measure_name(column: str) -> str | None:
    """What the days to the latest date of a date column measure, by its name: "recency"
    for a last purchase, order or visit ('Last Order Date'), "tenure" for a first one or
    a sign-up ('Customer Since', 'Signup Date', 'first_purchase'); None otherwise.

    Without it, 'High last order date' would read as a recent date, when it is many days.
    """
    if column.lower() in ("dt_customer", "customer_since"):
        return "tenure"
    if is_record_date(column):
        return None
    return _since_name(set(roles.words(column)))


def _short_names(
    columns: Sequence[str],
    kinds: Mapping[str, ColumnKind],
    date_names: Mapping[str, str],
    labels: Mapping[str, str],
) -> dict[str, str]:
    """Each used column's short name: the configured label, else "recency" or "tenure"
    for a date (date_measure_name) or a count of days since a last or first purchase
    ('DaySinceLastOrder', 'days_since_signup'), else short_name. "recency" and "tenure"
    go to one column only, never beside a column already called so ('Recency')."""
    plain = {column: labels.get(column) or short_name(column) for column in columns}
    told = {
        column: name
        for column in columns
        if column not in labels
        and (
            name := date_names.get(column)
            or (
                kinds.get(column) == "numeric"
                and "since" in (words := set(roles.words(column)))
                and _since_name(words - {"since"})
            )
        )
    }
    said = Counter([*told.values(), *(plain[c] for c in columns if c not in told)])
    return {
        column: told[column] if said[told.get(column, "")] == 1 else plain[column]
        for column in columns
    }


def _since_name(words: set[str]) -> str | None:
    if words & _LAST_WORDS:
        return "recency"
    return "tenure" if words & _FIRST_WORDS else None


def _names_birth(column: str) -> bool:
    return bool(set(roles.words(column)) & _BIRTH_WORDS) or "birth" in column.lower()


def _birth_year_to_age(
    frame: pd.DataFrame,
    column: str,
    latest_dates: Sequence[pd.Timestamp],
    period: str,
    details: dict[str, list[str]],
    kinds: dict[str, ColumnKind],
) -> tuple[pd.DataFrame, int]:
    """Replace a birth-year column by the age in the year of the table's latest date (the
    report's year when the table has no dates); implausible years become missing.

    Returns the table and the year."""
    values = frame[column]
    dated = bool(latest_dates) and not pd.isna(max(latest_dates))
    year = max(latest_dates).year if dated else int(period[:4])
    implausible = (values < EARLIEST_BIRTH_YEAR) | (year - values > OLDEST_AGE)
    if implausible.any():
        details[column].append(
            f"{int(implausible.sum())} birth years before {EARLIEST_BIRTH_YEAR} or "
            f"giving an age over {OLDEST_AGE} treated as missing"
        )
    age_column = f"Age (from {column})"
    frame = frame.assign(**{age_column: year - values.where(~implausible)})
    frame = frame.drop(columns=column)
    kinds[column] = "date"
    when = "the year of the table's latest date" if dated else "the report's year"
    details[column].append(f"replaced by {age_column!r}: age in {year}, {when}")
    details[age_column] = []
    return frame, year


def _names(columns: list[str]) -> str:
    if len(columns) == 1:
        return columns[0]
    return f"{', '.join(columns[:-1])} or {columns[-1]}"


def _is_birth_year(column: str, values: pd.Series) -> bool:
    words = set(roles.words(column))
    if not ({"birth", "born"} & words and ({"year", "yob"} & words or "year" in column.lower())):
        return False
    present = values.dropna()
    return (
        pd.api.types.is_numeric_dtype(values)
        and len(present) > 0
        and bool((present % 1 == 0).all())
        and bool(present.between(1000, 2100).mean() > 0.9)
    )


def _parse_dates(
    values: pd.Series, date_format: str | None
) -> tuple[pd.Series, str, bool, DateReading] | None:
    """Read a text column as dates, with or without a time of day, or return None.

    Returns the dates, how they were read (for the data-quality note), whether the
    order of day and month was a guess, and the reading (for the Spark engine, which
    reads every customer's so). The order is decided from every distinct date in the
    column by transactions.decide_date_order, the rule order lines follow; when it
    cannot tell, day-first is assumed. A configured ``date_format`` wins where it reads
    the column. A column in more than one format is read value by value
    (read_text_dates).
    """
    # Look at the first values only: testing millions of names or genders costs seconds.
    head = values.head(5_000).dropna().astype(str).str.strip().head(200)
    if head.empty or not head.str.contains(r"\d", regex=True).all():
        return None
    if (
        transactions.date_kind(head) is None
        and head.str.match(_DATE_TEXT).mean() < transactions.DATE_SHARE
    ):
        return None
    # Each distinct text is read once: a date column repeats a few thousand days.
    codes, distinct_values = pd.factorize(values)
    present = codes >= 0
    rows = np.bincount(codes[present], minlength=len(distinct_values))
    text = pd.Series(distinct_values, dtype=object).astype(str).str.strip()

    def spread(how: DateReading) -> pd.Series | None:
        """The dates of every row read so, or None when too few values read as dates."""
        dates = read_dates(text, how)
        if rows[dates.notna().to_numpy()].sum() < _NUMERIC_SHARE * present.sum():
            return None
        every = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")
        every[present] = dates.to_numpy(dtype="datetime64[ns]")[codes[present]]
        return pd.Series(every, index=values.index, name=values.name)

    parts = text.str.extract(_DATE_PART, expand=False)
    if date_format is not None:
        # One date_format serves every date column: with or without its time of day.
        date_only = date_format.split()[0] if date_format.split() else date_format
        for how in (
            DateReading(date_format),
            DateReading(date_format, part=True),
            DateReading(date_only, part=True),
        ):
            parsed = spread(how)
            if parsed is not None:
                return parsed, f"dates with date_format {date_format!r}", False, how
    distinct = [str(part) for part in parts.dropna().unique()]
    if not distinct:
        return None
    if _date_forms(parts).sum() > 1:
        # Several formats in one column (Excel dates beside dates pasted as text).
        several = _mixed_reading(parts)
        parsed = None if several is None else spread(several[0])
        if several is not None and parsed is not None:
            forms = "; ".join(
                f"{count:,} {how}" for count, how in _form_counts(parts, rows, several[1])
            )
            return (
                parsed,
                f"dates in more than one format, each read by its own: {forms}",
                False,
                several[0],
            )
    order, reading = transactions.decide_date_order(distinct)
    ambiguous = order is None
    if order is None:
        order = "dmy"
        reading = f"day-first dates (dd/mm/yyyy), a guess: {reading.rstrip('.')}"
    dashed = parts.str.replace(r"[/.]", "-", regex=True)
    how = DateReading(_order_format(order, dashed), part=True, dashed=True)
    parsed = spread(how)
    return None if parsed is None else (parsed, reading, ambiguous, how)


def _order_format(order: str, dashed: pd.Series) -> str:
    """The strftime format of dashed date parts in ``order``: %y when most years have
    two digits."""
    form = _ORDER_FORMATS[order]
    if order in ("dmy", "mdy"):
        years = dashed.str.extract(r"-(\d+)$", expand=False).str.len()
        if not years.dropna().empty and years.mode().iloc[0] == 2:
            form = form.replace("%Y", "%y")
    return form


def read_dates(text: pd.Series, how: DateReading) -> pd.Series:
    """Stripped texts read as dates as ``how`` says; NaT where one does not read.

    The one reading of text dates in pandas; spark_engine.date_value is the same in
    Spark SQL.
    """
    if how.format is None:
        return pd.to_datetime(text, errors="coerce")
    value = text.str.extract(_DATE_PART, expand=False) if how.part else text
    if how.dashed:
        value = value.str.replace(r"[/.]", "-", regex=True)
    if not how.mixed:
        return pd.to_datetime(value, format=how.format, errors="coerce")
    iso, compact, other = _forms(value)
    dates = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for forms, form in ((iso, "%Y-%m-%d"), (compact, "%Y%m%d"), (other, how.format)):
        if forms.any():
            dates[forms] = pd.to_datetime(value[forms], format=form, errors="coerce")
    return dates


def _forms(dashed: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Which dashed date parts are year-month-day (ISO), compact, or neither."""
    iso = dashed.str.match(r"\d{4}-", na=False)
    compact = dashed.str.fullmatch(r"\d{8}", na=False)
    return iso, compact, dashed.notna() & ~iso & ~compact


def _date_forms(parts: pd.Series) -> pd.Series:
    """Which of the forms ISO, compact and day-and-month the date parts are written in
    (three booleans: whether any part is)."""
    dashed = parts.dropna().astype(str).str.replace(r"[/.]", "-", regex=True)
    iso = dashed.str.match(r"\d{4}-")
    compact = dashed.str.fullmatch(r"\d{8}")
    return pd.Series(
        {
            "iso": bool(iso.any()),
            "compact": bool(compact.any()),
            "other": bool((~iso & ~compact).any()),
        }
    )


def _mixed_reading(parts: pd.Series) -> tuple[DateReading, str] | None:
    """How date parts written in more than one format are read, and how the parts that
    are neither ISO nor compact are (decide_date_order's sentence); None when their
    order of day and month cannot be told: beside dates in another format, no guess."""
    dashed = parts.str.replace(r"[/.]", "-", regex=True)
    other = _forms(dashed)[2]
    if not other.any():
        return DateReading("%Y-%m-%d", part=True, dashed=True, mixed=True), ""
    order, reading = transactions.decide_date_order([str(p) for p in parts[other].unique()])
    if order is None:
        return None
    form = _order_format(order, dashed[other])
    return DateReading(form, part=True, dashed=True, mixed=True), reading


def _form_counts(parts: pd.Series, rows: np.ndarray | None, other: str) -> list[tuple[int, str]]:
    """How many values are in each form of a column in several (for the note)."""
    iso, compact, others = _forms(parts.str.replace(r"[/.]", "-", regex=True))
    weights = pd.Series(1 if rows is None else rows, index=parts.index)
    return [
        (int(weights[forms].sum()), said)
        for forms, said in (
            (iso, "year-month-day (ISO)"),
            (compact, "compact (YYYYMMDD)"),
            (others, other),
        )
        if forms.any()
    ]


def read_text_dates(
    text: pd.Series, rows: np.ndarray | None = None
) -> tuple[pd.Series, list[tuple[int, str]]] | None:
    """Read dates written in more than one format, each value by its own.

    Year-month-day (ISO) and compact (YYYYMMDD) values say how to read them; the order of
    day and month of the others is decided from all of them (transactions.
    decide_date_order) and must be decidable: beside dates in another format, a guess
    is not made. A value that is no date is NaT.

    Returns:
        The dates, and how many values were read how (for the data-quality note); None
        when the order of day and month of the values that are neither ISO nor compact
        cannot be told.
    """
    text = text.astype(str).str.strip()
    parts = text.str.extract(_DATE_PART, expand=False)
    mixed = _mixed_reading(parts)
    if mixed is None:
        return None
    return read_dates(text, mixed[0]), _form_counts(parts, rows, mixed[1])


def _read_sentinels(
    frame: pd.DataFrame, id_column: str | None, details: dict[str, list[str]]
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Read -1 in a column of counts as "not applicable", not as a quantity.

    Exports mark "never" with -1 in otherwise non-negative counts (the bank table's pdays:
    -1 = never contacted before). As a number it would pull every average down.

    Returns:
        The table, and how many values of each column became missing.
    """
    counts = {}
    for column in frame.columns:
        values = frame[column]
        if column == id_column or not pd.api.types.is_integer_dtype(values) or values.min() != -1:
            continue
        marked = values == -1
        # Codes such as -1/0/1 (down, flat, up) are categories, not counts: left alone.
        if marked.mean() < RARE_SHARE or values[~marked].nunique() <= MAX_CODES:
            continue
        frame = frame.assign(**{column: values.where(~marked)})
        counts[column] = int(marked.sum())
        details[column].append(
            f"{int(marked.sum()):,} values of -1 read as 'not applicable' (missing), since the "
            "column otherwise holds counts of 0 or more"
        )
    return frame, counts


def _read_placeholders(
    frame: pd.DataFrame,
    id_column: str | None,
    details: dict[str, list[str]],
    notes: list[str],
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Read numbers that stand for "unknown" as missing, with a note for each.

    Exports write "unknown" as -9999, 999999, -10000 or a repeated constant far beyond
    every real value (placeholder_values), and a salary, income or age that was never
    asked as 0 (_zeros_as_unknown). As numbers they pull averages and make segments of
    their own ("Tenure -10,000"), so they are missing values, counted and said.

    Returns:
        The table, and how many values of each column became missing.
    """
    counts: dict[str, int] = {}
    said: list[str] = []
    for column in frame.columns:
        values = frame[column]
        if (
            column == id_column
            or not pd.api.types.is_numeric_dtype(values)
            or pd.api.types.is_bool_dtype(values)
        ):
            continue
        found = placeholder_values(values)
        marked = values.isin([value for value, _ in found]) if found else None
        zeros = _zeros_as_unknown(frame, str(column), id_column)
        if zeros is not None:
            marked = (values == 0) if marked is None else marked | (values == 0)
        if marked is None:
            continue
        frame = frame.assign(**{column: values.where(~marked)})
        counts[column] = int(marked.sum())
        if found:
            listed = " and ".join(
                f"{count:,} {'value' if count == 1 else 'values'} of {_plain(value)}"
                if index == 0
                else f"{count:,} of {_plain(value)}"
                for index, (value, count) in enumerate(found)
            )
            rest = values[~values.isin([value for value, _ in found])]
            details[column].append(
                f"{listed} read as unknown (missing), not as a number: a placeholder far "
                f"outside the other values ({_plain(rest.min())} to {_plain(rest.max())})"
            )
            said.extend(
                f"{column} {_plain(value)} ({count:,} {'row' if count == 1 else 'rows'})"
                for value, count in found
            )
        if zeros is not None:
            number, why, where = zeros
            details[column].append(
                f"{number:,} zeros read as unknown (missing): {why}"
                + (f"; {where}" if where else "")
            )
            said.append(f"{column} 0 ({number:,} rows{': ' + where if where else ''})")
    if said:
        notes.append(
            "Placeholders for unknown values were read as missing, not as numbers: "
            f"{'; '.join(said)}. As numbers they would pull every average and could make a "
            "segment of their own; the data-quality table says how each column's gaps were "
            "filled."
        )
    return frame, counts


def placeholder_values(values: pd.Series) -> list[tuple[float, int]]:
    """The values of a numeric column that are placeholders for "unknown", with counts.

    A placeholder lies far beyond every other value of the column, at either end, where
    no real value follows from the others: all nines (99, 999, 9999, ...) at least
    PLACEHOLDER_NINES_GAP spans of the other values above them; -1, -9, -99, -10, -100
    ... below other values that are never negative, by at least a span; any other value
    only when repeated (the same number written for every unknown), at least
    PLACEHOLDER_REPEATED_GAP spans beyond and ten times the largest other value in size.
    A single far value that is not shaped so is an outlier (capped), not a placeholder;
    the other values must be the majority, with at least three distinct values.
    """
    counts = values.value_counts().sort_index()
    if len(counts) < 4 or not np.isfinite(counts.index.to_numpy(dtype=float)).all():
        return []
    total = int(counts.sum())
    found: list[tuple[float, int]] = []
    for _ in range(4):  # at most a few placeholders: -999 and -9999 in one column
        picked = None
        for value in (counts.index[-1], counts.index[0]):
            rest = counts.drop(value)
            if len(rest) < 3 or rest.sum() * 2 <= total:
                continue
            low, high = float(rest.index[0]), float(rest.index[-1])
            span = high - low
            gap = float(value) - high if value > high else low - float(value)
            need = _placeholder_gap(float(value), int(counts[value]), low, high)
            if span > 0 and gap >= need * span:
                picked = value
                break
        if picked is None:
            break
        found.append((float(picked), int(counts[picked])))
        counts = counts.drop(picked)
    return found


def _placeholder_gap(value: float, count: int, low: float, high: float) -> float:
    """How many spans of the other values (low..high) a placeholder must lie beyond them."""
    size = abs(value)
    digits = str(int(size)) if size == int(size) and size >= 1 else ""
    nines = bool(digits) and digits.strip("9") == ""  # 9, 99, 999, ...
    tens = bool(digits) and digits.lstrip("1").strip("0") == "" and digits.count("1") == 1
    if value > high and nines and size >= 99:
        return PLACEHOLDER_NINES_GAP
    if value < 0 <= low and (nines or tens):
        return PLACEHOLDER_NEGATIVE_GAP
    if count >= 2 and size >= 10 * max(abs(low), abs(high)):
        return PLACEHOLDER_REPEATED_GAP
    return float("inf")


def _zeros_as_unknown(
    frame: pd.DataFrame, column: str, id_column: str | None
) -> tuple[int, str, str] | None:
    """Whether a column's zeros are unknowns written as 0, and why.

    Only where 0 is impossible by the name (an age, a salary, an income, a wage: what every
    customer has above 0), and the zeros stand apart from the other values: those are all
    positive and the smallest is at least ZERO_APART_SHARE of their median (salaries from
    30,486, ages from 18), so 0 is not the low end of a continuum. At least two zeros and
    under half the values. A 0 in a count or a spend (orders, complaints, purchases) is a
    real zero and is never read so, even when the zeros all fall in one category of
    another column: a plan, a yes/no or a status often explains real zeros.

    Returns:
        The number of zeros, the reason, and the category that holds them all (or "").
    """
    parts = roles.words(column)
    if not _NEVER_ZERO_WORDS & set(parts):
        return None
    if "age" in parts and not set(parts) - {"age"} <= _AGE_OF_WHAT:
        return None  # Account Age, Age of the car, Age Group: not the customer's age
    values = frame[column]
    zero = values == 0
    number = int(zero.sum())
    present = int(values.notna().sum())
    if number < 2 or number * 2 >= present:
        return None
    others = values[values.notna() & ~zero]
    if (others < 0).any() or float(others.min()) < ZERO_APART_SHARE * float(others.median()):
        return None
    what = next(word for word in parts if word in _NEVER_ZERO_WORDS)
    why = f"0 is not a real {what} (the other values start at {_plain(float(others.min()))})"
    return number, why, _zeros_category(frame, zero, column, id_column)


def _zeros_category(
    frame: pd.DataFrame, zero: pd.Series, column: str, id_column: str | None
) -> str:
    """Name the one category of another column that holds all the zeros, or ""."""
    for other in frame.columns:
        kind = frame[other].dtype
        if other in (column, id_column) or not (
            pd.api.types.is_string_dtype(kind) or isinstance(kind, pd.CategoricalDtype)
        ):
            continue
        held = frame[other][zero]
        if held.isna().any() or held.nunique() != 1:
            continue
        category = held.iloc[0]
        elsewhere = frame[other][~zero]
        share = float((elsewhere == category).mean()) if len(elsewhere) else 0.0
        if share >= 0.5:
            continue  # the most common value of all: it says nothing
        every = f", and every {category} row is 0" if share == 0 else ""
        return f"all {int(zero.sum()):,} are {other} = {category}{every}"
    return ""


def _reason_to_leave_out(column: str, values: pd.Series, kind: ColumnKind) -> str | None:
    part = roles.date_part(column, values)
    if part is not None:
        return f"left out: {part}, a part of a date rather than a behaviour"
    rows = len(values)
    missing = values.isna().mean()
    if missing == 1 or missing > MOSTLY_MISSING:
        return f"left out: {missing:.0%} of values are missing"
    distinct = values.nunique()
    if distinct == 1:
        return f"left out: the same value ({values.dropna().iloc[0]}) for every customer"
    if kind == "categorical" and distinct >= FREE_TEXT_SHARE * rows and rows > 20:
        return "left out: free text (a different value in almost every row)"
    # A handful of values under a contact's name ('PhoneService': Yes/No) describes a
    # product the customer has, not how to reach them.
    if kind != "numeric" and (
        roles.is_person_name(column) or (roles.is_contact(column) and distinct > FEW_CONTACT_VALUES)
    ):
        return "left out: personal data (says who the customer is, not what a segment is like)"
    return None


@dataclass(frozen=True)
class _NeverBought:
    """The customers of a customer table who never bought, set apart from the segments."""

    columns: tuple[str, ...]
    table: pd.DataFrame  # customer_id, reason
    # The columns where a blank means no purchase (blank_means_no_purchase), and the note.
    blank: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def _leave_out_never_bought(
    frame: pd.DataFrame, customer_ids: pd.Series, numeric: Sequence[str]
) -> tuple[pd.DataFrame, pd.Series, _NeverBought | None]:
    """Set apart the customers with no purchase in every purchase-history column (roles.
    purchase_history_columns), when there are NEVER_BOUGHT_MIN of them or more.

    Sign-ups who never ordered are prospects: clustered with the customers they become
    "low spenders" told to come back, and they drag every average down. No purchase is
    a 0, or a blank in a column where a blank plainly means none
    (blank_means_no_purchase); elsewhere a missing value is not
    a 0. Returns the frame and IDs without them, and what was set apart.
    """
    columns = roles.purchase_history_columns(numeric)
    if not columns:
        return frame, customer_ids, None
    values = frame[columns].apply(pd.to_numeric, errors="coerce")
    blank = [c for c in columns if blank_means_no_purchase(values[c])]
    none = (values == 0) | (values.isna() & values.columns.isin(blank))
    never = none.all(axis=1).to_numpy()
    if never.sum() < NEVER_BOUGHT_MIN or never.all():
        return frame, customer_ids, None
    table = pd.DataFrame(
        {
            "customer_id": customer_ids[never].astype(str).to_numpy(),
            "reason": never_bought_reason(columns, blank),
        }
    )
    notes = tuple(
        f"{column} is blank in {int(values[column].isna().sum()):,} rows and above 0 in all "
        "others (never 0): a blank there means no purchase, so those customers count as "
        "never bought."
        for column in blank
    )
    keep = np.flatnonzero(~never)
    return (
        frame.take(keep),
        customer_ids.take(keep),
        _NeverBought(tuple(columns), table, tuple(blank), notes),
    )


def blank_means_no_purchase(values: pd.Series) -> bool:
    """Whether a purchase-history column's blanks mean "no purchase": it has blanks, and
    every value given is above 0. A CRM leaves lifetime revenue blank for the contacts
    who never bought; a column that writes 0 for them (or holds a negative, a balance)
    says nothing of its blanks, which stay missing values."""
    present = values.dropna()
    return bool(values.isna().any()) and not present.empty and bool((present > 0).all())


def _all_zero(columns: Sequence[str]) -> str:
    if len(columns) == 1:
        return f"{columns[0]} is 0"
    return f"{', '.join(columns[:-1])} and {columns[-1]} are 0"


def never_bought_reason(columns: Sequence[str], blank: Sequence[str] = ()) -> str:
    """The reason not_segmented.csv gives for a customer who never bought; ``blank``: the
    columns where a blank means no purchase (blank_means_no_purchase)."""
    zero = [column for column in columns if column not in blank]
    if not blank:
        return f"never bought: {_all_zero(columns)}"
    said = [_all_zero(zero)] if zero else []
    blanks = f"{', '.join(blank[:-1])} and {blank[-1]} are" if len(blank) > 1 else f"{blank[0]} is"
    return f"never bought: {' and '.join([*said, f'{blanks} blank'])}"


def _drop_total_lines(frame: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Leave out a spreadsheet's total line at the end ('Total', 'Grand total', 'Summe'):
    one of the last TOTAL_LINES rows whose first filled cell says so. Kept, it would be a
    customer spending as much as all the others together."""
    tail = frame.tail(TOTAL_LINES)
    totals = [
        label
        for label, (_, row) in zip(tail.index, tail.iterrows(), strict=True)
        if (first := row.dropna()).size
        and str(first.iloc[0]).strip().lower().rstrip(":") in TOTAL_LABELS
    ]
    if not totals:
        return frame
    words = ", ".join(repr(str(frame.loc[label].dropna().iloc[0]).strip()) for label in totals)
    notes.append(
        f"The last {'row' if len(totals) == 1 else f'{len(totals)} rows'} ({words}) "
        f"{'is a total line' if len(totals) == 1 else 'are total lines'} of the spreadsheet, "
        "not customers: left out."
    )
    return frame.drop(index=totals)


def placeholder_columns(columns: Iterable[object], id_column: str | None) -> list[str]:
    """The columns whose placeholder values ('Guest', 'WALK-IN, GUEST') mark a row that
    stands for no one: the customer ID and any person's name."""
    return [str(c) for c in columns if c == id_column or roles.is_person_name(str(c))]


def _drop_placeholder_customers(
    frame: pd.DataFrame, id_column: str | None, notes: list[str]
) -> pd.DataFrame:
    """Rows that stand for no one in particular: an ID or a name that is a placeholder
    (transactions.PLACEHOLDER_CUSTOMERS: a hotel's 'WALK-IN, GUEST' profile holding 412
    stays, a till's 'Guest'). As one customer each would top every measure."""
    columns = placeholder_columns(frame.columns, id_column)
    placeholder = pd.Series(False, index=frame.index)
    found: set[str] = set()
    for column in columns:
        written = frame[column].astype("string").str.strip()
        here = written.str.lower().isin(transactions.PLACEHOLDER_CUSTOMERS).fillna(False)
        placeholder |= here.astype(bool)
        found.update(written[here.astype(bool)].astype(str))
    if not placeholder.any() or placeholder.all():
        return frame
    count = int(placeholder.sum())
    notes.append(
        f"{count:,} {'row stands' if count == 1 else 'rows stand'} for no one in particular "
        f"({', '.join(repr(text) for text in sorted(found))}): not a customer, left out."
    )
    return frame.loc[~placeholder]


def _drop_rows_without_id(
    frame: pd.DataFrame, id_column: str, table: Table, notes: list[str]
) -> pd.DataFrame:
    missing = frame[id_column].isna()
    if missing.all():
        raise DataError(
            f"Column {id_column!r} in {table.path} is empty in every row, so no customer is "
            "left; choose another ID column (id_column) or fill it in."
        )
    if missing.any():
        notes.append(f"{int(missing.sum())} rows without a {id_column} were left out.")
        frame = frame.loc[~missing]
    if _is_unique(frame[id_column]):
        return frame
    repeated = frame[id_column].duplicated()
    if repeated.any():
        # Exact duplicates are gone already: these rows differ. One row per customer is
        # kept (the first, as exported) and the finding is reported, not hidden.
        ids = frame.loc[repeated, id_column]
        count = int(ids.nunique())
        notes.append(
            f"{count:,} customer ID{'s' if count != 1 else ''} in {id_column} "
            f"appear{'' if count != 1 else 's'} in more than one row with different values "
            f"(e.g. '{ids.iloc[0]}'): the first row of each was kept and "
            f"{int(repeated.sum()):,} later row{'s' if repeated.sum() != 1 else ''} left out. "
            "Check the export if each customer should have one row."
        )
        frame = frame.loc[~repeated]
    return frame


def _coerce_features(
    frame: pd.DataFrame, settings: Settings, table: Table
) -> tuple[pd.DataFrame, list[str]]:
    """Turn explicitly chosen text features into numbers where they are numbers.

    Text that is mostly not numbers stays text: a categorical feature when it holds a
    few categories, refused when it holds a different value in most rows (names, notes).
    """
    notes = []
    for column in settings.features:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) or _is_true_false(values):
            continue
        numbers = pd.to_numeric(values, errors="coerce")
        present = values.notna()
        parsed = numbers[present].notna()
        if not parsed.any() or parsed.mean() < _NUMERIC_SHARE:
            distinct = values.nunique()
            if distinct <= min(MAX_FEATURE_CATEGORIES, present.sum() / 2):
                continue
            first_bad = parsed.index[~parsed][0] if (~parsed).any() else values.index[0]
            raise DataError(
                f"Column {column!r} in {table.path} is not numeric (row {int(first_bad) + 2} "
                f"holds {values[first_bad]!r}) and has too many different values "
                f"({distinct:,}) to be a category; segment on numeric columns or categories "
                f"with a few values, or leave this one out of {settings.named('features')}."
            )
        if (~parsed).any():
            notes.append(
                f"{int((~parsed).sum())} values in {column} were not numbers and were treated "
                "as missing."
            )
        frame = frame.assign(**{column: numbers})
    return frame, notes


def _is_true_false(values: pd.Series) -> bool:
    """Whether a column holds True/False answers (bool, or object with gaps)."""
    if pd.api.types.is_bool_dtype(values):
        return True
    present = values.dropna()
    return values.dtype == object and len(present) > 0 and bool(present.map(type).eq(bool).all())


def _whole_numbers(values: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(values) and bool((values % 1 == 0).all()):
        return values.astype("int64")
    return values


def _kind(values: pd.Series, name: str = "") -> ColumnKind:
    if pd.api.types.is_bool_dtype(values):
        return "code"
    if pd.api.types.is_numeric_dtype(values):
        parts = roles.words(name)
        if names_nominal_code(name) and bool((values.dropna() % 1 == 0).all()):
            return "code"
        # Tenure 6-12 months or 0-9 visits are quantities however few their values.
        if _QUANTITY_WORDS & set(parts):
            return "numeric"
        if (_COUNT_WORDS & set(parts) or name.strip().lower() in _COUNT_NAMES) and (
            values.head(_HEAD_ROWS).nunique() > 2 or values.nunique() > 2
        ):
            return "numeric"
        # More than MAX_CODES distinct values among the first rows already rule out a code,
        # without counting the distinct values of millions (an ID, a balance).
        if values.head(_HEAD_ROWS).nunique() > MAX_CODES:
            return "numeric"
        # Counting distinct values first spares the whole-number test on most measures.
        if not values.nunique() <= min(MAX_CODES, values.notna().sum() / 5):
            return "numeric"
        return "code" if bool((values.dropna() % 1 == 0).all()) else "numeric"
    return "categorical"


def names_nominal_code(name: str) -> bool:
    """Whether a name says its numbers label kinds ('MOSTYPE', 'customer_type'), not amounts.

    The last word ends in type, class, group or category, and no word says a
    quantity ('Type Count' is a count).
    """
    parts = roles.words(name)
    if not parts or _QUANTITY_WORDS & set(parts) or _COUNT_WORDS & set(parts):
        return False
    return parts[-1].endswith(_NOMINAL_ENDINGS)


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
        return values.fillna(median), f"the median ({median:g})"
    mode = values.mode().sort_values().iloc[0]
    # A code with gaps is read as 1.0, 2.0: say "2", as the filled column will show it.
    shown = int(mode) if isinstance(mode, float) and mode.is_integer() else mode
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # object downcasting on fillna
        return values.fillna(mode), f"the most common value ({shown})"


def _structural_zero(
    frame: pd.DataFrame, column: str, kinds: Mapping[str, ColumnKind]
) -> str | None:
    """Name the duration whose zeros are exactly a money or total column's gaps, or None.

    A total left blank for the customers who joined this month (Telco's TotalCharges
    where tenure is 0) is missing by construction: nothing has been billed yet, so the
    value is 0, not the median. Only money and totals, and only when the gaps are the
    very rows where a tenure, age or count of days, months or years is 0.
    """
    if kinds.get(column) != "numeric":
        return None
    if not (roles.names_money(column) or _TOTAL_WORDS & set(roles.words(column))):
        return None
    missing = frame[column].isna().to_numpy()
    for other in frame.columns:
        values = frame[other]
        if other == column or not pd.api.types.is_numeric_dtype(values):
            continue
        if pd.api.types.is_bool_dtype(values) or not _DURATION_WORDS & set(roles.words(other)):
            continue
        if np.array_equal(missing, (values == 0).to_numpy()):
            return str(other)
    return None


def _cap_outliers(values: pd.Series, details: list[str]) -> pd.Series:
    lower, upper = outlier_bounds(*_outlier_percentiles(values))
    outside = (values < lower) | (values > upper)
    if not outside.any() or not lower < upper:
        return values
    below, above = int((values < lower).sum()), int((values > upper).sum())
    if below and above:
        how = f"capped to {_plain(lower)} – {_plain(upper)}"
    else:
        how = (
            f"above {_plain(upper)} capped to it"
            if above
            else f"below {_plain(lower)} raised to it"
        )
    details.append(
        f"{below + above} extreme value(s) {how} (e.g. {_plain(values[outside].iloc[0])})"
    )
    return values.clip(lower, upper)


def outlier_bounds(p1: float, p5: float, p95: float, p99: float) -> tuple[float, float]:
    """The bounds beyond which a feature's values are capped, from four percentiles.

    OUTLIER_REACH times the 1st-99th percentile range past either percentile, but never
    further than ROBUST_REACH times the 5th-95th range past those: when 1-2% of the rows
    hold one extreme value (a placeholder left unread, a few giants), that value is the
    1st or 99th percentile and the first rule alone would cap nothing. Infinite bounds
    (nothing capped) where a range is 0 or overflows near the float limit.
    """
    # Values near the float limit overflow the reach to inf: then nothing is beyond it.
    with np.errstate(over="ignore", invalid="ignore"):
        reach = OUTLIER_REACH * (p99 - p1)
        robust = ROBUST_REACH * (p95 - p5)
        lower, upper = p1 - reach, p99 + reach
        if robust > 0 and np.isfinite(robust):
            lower, upper = max(lower, p5 - robust), min(upper, p95 + robust)
    if not reach > 0 or not np.isfinite(lower) or not np.isfinite(upper):
        return -np.inf, np.inf
    return float(lower), float(upper)


_OUTLIER_QUANTILES = [0.01, 0.05, 0.95, 0.99]


def _outlier_percentiles(values: pd.Series) -> list[float]:
    """Return ``values.quantile([0.01, 0.05, 0.95, 0.99])``; numpy's is 3x faster on numbers."""
    array = values.to_numpy()
    if array.dtype.kind in "iu" or (array.dtype.kind == "f" and not np.isnan(array).any()):
        return np.quantile(array, _OUTLIER_QUANTILES).tolist()
    return values.quantile(_OUTLIER_QUANTILES).tolist()


def _plain(value: float) -> str:
    return format_number(value, 0) if abs(value) >= 100 else format_significant(value)


def _note_negative_money(values: pd.Series, column: str, details: list[str]) -> None:
    if pd.api.types.is_numeric_dtype(values) and roles.names_money(column):
        negative = int((values < 0).sum())
        if negative:
            details.append(
                f"{negative} negative value(s): expected for balances or refunds, otherwise "
                "check the export"
            )


def _note_rare_categories(values: pd.Series, details: list[str]) -> None:
    counts = values.value_counts()
    counts.index = counts.index.astype(str)
    rare = counts[counts < RARE_SHARE * len(values)]
    if len(counts) > 2 and len(rare) and len(rare) < len(counts):
        ordered = sorted(rare.items(), key=lambda item: (-item[1], item[0]))[:8]
        listed = ", ".join(f"{name} ({count})" for name, count in ordered)
        details.append(f"rare categories, shown as Other in charts: {listed}")


def _note_unknowns(values: pd.Series, details: list[str]) -> None:
    """Report answers such as "unknown": missing in substance, though not empty."""
    if pd.api.types.is_numeric_dtype(values):
        return
    counts = values.value_counts()  # few distinct values: cheap even on millions of rows
    unknown = int(
        counts[counts.index.astype(str).str.strip().str.lower().isin(_UNKNOWN_WORDS)].sum()
    )
    if unknown:
        details.append(
            f"{unknown:,} 'unknown' values ({unknown / len(values):.0%}), kept as a category "
            "of their own, not counted as missing"
        )
