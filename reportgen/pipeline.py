"""The pipeline: the only place that knows the order of the stages.

load -> clean -> features -> explore -> choose k -> cluster -> project -> profile ->
plot -> render (report and email body) -> write. Order lines are aggregated to customers
(transactions, DuckDB) and scored on recency, frequency and money (rfm) instead of
being cleaned.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import logging
import platform
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reportgen import __version__
from reportgen.cleaning import clean_table
from reportgen.contract import (
    CleanTable,
    FeatureMatrix,
    KChoice,
    OrderSummary,
    Population,
    PreviousRun,
    Report,
    SavedModel,
    Segmentation,
    Table,
)
from reportgen.emailing import email_files, render_email
from reportgen.errors import DataError, SettingsError
from reportgen.exploring import explore
from reportgen.features import prepare_features
from reportgen.history import MODEL_FILE, build_model, model_json, read_model, read_previous_run
from reportgen.loading import is_workbook, load_table
from reportgen.outcomes import outcome_rates, with_outcomes
from reportgen.outputs import (
    Content,
    not_segmented_csv,
    summary_json,
    write_atomically,
    write_segments_csv,
)
from reportgen.profiling import (
    Rule,
    category_mixes,
    load_rules,
    profile_segments,
    with_population,
)
from reportgen.projecting import project
from reportgen.rendering import render_html, render_pdf
from reportgen.rfm import (
    Grid,
    customer_groups,
    customer_table,
    days_between_purchases,
    describe_segments,
    grid_path,
    load_grid,
    rfm_features,
    rfm_scores,
)
from reportgen.rfm import with_population as with_population_rfm
from reportgen.settings import Settings
from reportgen.swap import check_output_dir
from reportgen.tracking import (
    check_features,
    check_same_features,
    compare_runs,
    rescored_model,
    score_customers,
    track_segments,
)
from reportgen.transactions import (
    OrderPlan,
    aggregate_orders,
    file_sha256,
    order_options,
    plan_orders,
    plan_table_orders,
    refuse_customer_table_settings,
)

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


@dataclass(frozen=True)
class Analysis:
    """Everything a run computed, before any file is rendered or written.

    ``run`` writes it at once; the Python API (``reportgen.segment``) keeps it and
    writes it when asked. Either way ``write`` makes the same files from it.
    """

    settings: Settings
    report: Report
    clean: CleanTable
    features: FeatureMatrix
    segmentation: Segmentation
    model: SavedModel
    # Order-line input: the RFM columns segments.csv gains, one row per customer.
    csv_extra: pd.DataFrame | None = None
    # The Spark engine: every customer's segment, written by Spark (spark_engine.Assignments).
    assignments: Any = None
    # Order-line input: the customers not segmented, with their reasons.
    not_segmented: pd.DataFrame | None = None


# Order-line runs: the customers with nothing to segment on, and why (for the CRM).
NOT_SEGMENTED_FILE = "not_segmented.csv"


def run(settings: Settings, *, now: datetime | None = None) -> RunResult:
    """Run the whole analysis and write the report files into ``settings.output_dir``.

    Args:
        settings: what to analyse and how.
        now: the report's timestamp; defaults to the current time.

    Raises:
        ReportgenError: a problem with the input or the settings; nothing was written.
    """
    check_period(settings.output_dir, settings.period, settings.named)
    check_output_dir(settings.output_dir)
    analysis = analyse(settings, now=now)
    written = write(analysis, settings.output_dir)
    return RunResult(report=analysis.report, written=written)


def analyse(
    settings: Settings,
    *,
    now: datetime | None = None,
    table: Table | None = None,
    previous: PreviousRun | None = None,
    spark_frame: object = None,
) -> Analysis:
    """Run every stage from loading to the saved model; render and write nothing.

    Args:
        settings: what to analyse and how.
        now: the report's timestamp; defaults to the current time.
        table: the customer table, already read (a DataFrame given to the API);
            by default it is loaded from ``settings.input_path``.
        previous: the earlier run, already read (a result kept in memory); by
            default it is read from ``settings.previous_dir``, if set.
        spark_frame: a Spark DataFrame given to the API (the Spark engine).

    Raises:
        ReportgenError: a problem with the input or the settings.
    """
    if previous is None and settings.previous_dir:
        previous = read_previous_run(settings.previous_dir, settings.named("previous_dir"))
    rules = load_rules(settings.rules_path)
    if settings.engine == "spark" or spark_frame is not None:
        return _analyse_spark(settings, now, previous, spark_frame, rules)
    with _stage("Loading", settings.input_path):
        # Order lines (issue 14) are aggregated to customers; customer tables load as
        # before. A workbook is read once, and a DataFrame (the Python API) is already
        # in memory: both are judged there.
        options = order_options(settings)
        if table is None and not is_workbook(settings.input_path):
            plan = plan_orders(settings.input_path, options, settings.sheet)
            if plan is None:
                table = load_table(settings.input_path, settings.sheet)
        else:
            if table is None:
                table = load_table(settings.input_path, settings.sheet)
            plan = plan_table_orders(table, options)
            if plan is not None:
                table = None
        if previous and table is not None:
            check_features(previous.model, table, settings)
    orders = None
    if plan is not None:
        with _stage("Aggregating order lines"), _importing_ahead(settings.make_pdf):
            orders = _order_input(plan, settings)
        clean, features = orders.clean, orders.features
        source_name, input_sha256 = settings.input_path.name, orders.sha256
        if previous:
            check_same_features(previous.model, features, settings)
    else:
        assert table is not None
        with _stage("Cleaning"):
            clean = clean_table(
                table, settings, previous.model.feature_kinds() if previous else None
            )
            # Only the file's name and hash are needed from here on: let the raw table go.
            source_name, input_sha256 = table.path.name, table.sha256
            del table
            features = prepare_features(clean, previous.model.categorical if previous else None)
            if previous:
                check_same_features(previous.model, features, settings)
    k_choice, segmentation, warnings = _segment(settings, features, previous)
    return _describe(
        settings,
        now,
        previous,
        rules,
        Fitted(clean, features, k_choice, segmentation, tuple(warnings), orders),
        source_name,
        input_sha256,
    )


@dataclass(frozen=True)
class Fitted:
    """What the engine-specific stages give the shared ones: the customers (all, or the
    Spark engine's sample), their features, the choice of k and the segmentation."""

    clean: CleanTable
    features: FeatureMatrix
    k_choice: KChoice | None
    segmentation: Segmentation
    warnings: tuple[str, ...]
    orders: OrderInput | None = None
    # The Spark engine: every customer's figures, and the customer -> segment table.
    population: Population | None = None
    assignments: Any = None
    all_customers: tuple[pd.Series, np.ndarray] | None = None


def _describe(
    settings: Settings,
    now: datetime | None,
    previous: PreviousRun | None,
    rules: tuple[Rule, ...],
    fitted: Fitted,
    source_name: str,
    input_sha256: str,
) -> Analysis:
    """The stages after segmenting, shared by both engines: describe, compare, draw, model."""
    clean, features, k_choice = fitted.clean, fitted.features, fitted.k_choice
    segmentation, orders, population = fitted.segmentation, fitted.orders, fitted.population
    warnings = list(fitted.warnings)
    with _stage("Exploring"):
        exploration = explore(clean)
    known_names = {s.number: s.name for s in previous.model.segments} if previous else None
    with _stage("Projecting"):
        projection = project(features, segmentation)
    with _stage("Describing segments"):
        segments = profile_segments(clean, features, segmentation, rules, known_names)
        if population is not None:
            segments = with_population(segments, population)
        mixes = category_mixes(clean, features, segmentation)
        outcomes = outcome_rates(clean, segmentation)
        segments = with_outcomes(segments, outcomes)
        if k_choice is not None:
            from reportgen.choosing_k import attach_stability

            segments = attach_stability(segments, features, segmentation, k_choice, settings.seed)
        rfm = None
        if orders is not None:
            segments, rfm = describe_segments(
                segments,
                segmentation,
                orders.customers,
                orders.scores,
                orders.grid,
                orders.summary,
                known_names,
            )
            if population is not None:
                rfm = with_population_rfm(rfm, population, features)
    changes = None
    if previous:
        customer_ids, labels = fitted.all_customers or (clean.customer_ids, segmentation.labels)
        changes = compare_runs(
            previous,
            mode="score" if settings.score else "refit",
            segments=segments,
            segmentation=dataclasses.replace(segmentation, labels=labels),
            features=features,
            customer_ids=customer_ids,
            has_ids=clean.id_column is not None,
            warnings=warnings,
        )
        if k_choice is not None and k_choice.k_change:
            changes = dataclasses.replace(changes, k_change=k_choice.k_change)
        for warning in changes.warnings:
            log.warning("%s", warning)
    with _stage("Drawing charts"):
        from reportgen.plotting import make_charts

        charts = make_charts(
            features,
            exploration,
            k_choice,
            segmentation,
            segments,
            projection,
            mixes,
            changes,
            outcomes,
            rfm=rfm,
            monetary=orders.customers.get("monetary") if orders is not None else None,
        )

    report = Report(
        title=settings.title,
        generated_at=now or datetime.now(UTC).astimezone(),
        source_name=source_name,
        input_sha256=input_sha256,
        seed=settings.seed,
        restarts=segmentation.restarts,
        rules_source=settings.rules_path.name,
        settings=settings,
        versions=package_versions(),
        quality=population.quality if population is not None else clean.quality,
        exploration=exploration,
        k_choice=k_choice,
        feature_columns=clean.feature_columns,
        profile_columns=clean.profile_columns,
        segments=segments,
        charts=charts,
        customers=population.customers if population is not None else len(clean.frame),
        period=settings.period,
        changes=changes,
        display_names=clean.display_names,
        categorical_features=features.categorical,
        log_scaled_columns=tuple(
            column
            for column, transform in zip(features.columns, features.transforms, strict=True)
            if transform == "log1p"
        ),
        outcomes=outcomes,
        rfm=rfm,
    )
    if previous and settings.score:
        # Score mode keeps last month's model, so the segmentation stays fixed.
        saved = rescored_model(
            previous.model,
            period=settings.period,
            sizes={segment.number: segment.size for segment in segments},
            sha256=input_sha256,
        )
    else:
        saved = build_model(
            period=settings.period,
            features=features,
            short_names=clean.short_names,
            segmentation=segmentation,
            segments=segments,
            id_column=clean.id_column,
            input_sha256=input_sha256,
            settings=settings.to_summary(),
        )
    csv_extra = orders.csv_columns() if orders is not None else None
    return Analysis(
        settings,
        report,
        clean,
        features,
        segmentation,
        saved,
        csv_extra,
        fitted.assignments,
        orders.left_out if orders is not None else clean.not_segmented,
    )


def output_files(analysis: Analysis) -> dict[str, Content]:
    """Render the report and the data files: every file a run writes, by name."""
    settings, report, clean = analysis.settings, analysis.report, analysis.clean
    segmentation, segments, saved = analysis.segmentation, report.segments, analysis.model
    with _stage("Rendering"):
        html = render_html(report)
        files: dict[str, Content] = {"report.html": html.encode("utf-8")}
        if settings.make_pdf:
            files["report.pdf"] = render_pdf(html)
        # Streamed into the file by the write: never the whole CSV in memory.
        names = [s.name for s in segments]
        extra = analysis.csv_extra
        if analysis.assignments is not None:
            files.update(analysis.assignments.files(segmentation.numbers, names))
        else:
            files["segments.csv"] = lambda file: write_segments_csv(
                file, clean, segmentation, names, extra=extra
            )
        if analysis.not_segmented is not None and len(analysis.not_segmented):
            files[NOT_SEGMENTED_FILE] = not_segmented_csv(analysis.not_segmented)
        files["summary.json"] = summary_json(report)
        files[MODEL_FILE] = model_json(saved)
        files.update(email_files(render_email(report)))
    return files


def write(analysis: Analysis, output_dir: Path) -> tuple[Path, ...]:
    """Render the files of ``analysis`` and write them into ``output_dir``, all or nothing.

    Returns:
        The paths written.
    """
    check_output_dir(output_dir)
    files = output_files(analysis)
    with _stage("Writing", output_dir):
        # An earlier run's file that this run has no content for would contradict it.
        stale = tuple(name for name in ("report.pdf", NOT_SEGMENTED_FILE) if name not in files)
        written = write_atomically(output_dir, files, stale)
    return tuple(written)


def _segment(
    settings: Settings, features: FeatureMatrix, previous: PreviousRun | None
) -> tuple[KChoice | None, Segmentation, list[str]]:
    """Fit (and track) a fresh segmentation, or score against last month's model."""
    if previous and settings.score:
        with _stage("Scoring against", previous.model.period):
            segmentation, drift = score_customers(previous.model, features)
        return None, segmentation, [drift] if drift else []
    k_choice = _choose_k(settings, features, previous)
    with _stage("Segmenting", f"k = {k_choice.chosen_k}"):
        from reportgen.clustering import fit_segments

        segmentation = fit_segments(
            features, k_choice.chosen_k, seed=settings.seed, examined=_examined(k_choice)
        )
        if previous:
            segmentation = track_segments(previous.model, segmentation, features)
    return k_choice, segmentation, []


def _examined(k_choice: KChoice) -> np.ndarray | None:
    """The centres of the fit the evidence for the chosen k describes, if it was kept."""
    fits = k_choice.resample_fits
    return fits.centres if fits is not None and fits.k == k_choice.chosen_k else None


def _choose_k(settings: Settings, features: FeatureMatrix, previous: PreviousRun | None) -> KChoice:
    with _stage("Choosing the number of segments"):
        from reportgen.choosing_k import choose_k

        return choose_k(
            features,
            k_min=settings.k_min,
            k_max=settings.k_max,
            seed=settings.seed,
            forced_k=settings.clusters,
            previous_k=len(previous.model.segments) if previous else None,
            previous_period=previous.model.period if previous else None,
        )


def _analyse_spark(
    settings: Settings,
    now: datetime | None,
    previous: PreviousRun | None,
    spark_frame: object,
    rules: tuple[Rule, ...],
) -> Analysis:
    """The Spark engine: its stages over every customer (spark_engine.py), the choice of k
    on the driver's sample, then the stages both engines share."""
    from reportgen import spark_engine as engine

    with _stage("Starting Spark"):
        if spark_frame is not None:
            engine.require_spark()
            source = engine.spark_input(spark_frame)
        else:
            source = engine.read_input(engine.spark_session(settings), settings)
    with (
        _stage("Reading, counting, aggregating and sampling in Spark"),
        engine.spark_errors(source.name),
    ):
        prepared = engine.prepare(settings, source, previous.model if previous else None)
    clean, features = prepared.clean, prepared.features
    if previous:
        check_same_features(previous.model, features, settings)
    orders = None
    if prepared.orders is not None and prepared.sample_customers is not None:
        customers = prepared.sample_customers
        orders = OrderInput(
            clean,
            features,
            customers,
            rfm_scores(customers),
            load_grid(grid_path(settings.rules_path)).for_history(prepared.orders.summary),
            prepared.orders.summary,
            source.sha256,
            prepared.orders.left_out,
        )
    k_choice: KChoice | None = None
    warnings: list[str] = []
    if previous and settings.score:
        with (
            _stage("Scoring every customer in Spark against", previous.model.period),
            engine.spark_errors(source.name),
        ):
            segmentation, drift = score_customers(previous.model, features)
            warnings = [drift] if drift else []
            every = engine.score_everyone(prepared, previous.model)
            model_numbers = [segment.number for segment in previous.model.segments]
            positions = np.array([model_numbers.index(n) for n in segmentation.numbers])
    else:
        k_choice = _choose_k(settings, features, previous)
        with (
            _stage("Segmenting every customer in Spark", f"k = {k_choice.chosen_k}"),
            engine.spark_errors(source.name),
        ):
            every = engine.segment_everyone(
                prepared, k_choice.chosen_k, settings.seed, examined=_examined(k_choice)
            )
            segmentation = engine.segmentation_of_sample(
                features, every.centres, every.figures, every.order
            )
            positions = every.order
            if previous:
                tracked = track_segments(previous.model, segmentation, features)
                positions = positions[engine.reordering(segmentation, tracked)]
                segmentation = tracked
    figures = every.figures
    segmentation = dataclasses.replace(
        segmentation,
        centroids=figures.means[positions],
        centroids_scaled=figures.scaled_means[positions],
        sizes=tuple(int(figures.sizes[p]) for p in positions),
    )
    assignments = engine.assignments(prepared, every, positions, settings)
    fitted = Fitted(
        clean,
        features,
        k_choice,
        segmentation,
        tuple(warnings),
        orders,
        population=engine.population(prepared, every, positions),
        assignments=assignments,
        all_customers=assignments.every_customer() if previous else None,
    )
    return _describe(settings, now, previous, rules, fitted, source.name, source.sha256)


@dataclass(frozen=True)
class OrderInput:
    """Order lines aggregated to customers: the clustering input and the RFM scores."""

    clean: CleanTable
    features: FeatureMatrix
    customers: pd.DataFrame
    scores: pd.DataFrame
    grid: Grid
    summary: OrderSummary
    sha256: str
    # The customers not segmented (transactions.left_out_customers).
    left_out: pd.DataFrame

    def csv_columns(self) -> pd.DataFrame:
        """The RFM columns segments.csv gains, one row per customer in the table's order."""
        columns = [c for c in ("recency_days", "frequency", "monetary") if c in self.customers]
        extra = self.customers[columns].reset_index(drop=True)
        extra["rfm_score"] = self.scores["rfm_score"].to_numpy()
        extra["rfm_group"] = customer_groups(self.scores, self.grid).to_numpy()
        if "tenure_days" in self.customers:
            extra["days_between_purchases"] = days_between_purchases(self.customers).to_numpy()
        return extra


def _order_input(plan: OrderPlan, settings: Settings) -> OrderInput:
    """Aggregate the order lines (DuckDB) and prepare the RFM features and scores."""
    refuse_customer_table_settings(settings, settings.input_path.name)
    grid = load_grid(grid_path(settings.rules_path))
    # The file's hash is read in a thread while DuckDB aggregates (hashlib releases the
    # GIL): ten million lines are 0.8 GB to hash, 1-2 s on one core.
    with ThreadPoolExecutor(1, thread_name_prefix="reportgen-hash") as pool:
        sha256 = pool.submit(file_sha256, settings.input_path) if not plan.source.sha256 else None
        totals = aggregate_orders(plan, order_options(settings))
        digest = plan.source.sha256 or (sha256.result() if sha256 else "")
    clean = customer_table(totals.frame, totals.summary, settings.period)
    return OrderInput(
        clean=clean,
        features=rfm_features(clean),
        customers=totals.frame,
        scores=rfm_scores(totals.frame),
        grid=grid.for_history(totals.summary),
        summary=totals.summary,
        sha256=digest,
        left_out=totals.left_out,
    )


def check_period(output_dir: Path, period: str, named: Callable[[str], str]) -> None:
    """Refuse to overwrite the report of another period.

    Args:
        named: how the user sets a setting (``Settings.named``), for the message.

    Raises:
        SettingsError: ``output_dir`` holds a model.json of a different period.
    """
    try:
        existing = read_model(output_dir).period
    except DataError:
        return
    if existing != period:
        raise SettingsError(
            f"{output_dir} holds the report for {existing}; write the {period} report elsewhere "
            f"({named('output_dir')}) or set {named('period')} {existing} to regenerate "
            "that month."
        )


def package_versions() -> dict[str, str]:
    """Return the versions of Python, reportgen and the libraries that shape results."""
    versions = {"reportgen": __version__, "python": platform.python_version()}
    for package in _VERSIONED_PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[package] = metadata.version(package)
    return versions


# What the stages after the aggregation import: about 3 s of one core (scikit-learn and
# the scipy.stats it loads, matplotlib and seaborn, WeasyPrint).
_LATER_MODULES = ("reportgen.choosing_k", "reportgen.clustering", "reportgen.plotting")


@contextlib.contextmanager
def _importing_ahead(pdf: bool) -> Iterator[None]:
    """Import the later stages' libraries in a thread while the block runs.

    DuckDB releases the GIL while it aggregates, so at a million order lines most of the
    import time is hidden behind the aggregation. The thread is joined when the block
    ends, whatever happens in it: nothing is half-imported when the charts fork.
    """
    modules = _LATER_MODULES + (("weasyprint",) if pdf else ())
    thread = threading.Thread(
        target=_import_quietly, args=(modules,), name="reportgen-imports", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        thread.join()


def _import_quietly(modules: tuple[str, ...]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as error:  # imported again where it is needed, and fails there
            log.debug("Importing %s ahead failed: %s", name, error)


@contextlib.contextmanager
def _stage(name: str, detail: object = "") -> Iterator[None]:
    started = time.perf_counter()
    log.info("%s %s", name, detail)
    yield
    log.info("%s took %.2fs", name, time.perf_counter() - started)
