"""Run settings: defaults, a TOML config file, and command-line overrides, in that order."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from reportgen.config import DEFAULT_OUTPUT_DIR, DEFAULT_RULES, SAMPLE_CONFIG
from reportgen.errors import SettingsError

DEFAULT_TITLE = "Customer segmentation report"
K_MAX_LIMIT = 30


@dataclass(frozen=True)
class Settings:
    """Everything that decides what a run does. Same settings + same data = same report."""

    input_path: Path
    sheet: str | None = None
    output_dir: Path = DEFAULT_OUTPUT_DIR
    clusters: int | None = None
    features: tuple[str, ...] = ()
    profile: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    id_column: str | None = None
    k_max: int = 10
    seed: int = 42
    title: str = DEFAULT_TITLE
    make_pdf: bool = True
    labels: Mapping[str, str] = field(default_factory=dict)
    rules_path: Path = DEFAULT_RULES
    period: str = field(default_factory=lambda: current_period())
    previous_dir: Path | None = None
    score: bool = False

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", self.period):
            raise SettingsError(
                f"The period must look like 2026-11 (year-month), not {self.period!r}."
            )
        if self.score and self.previous_dir is None:
            raise SettingsError(
                "--score assigns customers to an earlier run's segments: "
                "give that run's directory with --previous."
            )
        if not 2 <= self.k_max <= K_MAX_LIMIT:
            raise SettingsError(f"k_max must be between 2 and {K_MAX_LIMIT}, not {self.k_max}.")
        if self.clusters is not None and not 2 <= self.clusters <= K_MAX_LIMIT:
            raise SettingsError(
                f"The number of segments must be between 2 and {K_MAX_LIMIT}, not {self.clusters}."
            )
        overlap = sorted(set(self.features) & set(self.profile))
        if overlap:
            raise SettingsError(
                f"Column {overlap[0]!r} is both a feature and a profile column; choose one."
            )

    def to_summary(self) -> dict[str, Any]:
        """Return the settings as JSON-ready values, for summary.json and the report footer."""
        values = asdict(self)
        for key in ("input_path", "output_dir", "rules_path", "previous_dir"):
            values[key] = None if values[key] is None else str(values[key])
        values["features"] = list(self.features)
        values["profile"] = list(self.profile)
        values["ignore"] = list(self.ignore)
        values["labels"] = dict(self.labels)
        return values


# TOML key -> (Settings field, expected TOML type, whether it is a path)
_CONFIG_KEYS: dict[str, tuple[str, type | tuple[type, ...], bool]] = {
    "input": ("input_path", str, True),
    "sheet": ("sheet", str, False),
    "output_dir": ("output_dir", str, True),
    "clusters": ("clusters", int, False),
    "features": ("features", list, False),
    "profile": ("profile", list, False),
    "ignore": ("ignore", list, False),
    "id_column": ("id_column", str, False),
    "k_max": ("k_max", int, False),
    "seed": ("seed", int, False),
    "title": ("title", str, False),
    "pdf": ("make_pdf", bool, False),
    "labels": ("labels", dict, False),
    "rules": ("rules_path", str, True),
    "period": ("period", str, False),
    "previous": ("previous_dir", str, True),
    "score": ("score", bool, False),
}


def current_period() -> str:
    """Return this month as YYYY-MM, the default period of a run."""
    return date.today().strftime("%Y-%m")


def read_config(path: Path) -> dict[str, Any]:
    """Read a TOML config file into Settings field values.

    Relative paths inside the file are taken relative to the file itself, so a
    config and its data can move together.

    Raises:
        SettingsError: the file is missing, is not TOML, or has an unknown key or a
            value of the wrong type.
    """
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"Config file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"Cannot read config file {path}: {error}.") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"Config file {path} is not valid TOML: {error}.") from None

    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in _CONFIG_KEYS:
            known = ", ".join(sorted(_CONFIG_KEYS))
            raise SettingsError(f"Unknown key {key!r} in config file {path}. Known keys: {known}.")
        name, expected, is_path = _CONFIG_KEYS[key]
        # bool is a subclass of int in Python; `k_max = true` must still be refused.
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise SettingsError(
                f"Key {key!r} in config file {path} must be {_type_name(expected)}, not {value!r}."
            )
        if expected is list:
            if not all(isinstance(item, str) for item in value):
                raise SettingsError(f"Key {key!r} in config file {path} must list column names.")
            value = tuple(value)
        if expected is dict and not all(isinstance(item, str) for item in value.values()):
            raise SettingsError(f"Key {key!r} in config file {path} must map columns to text.")
        if is_path:
            value = (
                (path.parent / value).resolve() if not Path(value).is_absolute() else Path(value)
            )
        values[name] = value
    return values


def _type_name(expected: type | tuple[type, ...]) -> str:
    names = {
        str: "text",
        int: "a whole number",
        bool: "true or false",
        list: "a list",
        dict: "a table",
    }
    return names.get(expected, str(expected)) if isinstance(expected, type) else "a value"


def resolve_settings(
    input_path: Path | None,
    config_path: Path | None,
    overrides: Mapping[str, Any],
) -> Settings:
    """Combine defaults, the config file and explicit overrides (overrides win).

    With neither an input nor a config file, the bundled sample and its config are used.
    With a previous run, its features, profile columns, ID column, labels, k_max and
    seed are kept unless given again. Without an output directory, the report goes to
    output/<period>.

    Args:
        input_path: the table given on the command line, if any.
        config_path: the TOML config given on the command line, if any.
        overrides: Settings field values given explicitly; None values are ignored.
    """
    if input_path is None and config_path is None:
        config_path = SAMPLE_CONFIG
    values = read_config(config_path) if config_path is not None else {}
    values.update({key: value for key, value in overrides.items() if value is not None})
    if input_path is not None:
        values["input_path"] = input_path
    if "input_path" not in values:
        raise SettingsError(
            f"No input table: give one on the command line or set 'input' in {config_path}."
        )
    if values.get("previous_dir") is not None:
        from reportgen.history import inherited_settings

        values = {**inherited_settings(values["previous_dir"]), **values}
    values.setdefault("period", current_period())
    values.setdefault("output_dir", DEFAULT_OUTPUT_DIR / values["period"])
    return Settings(**values)
