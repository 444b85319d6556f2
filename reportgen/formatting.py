"""How numbers, dates and counted nouns are written for people, in every output.

The one source of these formats: the templates use them as filters, and the stages that
write sentences (segment descriptions, the reason for k) call them directly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reportgen.contract import RfmGroupShare

# How the report, the email and `reportgen init` name a column's kind and its role.
COLUMN_KIND_NAMES = {
    "numeric": "measure",
    "categorical": "category",
    "code": "code (category)",
    "date": "date",
    "unread": "–",
}
COLUMN_ROLE_NAMES = {
    "id": "customer ID",
    "feature": "segmentation feature",
    "profile": "description only",
    "ignored": "not used",
    "outcome": "outcome (rate per segment)",
    "source": "read for the measures",
}


def format_number(value: float | int | None, digits: int | None = None) -> str:
    """Format a number for people: thousands separated, sensible decimals."""
    if value is None:
        return "–"
    if digits is None:
        digits = (
            0 if float(value).is_integer() or abs(value) >= 1000 else 1 if abs(value) >= 10 else 2
        )
    return f"{value:,.{digits}f}"


def format_significant(value: float, digits: int = 3) -> str:
    """Format a number to ``digits`` significant digits: 0.0123, 4.56, 78.9."""
    return f"{value:.{digits}g}"


def format_percent(value: float | None, digits: int = 0) -> str:
    """Format a share between 0 and 1 as a percentage; a dash when there is none.

    A segment whose outcome is missing in every row has no rate (NaN): "–", not "nan%".
    """
    if value is None or math.isnan(value):
        return "–"
    return f"{value:.{digits}%}"


def format_rate(share: float | None, precise: bool = False) -> str:
    """An outcome's rate: '48%', with one decimal below 10% or when ``precise``: '4.8%'."""
    small = share is not None and not math.isnan(share) and share * 100 < 10
    return format_percent(share, 1 if precise or small else 0)


def format_signed(value: float, digits: int = 1) -> str:
    """Format a number with an explicit sign, as in '+1.2' or '−0.4'."""
    return f"{value:+.{digits}f}".replace("-", "−")


def format_long_date(value: datetime) -> str:
    """Format a date as '27 November 2026'."""
    return f"{value.day} {value:%B %Y}"


def format_timestamp(value: datetime) -> str:
    """Format a moment as '2026-11-27 14:05 UTC'."""
    return value.strftime("%Y-%m-%d %H:%M %Z").rstrip()


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """Return the noun (or verb) that agrees with ``count``: 1 row, 2 rows; was, were."""
    if count == 1:
        return singular
    return plural_form if plural_form is not None else singular + "s"


def format_group_mix(mix: Sequence[RfmGroupShare], shown: int = 3) -> str:
    """A segment's largest RFM groups: '36% At risk, 21% Hibernating, 14% Need attention'."""
    return ", ".join(f"{format_percent(group.share)} {group.name}" for group in mix[:shown])
