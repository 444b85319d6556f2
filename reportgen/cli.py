"""The command line: parses options into Settings and hands them to the pipeline.

Heavy libraries (pandas, scikit-learn, matplotlib, WeasyPrint) are imported inside
the commands, so ``reportgen --help`` answers at once.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from reportgen import __version__
from reportgen.errors import ReportgenError

log = logging.getLogger("reportgen")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="reportgen")
def main() -> None:
    """Customer segmentation reports: from a customer table to a PDF, an HTML report
    and CRM-ready segments in one command.

    Start with `reportgen run` to make the report for the bundled sample data.
    """


@main.command()
@click.argument(
    "input_path", metavar="[INPUT]", required=False, type=click.Path(dir_okay=True, path_type=Path)
)
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
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
    "--k-max",
    type=click.IntRange(2, 30),
    help="The largest number of segments to consider.  [default: 10]",
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
    "-v",
    "--verbose",
    count=True,
    help="Show progress and timings on stderr, even when it is not a terminal.",
)
@click.option("-q", "--quiet", is_flag=True, help="Show only warnings and errors on stderr.")
def run(
    input_path: Path | None,
    output_dir: Path | None,
    clusters: int | None,
    features: tuple[str, ...],
    profile: tuple[str, ...],
    sheet: str | None,
    k_max: int | None,
    seed: int | None,
    title: str | None,
    config_path: Path | None,
    no_pdf: bool,
    period: str | None,
    previous_dir: Path | None,
    score: bool,
    verbose: int,
    quiet: bool,
) -> None:
    """Segment the customers in INPUT (CSV, Excel or Parquet) and write the report.

    Without INPUT, runs on the bundled sample data (data/customers.csv) with its
    settings (data/customers.toml). Writes report.pdf, report.html, segments.csv,
    summary.json and model.json into the output directory (default:
    output/<period>), and prints their paths.

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
        "k_max": k_max,
        "seed": seed,
        "title": title,
        "make_pdf": False if no_pdf else None,
        "period": period,
        "previous_dir": previous_dir,
        "score": score or None,
    }
    with _user_errors():
        settings = resolve_settings(input_path, config_path, overrides)
        result = run_pipeline(settings)
    for path in result.written:
        click.echo(str(path))


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
    help="How many customers to generate (in the first month).",
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
def sample(
    output: Path | None, customers: int, months: int | None, start: str, seed: int | None
) -> None:
    """Write synthetic customers with five known groups, like the bundled sample.

    With --months, writes one table per month in which customers leave, join and move
    between groups, to try the monthly workflow (`reportgen run --previous`).
    """
    from reportgen.sample import SAMPLE_SEED, make_customers, make_months

    seed = SAMPLE_SEED if seed is None else seed
    if months is None:
        tables = [(output or Path("data/customers.csv"), make_customers(customers, seed=seed))]
    else:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", start):
            raise click.BadParameter(
                f"{start!r} is not a month like 2026-01.", param_hint="--start"
            )
        directory = output or Path("data/monthly")
        tables = [
            (directory / f"customers-{period}.csv", frame)
            for period, frame in make_months(customers, months, start=start, seed=seed)
        ]
    for path, frame in tables:
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False, lineterminator="\n")
        click.echo(str(path))


@contextlib.contextmanager
def _user_errors() -> Iterator[None]:
    """Turn ReportgenError into click's one-line errors; anything else into a short note."""
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
            f"Unexpected internal error ({type(error).__name__}: {error}). Nothing was "
            "written. Run again with -v to see the details, and please report it."
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
