"""Declared shapes for the files reportgen reads back: the rules file and model.json.

A schema is plain data (``Text``, ``Number``, ``Whole``, ``Choice``, ``ListOf``,
``MapOf``, ``Record``, ``Maybe``), and ``check`` walks a parsed document against it,
naming the first problem by its key path (``segments[2].radius``) and what was
expected. No validation library: the shapes are small, and hand-written checks gave
multi-line or misleading messages ("Unexpected internal error") where a key was
missing, of the wrong type, NaN or absurdly large.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Numbers beyond this are refused: squared or summed they would overflow 64-bit floats.
HUGE = 1e100
MAX_DEPTH = 32


class SchemaError(ValueError):
    """A document does not have the declared shape; the message names the key."""


@dataclass(frozen=True)
class Text:
    """A string, optionally non-empty."""

    non_empty: bool = False


@dataclass(frozen=True)
class Number:
    """A finite number within [low, high] (exclusive low when ``above`` is set)."""

    low: float = -HUGE
    high: float = HUGE
    above: float | None = None


@dataclass(frozen=True)
class Whole:
    """A whole number (not a bool) within [low, high]."""

    low: int = -(2**63)
    high: int = 2**63 - 1


@dataclass(frozen=True)
class Choice:
    """One of a few exact values."""

    values: tuple[Any, ...]


@dataclass(frozen=True)
class Maybe:
    """``None`` (JSON null) or the inner shape."""

    inner: Any


@dataclass(frozen=True)
class ListOf:
    """A list of items of one shape, with at least ``min_items``."""

    item: Any
    min_items: int = 0


@dataclass(frozen=True)
class MapOf:
    """A table (dict) from text keys to values of one shape."""

    value: Any


@dataclass(frozen=True)
class Record:
    """A table with named keys: ``required`` and ``optional``; others refused unless ``open``."""

    required: Mapping[str, Any]
    optional: Mapping[str, Any] = field(default_factory=dict)
    open: bool = False


@dataclass(frozen=True)
class AnyValue:
    """Anything at all (its depth is still bounded)."""


def check(document: Any, schema: Any, where: str = "") -> None:
    """Raise SchemaError naming the first place where ``document`` differs from ``schema``."""
    _check(document, schema, where, 0)


def _check(value: Any, schema: Any, where: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise SchemaError(f"{_name(where)} is nested more than {MAX_DEPTH} levels deep")
    if isinstance(schema, Maybe):
        if value is not None:
            _check(value, schema.inner, where, depth)
    elif isinstance(schema, Text):
        if not isinstance(value, str) or (schema.non_empty and not value.strip()):
            _wrong(where, "non-empty text" if schema.non_empty else "text", value)
    elif isinstance(schema, Whole):
        if isinstance(value, bool) or not isinstance(value, int):
            _wrong(where, "a whole number", value)
        if not schema.low <= value <= schema.high:
            _wrong(where, f"a whole number from {schema.low} to {schema.high}", value)
    elif isinstance(schema, Number):
        _check_number(value, schema, where)
    elif isinstance(schema, Choice):
        if value not in schema.values or isinstance(value, bool) != any(
            isinstance(v, bool) for v in schema.values
        ):
            _wrong(where, "one of " + ", ".join(repr(v) for v in schema.values), value)
    elif isinstance(schema, ListOf):
        if not isinstance(value, list):
            _wrong(where, "a list", value)
        if len(value) < schema.min_items:
            _wrong(where, f"a list of at least {schema.min_items}", value)
        for index, item in enumerate(value):
            _check(item, schema.item, f"{where}[{index}]", depth + 1)
    elif isinstance(schema, MapOf):
        if not isinstance(value, dict):
            _wrong(where, "a table", value)
        for key, item in value.items():
            _check(item, schema.value, _join(where, str(key)), depth + 1)
    elif isinstance(schema, Record):
        _check_record(value, schema, where, depth)
    elif isinstance(schema, AnyValue):
        _check_depth(value, where, depth)
    else:  # pragma: no cover - a mistake in a declared schema
        raise TypeError(f"unknown schema {schema!r}")


def _check_number(value: Any, schema: Number, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        _wrong(where, "a number", value)
    if not math.isfinite(value):
        _wrong(where, "a finite number", value)
    if schema.above is not None and not value > schema.above:
        _wrong(where, f"a number above {schema.above:g}", value)
    if not schema.low <= value <= schema.high:
        _wrong(where, f"a number from {schema.low:g} to {schema.high:g}", value)


def _check_record(value: Any, schema: Record, where: str, depth: int) -> None:
    if not isinstance(value, dict):
        _wrong(where, "a table", value)
    for key, inner in schema.required.items():
        if key not in value:
            raise SchemaError(f"{_name(_join(where, key))} is missing")
        _check(value[key], inner, _join(where, key), depth + 1)
    for key, inner in schema.optional.items():
        if key in value:
            _check(value[key], inner, _join(where, key), depth + 1)
    if not schema.open:
        known = {*schema.required, *schema.optional}
        unknown = [key for key in value if key not in known]
        if unknown:
            raise SchemaError(
                f"{_name(_join(where, str(unknown[0])))} is not a known key "
                f"(known: {', '.join(sorted(known))})"
            )


def _check_depth(value: Any, where: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise SchemaError(f"{_name(where)} is nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_depth(item, _join(where, str(key)), depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_depth(item, f"{where}[{index}]", depth + 1)


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _name(where: str) -> str:
    return f"key {where!r}" if where else "the file"


def _wrong(where: str, expected: str, value: Any) -> None:
    shown = repr(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    raise SchemaError(f"{_name(where)} must be {expected}, not {shown}")
