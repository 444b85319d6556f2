from __future__ import annotations

from datetime import UTC, datetime

from reportgen.formatting import (
    format_long_date,
    format_number,
    format_percent,
    format_rate,
    format_signed,
    format_timestamp,
    plural,
)


def test_numbers_read_as_people_write_them() -> None:
    assert format_number(1234567.8) == "1,234,568"
    assert format_number(12.345) == "12.3"
    assert format_number(0.12345) == "0.12"
    assert format_number(None) == "–"
    assert format_percent(0.375) == "38%"
    assert format_signed(-0.44) == "−0.4"
    assert format_long_date(datetime(2026, 11, 7)) == "7 November 2026"
    assert format_timestamp(datetime(2026, 11, 7, 14, 5, tzinfo=UTC)) == "2026-11-07 14:05 UTC"
    assert format_timestamp(datetime(2026, 11, 7, 14, 5)) == "2026-11-07 14:05"


def test_counted_words_agree_with_the_count() -> None:
    assert [plural(n, "row") for n in (0, 1, 2)] == ["rows", "row", "rows"]
    assert [plural(n, "was", "were") for n in (1, 3)] == ["was", "were"]


def test_an_outcome_rate_has_a_decimal_only_where_it_matters() -> None:
    # One rule for page 1's table and the sentence under it (Telco: "4.8%" in both).
    assert [format_rate(rate) for rate in (0.49, 0.1, 0.048)] == ["49%", "10%", "4.8%"]
    assert format_rate(0.265, precise=True) == "26.5%"
    assert format_rate(float("nan")) == "–"
