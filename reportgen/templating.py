"""The Jinja2 environment and the filters every template uses (the report and the email).

The number and date formats are ``reportgen.formatting``'s, shared with the stages that
write sentences, so a figure reads the same in a segment's description and in a table.

Not a stage: the stages that render (``rendering``, ``emailing``) share it, so the report
and the email are made from the same templates, macros and number formats.

Autoescaping is on for every template but plain-text ones (``*.txt``: the email's text
part and subject), so text from the data appears as text in HTML whatever it contains.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

import jinja2

from reportgen.config import TEMPLATES_DIR
from reportgen.formatting import (
    COLUMN_KIND_NAMES,
    COLUMN_ROLE_NAMES,
    format_group_mix,
    format_long_date,
    format_number,
    format_percent,
    format_rate,
    format_signed,
    format_timestamp,
    plural,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from reportgen.contract import (
        ColumnReport,
        DataQuality,
        KChoice,
        KScore,
        Report,
        SegmentChange,
        SegmentProfile,
    )

# How the report names the status of a tracked segment.
_SEGMENT_STATUSES = {"kept": "same segment", "new": "new this month", "gone": "gone"}
# Page 1 says what share of the money lines without a customer hold, from this share.
ANONYMOUS_SHOWN = 0.1
# Page 1 names at most this many of the features it says customers were grouped by.
GROUPED_BY_SHOWN = 6


@functools.cache
def environment() -> jinja2.Environment:
    """Return the shared template environment (templates/, strict, autoescaped but *.txt)."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=(),
            disabled_extensions=("txt",),
            default_for_string=True,
            default=True,
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        number=format_number,
        percent=format_percent,
        rate=format_rate,
        group_mix=format_group_mix,
        signed=format_signed,
        bar_width=bar_width,
        bar_pixels=bar_pixels,
        long_date=format_long_date,
        timestamp=format_timestamp,
        plural=plural,
        breakable=breakable,
        column_type=column_type,
        column_role=column_role,
        segment_status=segment_status,
        k_marks=k_marks,
        grouped_by=grouped_by,
        never_bought=never_bought,
        never_bought_condition=never_bought_condition,
        coverage=coverage,
        how_segmented=how_segmented,
        segments_found=segments_found,
        column_names=column_names,
        caution=caution,
    )
    from reportgen.rfm import MIN_HISTORY_DAYS

    environment.globals["min_history_days"] = MIN_HISTORY_DAYS
    return environment


def breakable(text: object, every: int = 24) -> str:
    """Let very long unbroken words (from customer data) wrap in tables.

    A zero-width space is put every ``every`` characters inside words longer than
    that, so a 120-character column name cannot stretch a table off the page.
    """
    return re.sub(
        rf"\S{{{every + 1},}}",
        lambda word: "\u200b".join(
            word[0][start : start + every] for start in range(0, len(word[0]), every)
        ),
        str(text),
    )


def bar_width(z: float, full_scale: float = 2.0) -> str:
    """Return the CSS width of one side of a diverging bar: |z| of ``full_scale`` fills it.

    The width is a percentage of the whole bar, whose centre is the axis, so a full
    side is 50%.
    """
    return f"{min(abs(z), full_scale) / full_scale * 50:.1f}%"


def bar_pixels(z: float, half: int, full_scale: float = 2.0) -> int:
    """Return the length in whole pixels of half of a diverging bar ``half`` pixels wide.

    The email's bars are table cells, which email clients size by pixel widths only.
    """
    return round(min(abs(z), full_scale) / full_scale * half)


def column_type(column: ColumnReport) -> str:
    """The data-quality table's type of a column: 'measure', 'category', 'identifier'…"""
    return "identifier" if column.role == "id" else COLUMN_KIND_NAMES[column.kind]


def column_role(column: ColumnReport) -> str:
    """What a column was used as: 'segmentation feature', 'description only'…"""
    return COLUMN_ROLE_NAMES[column.role]


def segment_status(change: SegmentChange) -> str:
    """A tracked segment's status: 'same segment', 'new this month' or 'gone'."""
    return _SEGMENT_STATUSES[change.status]


def k_marks(score: KScore, choice: KChoice) -> str:
    """What the k-evidence table marks about one k: 'elbow · chosen', or ''."""
    chosen = score.k == choice.chosen_k
    outside = not choice.k_min <= score.k <= choice.k_max
    span = f"{choice.k_min}–{choice.k_max}"
    marks = [
        mark
        for mark, applies in (
            ("elbow", score.k == choice.elbow_k),
            ("best silhouette", score.k == choice.silhouette_k),
            ("chosen", chosen),
            # 2 (and last month's or a forced k) are scored beside the business range.
            (f"for comparison (range {span})", outside and not chosen),
            (f"outside the range {span}", outside and chosen),
        )
        if applies
    ]
    return " · ".join(marks)


def grouped_by(report: Report) -> str:
    """What the customers were grouped by, as the summary says it (report and email)."""
    if report.rfm is None:
        names = [report.display(column) for column in report.feature_columns]
        if len(names) == 1:
            # Said plainly: the segments are ranges of one number, not groups found
            # across several behaviours.
            return (
                f"one measure only, {names[0]}: each segment is a range of it, from low to "
                "high, not a group found across several behaviours"
            )
        if len(names) <= GROUPED_BY_SHOWN + 1:
            return ", ".join(names)
        # Page 1 is read, not scanned: the measures that tell the segments apart most are
        # named, the full list is in the methodology.
        leading = [report.display(column) for column in report.features_by_separation]
        rest = len(names) - GROUPED_BY_SHOWN
        return (
            f"{len(names)} measures, most of all {', '.join(leading[:GROUPED_BY_SHOWN])} "
            f"(and {rest} more)"
        )
    if report.rfm.short_history:
        if report.rfm.orders.has_money:
            return "how often they bought and how much they spent (frequency, monetary value)"
        return "how often they bought (frequency)"
    if report.rfm.orders.has_money:
        return (
            "how recently and how often they bought and how much they spent "
            "(recency, frequency, monetary value)"
        )
    return "how recently and how often they bought (recency, frequency)"


def never_bought_condition(quality: DataQuality) -> str:
    """What marks the customers who never bought: 'Total Spent, Total Orders 0', 'Total
    Revenue blank' (a CRM leaves non-buyers blank), or '... 0 or blank'."""
    columns = quality.never_bought_columns
    blank = set(quality.never_bought_blank) & set(columns)
    value = "0" if not blank else "blank" if blank == set(columns) else "0 or blank"
    return f"{', '.join(columns)} {value}"


def never_bought(report: Report) -> str:
    """Page 1's and the e-mail's sentence on the customers who never bought, or ""."""
    quality = report.quality
    if not quality.never_bought:
        return ""
    return (
        f"Not in these segments: {format_number(quality.never_bought, 0)} more customers in "
        f"the table who have never bought ({never_bought_condition(quality)}). "
        "They are prospects for a first-purchase offer, not a win-back; not_segmented.csv "
        "lists them."
    )


def coverage(report: Report) -> str:
    """What an order-line report's data leaves out or mixes: no customer with a second
    order, lines without a customer holding a tenth of the money or more, amounts in
    several currencies; "" when nothing."""
    rfm = report.rfm
    if rfm is None:
        return ""
    parts = []
    if rfm.one_order_each:
        parts.append(
            f"No customer repeats: each of the {report.customers:,} customers has one order "
            "in this file, so how often they buy cannot tell them apart. If your system "
            "gives each order a new customer ID, name the column that holds the person's "
            "own ID in the config file (customer = ...), or export that ID with the orders."
        )
    if rfm.orders.mixed_currencies:
        currencies = ", ".join(rfm.orders.currencies[1:])
        parts.append(f"The money is in {currencies} added up as it is.")
    if rfm.anonymous_share >= ANONYMOUS_SHOWN:
        parts.append(
            "Lines without a customer (anonymous or guest purchases) hold "
            f"{format_percent(rfm.anonymous_share)} of the money: these segments describe "
            f"the other {format_percent(1 - rfm.anonymous_share)}."
        )
    return " ".join(parts)


def column_names(columns: Iterable[str], report: Report) -> str:
    """Columns listed as the report names them ("Days since first purchase, Net spend")."""
    return ", ".join(report.display(column) for column in columns)


def caution(segment: SegmentProfile) -> str:
    """The warning that goes with an unstable segment's action, or ""."""
    if not segment.untrusted or segment.stability is None:
        return ""
    return (
        f"Unstable segment (stability {format_number(segment.stability, 2)}): "
        "test on a sample before a full campaign."
    )


def segments_found(report: Report) -> str:
    """Page 1's label for the number of segments: honest when the groups are not sharp."""
    if report.rfm is None and len(report.feature_columns) == 1:
        return f"ranges of {report.display(report.feature_columns[0])} alone"
    if report.k_choice is None or report.k_choice.sharp:
        return "segments found"
    return "segments (tendencies, not sharp groups)"


def how_segmented(report: Report) -> str:
    """How the number of segments came about: the reason for k, or score mode."""
    if report.k_choice is not None:
        return report.k_choice.reason
    assert report.changes is not None  # score mode always follows an earlier run
    return (
        f"They were assigned to the {len(report.segments)} segments of the "
        f"{report.changes.previous_period} model without refitting (score mode)."
    )
