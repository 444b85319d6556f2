"""The command line: parses options into Settings and hands them to the pipeline.

Heavy libraries (pandas, scikit-learn, matplotlib, WeasyPrint) are imported inside
the commands, so ``reportgen --help`` answers at once.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reportgen import __version__
from reportgen.errors import EmailError, ReportgenError

if TYPE_CHECKING:
    import pandas as pd

    from reportgen.settings import EmailSettings

log = logging.getLogger("reportgen")

# NumPy asks Linux for transparent huge pages for every array over 4 MB. Where the kernel
# then compacts memory on the spot to find them (THP defrag "madvise", a common default)
# and rarely succeeds, every large array costs a stall: on the benchmark machine ten
# million customers take 3 s less, with half the system time, without the request.
# NUMPY_MADVISE_HUGEPAGE=1 in the environment keeps NumPy's default. NumPy reads it when
# it is imported, which the commands do only after this.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")


class _RunCommand(click.Command):
    """`run`, whose commonest slip (--feature A B) gets a hint, not just a complaint."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            if "unexpected extra argument" not in error.message:
                raise
            raise click.UsageError(
                f"{error.message}. Give one column per option, repeated: --feature A "
                '--feature B (quote names with spaces: --feature "Annual Income").',
                ctx,
            ) from None


class _OutputDir(click.Path):
    """A folder path that may not be empty text (click would read "" as the current folder)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value.strip():
            self.fail("is empty; give the folder to write the report into.", param, ctx)
        return super().convert(value, param, ctx)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="reportgen")
def main() -> None:
    """Customer segmentation reports: from a customer table to a PDF, an HTML report
    and CRM-ready segments in one command.

    Start with `reportgen run` to make the report for the bundled sample data.
    """


# Options shared by `reportgen email` and `reportgen run --email`.
_EMAIL_OPTIONS = (
    click.option("--to", multiple=True, metavar="ADDR", help="A recipient (repeatable)."),
    click.option("--cc", multiple=True, metavar="ADDR", help="A copy recipient (repeatable)."),
    click.option("--from", "sender", metavar="ADDR", help="The sender's address."),
    click.option("--subject", metavar="TEXT", help="The subject. Default: the title and date."),
    click.option("--smtp-host", metavar="HOST", help="The SMTP server.  [default: localhost]"),
    click.option(
        "--smtp-port",
        type=click.IntRange(1, 65535),
        metavar="PORT",
        help="The SMTP port.  [default: 25; 587 with --starttls; 465 with --ssl]",
    ),
    click.option("--starttls", is_flag=True, help="Upgrade the connection to TLS (STARTTLS)."),
    click.option("--ssl", is_flag=True, help="Use TLS from the start (SMTPS)."),
    click.option(
        "--user",
        metavar="USER",
        help="Log in as USER, with the password from $REPORTGEN_SMTP_PASSWORD.",
    ),
    click.option(
        "--dry-run",
        is_flag=True,
        help="Write the message to email/message.eml in the report folder; send nothing.",
    ),
)
# The options that set an EmailSettings field of the same name, then the others.
_EMAIL_FIELDS = ("to", "cc", "sender", "subject", "smtp_host", "smtp_port", "user")
_EMAIL_OPTION_NAMES = (*_EMAIL_FIELDS, "starttls", "ssl", "dry_run")


def _email_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_EMAIL_OPTIONS):
        command = option(command)
    return command


@main.command(cls=_RunCommand)
@click.argument("input_path", metavar="[INPUT]", required=False, type=click.Path(dir_okay=True))
@click.option(
    "-o",
    "--output-dir",
    type=_OutputDir(file_okay=False, path_type=Path),
    help="Where to write the report files.  [default: output/<period>]",
)
@click.option(
    "-k",
    "--clusters",
    type=click.IntRange(2, 30),
    help="Use this many segments instead of choosing automatically.",
)
@click.option(
    "--feature",
    "features",
    multiple=True,
    metavar="COL",
    help="A column to segment on (repeatable). Default: every numeric column but the ID.",
)
@click.option(
    "--sheet",
    metavar="NAME",
    help="For an Excel workbook: the sheet to read.  [default: the first]",
)
@click.option(
    "--profile",
    "profile",
    multiple=True,
    metavar="COL",
    help="A column to describe segments with (repeatable). Default: all other columns.",
)
@click.option(
    "--k-min",
    type=click.IntRange(2, 30),
    help="The smallest number of segments to consider (2 allows a plain split).  [default: 3]",
)
@click.option(
    "--k-max",
    type=click.IntRange(2, 30),
    help="The largest number of segments to consider.  [default: 8]",
)
@click.option(
    "--seed", type=int, help="Random seed; same seed and data give the same report.  [default: 42]"
)
@click.option("--title", help="The report's title.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A TOML file with any of these settings; options given here win.",
)
@click.option("--no-pdf", is_flag=True, help="Skip the PDF (faster); write HTML and data only.")
@click.option(
    "--period",
    metavar="YYYY-MM",
    help="The month the data describes; labels the report.  [default: this month]",
)
@click.option(
    "--previous",
    "previous_dir",
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="An earlier run's output directory: keep its segment numbers and names, and "
    "report what changed.",
)
@click.option(
    "--score",
    is_flag=True,
    help="With --previous: assign customers to its segments without refitting.",
)
@click.option(
    "--input-kind",
    type=click.Choice(["auto", "orders", "customers"]),
    help="Order lines (aggregated to customers and segmented on recency, frequency and "
    "spend) or one row per customer.  [default: auto, from the table's shape]",
)
@click.option(
    "--as-of",
    metavar="YYYY-MM-DD",
    help="For order lines: the reference date recency is counted to; later lines are left "
    "out.  [default: the day after the last date]",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "spark"]),
    help="Where the work proportional to the data runs: this process, or Apache Spark "
    '(pip install "reportgen[spark]"; INPUT may then be a Parquet folder, a glob or an '
    "s3a:// URI).  [default: local]",
)
@click.option(
    "--spark-master",
    metavar="URL",
    help="With --engine spark: the Spark master.  [default: local[*]]",
)
@click.option(
    "--email",
    "send_email",
    is_flag=True,
    help="Then email the report, as `reportgen email` does, with the options below and the "
    "config's [email] table.",
)
@_email_options
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="Show progress and timings on stderr, even when it is not a terminal.",
)
@click.option("-q", "--quiet", is_flag=True, help="Show only warnings and errors on stderr.")
def run(
    input_path: str | None,
    output_dir: Path | None,
    clusters: int | None,
    features: tuple[str, ...],
    profile: tuple[str, ...],
    sheet: str | None,
    k_min: int | None,
    k_max: int | None,
    seed: int | None,
    title: str | None,
    config_path: Path | None,
    no_pdf: bool,
    period: str | None,
    previous_dir: Path | None,
    score: bool,
    input_kind: str | None,
    as_of: str | None,
    engine: str | None,
    spark_master: str | None,
    send_email: bool,
    verbose: int,
    quiet: bool,
    **email_options: Any,
) -> None:
    """Segment the customers in INPUT (CSV, Excel or Parquet) and write the report.

    Without INPUT, runs on the bundled sample data (data/customers.csv) with its
    settings (data/customers.toml). Writes report.pdf, report.html, segments.csv,
    summary.json, model.json and the email body (email/) into the output directory
    (default: output/<period>), and prints their paths. With --email, then sends the
    report (see `reportgen email --help`).

    Monthly: `reportgen run nov.csv --period 2026-11 --previous output/2026-10` keeps
    October's segment numbers and names and adds a "What changed" section.
    """
    _configure_logging(verbose, quiet)
    from reportgen.pipeline import run as run_pipeline
    from reportgen.settings import resolve_settings

    overrides = {
        "output_dir": output_dir,
        "clusters": clusters,
        "features": features or None,
        "profile": profile or None,
        "sheet": sheet,
        "k_min": k_min,
        "k_max": k_max,
        "seed": seed,
        "title": title,
        "make_pdf": False if no_pdf else None,
        "period": period,
        "previous_dir": previous_dir,
        "score": score or None,
        "input_kind": input_kind,
        "as_of": as_of,
        "engine": engine,
        "spark_master": spark_master,
    }
    given = [name for name in _EMAIL_OPTION_NAMES if email_options[name]]
    if given and not send_email:
        raise click.UsageError(f"--{given[0].replace('_', '-')} is an email option: add --email.")
    if send_email and no_pdf:
        raise click.UsageError("--email sends report.pdf: drop --no-pdf.")
    # All outputs are swapped in at once at the end: an error before then writes nothing.
    with _user_errors("Nothing was written."):
        settings = resolve_settings(input_path, config_path, overrides)
        # Checked before the run, so that a missing address fails at once.
        mail = _email_settings(config_path, email_options) if send_email else None
        from reportgen.swap import check_output_dir, claim_output_dir

        check_output_dir(settings.output_dir)
        with _sigterm_as_sigint(), claim_output_dir(settings.output_dir):
            result = run_pipeline(settings)
    for path in result.written:
        click.echo(str(path))
    if mail is not None:
        with (
            _user_errors(f"The report is in {settings.output_dir}."),
            _after_the_run(settings.output_dir),
        ):
            _send(settings.output_dir, mail, dry_run=email_options["dry_run"])


@main.command()
@click.argument("report_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_email_options
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A TOML file whose [email] table gives any of these settings; options given here win.",
)
@click.option("-v", "--verbose", count=True, help="Show more detail on stderr.")
@click.option("-q", "--quiet", is_flag=True, help="Show only warnings and errors on stderr.")
def email(
    report_dir: Path, config_path: Path | None, verbose: int, quiet: bool, **email_options: Any
) -> None:
    """Email the report in REPORT_DIR (made by `reportgen run`) over SMTP.

    The message shows the summary and the segment cards (HTML, with a plain-text
    alternative) and has report.pdf attached. With --user, the password is read from
    the REPORTGEN_SMTP_PASSWORD environment variable, never from an option. A
    recipient the server refuses is named, and the exit code is 1; nothing is retried.
    """
    _configure_logging(verbose, quiet)
    with _user_errors():
        settings = _email_settings(config_path, email_options)
        _send(report_dir, settings, dry_run=email_options["dry_run"])


def _email_settings(config_path: Path | None, options: dict[str, Any]) -> EmailSettings:
    """Resolve email settings from the config and the options, and check they can send."""
    from reportgen.emailing import smtp_password
    from reportgen.settings import resolve_email_settings

    if options["starttls"] and options["ssl"]:
        raise click.UsageError("Choose one of --starttls and --ssl.")
    security = "starttls" if options["starttls"] else "ssl" if options["ssl"] else None
    overrides = {name: options[name] for name in _EMAIL_FIELDS} | {"security": security}
    settings = resolve_email_settings(config_path, overrides)
    settings.check_addressed()
    if not options["dry_run"]:
        smtp_password(settings)
    return settings


def _send(report_dir: Path, settings: EmailSettings, *, dry_run: bool) -> None:
    """Build the message from ``report_dir``; send it, or write it to a .eml file."""
    from reportgen.emailing import build_message, load_email, send_message, smtp_password, write_eml

    body, pdf = load_email(report_dir)
    message = build_message(body, pdf, settings)
    if dry_run:
        click.echo(str(write_eml(message, report_dir)))
    else:
        send_message(message, settings, smtp_password(settings))


@contextlib.contextmanager
def _after_the_run(output_dir: Path) -> Iterator[None]:
    """Say that the report itself was written when only emailing it failed."""
    try:
        yield
    except EmailError as error:
        raise EmailError(
            f"The report is in {output_dir}, but emailing it failed: {error}"
        ) from None


@main.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Where to write: a CSV file (default data/customers.csv), or with --months "
    "a directory (default data/monthly).",
)
@click.option(
    "-n",
    "--customers",
    type=click.IntRange(10, 100_000_000),
    default=200,
    show_default=True,
    help="How many customers to generate (in the first month); with --orders, order lines.",
)
@click.option(
    "--months",
    type=click.IntRange(1, 36),
    help="Write this many consecutive months with drift: customers-YYYY-MM.csv.",
)
@click.option(
    "--start",
    default="2026-01",
    show_default=True,
    metavar="YYYY-MM",
    help="With --months: the first month.",
)
@click.option("--seed", type=int, help="Random seed (default: the bundled sample's).")
@click.option(
    "--orders",
    is_flag=True,
    help="Write order lines instead (Online-Retail-like; -n is then the number of lines; "
    "a .parquet output is written as Parquet).",
)
def sample(
    output: Path | None,
    customers: int,
    months: int | None,
    start: str,
    seed: int | None,
    orders: bool,
) -> None:
    """Write synthetic customers with five known groups, like the bundled sample.

    With --months, writes one table per month in which customers leave, join and move
    between groups, to try the monthly workflow (`reportgen run --previous`). With
    --orders, writes an order-line export (invoices, returns, guest checkouts, postage
    lines) to try order-line input.
    """
    from reportgen.swap import replace_file

    if orders:
        from reportgen.sample_orders import ORDERS_SEED, write_order_lines

        if months is not None:
            raise click.UsageError("--orders writes one export: drop --months.")
        path = output or Path("data/orders.csv")
        with _user_errors():
            replace_file(
                path,
                lambda partial: write_order_lines(
                    partial,
                    customers,
                    seed=ORDERS_SEED if seed is None else seed,
                    parquet=path.suffix == ".parquet",
                ),
            )
        click.echo(str(path))
        return
    from reportgen.sample import SAMPLE_SEED, make_customers, make_months

    seed = SAMPLE_SEED if seed is None else seed
    if months is None:
        tables = [(output or Path("data/customers.csv"), make_customers(customers, seed=seed))]
    else:
        from reportgen.settings import PERIOD_PATTERN

        if not PERIOD_PATTERN.fullmatch(start):
            raise click.BadParameter(
                f"{start!r} is not a month like 2026-01.", param_hint="--start"
            )
        directory = output or Path("data/monthly")
        tables = [
            (directory / f"customers-{period}.csv", frame)
            for period, frame in make_months(customers, months, start=start, seed=seed)
        ]
    for path, frame in tables:
        with _user_errors():
            replace_file(path, functools.partial(_write_csv, frame))
        click.echo(str(path))


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, lineterminator="\n")


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the config to FILE (default: print it). If FILE exists, say which columns "
    "appeared or disappeared since it was written, and keep it unless --force.",
    metavar="FILE",
)
@click.option("--sheet", metavar="NAME", help="For an Excel workbook: the sheet to read.")
@click.option("--force", is_flag=True, help="Overwrite FILE with a fresh config.")
@click.option("-v", "--verbose", count=True, help="Show progress on stderr.")
@click.option("-q", "--quiet", is_flag=True, help="Show only warnings and errors on stderr.")
def init(
    input_path: Path, output: Path | None, sheet: str | None, force: bool, verbose: int, quiet: bool
) -> None:
    """Write a commented config file for INPUT, to review once and reuse every month.

    Lists every column with the role it would get (customer ID, segmentation feature,
    description only, outcome, not used) and the reason, and sets the features,
    profile columns, outcomes, ignored columns and labels explicitly. Edit it, then
    run `reportgen run --config FILE` each month. Run init again on a later export
    with -o FILE to see which columns appeared or disappeared.
    """
    _configure_logging(verbose, quiet)
    from reportgen.init_config import compare_columns, draft_config
    from reportgen.swap import replace_file
    from reportgen.transactions import OrderOptions, order_config, plan_orders

    with _user_errors():
        # Order lines get the roles of their columns (issue 14), not customer features.
        plan = plan_orders(input_path, OrderOptions(), sheet)
        if plan is not None:
            text = order_config(plan, output)
            if output is None:
                click.echo(text, nl=False)
            elif output.exists() and not force:
                click.echo(f"{output} was kept; rerun with --force to replace it with a fresh one.")
            else:
                replace_file(output, functools.partial(_write_text, text))
                click.echo(str(output))
            return
        draft = draft_config(input_path, sheet, output)
        if output is not None and output.exists():
            changes = compare_columns(output, draft.columns)
            for line in changes.describe(output, draft.clean):
                click.echo(line)
            if not force:
                click.echo(f"{output} was kept; rerun with --force to replace it with a fresh one.")
                return
        if output is None:
            click.echo(draft.text, nl=False)
            return
        replace_file(output, functools.partial(_write_text, draft.text))
    click.echo(str(output))


def _write_text(text: str, path: Path) -> None:
    path.write_text(text, encoding="utf-8")


@contextlib.contextmanager
def _sigterm_as_sigint() -> Iterator[None]:
    """Stop on SIGTERM as on Ctrl-C, so that the same clean-up runs (nothing half-written)."""
    owner = os.getpid()

    def stop(signum: int, frame: object) -> None:
        if os.getpid() != owner:  # a forked chart renderer: just go
            os._exit(128 + signum)
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread (an embedding program): leave it be
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _user_errors(outcome: str = "") -> Iterator[None]:
    """Turn ReportgenError into click's one-line errors; anything else into a short note.

    Args:
        outcome: what an unexpected error leaves behind, when the command knows it
            ("Nothing was written." where all outputs are written at once at the end).
    """
    try:
        yield
    except ReportgenError as error:
        if error.exit_code == 2:
            raise click.UsageError(str(error)) from None
        raise click.ClickException(str(error)) from None
    except click.ClickException:
        raise
    except Exception as error:
        log.debug("unexpected error", exc_info=error)
        raise click.ClickException(
            f"Unexpected internal error ({type(error).__name__}: {error}). "
            f"{outcome + ' ' if outcome else ''}"
            "Run again with -v to see the details, and please report it."
        ) from None


def _configure_logging(verbose: int, quiet: bool) -> None:
    """Progress on stderr: per stage with -v or on a terminal; warnings always; none with -q."""
    if quiet:
        level = logging.WARNING
    elif verbose:
        level = logging.DEBUG
    else:
        level = logging.INFO if sys.stderr.isatty() else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("reportgen: %(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False
    # Library warnings (matplotlib's, pandas') are details for -v, never bare stderr noise.
    logging.captureWarnings(True)
    warnings_log = logging.getLogger("py.warnings")
    warnings_log.handlers[:] = [handler]
    warnings_log.setLevel(logging.DEBUG if verbose else logging.CRITICAL)
    warnings_log.propagate = False
    # matplotlib logs missing glyphs (a CJK column name) as warnings; with no handler of
    # their own, Python's last-resort handler would print them bare on stderr.
    if not any(isinstance(h, logging.NullHandler) for h in logging.getLogger().handlers):
        logging.getLogger().addHandler(logging.NullHandler())
