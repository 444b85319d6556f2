"""Keeping exported tables safe to open in a spreadsheet (OWASP CSV injection)."""

from __future__ import annotations

from typing import Any

# A spreadsheet treats cells starting with these as formulas.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize_formula(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def restore_formula(value: Any) -> Any:
    """Undo neutralize_formula when reading our own export back."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value
