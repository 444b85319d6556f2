"""The pipeline: the only place that knows the order of the stages.

load -> clean -> features -> explore -> choose k -> cluster -> profile -> plot ->
render (report and email body) -> write.
"""

from __future__ import annotations

import contextlib
import logging
import platform
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from reportgen import __version__
from reportgen.choosing_k import choose_k
from reportgen.cleaning import clean_table
from reportgen.clustering import fit_segments
from reportgen.emailing import email_files, render_email
from reportgen.exploring import explore
from reportgen.features import prepare_features
from reportgen.loading import load_table
from reportgen.model import Report
from reportgen.outputs import segments_csv, summary_json, write_atomically
from reportgen.plotting import make_charts
from reportgen.profiling import load_rules, profile_segments
from reportgen.rendering import render_html, render_pdf
from reportgen.settings import Settings

log = logging.getLogger(__name__)

_VERSIONED_PACKAGES = (
    "pandas",
    "numpy",
    "scikit-learn",
    "matplotlib",
    "seaborn",
    "jinja2",
    "weasyprint",
    "css-inline",
)


@dataclass(frozen=True)
class RunResult:
    """What a run produced: the report object and the files written."""

    report: Report
    written: tuple[Path, ...]


def run(settings: Settings, *, now: datetime | None = None) -> RunResult:
    """Run the whole analysis and write the report files into ``settings.output_dir``.

    Args:
        settings: what to analyse and how.
        now: the report's timestamp; defaults to the current time.

    Raises:
        ReportgenError: a problem with the input or the settings; nothing was written.
    """
    rules = load_rules(settings.rules_path)
    with _stage("Loading", settings.input_path):
        table = load_table(settings.input_path)
    with _stage("Cleaning"):
        clean = clean_table(table, settings)
        features = prepare_features(clean)
    with _stage("Exploring"):
        exploration = explore(clean)
    with _stage("Choosing the number of segments"):
        k_choice = choose_k(
            features, k_max=settings.k_max, seed=settings.seed, forced_k=settings.clusters
        )
    with _stage("Segmenting", f"k = {k_choice.chosen_k}"):
        segmentation = fit_segments(features, k_choice.chosen_k, seed=settings.seed)
        segments = profile_segments(clean, features, segmentation, rules)
    with _stage("Drawing charts"):
        charts = make_charts(clean, features, exploration, k_choice, segmentation, segments)

    report = Report(
        title=settings.title,
        generated_at=now or datetime.now(UTC).astimezone(),
        source_name=table.path.name,
        input_sha256=table.sha256,
        seed=settings.seed,
        restarts=segmentation.restarts,
        rules_source=settings.rules_path.name,
        settings=settings.to_summary(),
        versions=package_versions(),
        quality=clean.quality,
        exploration=exploration,
        k_choice=k_choice,
        feature_columns=clean.feature_columns,
        profile_columns=clean.profile_columns,
        segments=segments,
        charts=charts,
        customers=len(clean.frame),
    )
    with _stage("Rendering"):
        html = render_html(report)
        files = {"report.html": html.encode("utf-8")}
        if settings.make_pdf:
            files["report.pdf"] = render_pdf(html)
        files["segments.csv"] = segments_csv(
            clean, segmentation, [segment.name for segment in segments]
        )
        files["summary.json"] = summary_json(report)
        files.update(email_files(render_email(report)))
    with _stage("Writing", settings.output_dir):
        stale = () if settings.make_pdf else ("report.pdf",)
        written = write_atomically(settings.output_dir, files, stale)
    return RunResult(report=report, written=tuple(written))


def package_versions() -> dict[str, str]:
    """Return the versions of Python, reportgen and the libraries that shape results."""
    versions = {"reportgen": __version__, "python": platform.python_version()}
    for package in _VERSIONED_PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[package] = metadata.version(package)
    return versions


@contextlib.contextmanager
def _stage(name: str, detail: object = "") -> Iterator[None]:
    started = time.perf_counter()
    log.info("%s %s", name, detail)
    yield
    log.debug("%s took %.2fs", name, time.perf_counter() - started)
