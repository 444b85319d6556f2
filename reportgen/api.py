"""The Python API: ``reportgen.segment(data, **settings)`` and the result it returns.

The same pipeline as ``reportgen run``, with the same settings and the same errors:
``segment`` resolves the keyword arguments exactly as the command resolves its
options (defaults, then a config file, then what is given), computes the analysis and
keeps it in memory. Nothing is written until ``Result.save`` is called, which writes
the very files ``reportgen run`` writes.
"""

from __future__ import annotations

import html
import numbers
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from reportgen.contract import Changes, Chart, DataQuality, Report, Table
from reportgen.errors import SettingsError
from reportgen.history import MODEL_FILE, model_json, read_previous_run
from reportgen.loading import load_table, table_from_frame
from reportgen.outputs import segments_csv
from reportgen.pipeline import Analysis, analyse, check_period, write
from reportgen.rendering import render_html, render_pdf
from reportgen.settings import Settings, config_keys, resolve_settings, type_problem
from reportgen.templating import environment

# The name a DataFrame goes by in the report and in error messages.
DATAFRAME_NAME = "DataFrame"
SPARK_FRAME_NAME = "Spark DataFrame"
# The report's sections, in the report's order, as Result.view() names them.
SECTIONS = (
    "summary",
    "changes",
    "quality",
    "exploration",
    "choosing_k",
    "segments",
    "methodology",
    "footer",
)
# The iframe that shows a view in a notebook cannot size itself (it runs no script).
_VIEW_HEIGHT = 900
_SUMMARY_HEIGHT = 1040

PathLike = str | os.PathLike[str]


def segment(
    data: PathLike | pd.DataFrame | Any | None = None,
    *,
    features: Sequence[str] | str | None = None,
    k: int | None = None,
    profile: Sequence[str] | str | None = None,
    k_max: int | None = None,
    k_min: int | None = None,
    seed: int | None = None,
    title: str | None = None,
    period: str | None = None,
    previous: Result | PathLike | None = None,
    score: bool | None = None,
    config: PathLike | None = None,
    **settings: Any,
) -> Result:
    """Segment the customers in ``data`` and return the result; write nothing.

    The keyword arguments are the settings of ``reportgen run`` and of the config
    file, under the config file's names (``k`` is ``clusters``, ``pdf`` is the
    opposite of ``--no-pdf``). A config file's values apply first and the
    arguments given here win, as on the command line.

    Args:
        data: the customer table: a CSV, Excel or Parquet file, or a pandas
            DataFrame (a named index, such as a customer ID, is kept as a column).
            Without data and config, the bundled sample with its settings. A Spark
            DataFrame (customers or order lines) runs the Spark engine in its session;
            so does ``engine="spark"`` with a path or a URI (s3a://...), in the active
            SparkSession if there is one (spark-submit, a notebook).
        features: the columns to segment on. Default: every numeric column but the ID.
        k: the number of segments (2-30). Default: chosen from the evidence.
        profile: the columns to describe segments with. Default: all other columns.
        k_max: the largest number of segments to consider (default 8).
        k_min: the smallest number of segments to consider (default 3; 2 allows a
            plain split).
        seed: the random seed; the same seed and data give the same result.
        title: the report's title.
        period: the month the data describes, as YYYY-MM. Default: this month.
        previous: last month's result, or the directory a run wrote it to: keep its
            segment numbers and names, and report what changed.
        score: with ``previous``, assign customers to its segments without refitting.
        config: a TOML config file, as for ``reportgen run --config``.
        **settings: any other setting of the config file: ``sheet``, ``ignore``,
            ``id_column``, ``labels``, ``units``, ``rules``, ``pdf``, ``output_dir``,
            ``engine`` and the rest; ``spark_master`` and ``spark_conf`` (a dict) are
            the config's ``[spark]`` table, for a session reportgen starts.

    Returns:
        The analysis, kept in memory: see ``Result``.

    Raises:
        SettingsError: a setting is unknown or impossible (the command exits 2).
        DataError: the data cannot be analysed as it is (the command exits 1).
    """
    if "clusters" in settings and k is not None:
        raise SettingsError("Give the number of segments once: k or clusters, not both.")
    arguments = {
        "features": features,
        "clusters": k,
        "profile": profile,
        "k_max": k_max,
        "k_min": k_min,
        "seed": seed,
        "title": title,
        "period": period,
        "score": score,
        **settings,
    }
    spark: dict[str, Any] = {
        name: arguments.pop(name) for name in ("spark_master", "spark_conf") if name in arguments
    }
    overrides = {**_overrides(arguments), **_spark_overrides(spark)}
    input_path: Path | str | None = None
    spark_frame = data if _is_spark_frame(data) else None
    if spark_frame is not None:
        input_path = Path(SPARK_FRAME_NAME)
        overrides["engine"] = "spark"
    elif isinstance(data, pd.DataFrame):
        input_path = Path(DATAFRAME_NAME)
    elif data is not None:
        input_path = os.fspath(data)
    config_path = None if config is None else Path(config)
    if isinstance(previous, Result):
        return _segment_after(previous, data, input_path, config_path, overrides)
    if previous is not None:
        overrides["previous_dir"] = Path(previous)
    resolved = resolve_settings(input_path, config_path, overrides, interface="python")
    if spark_frame is not None:
        return Result(analyse(resolved, spark_frame=spark_frame))
    table = _table(data)
    return Result(analyse(resolved, table=table))


def _is_spark_frame(data: object) -> bool:
    """Whether ``data`` is a Spark DataFrame, without importing pyspark."""
    kind = type(data)
    return kind.__name__ == "DataFrame" and kind.__module__.startswith("pyspark.")


def _spark_overrides(given: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    master, conf = given.get("spark_master"), given.get("spark_conf")
    if master is not None:
        _check("spark_master", master, str)
        values["spark_master"] = master
    if conf is not None:
        if not isinstance(conf, Mapping) or not all(isinstance(k, str) for k in conf):
            raise SettingsError(
                f"Setting 'spark_conf' must be a dict of Spark properties, not {conf!r}."
            )
        values["spark_conf"] = {name: str(value) for name, value in conf.items()}
    return values


def read_table(path: PathLike, sheet: str | None = None) -> pd.DataFrame:
    """Read a customer table (CSV, Excel or Parquet) as ``reportgen run`` reads it.

    The delimiter, the encoding and the file's format are detected, and the usual
    markers of a missing value ("?", "n.a.", "-", ...) are read as missing.

    Raises:
        DataError: the file is missing, empty or cannot be parsed.
    """
    return load_table(Path(path), sheet).frame


def _table(data: object) -> Table | None:
    """The DataFrame given as data, as the loading stage's Table; None for a path."""
    return table_from_frame(data, DATAFRAME_NAME) if isinstance(data, pd.DataFrame) else None


def _segment_after(
    previous: Result,
    data: object,
    input_path: Path | str | None,
    config_path: Path | None,
    overrides: dict[str, Any],
) -> Result:
    """Segment after a result kept in memory, exactly as after its saved directory.

    The earlier result's model.json and segments.csv are written to a temporary
    directory and read back by the code that reads a saved run, so the two ways give
    the same numbers, names and changes.
    """
    label = Path(f"the {previous.period} result")
    with tempfile.TemporaryDirectory(prefix="reportgen-previous-") as folder:
        directory = Path(folder)
        (directory / MODEL_FILE).write_bytes(model_json(previous.analysis.model))
        names = [segment.name for segment in previous.report.segments]
        (directory / "segments.csv").write_bytes(
            segments_csv(previous.analysis.clean, previous.analysis.segmentation, names)
        )
        resolved = resolve_settings(
            input_path, config_path, {**overrides, "previous_dir": directory}, interface="python"
        )
        prior = read_previous_run(directory)
    resolved = replace(resolved, previous_dir=label)
    return Result(analyse(resolved, table=_table(data), previous=prior))


def _overrides(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Check keyword settings as the config file's are checked; return Settings values."""
    keys = config_keys()
    by_field = {name: key for key, (name, _, _) in keys.items()}
    values: dict[str, Any] = {}
    for given, value in arguments.items():
        if value is None:
            continue
        key = given if given in keys else by_field.get(given)
        if key is None:
            known = ", ".join(sorted(["k", *keys.keys() - {"input", "previous"}]))
            raise SettingsError(f"Unknown setting {given!r}. Known settings: {known}.")
        if key in ("input", "previous"):
            raise SettingsError(
                f"Give the {'table' if key == 'input' else 'earlier run'} as "
                f"segment({'data' if key == 'input' else 'previous='}...), not as {given}=."
            )
        name, expected, is_path = keys[key]
        if expected is list and isinstance(value, str):
            value = (value,)
        if is_path and isinstance(value, os.PathLike):
            value = os.fspath(value)
        if expected is list and isinstance(value, tuple):
            value = list(value)
        if expected is dict and isinstance(value, Mapping):
            value = dict(value)
        if expected is int and isinstance(value, numbers.Integral) and not isinstance(value, bool):
            value = int(value)  # a NumPy integer, say
        _check(given, value, expected)
        if expected is list:
            value = tuple(value)
        elif is_path:
            value = Path(value)
        values[name] = value
    return values


def _check(name: str, value: Any, expected: type | tuple[type, ...]) -> None:
    kind = type_problem(value, expected, python=True, items=True)
    if kind is not None:
        raise SettingsError(f"Setting {name!r} must be {kind}, not {value!r}.")


@dataclass(frozen=True)
class HtmlView:
    """Part of the report as a standalone HTML page, shown inline by Jupyter.

    The page sits in a sandboxed iframe, so the report's styles and the notebook's
    do not mix and nothing in it runs.
    """

    html: str
    height: int = _VIEW_HEIGHT

    def _repr_html_(self) -> str:
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox '
            f'style="width: 100%; max-width: 960px; height: {self.height}px; '
            'border: 1px solid #ddd;"></iframe>'
        )


@dataclass(frozen=True, eq=False, repr=False)
class Result:
    """One segmentation, computed and kept in memory: what ``reportgen.segment`` returns.

    Immutable: every table it returns is a new copy. ``save`` writes the files of
    ``reportgen run``; ``to_html`` and ``to_pdf`` render the report; in Jupyter the
    result shows the report's first page (the summary table and the segment map).

    Attributes:
        analysis: every stage's typed result (``reportgen.pipeline.Analysis``).
    """

    analysis: Analysis

    @property
    def settings(self) -> Settings:
        """The settings the analysis ran with (defaults, config file and arguments)."""
        return self.analysis.settings

    @property
    def report(self) -> Report:
        """The typed report object the templates receive."""
        return self.analysis.report

    @property
    def k(self) -> int:
        """The number of segments."""
        return len(self.report.segments)

    @property
    def period(self) -> str:
        """The month the data describes (YYYY-MM)."""
        return self.report.period

    @property
    def k_evidence(self) -> pd.DataFrame:
        """The evidence for each candidate number of segments, one row per k.

        Columns: the within-segment spread (``inertia``, for the elbow), the
        ``silhouette``, the weakest segment's bootstrap ``stability``, the
        ``prediction_strength``, the ``smallest_share`` of customers in a segment,
        ``calinski_harabasz``, ``davies_bouldin`` (None where not computed), whether
        k ``passes`` the rule, and a ``note`` marking the elbow, the best silhouette
        and the chosen k. Empty when customers were scored against last month's
        segments (k was not chosen).
        """
        columns = [
            "inertia",
            "silhouette",
            "stability",
            "prediction_strength",
            "smallest_share",
            "calinski_harabasz",
            "davies_bouldin",
            "passes",
            "note",
        ]
        choice = self.report.k_choice
        if choice is None:
            return pd.DataFrame(columns=columns, index=pd.Index([], name="k"))
        rows = []
        for score in choice.scores:
            marks = [
                mark
                for mark, k in (
                    ("elbow", choice.elbow_k),
                    ("best silhouette", choice.silhouette_k),
                    ("chosen", choice.chosen_k),
                )
                if score.k == k
            ]
            rows.append(
                {
                    "k": score.k,
                    "inertia": score.inertia,
                    "silhouette": score.silhouette,
                    "stability": score.stability,
                    "prediction_strength": score.prediction_strength,
                    "smallest_share": score.smallest_share,
                    "calinski_harabasz": score.calinski_harabasz,
                    "davies_bouldin": score.davies_bouldin,
                    "passes": score.passes,
                    "note": " · ".join(marks),
                }
            )
        return pd.DataFrame(rows).set_index("k")

    @property
    def segments(self) -> pd.DataFrame:
        """Each customer kept and their segment: columns customer, segment, name.

        The same rows as segments.csv (customers are in the input's order; duplicate
        rows were dropped). ``customer`` is the ID column, or the row number when the
        table has none. With the Spark engine, every customer's row is collected from
        Spark (``result.analysis.assignments.frame`` is the Spark DataFrame).
        """
        segmentation = self.analysis.segmentation
        numbers = pd.Series(segmentation.numbers)
        names = pd.Series([segment.name for segment in self.report.segments])
        ids, labels = self.analysis.clean.customer_ids, segmentation.labels
        if self.analysis.assignments is not None:
            # The Spark engine's driver holds a sample: collect every customer's segment.
            ids, labels = self.analysis.assignments.every_customer()
        return pd.DataFrame(
            {
                "customer": ids.to_numpy(),
                "segment": numbers.to_numpy()[labels],
                "name": names.to_numpy()[labels],
            }
        )

    @property
    def not_segmented(self) -> pd.DataFrame:
        """The customers left out of the segments, and why: for order lines those with
        nothing to segment on, for a customer table those who never bought.

        The rows of not_segmented.csv (customer_id, reason, and for order lines with money
        the purchases and returns, then the last purchase day); empty when there are none.
        """
        left_out = self.analysis.not_segmented
        return left_out.copy() if left_out is not None else pd.DataFrame()

    @property
    def profiles(self) -> pd.DataFrame:
        """One row per segment (indexed by its number): who is in it, on average.

        Columns: name, size, share and description, then each feature's segment mean
        (a categorical feature's summary), then each profile column's mean or summary.
        ``result.report.segments`` holds the same with the population's values.
        """
        rows = []
        for segment in self.report.segments:
            row: dict[str, Any] = {
                "segment": segment.number,
                "name": segment.name,
                "size": segment.size,
                "share": segment.share,
                "description": segment.description,
            }
            row.update({level.column: level.segment_mean for level in segment.features})
            row.update({item.column: item.summary for item in segment.categories})
            row.update(
                {
                    item.column: item.summary if item.segment_mean is None else item.segment_mean
                    for item in segment.demographics
                }
            )
            rows.append(row)
        return pd.DataFrame(rows).set_index("segment")

    @property
    def recommendations(self) -> pd.DataFrame:
        """The marketing advice per segment (indexed by its number), from the rules file.

        Columns: name, the rule that matched, the action, and the campaign,
        retention and product recommendations.
        """
        return pd.DataFrame(
            [
                {
                    "segment": segment.number,
                    "name": segment.name,
                    "rule": segment.recommendation.rule,
                    "action": segment.recommendation.action,
                    "campaign": segment.recommendation.campaign,
                    "retention": segment.recommendation.retention,
                    "products": segment.recommendation.products,
                }
                for segment in self.report.segments
            ]
        ).set_index("segment")

    @property
    def figures(self) -> Mapping[str, Chart]:
        """The report's charts by name (``segment_map``, ``k_evidence``, ...).

        Each has a title, a caption and its PNG bytes (``.png``); Jupyter shows it
        inline.
        """
        return MappingProxyType({chart.key: chart for chart in self.report.charts.all()})

    @property
    def data_quality(self) -> DataQuality:
        """What cleaning found and did: rows read, duplicates, missing values, notes."""
        return self.report.quality

    @property
    def changes(self) -> Changes | None:
        """What changed since the previous result (None without ``previous``)."""
        return self.report.changes

    def save(self, directory: PathLike | None = None) -> tuple[Path, ...]:
        """Write the files ``reportgen run`` writes into ``directory``, all or nothing.

        report.pdf (unless ``pdf=False``), report.html, segments.csv, summary.json,
        model.json and the email body; the same bytes as ``reportgen run -o
        directory`` with the same data and settings, but for the time stamps.

        Args:
            directory: where to write. Default: the ``output_dir`` setting
                (``output/<period>``).

        Returns:
            The paths written.

        Raises:
            SettingsError: ``directory`` holds the report of another period.
        """
        target = self.settings.output_dir if directory is None else Path(directory)
        check_period(target, self.period, self.settings.named)
        return write(self._written_to(target), target)

    def to_html(self) -> str:
        """Return the whole report as one self-contained HTML document."""
        return render_html(self.report)

    def to_pdf(self, path: PathLike) -> Path:
        """Write the report as an A4 PDF to ``path`` and return the path."""
        target = Path(path)
        target.write_bytes(render_pdf(self.to_html()))
        return target

    def view(self, *sections: str) -> HtmlView:
        """Return some of the report's sections as a page Jupyter shows inline.

        Args:
            sections: names from ``SECTIONS``: summary, changes, quality,
                exploration, choosing_k, segments (the cards), methodology, footer.
                Default: all of them.

        Raises:
            ValueError: an unknown section name.
        """
        for name in sections:
            if name not in SECTIONS:
                raise ValueError(f"Unknown section {name!r}; choose from {', '.join(SECTIONS)}.")
        chosen = [
            name
            for name in sections or SECTIONS
            if name != "changes" or self.report.changes is not None
        ]
        page = (
            environment().get_template("notebook.html").render(report=self.report, sections=chosen)
        )
        height = _SUMMARY_HEIGHT if chosen == ["summary"] else _VIEW_HEIGHT
        return HtmlView(page, height)

    def _repr_html_(self) -> str:
        return self.view("summary")._repr_html_()

    def __repr__(self) -> str:
        return (
            f"<reportgen.Result: {self.k} segments of {self.report.customers:,} customers "
            f"from {self.report.source_name}, period {self.period}>"
        )

    def _written_to(self, directory: Path) -> Analysis:
        """The analysis as if ``output_dir`` had been ``directory`` (summary.json says so)."""
        if directory == self.settings.output_dir:
            return self.analysis
        settings = replace(self.settings, output_dir=directory)
        report = replace(self.report, settings=settings)
        model = self.analysis.model
        if not settings.score:  # score mode keeps last month's model and its settings
            model = replace(model, settings=settings.to_summary())
        return replace(self.analysis, settings=settings, report=report, model=model)
