"""Run settings: defaults, a TOML config file, and command-line overrides, in that order."""

from __future__ import annotations

import ipaddress
import re
import tomllib
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from email.utils import getaddresses
from pathlib import Path
from typing import Any, Literal, get_args

from reportgen.config import DEFAULT_OUTPUT_DIR, DEFAULT_RULES, SAMPLE_CONFIG
from reportgen.errors import SettingsError

DEFAULT_TITLE = "Customer segmentation report"
K_MAX_LIMIT = 30
# scikit-learn's random_state takes 0 .. 2**32 - 1.
SEED_LIMIT = 2**32 - 1

Security = Literal["none", "starttls", "ssl"]
# The usual port of each way of talking to an SMTP server: plain relay, submission with
# STARTTLS, and implicit TLS ("SMTPS").
DEFAULT_SMTP_PORTS: dict[str, int] = {"none": 25, "starttls": 587, "ssl": 465}
_ADDRESS = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+")
Interface = Literal["command", "python"]
# What the input table holds: found from its shape, or said (input_kind).
InputKind = Literal["auto", "orders", "customers"]
# A month, as a run's period and `reportgen sample --start` take it: 2026-11.
PERIOD_PATTERN = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
# How `reportgen run` spells the settings it has an option for (tests/test_settings.py
# checks these against the command), and the Python API's keywords that differ from the
# config file's keys.
OPTION_NAMES: dict[str, str] = {
    "output_dir": "--output-dir",
    "clusters": "--clusters",
    "features": "--feature",
    "sheet": "--sheet",
    "profile": "--profile",
    "k_min": "--k-min",
    "k_max": "--k-max",
    "seed": "--seed",
    "title": "--title",
    "make_pdf": "--no-pdf",
    "period": "--period",
    "previous_dir": "--previous",
    "score": "--score",
    "input_kind": "--input-kind",
    "as_of": "--as-of",
}
_KEYWORD_NAMES = {"clusters": "k", "previous_dir": "previous", "input_path": "data"}


@dataclass(frozen=True)
class Origin:
    """Where a run's settings came from, so that a message names each as the user gave it.

    A value from the config file is named by its key in that file, one given on the
    command line by its option, one given to ``reportgen.segment`` by its keyword.
    """

    interface: Interface = "command"
    config_path: Path | None = None
    # The Settings fields given explicitly (options or keywords), not by the config file.
    given: frozenset[str] = frozenset()

    def name(self, field_name: str) -> str:
        """How the user sets ``field_name``: "--feature", "'features' in shop.toml", "k="."""
        key = config_key(field_name)
        in_config = field_name not in self.given and self.config_path is not None
        if self.interface == "python" and not in_config:
            return f"{_KEYWORD_NAMES.get(field_name, key)}="
        if in_config or field_name not in OPTION_NAMES:
            where = f" in {self.config_path.name}" if self.config_path else " in the config file"
            return f"{key!r}{where}"
        return OPTION_NAMES[field_name]


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
    k_max: int = 8
    seed: int = 42
    title: str = DEFAULT_TITLE
    make_pdf: bool = True
    labels: Mapping[str, str] = field(default_factory=dict)
    units: Mapping[str, str] = field(default_factory=dict)
    rules_path: Path = DEFAULT_RULES
    period: str = field(default_factory=lambda: current_period())
    previous_dir: Path | None = None
    score: bool = False
    # The outcome columns (churn, response); None: found from names and values.
    outcomes: tuple[str, ...] | None = None
    # The columns the config was written for (by `reportgen init`): informational.
    columns: tuple[str, ...] = ()
    # The smallest k considered (k_max is the largest): 2 is a split, not a segmentation.
    k_min: int = 3
    # Order-line input (issue 14): the kind of table and, when the guess is wrong, the
    # columns that play each role. as_of is the reference date (YYYY-MM-DD).
    input_kind: InputKind = "auto"
    customer_column: str | None = None
    date_column: str | None = None
    amount_column: str | None = None
    quantity_column: str | None = None
    price_column: str | None = None
    order_column: str | None = None
    item_column: str | None = None
    status_column: str | None = None
    # The line's discount column (applied to quantity x price); "" turns it off.
    discount_column: str | None = None
    date_format: str | None = None
    as_of: str | None = None
    exclude_items: tuple[str, ...] = ()
    # The engine (issue 16): "local" (pandas, scikit-learn, DuckDB) or "spark"; for Spark,
    # the master URL (default local[*]; an existing session is used as it is) and extra
    # Spark configuration. input_uri: an input that is a URI (s3a://, hdfs://), which
    # only Spark reads; input_path then holds its last part, for naming the source.
    engine: str = "local"
    spark_master: str | None = None
    spark_conf: Mapping[str, str] = field(default_factory=dict)
    input_uri: str | None = None
    # Not a setting: how the user gave the settings, for messages (not in summary.json).
    origin: Origin = field(default_factory=Origin, compare=False)

    def named(self, field_name: str) -> str:
        """How the user sets ``field_name`` (see ``Origin.name``), for error messages."""
        return self.origin.name(field_name)

    def __post_init__(self) -> None:
        _check_order_settings(self)
        _check_engine_settings(self)
        if not PERIOD_PATTERN.fullmatch(self.period):
            raise SettingsError(
                f"The period must look like 2026-11 (year-month), not {self.period!r}."
            )
        if self.score and self.previous_dir is None:
            raise SettingsError(
                f"{self.named('score')} assigns customers to an earlier run's segments: "
                f"give that run's directory with {self.named('previous_dir')}."
            )
        if not 2 <= self.k_max <= K_MAX_LIMIT:
            raise SettingsError(f"k_max must be between 2 and {K_MAX_LIMIT}, not {self.k_max}.")
        if not 2 <= self.k_min <= K_MAX_LIMIT:
            raise SettingsError(f"k_min must be between 2 and {K_MAX_LIMIT}, not {self.k_min}.")
        if self.k_min > self.k_max:
            raise SettingsError(
                f"k_min ({self.k_min}) is larger than k_max ({self.k_max}): lower "
                f"{self.named('k_min')} to {self.k_max} or raise {self.named('k_max')}."
            )
        if self.clusters is not None and not 2 <= self.clusters <= K_MAX_LIMIT:
            raise SettingsError(
                f"The number of segments must be between 2 and {K_MAX_LIMIT}, not {self.clusters}."
            )
        if not 0 <= self.seed <= SEED_LIMIT:
            raise SettingsError(
                f"The seed must be a whole number from 0 to {SEED_LIMIT}, not {self.seed}."
            )
        for kind, columns in (("feature", self.features), ("profile column", self.profile)):
            twice = [column for column, count in Counter(columns).items() if count > 1]
            if twice:
                raise SettingsError(
                    f"Column {twice[0]!r} is given twice as a {kind}; give it once."
                )
        overlap = sorted(set(self.features) & set(self.profile))
        if overlap:
            raise SettingsError(
                f"Column {overlap[0]!r} is both a feature and a profile column; choose one."
            )
        as_outcome = sorted(set(self.outcomes or ()) & set(self.features))
        if as_outcome:
            raise SettingsError(
                f"Column {as_outcome[0]!r} is both an outcome and a feature: an outcome "
                "describes segments, it cannot also build them; remove it from one list."
            )

    def to_summary(self) -> dict[str, Any]:
        """Return the settings as JSON-ready values, for summary.json and the report footer."""
        values = asdict(self)
        del values["origin"]
        for key in ("input_path", "output_dir", "rules_path", "previous_dir"):
            values[key] = None if values[key] is None else str(values[key])
        values["features"] = list(self.features)
        values["profile"] = list(self.profile)
        values["ignore"] = list(self.ignore)
        values["labels"] = dict(self.labels)
        values["units"] = dict(self.units)
        values["exclude_items"] = list(self.exclude_items)
        values["spark_conf"] = dict(self.spark_conf)
        return values


@dataclass(frozen=True)
class EmailSettings:
    """Where and how to send the report by email: recipients, sender and SMTP server.

    The SMTP password is deliberately not here: it is read from an environment variable
    when sending (see ``reportgen.emailing``), so it never sits in a file or an option.
    """

    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    sender: str | None = None
    subject: str | None = None
    smtp_host: str = "localhost"
    smtp_port: int | None = None
    security: Security = "none"
    user: str | None = None

    def __post_init__(self) -> None:
        if self.security not in DEFAULT_SMTP_PORTS:
            choices = ", ".join(DEFAULT_SMTP_PORTS)
            raise SettingsError(f"security must be one of {choices}, not {self.security!r}.")
        for kind, addresses in (("--to", self.to), ("--cc", self.cc)):
            for address in addresses:
                _check_address(address, kind)
        if self.sender is not None:
            _check_address(self.sender, "--from")
        if self.smtp_port is not None and not 1 <= self.smtp_port <= 65535:
            raise SettingsError(f"The SMTP port must be between 1 and 65535, not {self.smtp_port}.")
        if not self.smtp_host or any(c.isspace() for c in self.smtp_host):
            raise SettingsError(f"{self.smtp_host!r} is not an SMTP host name.")
        if self.subject is not None and ("\r" in self.subject or "\n" in self.subject):
            raise SettingsError("The subject must be one line.")
        if self.user and self.security == "none" and not _is_loopback(self.smtp_host):
            raise SettingsError(
                f"Logging in to {self.smtp_host} without TLS would send the password in clear: "
                'add --starttls or --ssl (security = "starttls" or "ssl" in [email]).'
            )

    def check_addressed(self) -> None:
        """Raise SettingsError unless there is a recipient and a sender."""
        if not self.to:
            raise SettingsError("No recipient: give --to ADDR, or set to = [...] in [email].")
        if not self.sender:
            raise SettingsError('No sender: give --from ADDR, or set from = "..." in [email].')

    @property
    def port(self) -> int:
        """The SMTP port: the one given, or the usual one for the security mode."""
        return self.smtp_port or DEFAULT_SMTP_PORTS[self.security]

    @property
    def sender_address(self) -> str:
        """The sender's bare address, for the SMTP envelope ("" when there is none)."""
        return getaddresses([self.sender])[0][1] if self.sender else ""

    @property
    def recipients(self) -> tuple[str, ...]:
        """Every recipient's bare address (To, then Cc), for the SMTP envelope."""
        return tuple(getaddresses([address])[0][1] for address in (*self.to, *self.cc))


INPUT_KINDS: tuple[str, ...] = get_args(InputKind)
ENGINES = ("local", "spark")
DEFAULT_SPARK_MASTER = "local[*]"


def _check_engine_settings(settings: Settings) -> None:
    """Check the engine, and that only the Spark engine is given Spark's settings."""
    if settings.engine not in ENGINES:
        raise SettingsError(f"engine must be one of {', '.join(ENGINES)}, not {settings.engine!r}.")
    if settings.engine == "local" and settings.input_uri is not None:
        raise SettingsError(
            f"{settings.input_uri} is a URI, which only the Spark engine reads: add "
            '--engine spark (engine = "spark" in the config file).'
        )
    if settings.engine == "local" and settings.spark_master is not None:
        raise SettingsError(
            "--spark-master applies to the Spark engine only: add --engine spark "
            '(engine = "spark" in the config file).'
        )


def is_uri(location: str) -> bool:
    """Whether an input names a URI (s3a://bucket/orders/) rather than a local path."""
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", location) is not None


def input_location(location: str | Path) -> dict[str, Any]:
    """The Settings values for an input given as text: a local path, or a URI for Spark."""
    text = str(location)
    if is_uri(text):
        return {"input_path": Path(text.rstrip("/").rsplit("/", 1)[-1]), "input_uri": text}
    return {"input_path": Path(text)}


def _check_order_settings(settings: Settings) -> None:
    """Check the order-line settings: the input kind, the as_of date and the date format."""
    if settings.input_kind not in INPUT_KINDS:
        raise SettingsError(
            f"input_kind must be one of {', '.join(INPUT_KINDS)}, not {settings.input_kind!r}."
        )
    if settings.as_of is not None:
        try:
            date.fromisoformat(settings.as_of)
        except ValueError:
            raise SettingsError(
                f"as_of must be a date like 2011-12-10 (YYYY-MM-DD), not {settings.as_of!r}."
            ) from None
    if settings.date_format is not None and not re.search(r"%[dmYyjbB]", settings.date_format):
        raise SettingsError(
            f"date_format {settings.date_format!r} has no date directive; write it as "
            'strftime codes, e.g. date_format = "%d/%m/%Y %H:%M".'
        )


def _check_address(address: str, option: str) -> None:
    parsed = getaddresses([address])
    if (
        "\r" in address
        or "\n" in address
        or len(parsed) != 1
        or not _ADDRESS.fullmatch(parsed[0][1])
    ):
        raise SettingsError(
            f"{address!r} ({option}) is not one email address: write name@example.com or "
            '"Name <name@example.com>", one address per option or list item.'
        )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
    "k_min": ("k_min", int, False),
    "seed": ("seed", int, False),
    "title": ("title", str, False),
    "pdf": ("make_pdf", bool, False),
    "labels": ("labels", dict, False),
    "units": ("units", dict, False),
    "rules": ("rules_path", str, True),
    "period": ("period", str, False),
    "previous": ("previous_dir", str, True),
    "score": ("score", bool, False),
    "outcomes": ("outcomes", list, False),
    "columns": ("columns", list, False),
    "input_kind": ("input_kind", str, False),
    "customer": ("customer_column", str, False),
    "date": ("date_column", str, False),
    "amount": ("amount_column", str, False),
    "quantity": ("quantity_column", str, False),
    "price": ("price_column", str, False),
    "order": ("order_column", str, False),
    "item": ("item_column", str, False),
    "status": ("status_column", str, False),
    "discount": ("discount_column", str, False),
    "date_format": ("date_format", str, False),
    "as_of": ("as_of", str, False),
    "exclude_items": ("exclude_items", list, False),
    "engine": ("engine", str, False),
}
EMAIL_TABLE = "email"
SPARK_TABLE = "spark"
# [email] key -> (EmailSettings field, expected TOML type)
_EMAIL_KEYS: dict[str, tuple[str, type]] = {
    "to": ("to", list),
    "cc": ("cc", list),
    "from": ("sender", str),
    "subject": ("subject", str),
    "smtp_host": ("smtp_host", str),
    "smtp_port": ("smtp_port", int),
    "security": ("security", str),
    "user": ("user", str),
}


def config_keys() -> dict[str, tuple[str, type | tuple[type, ...], bool]]:
    """Return each config-file key's Settings field, its TOML type and whether it is a path.

    The Python API takes the same names as keyword arguments.
    """
    return dict(_CONFIG_KEYS)


def config_key(field_name: str) -> str:
    """Return the config-file key of the Settings field ``field_name``."""
    by_field = {name: key for key, (name, _, _) in _CONFIG_KEYS.items()}
    return by_field.get(field_name, field_name)


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
    raw = _read_toml(path)
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key == EMAIL_TABLE:
            # Checked here too, so that a mistake in [email] is found by every command.
            _email_values(value, path)
            continue
        if key == SPARK_TABLE:
            values.update(_spark_values(value, path))
            continue
        if key == "input" and isinstance(value, str) and is_uri(value):
            values.update(input_location(value))
            continue
        if key not in _CONFIG_KEYS:
            known = ", ".join(sorted([*_CONFIG_KEYS, f"[{EMAIL_TABLE}]", f"[{SPARK_TABLE}]"]))
            raise SettingsError(f"Unknown key {key!r} in config file {path}. Known keys: {known}.")
        name, expected, is_path = _CONFIG_KEYS[key]
        value = _checked(key, value, expected, path)
        if expected is list and not all(isinstance(item, str) for item in value):
            raise SettingsError(f"Key {key!r} in config file {path} must list column names.")
        if expected is dict and not all(isinstance(item, str) for item in value.values()):
            raise SettingsError(f"Key {key!r} in config file {path} must map columns to text.")
        if is_path and not value.strip():
            raise SettingsError(
                f"Key {key!r} in config file {path} must name a path, not empty text."
            )
        if is_path:
            value = (
                (path.parent / value).resolve() if not Path(value).is_absolute() else Path(value)
            )
        values[name] = tuple(value) if expected is list else value
    return values


def read_email_config(path: Path) -> dict[str, Any]:
    """Read the ``[email]`` table of a TOML config file into EmailSettings field values.

    Raises:
        SettingsError: the file cannot be read, or ``[email]`` has an unknown key or a
            value of the wrong type.
    """
    return _email_values(_read_toml(path).get(EMAIL_TABLE, {}), path)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"Config file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"Cannot read config file {path}: {error}.") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"Config file {path} is not valid TOML: {error}.") from None


def _spark_values(table: Any, path: Path) -> dict[str, Any]:
    """The [spark] table: ``master`` (a URL) and ``conf`` (Spark properties)."""
    if not isinstance(table, dict):
        raise SettingsError(f"{SPARK_TABLE!r} in config file {path} must be a table: [spark].")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key == "master":
            values["spark_master"] = _checked("spark.master", value, str, path)
        elif key == "conf":
            _checked("spark.conf", value, dict, path)
            if not all(isinstance(item, str | int | float | bool) for item in value.values()):
                raise SettingsError(
                    f"Key 'spark.conf' in config file {path} must map Spark properties to "
                    'values, e.g. "spark.executor.memory" = "4g".'
                )
            values["spark_conf"] = {
                str(name): str(item).lower() if isinstance(item, bool) else str(item)
                for name, item in value.items()
            }
        else:
            raise SettingsError(
                f"Unknown key {key!r} in the [{SPARK_TABLE}] table of config file {path}. "
                "Known keys: conf, master."
            )
    return values


def _email_values(table: Any, path: Path) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise SettingsError(f"{EMAIL_TABLE!r} in config file {path} must be a table: [email].")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in _EMAIL_KEYS:
            known = ", ".join(sorted(_EMAIL_KEYS))
            raise SettingsError(
                f"Unknown key {key!r} in the [{EMAIL_TABLE}] table of config file {path}. "
                f"Known keys: {known}."
            )
        name, expected = _EMAIL_KEYS[key]
        value = _checked(f"{EMAIL_TABLE}.{key}", value, expected, path)
        if expected is list:
            if not all(isinstance(item, str) for item in value):
                raise SettingsError(
                    f"Key '{EMAIL_TABLE}.{key}' in config file {path} must list email addresses."
                )
            value = tuple(value)
        values[name] = value
    return values


# What a setting of each type must be, as said to someone writing a TOML config file
# and to someone calling reportgen.segment() from Python.
_TOML_TYPE_NAMES = {
    str: "text",
    int: "a whole number",
    bool: "true or false",
    list: "a list",
    dict: "a table",
}
_PYTHON_TYPE_NAMES = {
    str: "text",
    int: "a whole number",
    bool: "True or False",
    list: "a column name or a list of them",
    dict: "a dict of column names to text",
}


def type_problem(
    value: Any, expected: type | tuple[type, ...], python: bool = False, items: bool = False
) -> str | None:
    """Return what ``value`` must be when it is not of type ``expected``, else None.

    Args:
        value: a setting's value, from a config file or a Python call.
        expected: the setting's type (or types).
        python: say it in Python's words ("True or False") rather than TOML's.
        items: a list's items and a dict's values must be text too.
    """
    # bool is a subclass of int in Python; `k_max = true` must still be refused.
    wrong = not isinstance(value, expected) or (expected is int and isinstance(value, bool))
    if items and not wrong and expected in (list, dict):
        wrong = not all(
            isinstance(item, str) for item in (value.values() if expected is dict else value)
        )
    if not wrong:
        return None
    names = _PYTHON_TYPE_NAMES if python else _TOML_TYPE_NAMES
    if not isinstance(expected, type):
        return "a value"
    return names.get(expected, "a value" if python else str(expected))


def _checked(key: str, value: Any, expected: type | tuple[type, ...], path: Path) -> Any:
    kind = type_problem(value, expected)
    if kind is not None:
        raise SettingsError(f"Key {key!r} in config file {path} must be {kind}, not {value!r}.")
    return value


def resolve_settings(
    input_path: Path | str | None,
    config_path: Path | None,
    overrides: Mapping[str, Any],
    interface: Interface = "command",
) -> Settings:
    """Combine defaults, the config file and explicit overrides (overrides win).

    With neither an input nor a config file, the bundled sample and its config are used.
    With a previous run, its features, profile columns, ID column, labels, k_max and
    seed are kept unless given again. Without an output directory, the report goes to
    output/<period>.

    Args:
        input_path: the table given on the command line, if any (a path, or for the
            Spark engine a URI such as s3a://bucket/orders/).
        config_path: the TOML config given on the command line, if any.
        overrides: Settings field values given explicitly; None values are ignored.
        interface: how the overrides were given (command-line options or Python
            keywords), so that messages name them the same way.
    """
    if input_path is None and config_path is None:
        config_path = SAMPLE_CONFIG
    values = read_config(config_path) if config_path is not None else {}
    given = {key: value for key, value in overrides.items() if value is not None}
    values.update(given)
    if input_path is not None:
        values.pop("input_uri", None)
        values.update(input_location(input_path))
    origin = Origin(interface, config_path, frozenset(given))
    values["origin"] = origin
    if "input_path" not in values:
        raise SettingsError(
            f"No input table: give one on the command line or set 'input' in {config_path}."
        )
    if values.get("previous_dir") is not None:
        from reportgen.history import inherited_settings

        inherited = inherited_settings(values["previous_dir"], origin.name("previous_dir"))
        values = {**inherited, **values}
    values.setdefault("period", current_period())
    values.setdefault("output_dir", DEFAULT_OUTPUT_DIR / values["period"])
    return Settings(**values)


def resolve_email_settings(config_path: Path | None, overrides: Mapping[str, Any]) -> EmailSettings:
    """Combine defaults, the config file's ``[email]`` table and explicit overrides.

    Args:
        config_path: the TOML config given on the command line, if any.
        overrides: EmailSettings field values given explicitly; None values and empty
            tuples are ignored, so ``--to`` replaces the config's list only when given.
    """
    values = read_email_config(config_path) if config_path is not None else {}
    values.update({key: value for key, value in overrides.items() if value not in (None, ())})
    return EmailSettings(**values)
