"""Recency, frequency and monetary value: scores, the R x F grid, and naming segments on it.

The per-customer table from ``transactions`` becomes the clustering input: K-Means
runs on the standardized log of recency (days since the last purchase), frequency
(orders) and monetary value (net spend), or on recency and frequency alone when the
lines carry no money. Each customer also gets R, F and M scores from 1 to 5: the
quintile of customers they fall in, ties kept together (a customer's score is 1 plus
five times the share of customers strictly worse, rounded down, so the half of
customers with one order all score F 1). Each customer's own (R, F) cell falls in one
group of the grid (``rfm_group``); a segment is named after the group that holds a
majority of its customers; without one it is mixed, named after its largest groups
("Loyal / At risk / Hibernating"), each of which gets its own action. Advice follows
each customer's buying rhythm too: a customer is overdue past twice their own usual
interval between purchases (``usual_intervals``; a second-time buyer's is the store's,
``judged_intervals``), because quintile scores call the least
recent 40% lapsed in any business. The grid and the playbook are in rfm.toml.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from reportgen.config import packaged
from reportgen.contract import (
    CleanTable,
    ColumnKind,
    ColumnReport,
    DataQuality,
    FeatureMatrix,
    OrderSummary,
    Population,
    Recommendation,
    RecommendationPart,
    RfmCell,
    RfmGroupShare,
    RfmSegment,
    RfmSummary,
    Segmentation,
    SegmentProfile,
    transform_values,
)
from reportgen.errors import SettingsError
from reportgen.formatting import format_group_mix, format_percent, plural

DEFAULT_GRID = packaged("rfm.toml")
GRID_FILE = "rfm.toml"
SCORES = (1, 2, 3, 4, 5)
_TEXTS = ("meaning", "action", "campaign", "retention", "products")

# A segment is named plainly after a group only when more than this share of its
# customers are in it; otherwise it is mixed.
MAJORITY = 0.5
# The non-purchase events an event log's note names before "…".
SHOWN_EVENTS = 6
# A mixed segment gets a separate action for each RFM group holding at least this share
# of its customers, at most PARTS_SHOWN of them, largest first; each with its share and
# count. A tenth, not a fifth: on real exports the second and third groups of a mixed
# segment held 13-19% (Kassenjournal: 38% Loyal, 19% At risk, 14% Hibernating; Etsy: 25%
# At risk, 20% Potential loyalists, 13% Loyal), and a fifth left half of the segment or
# more without advice. Below a tenth a group is a handful of a segment's customers: the
# card lists it with the others left over (_parts_rest), found by rfm_group in
# segments.csv. A fourth group of a tenth or more is left over too (Etsy: 11% Hibernating):
# three actions per segment are what page 1 holds.
PART_SHARE = 0.1
PARTS_SHOWN = 3
# Naming decision: a mixed segment is named after exactly the groups that get an action,
# largest first, joined by " / " ("Loyal / At risk / Hibernating"), so the name says which
# campaigns it needs; "Loyal (mixed)" hid two of three. "/" reads as "some are this, some
# that", where "&" read as one group that is both (hence the former "Loyal, partly at
# risk"). One rule for every segment without a majority: earlier, a pair holding a majority
# between them got "A & B" and the rest "(mixed)", so near-identical mixes (44/20/16 and
# 47/16/15) were named in two styles. At most PARTS_SHOWN names keep it short enough for
# page 1: the longest, "Potential loyalists / About to sleep / Need attention" (52
# characters), is as long as a customer table's three-measure names. A mixed segment with
# only one group that large is "Hibernating (mixed)".
# A customer is overdue when their last purchase lies more than this many of their usual
# intervals between purchases in the past (rfm.toml's [rhythm] explains why).
OVERDUE_FACTOR = 2.0
# A customer's own usual interval needs this many purchases: one gap between two orders
# is no rhythm (a customer with two orders 480 days apart, silent for 883 days, would be
# "within their rhythm"). Others are judged by the median interval of those who have one.
RHYTHM_PURCHASES = 3
# A segment's description says on how many of its customers the rhythm is judged when
# fewer than this share of them have one.
RHYTHM_SHOWN = 0.9
_RHYTHM_TEXTS = (
    "in_rhythm",
    "in_rhythm_name",
    "in_rhythm_campaign",
    "in_rhythm_retention",
    "in_rhythm_products",
    "gone_quiet",
    "gone_quiet_qualifier",
)
# Below this share of their lifetime spend, the last 12 months no longer say what the
# customers at risk are worth (a lapsed base): page 1 shows their lifetime spend instead.
NEGLIGIBLE_RECENT_SHARE = 0.05
RhythmState = Literal["as named", "in rhythm", "gone quiet"]
# Decision (review 8, class 4): purchase dates covering fewer calendar days than this
# cannot tell a customer who has lapsed from one who simply has not needed to buy again
# yet. Recency scores are quintiles, so someone is always in the bottom fifth: a file of
# 93 minutes (one morning of Online Retail) named 8 of 14 customers "Hibernating: few
# orders, long ago" and put 4,061 "at risk", and a 39-day bank extract had "Hibernating"
# too. Below this span (short_history): recency is not segmented on, segments are named by
# how often they buy (the grid's [[short_group]] entries in rfm.toml, no lapsed or at-risk
# group), nobody is judged gone quiet or in rhythm, and page 1 says the history is too
# short to tell who has lapsed instead of giving revenue at risk. 90 days: a quarter holds
# at least one purchase cycle of most retail customers (the median usual interval on the
# real exports tried was 20-70 days), and a monthly or weekly export does not.
MIN_HISTORY_DAYS = 90

FEATURES = ("recency_days", "frequency", "monetary")
MONEY_MEASURES = ("monetary", "average_order_value")
DISPLAY = {
    "recency_days": "Days since last purchase",
    "frequency": "Orders",
    "monetary": "Net spend",
    "tenure_days": "Days since first purchase",
    "average_order_value": "Average order value",
    "returned_share": "Share of value returned",
    "distinct_items": "Distinct items bought",
}
SHORT = {
    "recency_days": "days since last purchase",
    "frequency": "orders",
    "monetary": "net spend",
    "tenure_days": "days as a customer",
    "average_order_value": "order value",
    "returned_share": "share returned",
    "distinct_items": "distinct items",
}
# How two segments in one cell differ: (column, higher, lower, middle).
_QUALIFIERS = (
    ("monetary", "higher spend", "lower spend", "mid spend"),
    ("frequency", "more orders", "fewer orders", "mid orders"),
    ("recency_days", "less recent", "more recent", "mid recency"),
    ("average_order_value", "bigger orders", "smaller orders", "mid-size orders"),
)


@dataclass(frozen=True)
class Group:
    """One named region of the R x F grid and its playbook."""

    name: str
    cells: frozenset[tuple[int, int]]
    risk: bool
    texts: Mapping[str, str]
    # The playbook assumes the customers have stopped buying (win-back, suppression).
    lapsed: bool = False


@dataclass(frozen=True)
class Grid:
    """The R x F grid: every (R, F) cell belongs to exactly one group."""

    groups: tuple[Group, ...]
    source: str
    # The texts that adjust advice to the customers' buying rhythm ([rhythm] in rfm.toml).
    rhythm: Mapping[str, str]
    # The groups used instead when the history is too short to judge recency
    # ([[short_group]] in rfm.toml, every R score; see MIN_HISTORY_DAYS).
    short_groups: tuple[Group, ...] = ()

    def group(self, r: int, f: int) -> Group:
        """The group that holds cell (r, f)."""
        return next(group for group in self.groups if (r, f) in group.cells)

    @property
    def risk_groups(self) -> tuple[str, ...]:
        """The groups whose revenue is at risk (At risk, Can't lose)."""
        return tuple(group.name for group in self.groups if group.risk)

    def for_history(self, summary: OrderSummary) -> Grid:
        """This grid, or its frequency-only groups when the history is too short to
        judge recency (short_history)."""
        if not short_history(summary) or not self.short_groups:
            return self
        return replace(self, groups=self.short_groups, short_groups=())


def history_days(summary: OrderSummary) -> int | None:
    """The calendar days the purchase dates cover, first and last day counted."""
    if summary.first_date is None or summary.last_date is None:
        return None
    return (summary.last_date - summary.first_date).days + 1


def short_history(summary: OrderSummary) -> bool:
    """Whether the purchase dates cover fewer than MIN_HISTORY_DAYS days."""
    days = history_days(summary)
    return days is not None and days < MIN_HISTORY_DAYS


def grid_path(rules_path: Path) -> Path:
    """The grid beside the recommendations file if there is one, else the bundled grid."""
    sibling = rules_path.parent / GRID_FILE
    return sibling if sibling.exists() else DEFAULT_GRID


def load_grid(path: Path) -> Grid:
    """Read and check the RFM grid and playbook.

    Raises:
        SettingsError: the file is unreadable, a group lacks a text or lists a score
            outside 1-5, or a cell belongs to no group or to more than one.
    """
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise SettingsError(f"Cannot read the RFM grid {path}: {error}.") from None
    groups = _groups(document.get("group", []), path, "Group")
    _check_cells(groups, path)
    short = _groups(document.get("short_group", []), path, "Short-history group", every_r=True)
    if short:
        _check_cells(short, path)
    elif path != DEFAULT_GRID:
        # A grid of one's own without them gets the bundled ones.
        short = list(load_grid(DEFAULT_GRID).short_groups)
    return Grid(tuple(groups), path.name, _rhythm_texts(document.get("rhythm"), path), tuple(short))


def _groups(
    entries: list[dict[str, Any]], path: Path, kind: str, every_r: bool = False
) -> list[Group]:
    """The groups of a grid file's [[group]] (or [[short_group]], which list f only and
    hold every r; they are never at risk nor lapsed)."""
    groups = []
    for number, entry in enumerate(entries, start=1):
        name = entry.get("name")
        missing = [key for key in ("name", *_TEXTS) if not isinstance(entry.get(key), str)]
        if missing:
            raise SettingsError(f"{kind} {number} in {path} needs text for: {', '.join(missing)}.")
        r: Any = list(SCORES) if every_r else entry.get("r")
        f: Any = entry.get("f")
        if not all(
            isinstance(scores, list) and scores and all(s in SCORES for s in scores)
            for scores in (r, f)
        ):
            raise SettingsError(
                f"{kind} {name!r} in {path}: r and f must list scores from 1 to 5, e.g. r = [4, 5]."
            )
        cells = frozenset((int(a), int(b)) for a in r for b in f)
        texts = {key: str(entry[key]) for key in _TEXTS}
        groups.append(
            Group(
                str(name),
                cells,
                not every_r and bool(entry.get("risk", False)),
                texts,
                not every_r and bool(entry.get("lapsed", False)),
            )
        )
    return groups


def _check_cells(groups: Sequence[Group], path: Path) -> None:
    """Every cell of the grid belongs to exactly one group."""
    for r in SCORES:
        for f in SCORES:
            owners = [group.name for group in groups if (r, f) in group.cells]
            if len(owners) != 1:
                problem = (
                    "no group" if not owners else f"{len(owners)} groups ({', '.join(owners)})"
                )
                raise SettingsError(
                    f"Cell R {r} F {f} of the RFM grid in {path} belongs to {problem}; "
                    "every cell must belong to exactly one group."
                )


def _rhythm_texts(table: object, path: Path) -> Mapping[str, str]:
    """The [rhythm] texts of a grid file; texts the file does not have (it was written
    before they existed) come from the bundled grid."""
    texts = table if isinstance(table, dict) else {}
    if path != DEFAULT_GRID:
        bundled = load_grid(DEFAULT_GRID).rhythm
        texts = {key: texts.get(key, bundled[key]) for key in _RHYTHM_TEXTS}
    for key in _RHYTHM_TEXTS:
        text = texts.get(key)
        try:
            if not isinstance(text, str):
                raise KeyError(key)
            text.format(share="50%", days=30)
        except (KeyError, IndexError, ValueError):
            raise SettingsError(
                f"[rhythm] in {path} needs a text for {key} that uses only the placeholders "
                "{share} and {days}."
            ) from None
    return {key: texts[key] for key in _RHYTHM_TEXTS}


def usual_intervals(customers: pd.DataFrame) -> np.ndarray:
    """Each customer's usual days between purchases: the days from their first to their
    last purchase divided by the purchases after the first.

    NaN for customers without a rhythm of their own (repeat_buyers: fewer than
    RHYTHM_PURCHASES purchases, or all on one day), and for everyone when the table has
    no tenure.
    """
    if "tenure_days" not in customers:
        return np.full(len(customers), np.nan)
    span = (customers["tenure_days"] - customers["recency_days"]).to_numpy(dtype=float)
    repeat = repeat_buyers(customers)
    purchases = customers["frequency"].to_numpy(dtype=float)
    intervals = np.full(len(customers), np.nan)
    intervals[repeat] = span[repeat] / (purchases[repeat] - 1)
    return intervals


def days_between_purchases(customers: pd.DataFrame) -> pd.Series:
    """Each repeat buyer's (repeat_buyers) usual interval in whole days, rounded half up,
    for segments.csv; missing for the others. Integer arithmetic, so the Spark engine's
    SQL (spark_engine.DAYS_BETWEEN_PURCHASES) gives the same days."""
    span = customers["tenure_days"] - customers["recency_days"]
    gaps = customers["frequency"] - 1
    days = (2 * span + gaps) // (2 * gaps).where(repeat_buyers(customers))
    return days.astype("Int64")


def repeat_buyers(customers: pd.DataFrame) -> np.ndarray:
    """Whether each customer has a rhythm of their own: RHYTHM_PURCHASES purchases or more,
    not all on one day."""
    if "tenure_days" not in customers:
        return np.zeros(len(customers), dtype=bool)
    span = (customers["tenure_days"] - customers["recency_days"]).to_numpy(dtype=float)
    return (customers["frequency"].to_numpy(dtype=float) >= RHYTHM_PURCHASES) & (span > 0)


def second_time_buyers(customers: pd.DataFrame) -> np.ndarray:
    """Whether each customer bought again, on another day, but too few times for a rhythm
    of their own (repeat_buyers)."""
    if "tenure_days" not in customers:
        return np.zeros(len(customers), dtype=bool)
    span = (customers["tenure_days"] - customers["recency_days"]).to_numpy(dtype=float)
    return (span > 0) & ~repeat_buyers(customers)


def store_interval(intervals: np.ndarray) -> float | None:
    """The usual interval between purchases of the customers who have one of their own
    (usual_intervals): the median; None when nobody has one."""
    known = intervals[~np.isnan(intervals)]
    return float(np.median(known)) if len(known) else None


def judged_intervals(customers: pd.DataFrame, intervals: np.ndarray) -> np.ndarray:
    """The interval each customer's last purchase is judged against: their own
    (usual_intervals), or for second-time buyers the store's (store_interval); NaN for
    customers who bought once.

    A second-time buyer's one gap is no rhythm (two orders 480 days apart say nothing
    about a silence of 883 days), but they did come back, so they are held to the pace
    of the customers who have one: on long histories quintile scores call two orders 440
    days ago "Loyal" (WooCommerce), and without this they would never be overdue. A
    one-order customer is held to nothing: they have no pace to fall behind.
    """
    judged = intervals.copy()
    usual = store_interval(intervals)
    if usual is not None:
        judged[second_time_buyers(customers)] = usual
    return judged


def overdue(customers: pd.DataFrame, intervals: np.ndarray) -> np.ndarray:
    """Whether each customer's last purchase lies more than OVERDUE_FACTOR of the given
    intervals (judged_intervals) ago. False where the interval is missing: a one-order
    customer has not "gone quiet", whatever others do."""
    recency = customers["recency_days"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        return (recency > OVERDUE_FACTOR * intervals) & ~np.isnan(intervals)


def quintile_scores(values: pd.Series, *, higher_is_better: bool = True) -> pd.Series:
    """Score 1-5: one plus five times the share of customers strictly worse, rounded down.

    Equal values always get the same score, so the many customers with one order all
    score 1 rather than being split at random between scores.
    """
    ranked = values if higher_is_better else -values
    below = ranked.rank(method="min").to_numpy() - 1
    scores = 1 + np.floor(5 * below / len(values)).astype(int)
    return pd.Series(np.clip(scores, 1, 5), index=values.index)


def rfm_scores(customers: pd.DataFrame) -> pd.DataFrame:
    """Each customer's R, F (and M when there is money) score, and the grid's score text."""
    scores = pd.DataFrame(index=customers.index)
    scores["r"] = quintile_scores(customers["recency_days"], higher_is_better=False)
    scores["f"] = quintile_scores(customers["frequency"])
    text = scores["r"].astype(str) + scores["f"].astype(str)
    if "monetary" in customers:
        scores["m"] = quintile_scores(customers["monetary"])
        text = text + scores["m"].astype(str)
    scores["rfm_score"] = text
    return scores


def customer_table(
    customers: pd.DataFrame, summary: OrderSummary, period: str | None = None
) -> CleanTable:
    """The per-customer table as the pipeline's cleaned table (no value is missing).

    ``period`` is the report's month (YYYY-MM): lines that end long before it are noted.
    """
    # Recency says nothing over a short history (MIN_HISTORY_DAYS): segment on how often
    # and how much customers buy.
    dropped = ("recency_days",) if short_history(summary) else ()
    features = tuple(column for column in FEATURES if column in customers and column not in dropped)
    measures = ("tenure_days", "average_order_value", "returned_share", "distinct_items")
    # Customer attributes (Segment, Country) describe segments as categories.
    attributes = tuple(column for column in summary.attributes if column in customers)
    profile = tuple(
        column
        for column in (*measures, *attributes)
        if column in customers and customers[column].nunique() > 1
    )
    frame = customers[[*features, *profile]].reset_index(drop=True)
    short = {**SHORT, **{column: column.lower() for column in attributes}}
    display = {**DISPLAY, **{column: column for column in attributes}}
    if summary.currency:
        for column in MONEY_MEASURES:
            display[column] = f"{DISPLAY[column]} ({summary.currency})"
    if not summary.has_orders:
        short["frequency"], display["frequency"] = "purchase days", "Purchase days"
    id_column = summary.role("customer") or "customer"
    return CleanTable(
        frame=frame,
        customer_ids=pd.Series(customers.index.to_numpy(), name=id_column),
        id_column=id_column,
        feature_columns=features,
        profile_columns=profile,
        short_names={column: short[column] for column in (*features, *profile)},
        quality=order_quality(summary, features, profile, period),
        kinds={
            column: "categorical" if column in attributes else "numeric"
            for column in (*features, *profile)
        },
        display_names={column: display[column] for column in (*features, *profile)},
    )


def rfm_features(clean: CleanTable) -> FeatureMatrix:
    """The standardized log of recency, frequency and monetary value (log1p: days can be 0)."""
    columns = clean.feature_columns
    values = clean.frame[list(columns)].to_numpy(dtype=float)
    transforms = tuple("log1p" for _ in columns)
    transformed = transform_values(values, transforms)  # type: ignore[arg-type]
    means = transformed.mean(axis=0)
    scales = transformed.std(axis=0)
    scales[scales == 0] = 1.0
    return FeatureMatrix(
        columns=columns,
        values=values,
        scaled=(transformed - means) / scales,
        means=means,
        scales=scales,
        transforms=transforms,  # type: ignore[arg-type]
        display_names=tuple(clean.display(column) for column in columns),
    )


def order_quality(
    summary: OrderSummary,
    features: Sequence[str],
    profile: Sequence[str],
    period: str | None = None,
) -> DataQuality:
    """The data-quality section of an order-line run: how the lines became customers."""
    notes = [
        f"Read as order lines: {summary.lines_read:,} lines, "
        f"{summary.customers + summary.not_positive_customers:,} customers, {summary.reason}.",
        _date_note(summary),
    ]
    if period is not None and (stale := _stale_note(summary, period)):
        notes.append(stale)
    if discount := _discount_note(summary):
        notes.append(discount)
    money = summary.role("amount") or summary.role("price") or "the amount"
    if summary.no_customer_lines:
        value = f", worth {summary.no_customer_value:,.2f} in {money}" if summary.has_money else ""
        placeholders = ", ".join(f"'{text}'" for text in summary.placeholder_customers)
        which = (
            f" (blank, or a placeholder for no one in particular: {placeholders})"
            if placeholders
            else ""
        )
        notes.append(
            f"{summary.no_customer_lines:,} "
            f"{plural(summary.no_customer_lines, 'line has', 'lines have')} no customer"
            f"{which}{value}: left out (anonymous or guest purchases)."
        )
    if summary.return_lines:
        credit = f", or a credit note in {summary.role('document')}" if summary.credit_notes else ""
        returns = plural(
            summary.return_lines,
            "line is a return or cancellation",
            "lines are returns or cancellations",
        )
        notes.append(
            f"{summary.return_lines:,} {returns} (a negative quantity "
            f"or amount, or a C-prefixed invoice{credit}), worth {summary.returned_value:,.2f}: "
            "they are netted against each customer's spend and not counted as orders."
        )
    if summary.currencies:
        column, *currencies = summary.currencies
        listed = ", ".join(currencies)
        if summary.mixed_currencies:
            notes.append(
                f"The money is in {len(currencies)} currencies ({listed}, in {column}) and was "
                "added up as it is: spend and revenue mix them. Convert the amounts to one "
                "currency first, or name a converted amount column with `amount` in the "
                "config file."
            )
        else:
            notes.append(
                f"The money is in {len(currencies)} currencies ({listed}, in {column}): "
                f"{summary.role('amount')}, in one currency, is the amount."
            )
    if summary.bad_price_lines:
        notes.append(
            f"{summary.bad_price_lines:,} lines have a zero or negative price and are left out."
        )
    if summary.zero_value_lines:
        notes.append(
            f"{summary.zero_value_lines:,} purchases are worth 0: they count as visits, "
            "not as spend."
        )
    if summary.ragged_lines:
        count = summary.ragged_lines
        quoted = "; ".join(f"line {line}: {text[:60]}" for line, text in summary.ragged_examples)
        share = count / (count + summary.lines_read) if summary.lines_read else 1.0
        more = "; …" if count > len(summary.ragged_examples) else ""
        notes.append(
            f"{count:,} {plural(count, 'line has', 'lines have')} fewer fields than the header "
            f"({format_percent(share)} of the lines; {quoted}{more}): a separator is missing, "
            "so their values would sit in the wrong columns (a country read as the customer). "
            f"{plural(count, 'It is', 'They are')} left out with "
            f"{plural(count, 'its', 'their')} money; fix the export to count "
            f"{plural(count, 'it', 'them')}."
        )
    if summary.no_date_lines:
        notes.append(
            f"{summary.no_date_lines:,} {plural(summary.no_date_lines, 'line has', 'lines have')} "
            "no readable date and "
            f"{plural(summary.no_date_lines, 'is', 'are')} left out."
        )
    if summary.footer_lines:
        notes.append(
            f"{summary.footer_lines:,} {plural(summary.footer_lines, 'line has', 'lines have')} "
            "neither a customer nor a date: the export's total or footer lines (or empty "
            "rows), left out."
        )
    if summary.account_holder is not None:
        holder, other, lines = summary.account_holder
        notes.append(
            f"{holder} is the account holder, not a customer: it is on one side of nearly "
            f"every line ({summary.role('customer')} on {lines:,} of the first lines, "
            f"{other} on most others). On its own lines the customer is {other} (a refund "
            "goes to the buyer), and lines with no one on the other side (transfers, "
            "currency conversions) have no customer."
        )
    if summary.level_lines:
        notes.append(_level_note(summary))
    if summary.repeated_in_order_lines:
        count = summary.repeated_in_order_lines
        notes.append(
            f"{count:,} {plural(count, 'line repeats', 'lines repeat')} another line of the "
            "same order in every column read: each is counted, as the same item bought "
            "more than once in one order."
        )
    # Without money, purchases are counted by day: merging lines of one day changes
    # nothing. Lines are merged on the columns read, not on the whole line.
    if summary.duplicate_lines and not summary.has_orders and summary.has_money:
        copies = summary.duplicate_lines
        read = ", ".join(
            column for role, column in summary.roles if role not in ("status", "document", "order")
        )
        repeat = plural(copies, "line repeats", "lines repeat")
        was = "was" if copies == 1 else "were"
        notes.append(
            f"{copies:,} {repeat} another line in every column read ({read}; the date "
            f"without its time) and {was} counted once. The file has no order number to "
            "tell a copy from a second, identical purchase on the same day, so a few real "
            "purchases may be undercounted."
        )
    if summary.after_reference_lines:
        notes.append(
            f"{summary.after_reference_lines:,} lines on or after the reference date "
            f"{summary.reference_date:%Y-%m-%d} (as_of) are left out."
        )
    if summary.excluded_lines:
        notes.append(
            f"{summary.excluded_lines:,} lines of the excluded items "
            f"({', '.join(summary.excluded_items)}) are left out."
        )
    if summary.void_lines and summary.events:
        shown = summary.void_statuses[:SHOWN_EVENTS]
        more = ", …" if len(summary.void_statuses) > SHOWN_EVENTS else ""
        seen = f" ({', '.join(shown)}{more})" if shown else ""
        notes.append(
            f"{summary.void_lines:,} lines whose {summary.role('status')} is not a purchase"
            f"{seen} are left out: this is a log of events, and only purchases count. "
            "Customers with no purchase are in no segment (counted below)."
        )
    elif summary.void_lines and summary.pipeline:
        worth = f", worth {summary.void_value:,.2f}," if summary.has_money else ""
        notes.append(
            f"{summary.role('status')} is a sales pipeline: only won deals are sales. "
            f"{summary.void_lines:,} {plural(summary.void_lines, 'line')} of lost or open "
            f"deals{worth} {plural(summary.void_lines, 'is', 'are')} left out."
        )
    elif summary.void_lines:
        seen = f" ({', '.join(summary.void_statuses)})" if summary.void_statuses else ""
        worth = f", worth {summary.void_value:,.2f}," if summary.has_money else ""
        notes.append(
            f"{summary.void_lines:,} lines whose {summary.role('status')} says the sale did "
            f"not happen or has not happened yet{seen}{worth} are left out: not purchases. "
            "Other statuses are counted as sales."
        )
    if summary.status_values and not summary.events:
        notes.append(_status_values_note(summary))
    for column, why in summary.unused_statuses:
        notes.append(f"{column} is named like a status but is not read: {why}.")
    if summary.unkept_customers:
        count = summary.unkept_customers
        why = (
            "no purchase among their events"
            if summary.events
            else "every order cancelled, excluded, undated or after the reference date"
        )
        notes.append(
            f"{count:,} {plural(count, 'customer')} had lines but none left after the "
            f"exclusions above ({why}): they are in no segment and not in not_segmented.csv."
        )
    gifts = [item for item in summary.suspect_items if item.gift_card]
    if gifts:
        listed = ", ".join(
            f"{item.code} ({item.lines:,} {plural(item.lines, 'line')}, worth {item.value:,.2f})"
            for item in gifts
        )
        codes = ", ".join(f'"{item.code}"' for item in gifts)
        notes.append(
            f"Gift cards are sold in this file: {listed}. Their sale is counted as the buyer's "
            "spend, and what is bought with them is counted again when they are redeemed. To "
            f"leave the sales out, add to the config file: exclude_items = [{codes}]."
        )
    others = [item for item in summary.suspect_items if not item.gift_card]
    if others:
        listed = ", ".join(
            f"{item.code} ({item.lines:,} {plural(item.lines, 'line')})" for item in others
        )
        codes = ", ".join(f'"{item.code}"' for item in others)
        notes.append(
            f"These item codes look unlike the rest (no digit, where most codes have one) and "
            f"may be postage, fees or adjustments rather than products: {listed}. If so, add "
            f"to the config file: exclude_items = [{codes}]."
        )
    if summary.not_positive_customers:
        notes.append(_not_segmented_note(summary))
        everyone = summary.customers + summary.not_positive_customers
        unpaid = summary.not_positive_customers - summary.zero_spend_customers
        if summary.has_money and unpaid > NET_NEGATIVE_SHARE * everyone:
            notes.append(
                f"Check the negative lines: {unpaid / everyone:.0%} of the customers have "
                "returns as large as their purchases or returns only. Negative lines that "
                "are payments of a bill, transfers or balance moves are not returns; if "
                "they are, leave them out of the export (or exclude them) and run again."
            )
    if summary.other_customer_columns:
        notes.append(
            f"{', '.join(summary.other_customer_columns)} identifies the same customers as "
            f"{summary.role('customer')}; {summary.role('customer')} is used "
            '(set customer = "..." to use another).'
        )
    if not summary.has_money:
        notes.append(
            "There is no amount or price column: customers are segmented on recency and "
            "frequency only, and revenue figures are not available."
        )
    derived = {
        "recency_days": f"days from the last purchase to {summary.reference_date:%Y-%m-%d}",
        "frequency": (
            f"distinct orders ({summary.role('order')})"
            if summary.has_orders
            else "distinct purchase days (no order column)"
        ),
        "monetary": (
            "net spend: purchases minus returns"
            if summary.has_returns
            else "spend: the sum of purchases (the file has no returns)"
        ),
        "tenure_days": "days from the first purchase to the reference date",
        "average_order_value": "purchases ÷ orders",
        "returned_share": "returns ÷ purchases",
        "distinct_items": f"distinct {summary.role('item')}",
    }
    columns = [
        ColumnReport(
            summary.role("customer") or "customer", "code", "id", summary.no_customer_lines, None
        ),
        *(ColumnReport(column, "numeric", "feature", 0, derived[column]) for column in features),
        *(
            ColumnReport(column, "numeric", "profile", 0, derived[column])
            if column in derived
            else ColumnReport(
                column,
                "categorical",
                "profile",
                0,
                "one value per customer (the same in all their lines): describes the segments",
            )
            for column in profile
        ),
        *_source_columns(summary, profile),
    ]
    return DataQuality(
        rows_read=summary.lines_read,
        duplicate_rows=summary.duplicate_lines,
        rows_kept=summary.customers,
        columns=tuple(columns),
        notes=tuple(notes),
        source=summary.source_description,
    )


# What each role's column is read as, and for what (the data-quality table).
_SOURCE_ROLES: dict[str, tuple[ColumnKind, str]] = {
    "date": ("date", "the purchase day: recency and tenure"),
    "order": ("code", "one order per distinct value: frequency"),
    "item": ("code", "the distinct items bought"),
    "amount": ("numeric", "the value of the line: spend"),
    "quantity": ("numeric", "times the price: the value of the line"),
    "price": ("numeric", "times the quantity (if any): the value of the line"),
    "status": ("categorical", "lines whose status says the sale did not happen are left out"),
    "discount": ("numeric", "a discount taken off quantity × price: the value of the line"),
    "document": ("categorical", "a credit note's lines are returns, whatever their sign"),
    "level": ("categorical", "the row structure: lines of another level are left out"),
}

# How each kind of discount column is taken off the list value (_discount_note).
_DISCOUNT_FORMULAS = {
    "rate": ("a discount rate", "{gross} × (1 − {discount})"),
    "percent": ("a discount in percent", "{gross} × (1 − {discount} / 100)"),
    "line": ("a discount amount per line", "{gross} − {discount}, never below 0"),
    "unit": ("a discount amount per unit", "{quantity} × ({price} − {discount}), never below 0"),
}


def _discount_note(summary: OrderSummary) -> str | None:
    """The discount applied to quantity x price, and what it took off; or a discount-named
    column not applied, and why (transactions.discount_role)."""
    price, quantity = summary.role("price"), summary.role("quantity")
    gross = f"{quantity} × {price}" if quantity else str(price)
    column = summary.role("discount")
    if column and summary.discount_kind in _DISCOUNT_FORMULAS:
        what, formula = _DISCOUNT_FORMULAS[summary.discount_kind]
        worth = formula.format(gross=gross, discount=column, quantity=quantity, price=price)
        after = summary.list_value - summary.discount_value
        share = summary.discount_value / summary.list_value if summary.list_value else 0.0
        return (
            f"{column} is {what} and is applied: a line is worth {worth} (a blank discount "
            f"is none). The purchases counted come to {after:,.2f} after discounts, "
            f"{summary.discount_value:,.2f} ({share:.1%}) below their list value "
            f"{summary.list_value:,.2f}."
        )
    if summary.discount_unread is not None:
        unread, why = summary.discount_unread
        return (
            f"{unread} looks like a discount but is not applied: {why}. Spend is {gross} "
            f"before any discount. If {unread} is a discount in percent, name it in the "
            f'config file (discount = "{unread}") to apply it; discount = "" silences this '
            "note."
        )
    return None


# More than this share of the customers with no positive net spend is a warning sign.
NET_NEGATIVE_SHARE = 0.10


def _level_note(summary: OrderSummary) -> str:
    """What the export's row structure (the 'level' role) left out, and why."""
    column = summary.role("level")
    count = summary.level_lines
    lines = f"{count:,} {plural(count, 'line')}"
    worth = f", worth {summary.level_value:,.2f}," if summary.has_money else ""
    are = plural(count, "is", "are")
    if summary.level_children:
        return (
            f"{lines} with a {column}{worth} {are} part of another line (a product's chosen "
            "variant under its parent): not sales of their own, left out."
        )
    dropped = ", ".join(summary.level_drop)
    if summary.level_kept:
        kept = ", ".join(summary.level_kept)
        return (
            f"{column} splits the rows into levels: the {kept} lines are the items and are "
            f"read; {lines} of {dropped}{worth} {are} left out (their totals repeat the items "
            "or they are payments), so no sale is counted twice."
        )
    return (
        f"{lines} whose {column} says payment or transfer ({dropped}){worth} {are} left "
        "out: paying the bill or moving money, not purchases and not returns."
    )


# The status values listed in the data-quality section, most lines first.
SHOWN_STATUSES = 10


def _status_values_note(summary: OrderSummary) -> str:
    """The status column's values with their lines, and which count as sales."""

    def listed(sale: bool) -> str:
        chosen = [(value, lines) for value, lines, ok in summary.status_values if ok == sale]
        shown = ", ".join(f"{value} ({lines:,})" for value, lines in chosen[:SHOWN_STATUSES])
        return shown + (", …" if len(chosen) > SHOWN_STATUSES else "")

    sales, others = listed(True), listed(False)
    counted = sum(lines for _, lines, _ in summary.status_values)
    scope = (
        f" in the first {summary.status_sample_lines:,} lines ({counted:,} with a value)"
        if summary.status_sample_lines < summary.lines_read
        else f" ({counted:,} lines with a value)"
    )
    parts = [f"counted as sales: {sales or 'none'}"]
    if others:
        parts.append(f"not sales: {others}")
    return f"{summary.role('status')} values{scope}: " + "; ".join(parts) + "."


def _source_columns(summary: OrderSummary, profile: Sequence[str]) -> list[ColumnReport]:
    """Every other column of the export: what it was read for, or that it was not used."""
    roles = {column: role for role, column in summary.roles if role != "customer"}
    reports = []
    for column in summary.source_columns:
        if column == summary.role("customer") or column in profile:
            continue
        if column in roles:
            kind, note = _SOURCE_ROLES[roles[column]]
            amount = summary.role("amount")
            if roles[column] == "quantity" and amount:
                note = f"a quantity below 0 marks a return ({amount} is the line's value)"
            elif roles[column] == "price" and amount:
                note = f"a price of 0 or less leaves the line out ({amount} is the line's value)"
            elif roles[column] == "status" and summary.pipeline:
                note = "a sales pipeline's stage: only won deals are sales"
            missing = summary.no_date_lines if roles[column] == "date" else 0
            reports.append(ColumnReport(column, kind, "source", missing, note))
        elif column == summary.line_id:
            note = "numbers the lines: identical lines with different numbers are both kept"
            reports.append(ColumnReport(column, "code", "source", 0, note))
        elif column in summary.other_customer_columns:
            reports.append(
                ColumnReport(column, "code", "ignored", 0, "the same customers as the ID")
            )
        else:
            reports.append(
                ColumnReport(
                    column, "unread", "ignored", 0, "not used: lines are summed up per customer"
                )
            )
    return reports


def _not_segmented_note(summary: OrderSummary) -> str:
    """Why customers with nothing to segment on were left out, each reason counted."""
    reasons = [
        (summary.zero_spend_customers, "all their purchases are worth 0"),
        (summary.returns_only_customers, "they have returns or cancellations only"),
        (summary.net_negative_customers, "their returns are as large as their purchases or larger"),
    ]
    parts = [f"{count:,} because {reason}" for count, reason in reasons if count]
    total = summary.not_positive_customers
    return (
        f"{total:,} {plural(total, 'customer')} with no spend to segment on "
        f"{plural(total, 'is', 'are')} counted here but not segmented: {'; '.join(parts)}. "
        f"{plural(total, 'It is', 'They are')} listed in not_segmented.csv, with the reason."
    )


# Lines that end more than this many months before the report's period are noted.
STALE_MONTHS = 12


def _stale_note(summary: OrderSummary, period: str) -> str | None:
    """A warning when the lines end long before the report's month (a wrong export?)."""
    if summary.last_date is None or summary.as_of_given:
        return None
    year, month = (int(part) for part in period.split("-"))
    months = (year * 12 + month) - (summary.last_date.year * 12 + summary.last_date.month)
    if months <= STALE_MONTHS:
        return None
    gap = f"about {months // 12} years" if months >= 24 else f"{months} months"
    return (
        f"The lines end on {summary.last_date:%Y-%m-%d}, {gap} before this report's period "
        f"({period}). Check that this is the latest export: recency is counted from the "
        "last date in the data, so these customers look as they did then, not today."
    )


def _date_note(summary: OrderSummary) -> str:
    span = ""
    if summary.first_date and summary.last_date:
        span = f" from {summary.first_date:%Y-%m-%d} to {summary.last_date:%Y-%m-%d}"
    how = "as given (as_of)" if summary.as_of_given else "the day after the last date"
    if (
        not summary.as_of_given
        and summary.last_date is not None
        and summary.reference_date <= summary.last_date
    ):  # lines that are no sale (open deals closing later) set no reference date
        how = "the day after the last sale's date (later lines are not sales)"
    return (
        f"Dates in {summary.role('date')} were {_read_as(summary.date_interpretation)}; "
        f"they run{span}. Reference date: {summary.reference_date:%Y-%m-%d}, {how}."
    )


def _read_as(interpretation: str) -> str:
    """'read as day first ...', or 'read with date_format ...' as it stands (not 'read as
    read with')."""
    return interpretation if interpretation.startswith("read ") else f"read as {interpretation}"


def describe_segments(
    segments: Sequence[SegmentProfile],
    segmentation: Segmentation,
    customers: pd.DataFrame,
    scores: pd.DataFrame,
    grid: Grid,
    summary: OrderSummary,
    known_names: Mapping[int, str] | None = None,
) -> tuple[tuple[SegmentProfile, ...], RfmSummary]:
    """Name each segment after its members' own grid groups, give it the playbook's advice.

    A segment is named after the grid group that holds the most of its customers (each
    customer's own R x F cell, as in ``rfm_group``); when that group holds no more than
    half of them the segment is mixed: it is named after its groups that get an action
    of their own (_base_name), and its description lists the mix. The recommendations are
    the playbook of that largest group, and for a mixed segment the action of each of
    those groups too (``Recommendation.parts``).

    Args:
        customers: the per-customer table, in the segmentation's row order.
        scores: ``rfm_scores(customers)``, same order.
        known_names: names of segments tracked from an earlier run, kept as they were.
    """
    labels = segmentation.labels
    has_money = "monetary" in customers
    own_groups = customer_groups(scores, grid).to_numpy()
    revenue = customers["monetary"].to_numpy(dtype=float) if has_money else None
    mixes = [
        group_mix(
            own_groups[labels == index],
            revenue[labels == index] if revenue is not None else None,
            grid,
        )
        for index in range(segmentation.k)
    ]
    by_name = {group.name: group for group in grid.groups}
    groups = [by_name[mix[0].name] for mix in mixes]
    mixed = [mix[0].share <= MAJORITY for mix in mixes]
    short = short_history(summary)
    grid = grid.for_history(summary)
    # A short history judges nobody's rhythm: a gap of hours says nothing of a pace.
    own_intervals = np.full(len(customers), np.nan) if short else usual_intervals(customers)
    intervals = judged_intervals(customers, own_intervals)
    late = overdue(customers, intervals)
    judged = ~np.isnan(intervals)
    second = second_time_buyers(customers) & judged
    usual = store_interval(own_intervals)
    # Customers who still buy at a pace of their own: a second-time buyer who is not
    # overdue is no regular yet.
    steady = repeat_buyers(customers) & ~late
    rhythms = [
        _rhythm(intervals, judged, late, steady, labels == index) for index in range(len(mixes))
    ]
    actions = [
        _rhythm_action(group, *rhythm, grid) for group, rhythm in zip(groups, rhythms, strict=True)
    ]
    states = [_rhythm_state(group, adj) for group, (_, adj) in zip(groups, actions, strict=True)]
    names = _qualified_names(
        [_base_name(mix) for mix in mixes],
        [mix[0].name for mix in mixes],
        mixed,
        customers,
        labels,
        states,
        grid,
    )
    if not summary.has_orders:
        # Without an order column a purchase is a shopping day: "visits", not "orders".
        names = [name.replace(" orders)", " visits)") for name in names]
    known = known_names or {}
    total = float(customers["monetary"].sum()) if has_money else None
    renamed, rows = [], []
    for index, segment in enumerate(segments):
        inside = labels == index
        members = customers[inside]
        name = known.get(segment.number) or names[index]
        group = groups[index]
        row = _segment_row(
            segment.number, name, group.name, mixes[index], mixed[index], members, total
        )
        overdue_share, steady_share, usual_interval = rhythms[index]
        row = replace(
            row,
            overdue_share=overdue_share,
            steady_share=steady_share,
            usual_interval=usual_interval,
            rhythm_share=float(judged[inside].mean()) if overdue_share is not None else None,
            second_share=float(second[inside].mean()) if overdue_share is not None else None,
        )
        rows.append(row)
        rule = f"RFM playbook: {group.name}"
        if row.mixed:
            rule += f" (the largest part, {format_percent(row.mix[0].share)} of this segment)"
        action, adjusted = actions[index]
        replacing: Mapping[str, str] = {}
        if adjusted:
            rule += ", adjusted to their buying rhythm"
            if group.lapsed:
                replacing = grid.rhythm
        parts: tuple[RecommendationPart, ...] = ()
        rest = ""
        if row.mixed:
            # Profiles of a sampled run count every customer (profiling.with_population).
            scale = segment.size / len(members)
            parts = _part_actions(
                row.mix,
                own_groups[inside],
                judged[inside],
                late[inside],
                steady[inside],
                intervals[inside],
                by_name,
                grid,
                scale,
            )
            rest = _parts_rest(row.mix, parts, scale)
        renamed.append(
            replace(
                segment,
                name=name,
                description=_description(group, row, summary, adjusted),
                recommendation=Recommendation(
                    rule=rule,
                    action=action,
                    # A lapsed group's segment still in rhythm gets no win-back series.
                    campaign=replacing.get("in_rhythm_campaign", group.texts["campaign"]),
                    retention=replacing.get("in_rhythm_retention", group.texts["retention"]),
                    products=replacing.get("in_rhythm_products", group.texts["products"]),
                    parts=parts,
                    parts_rest=rest,
                ),
            )
        )
    at_risk = np.isin(own_groups, grid.risk_groups)
    revenue_at_risk = lifetime_at_risk = None
    basis: Literal["last_12_months", "lifetime", "none"] = "none"
    if has_money and not short:
        revenue_at_risk = float(customers.loc[at_risk, "last_12_months"].sum())
        lifetime_at_risk = float(customers.loc[at_risk, "monetary"].sum())
        basis = at_risk_basis(revenue_at_risk, lifetime_at_risk)
    top10, top20 = concentration(customers["monetary"]) if has_money else (None, None)
    grid_cells = []
    for r in SCORES:
        for f in SCORES:
            inside = ((scores["r"] == r) & (scores["f"] == f)).to_numpy()
            cell_revenue = float(customers.loc[inside, "monetary"].sum()) if has_money else 0.0
            grid_cells.append(RfmCell(r, f, grid.group(r, f).name, int(inside.sum()), cell_revenue))
    return tuple(renamed), RfmSummary(
        orders=summary,
        reference_date=summary.reference_date,
        grid=tuple(grid_cells),
        segments=tuple(rows),
        risk_groups=grid.risk_groups,
        revenue_at_risk=revenue_at_risk,
        customers_at_risk=int(at_risk.sum()),
        overdue_at_risk=None if np.isnan(intervals).all() else int((at_risk & late).sum()),
        top10_share=top10,
        top20_share=top20,
        total_revenue=total,
        lifetime_at_risk=lifetime_at_risk,
        at_risk_basis=basis,
        in_rhythm_name=grid.rhythm["in_rhythm_name"] if "in rhythm" in states else "",
        gone_quiet_qualifier=grid.rhythm["gone_quiet_qualifier"] if "gone quiet" in states else "",
        usual_interval=usual,
        second_time_judged=bool(second.any()),
        one_order_each=bool((customers["frequency"] <= 1).all()),
        history_days=history_days(summary),
        short_history=short,
    )


def group_mix(
    own_groups: np.ndarray, revenue: np.ndarray | None, grid: Grid
) -> tuple[RfmGroupShare, ...]:
    """The grid groups of a segment's customers: counts and shares, largest first.

    Ties between groups of equal size go to the one with more revenue, then to the
    group listed first in the grid file, so names never depend on row order.
    """
    total = len(own_groups)
    revenue_total = float(revenue.sum()) if revenue is not None else 0.0
    shares = []
    for position, group in enumerate(grid.groups):
        inside = own_groups == group.name
        count = int(inside.sum())
        if not count:
            continue
        money = float(revenue[inside].sum()) if revenue is not None else None
        shares.append(
            (
                count,
                money or 0.0,
                -position,
                RfmGroupShare(
                    name=group.name,
                    customers=count,
                    share=count / total,
                    revenue_share=(
                        money / revenue_total if money is not None and revenue_total else None
                    ),
                ),
            )
        )
    shares.sort(key=lambda item: item[:3], reverse=True)
    return tuple(item[3] for item in shares)


def at_risk_basis(
    last_12_months: float, lifetime: float
) -> Literal["last_12_months", "lifetime", "none"]:
    """Which revenue figure says what the customers at risk are worth.

    Their last 12 months' spend, unless it is under NEGLIGIBLE_RECENT_SHARE of all they
    ever spent (a lapsed base, where it is 0 by construction): then their lifetime spend.
    """
    if lifetime <= 0:
        return "last_12_months" if last_12_months > 0 else "none"
    if last_12_months < NEGLIGIBLE_RECENT_SHARE * lifetime:
        return "lifetime"
    return "last_12_months"


def customer_groups(scores: pd.DataFrame, grid: Grid) -> pd.Series:
    """Each customer's own grid group (the classic RFM group), from their R and F."""
    names = {(r, f): grid.group(r, f).name for r in SCORES for f in SCORES}
    keys = list(zip(scores["r"].to_numpy(), scores["f"].to_numpy(), strict=True))
    return pd.Series([names[(int(r), int(f))] for r, f in keys], index=scores.index)


def concentration(monetary: pd.Series) -> tuple[float, float]:
    """The share of net revenue from the top 10% and the top 20% of customers."""
    values = np.sort(monetary.to_numpy(dtype=float))[::-1]
    total = values.sum()
    if total <= 0:
        return 0.0, 0.0
    shares = []
    for top in (0.1, 0.2):
        count = max(1, math.ceil(top * len(values)))
        shares.append(float(values[:count].sum() / total))
    return shares[0], shares[1]


def _part_shares(mix: Sequence[RfmGroupShare]) -> list[RfmGroupShare]:
    """The groups of a mixed segment that get an action of their own (and name it)."""
    return [share for share in mix[:PARTS_SHOWN] if share.share >= PART_SHARE]


def _base_name(mix: Sequence[RfmGroupShare]) -> str:
    """The group holding a majority of a segment; else the groups that get an action
    (_part_shares), joined by " / "; else the largest group (called mixed later)."""
    if mix[0].share > MAJORITY:
        return mix[0].name
    parts = _part_shares(mix)
    if len(parts) < 2:
        return mix[0].name
    return " / ".join(share.name for share in parts)


def _qualified_names(
    names: Sequence[str],
    leads: Sequence[str],
    mixed: Sequence[bool],
    customers: pd.DataFrame,
    labels: np.ndarray,
    rhythm_states: Sequence[RhythmState],
    grid: Grid,
) -> list[str]:
    """Names, adjusted to the buying rhythm, with "mixed" where a segment without a majority
    group has only one group large enough to name (_base_name), and a qualifier where
    segments share a name or its leading group: the measure they differ on most.

    A segment named after lapsed groups whose customers mostly still buy at their usual
    pace takes the in-rhythm name ("Infrequent regulars"); one named after an active group
    whose customers have mostly gone quiet keeps its name with the gone-quiet qualifier,
    so that the name never contradicts the segment's own advice.
    """
    names = [
        grid.rhythm["in_rhythm_name"] if state == "in rhythm" else name
        for name, state in zip(names, rhythm_states, strict=True)
    ]
    # A segment named after several groups is mixed by its name already.
    words: list[list[str]] = [
        (["mixed"] if is_mixed and name == lead else [])
        + ([grid.rhythm["gone_quiet_qualifier"]] if state == "gone quiet" else [])
        for name, lead, is_mixed, state in zip(names, leads, mixed, rhythm_states, strict=True)
    ]
    # Segments led by the same group ("Hibernating", "Hibernating & Promising") are told
    # apart too: their group mixes are alike, so the measure they differ on says more.
    # The gone-quiet qualifier already tells a segment from one that has not.
    kinds = [
        (name if state == "in rhythm" else lead, state)
        for name, lead, state in zip(names, leads, rhythm_states, strict=True)
    ]
    for kind in dict.fromkeys(kinds):
        positions = [index for index, other in enumerate(kinds) if other == kind]
        if len(positions) < 2:
            continue
        medians = {
            column: [float(customers.loc[labels == index, column].median()) for index in positions]
            for column, *_ in _QUALIFIERS
            if column in customers
        }
        # The measure whose medians differ most, on a log scale (these are all skewed).
        column = max(
            medians,
            key=lambda c: np.ptp(np.log1p(np.maximum(medians[c], 0))),
        )
        _, higher, lower, middle = next(q for q in _QUALIFIERS if q[0] == column)
        order = np.argsort(-np.array(medians[column]), kind="stable")
        for rank, slot in enumerate(order):
            if rank == 0:
                word = higher if len(order) == 2 else higher.replace("higher", "highest")
            elif rank == len(order) - 1:
                word = lower if len(order) == 2 else lower.replace("lower", "lowest")
            else:
                word = middle if len(order) == 3 else f"{middle} {chr(ord('A') + rank - 1)}"
            words[positions[slot]].append(word)
    return [
        f"{name} ({', '.join(extra)})" if extra else name
        for name, extra in zip(names, words, strict=True)
    ]


def _segment_row(
    number: int,
    name: str,
    group: str,
    mix: tuple[RfmGroupShare, ...],
    mixed: bool,
    members: pd.DataFrame,
    total: float | None,
) -> RfmSegment:
    has_money = total is not None
    revenue = float(members["monetary"].sum()) if has_money else 0.0
    aov = returned = last_12 = median_m = None
    if has_money:
        # The same definition as the segment cards: each customer's purchases ÷ orders,
        # averaged over the segment's customers.
        aov = float(members["average_order_value"].mean())
        purchases = members["average_order_value"] * members["frequency"]
        bought = float(purchases.sum())
        returned = float((members["returned_share"] * purchases).sum() / bought) if bought else 0.0
        last_12 = float(members["last_12_months"].sum())
        median_m = float(members["monetary"].median())
    return RfmSegment(
        number=number,
        name=name,
        group=group,
        mix=mix,
        mixed=mixed,
        customers=len(members),
        revenue=revenue,
        revenue_share=revenue / total if total else 0.0,
        average_order_value=aov,
        median_recency=float(members["recency_days"].median()),
        median_frequency=float(members["frequency"].median()),
        median_monetary=median_m,
        returned_share=returned,
        last_12_months=last_12,
    )


def _rhythm(
    intervals: np.ndarray,
    judged: np.ndarray,
    late: np.ndarray,
    steady: np.ndarray,
    inside: np.ndarray,
) -> tuple[float | None, float | None, float | None]:
    """Some customers' overdue share and steady share (of all of them), and the median
    interval they are judged against (judged_intervals) of those who have one
    (``judged``); all None when none has one."""
    if not (judged & inside).any():
        return None, None, None
    return (
        float(late[inside].mean()),
        float(steady[inside].mean()),
        float(np.median(intervals[inside & judged])),
    )


def _rhythm_state(group: Group, adjusted: bool) -> RhythmState:
    """How a segment's buying rhythm bears on its name (see _rhythm_action)."""
    if not adjusted:
        return "as named"
    return "in rhythm" if group.lapsed else "gone quiet"


def _rhythm_action(
    group: Group,
    overdue_share: float | None,
    steady_share: float | None,
    usual_interval: float | None,
    grid: Grid,
    brief: bool = False,
) -> tuple[str, bool]:
    """The action for customers of a group, and whether their buying rhythm changed it.

    ``brief``: a part of a mixed segment, whose gone-quiet sentence stands alone: with
    each part's "For the others" the parts of one segment pushed the last segment off
    page 1 (the group's own action is in the card's playbook).

    A group whose playbook assumes lapsed customers, when most of the customers are
    repeat buyers still at their usual pace (steady), gets the in-rhythm action instead;
    any other group, when most of the customers are overdue, gets the gone-quiet
    sentence before its action (instead of it when all but under PART_SHARE are).
    """
    action = group.texts["action"]
    if overdue_share is None or steady_share is None or usual_interval is None:
        return action, False
    days = f"{round(usual_interval):,}"
    if group.lapsed and steady_share > MAJORITY:
        share = format_percent(steady_share)
        return grid.rhythm["in_rhythm"].format(share=share, days=days), True
    if not group.lapsed and overdue_share > MAJORITY:
        share = _share_text(overdue_share)
        quiet = grid.rhythm["gone_quiet"].format(share=share, days=days)
        quiet = quiet[0].upper() + quiet[1:]
        # The group's own action "for the others" only when they are more than a handful
        # (Etsy's Loyal part: "96% have gone quiet ... For the others: upsell" was 1 of 28).
        if brief or overdue_share >= 1 - PART_SHARE:
            return quiet, True
        return f"{quiet} For the others: {action[0].lower()}{action[1:]}", True
    return action, False


def _part_actions(
    mix: Sequence[RfmGroupShare],
    own_groups: np.ndarray,
    judged: np.ndarray,
    late: np.ndarray,
    steady: np.ndarray,
    intervals: np.ndarray,
    by_name: Mapping[str, Group],
    grid: Grid,
    scale: float = 1.0,
) -> tuple[RecommendationPart, ...]:
    """The action for each sizeable RFM group of a mixed segment (_part_shares), judged on
    its own customers' rhythm, with its share and count of the segment's customers.

    ``scale`` turns the counts of the customers given into counts of the whole segment:
    1 unless they are a sample of it (the Spark engine).
    """

    def action_for(group: Group, inside: np.ndarray) -> tuple[str, bool]:
        rhythm = _rhythm(intervals, judged, late, steady, inside)
        return _rhythm_action(group, *rhythm, grid, brief=True)

    shown = _part_shares(mix)
    actions = [action_for(by_name[s.name], own_groups == s.name) for s in shown]
    # Lapsed-looking groups that are all still in rhythm get one action, judged on them
    # together, not the same sentence twice with different figures.
    in_rhythm = [
        share
        for share, (_, adjusted) in zip(shown, actions, strict=True)
        if adjusted and by_name[share.name].lapsed
    ]
    parts = []
    for share, (action, _) in zip(shown, actions, strict=True):
        if len(in_rhythm) > 1 and share in in_rhythm:
            if share is not in_rhythm[0]:
                continue
            names = [other.name for other in in_rhythm]
            inside = np.isin(own_groups, names)
            action, _ = action_for(by_name[share.name], inside)
            total = sum(other.share for other in in_rhythm)
            count = sum(other.customers for other in in_rhythm)
            parts.append(RecommendationPart(" & ".join(names), total, action, round(count * scale)))
        else:
            parts.append(
                RecommendationPart(share.name, share.share, action, round(share.customers * scale))
            )
    return tuple(parts)


def _parts_rest(
    mix: Sequence[RfmGroupShare], parts: Sequence[RecommendationPart], scale: float
) -> str:
    """Which smaller groups hold the customers of a mixed segment outside its parts:
    "The other 29% (46 customers) are in 4 smaller groups: 12% Potential loyalists, …"."""
    rest = mix[len(_part_shares(mix)) :]
    if not rest:
        return ""
    share = sum(group.share for group in rest)
    count = round(sum(group.customers for group in rest) * scale)
    groups = plural(len(rest), "a smaller group", f"{len(rest)} smaller groups")
    return (
        f"The other {format_percent(share)} ({count:,} {plural(count, 'customer')}) "
        f"{plural(count, 'is', 'are')} in {groups}: "
        # "under 1% Need attention", not "0%": a group listed has customers.
        f"{', '.join(f'{_share_text(group.share)} {group.name}' for group in rest)}."
    )


def _description(
    group: Group,
    row: RfmSegment,
    summary: OrderSummary,
    rhythm_adjusted: bool,
) -> str:
    orders = "order" if summary.has_orders else "purchase day"
    days, count = round(row.median_recency), round(row.median_frequency)
    parts = [
        f"last purchase {days:,} day{'s' if days != 1 else ''} ago",
        f"{count:,} {orders}{'s' if count != 1 else ''}",
    ]
    if row.median_monetary is not None:
        parts.append(f"net spend {row.median_monetary:,.0f}")
    largest = row.mix[0]
    if row.mixed:
        # The groups with an action of their own are in the name and the action, each with
        # its share: the description says only what they leave out (page 1 has no room
        # for the shares twice).
        text = "Mixed, no majority"
        if rest := row.mix[len(_part_shares(row.mix)) :]:
            share = format_percent(sum(group.share for group in rest))
            text += f"; {share} in {len(rest)} smaller {plural(len(rest), 'group')}"
        text += "."
    else:
        others = f", then {format_group_mix(row.mix[1:], 2)}" if len(row.mix) > 1 else ""
        text = f"{format_percent(largest.share)} are {group.name}{others}."
        if not rhythm_adjusted:
            # The group's meaning, unless the customers' rhythm contradicts it.
            text = f"{group.texts['meaning']} {text}"
    text += f" Median customer: {', '.join(parts)}"
    if row.revenue_share:
        text += f"; {format_percent(row.revenue_share)} of revenue"
    text += "."
    judged = row.rhythm_share if row.rhythm_share is not None else 1.0
    # Customers who bought once have no pace to judge: a segment mostly of them gets no
    # sentence about it, the others say on how many it is judged. Who is held to the
    # store's interval is the methodology's to say: page 1 has no room for it.
    if row.overdue_share is not None and row.usual_interval is not None and judged >= PART_SHARE:
        share = _share_text(row.overdue_share)
        basis = "their usual" if row.second_share else "their own usual"
        notes = [f"median {round(row.usual_interval):,} days"]
        whom = ""
        if judged < RHYTHM_SHOWN:
            whom = " of the segment"
            notes.append(f"the {format_percent(1 - judged)} who bought once are not judged")
        text += (
            f" {share[0].upper()}{share[1:]}{whom} are overdue: past twice {basis} "
            f"interval between {orders}s ({'; '.join(notes)})."
        )
    return text


def _share_text(share: float) -> str:
    """A share as a sentence says it: "none", "under 1%", "37%", "over 99%", "100%"."""
    text = format_percent(share)
    if share == 0:
        return "none"
    if text == format_percent(0.0):
        return "under 1%"
    if text == format_percent(1.0) and share < 1:
        return "over 99%"
    return text


def with_population(rfm: RfmSummary, population: Population, features: FeatureMatrix) -> RfmSummary:
    """The RFM summary of a sample, with every customer's figures where Spark gave them.

    Each segment's customers, revenue, share of revenue and medians are every
    customer's; its last 12 months' spend, the grid's cells and the customers and
    revenue at risk are the sample's, scaled up to all customers (the data-quality
    section says which figures come from the sample).
    """
    factor = population.customers / max(population.sample_size, 1)
    columns = list(features.columns)
    money = "monetary" in columns

    def exact(table: np.ndarray, index: int, column: str) -> float | None:
        return float(table[index][columns.index(column)]) if column in columns else None

    revenues = [
        (exact(population.means, index, "monetary") or 0.0) * size if money else 0.0
        for index, size in enumerate(population.sizes)
    ]
    total = sum(revenues) if money else None
    segments = tuple(
        replace(
            segment,
            customers=size,
            revenue=revenue,
            revenue_share=revenue / total if total else 0.0,
            median_recency=exact(population.medians, index, "recency_days")
            or segment.median_recency,
            median_frequency=exact(population.medians, index, "frequency")
            or segment.median_frequency,
            median_monetary=exact(population.medians, index, "monetary") if money else None,
            last_12_months=None
            if segment.last_12_months is None
            else segment.last_12_months / max(segment.customers, 1) * size,
        )
        for index, (segment, size, revenue) in enumerate(
            zip(rfm.segments, population.sizes, revenues, strict=True)
        )
    )

    def scaled(value: float | None) -> float | None:
        return None if value is None else value * factor

    return replace(
        rfm,
        segments=segments,
        grid=tuple(
            replace(cell, customers=round(cell.customers * factor), revenue=cell.revenue * factor)
            for cell in rfm.grid
        ),
        revenue_at_risk=scaled(rfm.revenue_at_risk),
        lifetime_at_risk=scaled(rfm.lifetime_at_risk),
        customers_at_risk=round(rfm.customers_at_risk * factor),
        overdue_at_risk=(
            round(rfm.overdue_at_risk * factor) if rfm.overdue_at_risk is not None else None
        ),
        total_revenue=total,
    )
