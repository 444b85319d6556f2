"""The Jinja2 environment and the filters every template uses (the report and the email).

Not a stage: the stages that render (``rendering``, ``emailing``) share it, so the report
and the email are made from the same templates, macros and number formats.

Autoescaping is on for every template but plain-text ones (``*.txt``: the email's text
part and subject), so text from the data appears as text in HTML whatever it contains.
"""

from __future__ import annotations

import functools
import math
import re
from datetime import datetime

import jinja2

from reportgen.config import TEMPLATES_DIR


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
        signed=format_signed,
        bar_width=bar_width,
        bar_pixels=bar_pixels,
        long_date=format_long_date,
        breakable=breakable,
    )
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


def format_number(value: float | int | None, digits: int | None = None) -> str:
    """Format a number for people: thousands separated, sensible decimals."""
    if value is None:
        return "–"
    if digits is None:
        digits = (
            0 if float(value).is_integer() or abs(value) >= 1000 else 1 if abs(value) >= 10 else 2
        )
    return f"{value:,.{digits}f}"


def format_percent(value: float | None, digits: int = 0) -> str:
    """Format a share between 0 and 1 as a percentage; a dash when there is none.

    A segment whose outcome is missing in every row has no rate (NaN): "–", not "nan%".
    """
    if value is None or math.isnan(value):
        return "–"
    return f"{value:.{digits}%}"


def format_signed(value: float, digits: int = 1) -> str:
    """Format a number with an explicit sign, as in '+1.2' or '−0.4'."""
    return f"{value:+.{digits}f}".replace("-", "−")


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


def format_long_date(value: datetime) -> str:
    """Format a date as '27 November 2026'."""
    return f"{value.day} {value:%B %Y}"
