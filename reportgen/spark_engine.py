"""The Spark engine (issue 16): the same report, with the work that grows with the data in Spark.

In Spark, over every row: reading (Parquet folders and globs, CSV, s3a:// and other
URIs), the row and line counts, the order-line -> customer aggregation (the SQL of
``transactions.py`` in its Spark dialect), the measures cleaning derives from dates and
birth years (read as the sample's cleaning decided, counted to the latest date of every
row), the filling of gaps and capping of outliers in the features, the standardization
statistics, the final K-Means on every customer (Lloyd's iterations as Spark
aggregations, from the best centres of the driver's restarts, as the local engine does
above 50,000 customers), each segment's size, means and medians, the RFM scores, and the
customer -> segment table (Parquet, partitioned by segment).

Not MLlib's KMeans: pyspark.ml's KMeans cannot start from given centres, and its
single k-means|| start found another local optimum than the local engine's 20
restarts on the bundled sample (adjusted Rand index 0.70), so the two engines would
not give the same report.

On the driver, from a seeded sample of at most ``SAMPLE_SIZE`` customers collected from
Spark: the column roles, the evidence for k, the stability, the charts and the segment
descriptions, by the local engine's own stages. The report states the sample. The
segment sizes, shares and means in the report, summary.json and model.json are those
of all customers; the model has the local engine's shape, so either engine scores
with a model made by the other.

Nothing here is imported unless the Spark engine is asked for, and pyspark is imported
only inside the functions.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import logging
import math
import os
import re
import shutil
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reportgen.contract import (
    CategoryEncoding,
    CleanTable,
    ColumnReport,
    DataQuality,
    DateReading,
    DerivedMeasure,
    FeatureMatrix,
    Population,
    SavedModel,
    Segmentation,
    Table,
    Transform,
    transform_values,
)
from reportgen.errors import DataError, SettingsError
from reportgen.rfm import RHYTHM_PURCHASES
from reportgen.settings import DEFAULT_SPARK_MASTER, Settings
from reportgen.transactions import (
    _SQL_DATE_PART,
    CENTURY_PIVOT,
    EXTRA_MISSING,
    JAVA_PATTERNS,
    MISSING_TEXT,
    PLACEHOLDER_CUSTOMERS,
    SPARK,
    STAT_NAMES,
    UNKNOWN_ATTRIBUTE,
    OrderOptions,
    OrderPlan,
    Source,
    _java_format,
    aggregation_sql,
    as_text,
    attribute_names,
    customer_sql,
    customer_text,
    date_expression,
    date_part_pattern,
    distinct_items_sql,
    left_out_customers,
    line_columns_sql,
    number_sql,
    order_of_parts,
    order_summary,
    plan_from_head,
    read_lines_sql,
    refuse_customer_table_settings,
    repeated_lines_sql,
    summary_sql,
    suspect_items,
    suspect_items_sql,
    totals_sql,
    unkept_customers_sql,
    valued_lines_sql,
)

log = logging.getLogger(__name__)

# The driver's sample: the evidence for k, the charts and the descriptions come from it.
SAMPLE_SIZE = 50_000
# segments.csv is written beside the Parquet table up to this many customers.
SEGMENTS_CSV_LIMIT = 1_000_000
# How many rows of the input decide whether it holds order lines (as transactions.py).
HEAD_ROWS = 20_000
LOCAL_SHUFFLE_PARTITIONS = 8
# Up to this many rows, medians and percentiles are exact (Spark's percentile keeps a
# count per distinct value); beyond, percentile_approx.
EXACT_QUANTILES_LIMIT = 2_000_000
# The final K-Means on every customer: Lloyd iterations until the centres' squared
# shifts add up to less than this (in standard deviations), scikit-learn's default rule
# (tol=1e-4 times the features' mean variance, which standardization makes about 1).
KMEANS_MAX_ITER = 100
KMEANS_TOLERANCE = 1e-4
INSTALL_HINT = (
    'The Spark engine needs pyspark and Java 17: pip install "reportgen[spark]", and on '
    "Debian scripts/system-deps.sh --spark (openjdk-17-jre-headless)."
)
_ROW = "__reportgen_row"
_KEY = "__reportgen_key"
_SEGMENT = "__reportgen_segment"


def require_spark() -> None:
    """Check that pyspark and a Java runtime are there, before anything imports pyspark.

    Raises:
        SettingsError: either is missing; one line says how to install them.
    """
    if importlib.util.find_spec("pyspark") is None:
        raise SettingsError(f"pyspark is not installed. {INSTALL_HINT}")
    java_home = os.environ.get("JAVA_HOME")
    has_java = shutil.which("java") is not None or (
        java_home is not None and (Path(java_home) / "bin" / "java").exists()
    )
    if not has_java:
        raise SettingsError(f"No Java runtime was found (java, $JAVA_HOME). {INSTALL_HINT}")


def spark_session(settings: Settings) -> Any:
    """The active SparkSession (spark-submit, a notebook), or a new one with the settings.

    An existing session is used as it is: its master and configuration are the
    cluster's. A new one gets ``spark_master`` (default local[*]) and ``spark_conf``.
    """
    require_spark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.appName("reportgen").master(
        settings.spark_master or DEFAULT_SPARK_MASTER
    )
    defaults = {"spark.sql.session.timeZone": "UTC", "spark.ui.showConsoleProgress": "false"}
    master = settings.spark_master or DEFAULT_SPARK_MASTER
    if master.startswith("local"):
        # Spark's 200 shuffle partitions suit a cluster; on one machine each is pure overhead.
        defaults["spark.sql.shuffle.partitions"] = str(LOCAL_SHUFFLE_PARTITIONS)
    for name, value in defaults.items():
        builder = builder.config(name, value)
    for name, value in settings.spark_conf.items():
        builder = builder.config(name, value)
    try:
        spark = builder.getOrCreate()
    except Exception as error:  # py4j and Java raise many types when the JVM cannot start
        raise SettingsError(
            f"Spark could not start: {str(error).splitlines()[0]}. {INSTALL_HINT}"
        ) from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def to_pandas(frame: Any) -> pd.DataFrame:
    """Collect a (bounded) Spark DataFrame to pandas on the driver."""
    with warnings.catch_warnings():
        # pyspark 4 warns that it does not yet fully support pandas 3; the plain columns
        # collected here (numbers, text, dates) are read correctly (tested).
        warnings.filterwarnings("ignore", "PySpark does not yet fully support", FutureWarning)
        return frame.toPandas()


# --- reading ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SparkInput:
    """The input as Spark reads it, and what the report says about it."""

    frame: Any
    name: str
    description: str
    sha256: str


def read_input(spark: Any, settings: Settings) -> SparkInput:
    """Read the input with Spark: a Parquet file, folder or glob, or CSV; a path or a URI.

    Raises:
        DataError: Spark cannot read it.
    """
    location = settings.input_uri or str(settings.input_path)
    local = settings.input_uri is None or settings.input_uri.startswith("file://")
    csv = _is_csv(location, local)
    reader = spark.read
    try:
        if csv:
            delimiter, skip = _layout(location) if local else (",", 0)
            source: Any = location
            if skip:
                # A title above the header (loading.title_lines): the lines after it.
                numbered = spark.sparkContext.textFile(location).zipWithIndex()
                source = numbered.filter(lambda line: line[1] >= skip).keys()
            frame = (
                reader.option("header", True)
                .option("inferSchema", True)
                .option("sep", delimiter)
                .option("nullValue", "")
                .csv(source)
            )
            frame = _dates_as_text(reader, frame, source)
        else:
            frame = reader.parquet(location)
    except Exception as error:  # Spark's AnalysisException and Java's errors
        raise DataError(
            f"Spark cannot read {location}: {str(error).splitlines()[0]}. Give a Parquet "
            "file, folder or glob, or a CSV file."
        ) from None
    path = Path(location)
    sha256 = (
        _file_sha256(path)
        if local and path.is_file()
        else hashlib.sha256("\n".join(sorted(frame.inputFiles())).encode()).hexdigest()
    )
    kind = "CSV" if csv else "Parquet"
    return SparkInput(frame, settings.input_path.name, f"{kind}, read by Spark", sha256)


def _dates_as_text(reader: Any, frame: Any, source: Any) -> Any:
    """The CSV read again with the columns Spark inferred as dates or timestamps as text.

    pandas reads a CSV's dates as text, and cleaning reads text dates by their date part
    (any time of day dropped); Spark's timestamps would count the hours. Reading with
    the inferred schema, these columns made text, costs no second pass over the file.
    """
    from pyspark.sql.types import (
        DateType,
        StringType,
        StructField,
        StructType,
        TimestampNTZType,
        TimestampType,
    )

    dated = (DateType, TimestampType, TimestampNTZType)
    fields = frame.schema.fields
    if not any(isinstance(field.dataType, dated) for field in fields):
        return frame
    schema = StructType(
        [
            StructField(field.name, StringType(), True)
            if isinstance(field.dataType, dated)
            else field
            for field in fields
        ]
    )
    return reader.schema(schema).csv(source)


def spark_input(frame: Any, name: str = "Spark DataFrame") -> SparkInput:
    """A Spark DataFrame given to the API, as the engine's input.

    Its hash is that of the files it reads (none for a table made in memory).
    """
    files = "\n".join(sorted(frame.inputFiles()))
    return SparkInput(frame, name, "Spark DataFrame", hashlib.sha256(files.encode()).hexdigest())


@contextmanager
def spark_errors(name: str) -> Iterator[None]:
    """Spark's own errors (a missing file, a column Spark cannot read) as a DataError."""
    try:
        yield
    except Exception as error:
        if not type(error).__module__.startswith(("pyspark", "py4j")):
            raise
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataError(f"Spark could not process {name}: {first}") from None


def _is_csv(location: str, local: bool) -> bool:
    lowered = location.lower().rstrip("/")
    if lowered.endswith((".csv", ".txt", ".tsv", ".csv.gz")):
        return True
    path = Path(location.removeprefix("file://"))
    if local and path.is_file():
        with path.open("rb") as file:
            return not file.read(4).startswith(b"PAR1")
    return False


def _layout(location: str) -> tuple[str, int]:
    """A local text file's delimiter and the number of title lines above its header, as
    the local engine finds them."""
    import csv

    from reportgen.loading import sniff_delimiter, title_lines

    path = Path(location.removeprefix("file://"))
    if not path.is_file():
        return ",", 0
    with path.open("rb") as file:
        head = file.read(1 << 16).decode("utf-8", errors="ignore")
    delimiter = sniff_delimiter(head)
    return delimiter, title_lines(list(csv.reader(head.splitlines()[:40], delimiter=delimiter)))


def _file_sha256(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def plan_spark_orders(source: SparkInput, options: OrderOptions) -> OrderPlan | None:
    """Decide from the first rows whether the input holds order lines (as the local engine)."""
    if options.input_kind == "customers":
        return None
    head = to_pandas(source.frame.limit(HEAD_ROWS))
    columns = tuple(str(column) for column in source.frame.columns)
    described = Source(Path(source.name), "frame", columns, description=source.description)
    return plan_from_head(described, as_text(head), options)


# --- order lines ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SparkOrders:
    """Order lines aggregated in Spark: one row per customer, and the lines' summary."""

    customers: Any
    summary: Any
    has_money: bool
    has_items: bool
    # The customers not segmented, with their reasons (transactions.left_out_customers).
    left_out: pd.DataFrame


def aggregate_spark_orders(
    spark: Any, source: SparkInput, plan: OrderPlan, options: OrderOptions
) -> SparkOrders:
    """Stage the lines, decide the date order, and run transactions.py's SQL on Spark.

    Raises:
        DataError: the dates cannot be read, or no customer has a purchase left.
    """
    roles = plan.roles
    source.frame.createOrReplaceTempView("reportgen_source")
    spark.sql(_staging_sql(plan, options)).createOrReplaceTempView("lines")
    spark.catalog.cacheTable("lines")
    order, interpretation = _date_order(spark, plan, options.date_format)
    day = date_expression(options.date_format, order, SPARK)
    # Lines that are no sale (open deals closing next year) set no reference date.
    last, counted = spark.sql(
        f"SELECT MAX({day}), MAX(CASE WHEN held <> 2 THEN {day} END) FROM lines"
    ).collect()[0]
    last = counted if counted is not None and roles.status is not None else last
    if last is None:
        raise DataError(
            f"No date in {roles.date!r} of {source.name} could be read; set date_format in "
            'the config file (e.g. date_format = "%d/%m/%Y").'
        )
    reference: date = options.as_of or (last + timedelta(days=1))
    reference_sql = f"DATE '{reference.isoformat()}'"
    attributes = attribute_names(plan)
    # One pass over the lines, by customer: the totals, the summary's counts and the
    # customers with no kept line are all read from it (persisted: read three times).
    spark.sql(
        aggregation_sql(roles, day, dialect=SPARK, attributes=attributes).replace(
            "{reference}", reference_sql
        )
    ).persist().createOrReplaceTempView("reportgen_groups")
    stats_row = spark.sql(summary_sql("reportgen_groups")).collect()[0]
    stats = dict(zip(STAT_NAMES, list(stats_row), strict=True))
    suspects: tuple[Any, ...] = ()
    if roles.item is not None:
        suspects = suspect_items(spark.sql(suspect_items_sql(dialect=SPARK)).collect())
    items = None
    if roles.item is not None:
        items = "reportgen_items"
        spark.sql(
            distinct_items_sql(day, dialect=SPARK).replace("{reference}", reference_sql)
        ).createOrReplaceTempView(items)
    spark.sql(totals_sql("reportgen_groups", attributes, items)).createOrReplaceTempView(
        "reportgen_totals"
    )
    customers = spark.sql(_customer_columns_sql(reference_sql, plan))
    money = ", monetary, purchases, returns" if roles.has_money else ""
    left_out = left_out_customers(
        spark.sql(
            f"SELECT customer, frequency, last_day{money} FROM reportgen_totals "
            f"WHERE CASE WHEN {_positive(roles.has_money)} THEN FALSE ELSE TRUE END"
        ).toPandas(),
        roles.has_money,
    )
    kept = int(spark.sql("SELECT COUNT(*) FROM reportgen_totals").collect()[0][0]) - len(left_out)
    unkept = int(spark.sql(unkept_customers_sql("reportgen_groups")).collect()[0][0])
    if kept == 0:
        raise DataError(
            f"No customer in {source.name} has a purchase left to analyse "
            f"(of {int(stats['lines_read'] or 0):,} lines); check the customer, date and "
            "amount columns, as_of and exclude_items."
        )
    summary = order_summary(
        stats,
        plan,
        options,
        reference=reference,
        interpretation=interpretation,
        suspects=suspects,
        customers=kept,
        left_out=left_out,
    )
    repeated = 0
    if roles.order is not None:
        repeated = int(spark.sql(repeated_lines_sql()).collect()[0][0] or 0)
    summary = dataclasses.replace(
        summary, unkept_customers=unkept, repeated_in_order_lines=repeated
    )
    return SparkOrders(customers, summary, roles.has_money, roles.item is not None, left_out)


def _positive(has_money: bool) -> str:
    # transactions.segmentable in SQL: a purchase, and (with money) net spend above 0.
    return "frequency > 0 AND monetary > 0" if has_money else "frequency > 0"


def _customer_columns_sql(reference: str, plan: OrderPlan) -> str:
    """transactions._customer_totals in Spark SQL: recency, tenure, spend per customer.

    Rounded half to even (bround), as pandas rounds.
    """
    has_money, item = plan.roles.has_money, plan.roles.item
    columns = [
        "customer AS " + _KEY,
        f"datediff({reference}, last_day) AS recency_days",
        "CAST(frequency AS BIGINT) AS frequency",
    ]
    if has_money:
        columns.append("bround(CAST(monetary AS DOUBLE), 2) AS monetary")
    columns.append(f"datediff({reference}, first_day) AS tenure_days")
    if has_money:
        columns += [
            "bround(CAST(purchases AS DOUBLE) / frequency, 2) AS average_order_value",
            "bround(CASE WHEN purchases > 0 THEN CAST(returns AS DOUBLE) / purchases "
            "ELSE 0.0 END, 4) AS returned_share",
            "bround(CAST(last_12_months AS DOUBLE), 2) AS last_12_months",
        ]
    if item is not None:
        columns.append("CAST(distinct_items AS BIGINT) AS distinct_items")
    columns += [
        f"COALESCE({name}, {_literal(UNKNOWN_ATTRIBUTE)}) AS `{column.replace('`', '``')}`"
        for column, name in zip(plan.attributes, attribute_names(plan), strict=True)
    ]
    return f"SELECT {', '.join(columns)} FROM reportgen_totals WHERE {_positive(has_money)}"


def _staging_sql(plan: OrderPlan, options: OrderOptions) -> str:
    """transactions._stage_lines in Spark SQL: the role columns, duplicates merged, each
    line valued and flagged (transactions.valued_lines_sql)."""
    roles = plan.roles
    whole_dates = options.date_format is not None
    missing = ", ".join(_literal(text) for text in (*MISSING_TEXT, *EXTRA_MISSING))

    def column(name: str) -> str:
        return f"trim(CAST(`{name.replace('`', '``')}` AS STRING))"

    def text(name: str | None, markers: bool = False) -> str:
        if name is None:
            return "CAST(NULL AS STRING)"
        value = column(name)
        if markers:
            return f"CASE WHEN {value} IN ({missing}) THEN NULL ELSE {value} END"
        return f"nullif({value}, '')"

    def number(name: str | None) -> str:
        if name is None:
            return "CAST(NULL AS DOUBLE)"
        return number_sql(column(name), name, plan, SPARK)

    assert roles.customer is not None  # a plan always has one (plan_from_head)
    customer = customer_sql(customer_text(plan, column), plan.placeholders)
    if plan.float_ids:
        customer = SPARK.replace_all(customer, r"\.0$", "")
    columns = line_columns_sql(plan, customer, text, number, whole_dates=whole_dates)
    attributes = attribute_names(plan)
    distinct_lines = read_lines_sql(
        columns,
        "reportgen_source",
        roles,
        attributes=attributes,
        numbered=plan.line_id is not None,
        dialect=SPARK,
    )
    return valued_lines_sql(
        distinct_lines,
        roles,
        exclude_items=options.exclude_items,
        dialect=SPARK,
        attributes=attributes,
    )


def _date_order(spark: Any, plan: OrderPlan, date_format: str | None) -> tuple[str | None, str]:
    if date_format is not None:
        return None, f"read with date_format {date_format!r}"
    rows = spark.sql(
        f"SELECT DISTINCT {SPARK.extract('date_text', date_part_pattern(plan))} AS part "
        "FROM (SELECT DISTINCT date_text FROM lines) AS texts"
    ).collect()
    return order_of_parts(plan, sorted(row[0] for row in rows if row[0]))


def _literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


# --- the sample -------------------------------------------------------------------------------


def seeded_sample(frame: Any, size: int, seed: int) -> pd.DataFrame:
    """At most ``size`` rows, chosen by a seeded hash of their key, in the key's order.

    The same rows for the same data and seed on any cluster: the choice depends on each
    row's key, not on how Spark splits the data. All rows when there are fewer.
    """
    from pyspark.sql import functions as F

    chosen = (
        frame.withColumn("__hash", F.xxhash64(F.col(_KEY), F.lit(seed)))
        .orderBy("__hash", _KEY)
        .limit(size)
        .drop("__hash")
    )
    sample = to_pandas(chosen)
    return sample.sort_values(_KEY, kind="stable").reset_index(drop=True)


# --- standardization, K-Means and the segment figures -------------------------------------


@dataclass(frozen=True)
class Standardization:
    """The features' transforms, means and scales, and category encodings, from every row."""

    columns: tuple[str, ...]
    transforms: tuple[Transform, ...]
    means: np.ndarray
    scales: np.ndarray
    categorical: tuple[CategoryEncoding, ...]


def standardization(
    frame: Any,
    columns: Sequence[str],
    categorical: Sequence[str],
    *,
    log_all: bool,
    encodings: Sequence[CategoryEncoding] | None = None,
) -> Standardization:
    """Compute in Spark what features.prepare_features (or rfm_features) computes.

    Args:
        log_all: order lines: log1p of every measure, a zero scale read as 1; else the
            transform is chosen from the skewness, as features.choose_transform does.
        encodings: an earlier model's categories, used as they are.

    Raises:
        DataError: a feature has the same value for every customer.
    """
    from pyspark.sql import functions as F

    from reportgen.features import SKEW_LIMIT, categories_from_counts

    transforms: list[Transform] = []
    if columns and not log_all:
        aggregates = []
        for index, column in enumerate(columns):
            value = F.col(f"`{column}`").cast("double")
            aggregates += [
                F.min(value).alias(f"min{index}"),
                F.max(value).alias(f"max{index}"),
                F.skewness(value).alias(f"skew{index}"),
                F.approx_count_distinct(value).alias(f"distinct{index}"),
            ]
        shape = frame.agg(F.count(F.lit(1)).alias("n"), *aggregates).collect()[0]
        n = shape["n"]
        for index in range(len(columns)):
            skew = shape[f"skew{index}"]
            # Spark's skewness is the population one; pandas' is adjusted for the sample.
            adjusted = skew * math.sqrt(n * (n - 1)) / (n - 2) if skew is not None and n > 2 else 0
            simple = (
                shape[f"min{index}"] < 0
                or shape[f"max{index}"] <= 1
                or shape[f"distinct{index}"] < 3
            )
            transforms.append("none" if simple or adjusted <= SKEW_LIMIT else "log1p")
    else:
        transforms = ["log1p" for _ in columns]
    moments = []
    for index, (column, transform) in enumerate(zip(columns, transforms, strict=True)):
        value = _transformed(column, transform)
        moments += [F.avg(value).alias(f"mean{index}"), F.stddev_pop(value).alias(f"std{index}")]
    row = frame.agg(*moments).collect()[0] if moments else None
    means = (
        np.array([row[f"mean{i}"] for i in range(len(columns))], dtype=float)
        if row
        else np.zeros(0)
    )
    scales = (
        np.array([row[f"std{i}"] or 0.0 for i in range(len(columns))], dtype=float)
        if row
        else np.zeros(0)
    )
    if log_all:
        scales[scales == 0] = 1.0
    for column, scale in zip(columns, scales, strict=True):
        if scale == 0:
            raise DataError(
                f"Feature {column!r} has the same value for every customer, so it cannot "
                "separate segments; leave it out of the features."
            )
    given = {encoding.column: encoding for encoding in encodings or ()}
    chosen = []
    total = frame.count() if categorical else 0
    for column in categorical:
        if column in given:
            chosen.append(given[column])
            continue
        counts = frame.groupBy(_category(column).alias("c")).count().collect()
        series = pd.Series({row["c"]: row["count"] for row in counts}, dtype="int64")
        chosen.append(categories_from_counts(column, series, total))
    return Standardization(tuple(columns), tuple(transforms), means, scales, tuple(chosen))


def _transformed(column: str, transform: str) -> Any:
    from pyspark.sql import functions as F

    value = F.col(f"`{column}`").cast("double")
    return F.log1p(value) if transform == "log1p" else value


def _category(column: str) -> Any:
    """contract.category_text in Spark: whole floats as "1", not "1.0"."""
    from pyspark.sql import functions as F

    value = F.col(f"`{column}`")
    return F.when(
        value.cast("double").isNotNull() & (value.cast("double") == F.floor(value.cast("double"))),
        value.cast("double").cast("bigint").cast("string"),
    ).otherwise(value.cast("string"))


def scaled_columns(stats: Standardization) -> list[Any]:
    """The standardized features as Spark columns: measures, then weighted one-hot columns."""
    from pyspark.sql import functions as F

    columns = [
        (_transformed(column, transform) - float(mean)) / float(scale)
        for column, transform, mean, scale in zip(
            stats.columns, stats.transforms, stats.means, stats.scales, strict=True
        )
    ]
    for encoding in stats.categorical:
        text = _category(encoding.column)
        if encoding.other is not None:
            text = F.when(text.isin(list(encoding.categories)), text).otherwise(
                F.lit(encoding.other)
            )
        columns += [
            F.when(text == F.lit(category), F.lit(encoding.weight)).otherwise(F.lit(0.0))
            for category in encoding.categories
        ]
    return columns


def sample_features(clean: CleanTable, stats: Standardization) -> FeatureMatrix:
    """The sample's FeatureMatrix in the standardization of all customers."""
    values = clean.frame[list(stats.columns)].to_numpy(dtype=float)
    transformed = transform_values(values, stats.transforms)
    return FeatureMatrix(
        columns=stats.columns,
        values=values,
        scaled=np.hstack(
            [(transformed - stats.means) / stats.scales]
            + [encoding.encode(clean.frame[encoding.column]) for encoding in stats.categorical]
        ),
        means=stats.means,
        scales=stats.scales,
        transforms=stats.transforms,
        display_names=tuple(clean.display(column) for column in stats.columns),
        categorical=stats.categorical,
    )


def with_scaled(frame: Any, stats: Standardization) -> tuple[Any, list[str]]:
    """``frame`` with each standardized feature as a column, and those columns' names."""
    parts = scaled_columns(stats)
    names = [f"__s{index}" for index in range(len(parts))]
    scaled = frame.select("*", *(part.alias(name) for part, name in zip(parts, names, strict=True)))
    return scaled, names


def refine_centres(scaled: Any, names: list[str], centres: np.ndarray) -> np.ndarray:
    """Lloyd's K-Means on every customer in Spark, from the driver sample's best centres.

    Each iteration is one Spark aggregation (assign to the nearest centre, average each
    segment); it stops when the centres' squared shifts add up to KMEANS_TOLERANCE or
    less, or after KMEANS_MAX_ITER iterations. A centre left without
    customers stays where it was.
    """
    from pyspark.sql import functions as F

    current = np.array(centres, dtype=float)
    for iteration in range(KMEANS_MAX_ITER):
        assigned = assign(scaled, names, current)
        rows = assigned.groupBy(_SEGMENT).agg(*(F.avg(n).alias(n) for n in names)).collect()
        moved = current.copy()
        for row in rows:
            moved[row[_SEGMENT]] = [row[name] for name in names]
        shift = float(((moved - current) ** 2).sum())
        current = moved
        log.info("K-Means iteration %d: centres moved %.2g", iteration + 1, shift)
        if shift <= KMEANS_TOLERANCE:
            break
    return current


def assign(scaled: Any, names: list[str], centres: np.ndarray) -> Any:
    """Each customer's nearest centre (its position in ``centres``), in Spark SQL.

    Plain column arithmetic, no Python function per row; a tie goes to the first centre.
    """
    from pyspark.sql import functions as F

    distances = [
        sum(
            ((F.col(name) - float(value)) ** 2 for name, value in zip(names, centre, strict=True)),
            F.lit(0.0),
        )
        for centre in centres
    ]
    with_distances = scaled.select(
        "*", *(distance.alias(f"__d{index}") for index, distance in enumerate(distances))
    )
    closest = F.least(*(F.col(f"__d{index}") for index in range(len(centres))))
    position = F.lit(len(centres) - 1)
    for index in reversed(range(len(centres) - 1)):
        position = F.when(F.col(f"__d{index}") == closest, F.lit(index)).otherwise(position)
    return with_distances.withColumn(_SEGMENT, position).drop(
        *(f"__d{index}" for index in range(len(centres)))
    )


@dataclass(frozen=True)
class SegmentFigures:
    """Each segment's size, means (original units) and medians, by position, from Spark."""

    sizes: np.ndarray
    means: np.ndarray
    scaled_means: np.ndarray
    medians: np.ndarray


def segment_figures(
    assigned: Any, names: list[str], stats: Standardization, k: int, *, allow_empty: bool = False
) -> SegmentFigures:
    """Sizes, means and medians per segment, in one Spark aggregation.

    Raises:
        DataError: a fitted segment is empty (``allow_empty``: scoring may leave one so).
    """
    from pyspark.sql import functions as F

    width = len(names)
    aggregates = [F.count(F.lit(1)).alias("size")]
    for index, column in enumerate(stats.columns):
        value = F.col(f"`{column}`").cast("double")
        aggregates += [
            F.avg(value).alias(f"mean{index}"),
            F.percentile_approx(value, 0.5, 10_000).alias(f"median{index}"),
        ]
    aggregates += [F.avg(name).alias(f"scaled{i}") for i, name in enumerate(names)]
    rows = {row[_SEGMENT]: row for row in assigned.groupBy(_SEGMENT).agg(*aggregates).collect()}
    measures = len(stats.columns)
    sizes = np.array([rows[i]["size"] if i in rows else 0 for i in range(k)])
    if (sizes == 0).any() and not allow_empty:
        raise DataError(
            f"K-Means left a segment empty at k = {k}: the customers do not hold {k} groups; "
            "choose fewer segments (-k)."
        )
    return SegmentFigures(
        sizes=sizes,
        means=_table(rows, "mean", k, measures),
        scaled_means=_table(rows, "scaled", k, width),
        medians=_table(rows, "median", k, measures),
    )


def _table(rows: dict[int, Any], prefix: str, k: int, width: int) -> np.ndarray:
    return np.array(
        [
            [rows[i][f"{prefix}{j}"] if i in rows else np.nan for j in range(width)]
            for i in range(k)
        ],
        dtype=float,
    ).reshape(k, width)


def nearest_labels(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Each point's nearest centre, on the driver (the sample's segments)."""
    distances = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    return distances.argmin(axis=1)


def segmentation_of_sample(
    features: FeatureMatrix, centres: np.ndarray, figures: SegmentFigures, order: np.ndarray
) -> Segmentation:
    """The sample's Segmentation: its customers' labels, with every customer's figures.

    ``order`` puts the K-Means centres in report order (largest segment first).
    """
    renumber = np.empty(len(order), dtype=int)
    renumber[order] = np.arange(len(order))
    return Segmentation(
        labels=renumber[nearest_labels(features.scaled, centres)],
        centroids=figures.means[order],
        centroids_scaled=figures.scaled_means[order],
        sizes=tuple(int(size) for size in figures.sizes[order]),
        restarts=1,
        numbers=tuple(range(1, len(order) + 1)),
    )


# --- the customer table in Spark --------------------------------------------------------------


def customer_rows(frame: Any) -> tuple[Any, int, int]:
    """The rows of a customer table, exact duplicates merged, with their input order.

    Returns the rows (with an order key), the rows read and the exact duplicates.
    """
    from pyspark.sql import functions as F

    columns = [f"`{c}`" for c in frame.columns]
    numbered = frame.withColumn(_ROW, F.monotonically_increasing_id())
    rows_read = numbered.count()
    merged = numbered.groupBy(*columns).agg(F.min(_ROW).alias(_KEY))
    distinct = merged.count()
    return merged, int(rows_read), int(rows_read - distinct)


def without_total_lines(frame: Any) -> Any:
    """The rows but a spreadsheet's total line (cleaning.TOTAL_LABELS), which is no
    customer. Spark rows have no last rows to look at: any row whose first filled cell
    says so is left out."""
    from pyspark.sql import functions as F

    from reportgen.cleaning import TOTAL_LABELS

    first_filled = F.lower(
        F.trim(F.coalesce(*(F.col(f"`{c}`").cast("string") for c in frame.columns if c != _KEY)))
    )
    return frame.where(
        first_filled.isNull() | ~F.regexp_replace(first_filled, ":$", "").isin(*TOTAL_LABELS)
    )


# --- measures derived from dates and birth years ----------------------------------------------


def date_value(column: str, how: DateReading) -> str:
    """cleaning.read_dates in Spark SQL: the column's values as TIMESTAMP_NTZ (the times
    on the wall, as pandas holds them), NULL where a value does not read.

    Raises:
        SettingsError: date_format has a directive Spark cannot read with.
    """
    quoted = f"`{column.replace('`', '``')}`"
    if how.format is None:
        return f"try_cast({quoted} AS TIMESTAMP_NTZ)"
    value = f"trim(CAST({quoted} AS STRING))"
    if how.part:
        value = f"nullif({SPARK.extract(value, _SQL_DATE_PART)}, '')"
    if how.dashed:
        value = SPARK.replace_all(value, "[/.]", "-")
    if not how.mixed:
        return _parsed(value, how.format)
    # cleaning._forms: ISO and compact parts by their own form, the others by the format.
    return (
        f"CASE WHEN {SPARK.matches(value, '^[0-9]{4}-')} THEN {_parsed(value, '%Y-%m-%d')} "
        f"WHEN {SPARK.matches(value, '^[0-9]{8}$')} THEN {_parsed(value, '%Y%m%d')} "
        f"ELSE {_parsed(value, how.format)} END"
    )


def _parsed(value: str, form: str) -> str:
    """SQL: ``value`` parsed with the strftime format ``form``, as pandas parses it.

    Raises:
        SettingsError: ``form`` (a date_format) has a directive Spark cannot read with.
    """
    unknown = sorted(set(re.findall(r"%.", form)) - JAVA_PATTERNS.keys())
    if unknown:
        raise SettingsError(
            f"date_format {form!r} uses {', '.join(unknown)}, which the Spark engine cannot "
            f"read dates with (it reads {' '.join(JAVA_PATTERNS)}): write date_format with "
            "those, or use the local engine (--engine local)."
        )
    pattern = _java_format(form)
    parsed = f"CAST(try_to_timestamp({value}, {_literal(pattern)}) AS TIMESTAMP_NTZ)"
    if "%y" in form:
        # Spark reads a two-digit year as 20yy; Python as 19yy from CENTURY_PIVOT on.
        parsed = (
            f"CASE WHEN year({parsed}) >= {2000 + CENTURY_PIVOT} "
            f"THEN {parsed} - INTERVAL 100 YEARS ELSE {parsed} END"
        )
    return parsed


def latest_dates(frame: Any, derived: Sequence[DerivedMeasure]) -> dict[str, pd.Timestamp]:
    """The latest date of each column that cleaning counts days to, over every row.

    Raises:
        DataError: Spark reads no date of a column in which the sample's cleaning did.
    """
    from pyspark.sql import functions as F

    dated = {
        m.source: date_value(m.source, m.reading)
        for m in derived
        if m.latest is not None and m.reading is not None
    }
    if not dated:
        return {}
    row = frame.agg(
        *(F.max(F.expr(value)).alias(f"l{i}") for i, value in enumerate(dated.values()))
    ).first()
    latest = {}
    for index, source in enumerate(dated):
        value = row[f"l{index}"]
        if value is None:
            raise DataError(
                f"Spark reads no date in {source!r}, in which the sample's cleaning read "
                "dates; set date_format in the config file, or use the local engine."
            )
        latest[source] = pd.Timestamp(value)
    return latest


def derived_columns(frame: Any, derived: Sequence[DerivedMeasure], wanted: Sequence[str]) -> Any:
    """Make again over every row the measures cleaning derived that are ``wanted``
    (cleaning._derive_measures): the days from each date to the column's latest date,
    in whole days as pandas counts them (a time of day later than the latest's takes one
    off); an age in the measure's year, missing where the year is implausible."""
    from pyspark.sql import functions as F

    from reportgen.cleaning import EARLIEST_BIRTH_YEAR, OLDEST_AGE

    made = []
    for measure in derived:
        if measure.column not in wanted:
            continue
        quoted = f"`{measure.source.replace('`', '``')}`"
        if measure.latest is not None and measure.reading is not None:
            latest = measure.latest
            seconds = latest.hour * 3600 + latest.minute * 60 + latest.second
            seconds += latest.microsecond / 1e6
            day = date_value(measure.source, measure.reading)
            made.append(
                F.expr(
                    f"CAST(datediff(DATE '{latest:%Y-%m-%d}', CAST({day} AS DATE)) - CASE WHEN "
                    f"{seconds:.6f} < hour({day}) * 3600 + minute({day}) * 60 + "
                    f"date_part('SECOND', {day}) THEN 1 ELSE 0 END AS DOUBLE)"
                ).alias(measure.column)
            )
        elif measure.year is not None:
            born = (
                f"try_cast({quoted} AS DOUBLE)"
                if measure.reading is None
                else f"CAST(year({date_value(measure.source, measure.reading)}) AS DOUBLE)"
            )
            made.append(
                F.expr(
                    f"CASE WHEN {born} < {EARLIEST_BIRTH_YEAR} OR {measure.year} - {born} > "
                    f"{OLDEST_AGE} THEN NULL ELSE {measure.year} - {born} END"
                ).alias(measure.column)
            )
    return frame.select("*", *made) if made else frame


def cleaned_customers(frame: Any, clean: CleanTable, rows: int) -> tuple[Any, pd.DataFrame | None]:
    """Apply the sample's cleaning decisions to every customer in Spark.

    The features cleaning derived from dates and birth years are made again
    (derived_columns); rows without an ID are left out and one row is kept per ID (the
    first); customers who never bought are set apart when the sample's were (their IDs
    and reasons are returned); missing feature values are filled with the median
    (measures) or the most common value (categories) of all customers, and extreme
    measures capped at cleaning's bounds.
    The median and the 1st, 5th, 95th and 99th percentiles are exact, interpolated as pandas does,
    up to EXACT_QUANTILES_LIMIT rows, and within 1/100,000 of the rank beyond.

    Raises:
        SettingsError: a feature is made by cleaning in a way Spark does not repeat, or a
            date_format has a directive Spark cannot read dates with.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from reportgen.cleaning import never_bought_reason, outlier_bounds, placeholder_columns

    frame = without_total_lines(frame)
    frame = derived_columns(frame, clean.derived, clean.feature_columns)
    for column in clean.feature_columns:
        if column not in frame.columns:
            raise SettingsError(
                f"Feature {column!r} is made by cleaning in a way the Spark engine does not "
                "repeat: add it to the table, leave it out of the features, or use the local "
                "engine."
            )
    # Rows that stand for no one (cleaning._drop_placeholder_customers), by the same columns.
    for column in placeholder_columns(frame.columns, clean.id_column):
        written = F.lower(F.trim(F.col(f"`{column}`").cast("string")))
        frame = frame.where(written.isNull() | ~written.isin(*PLACEHOLDER_CUSTOMERS))
    if clean.id_column is not None:
        identifier = F.col(f"`{clean.id_column}`")
        frame = frame.where(identifier.isNotNull())
        first = Window.partitionBy(identifier).orderBy(_KEY)
        frame = frame.withColumn("__n", F.row_number().over(first)).where("__n = 1").drop("__n")
    never_bought = None
    if clean.quality.never_bought_columns:
        columns = clean.quality.never_bought_columns
        # A blank means no purchase where the sample said so (cleaning.
        # blank_means_no_purchase) and no row of all of them holds a 0 or less.
        blank = list(clean.quality.never_bought_blank)
        if blank:
            lowest = frame.agg(
                *(
                    F.min(F.col(f"`{c}`").cast("double")).alias(f"__low{i}")
                    for i, c in enumerate(blank)
                )
            ).first()
            blank = [c for i, c in enumerate(blank) if (lowest[f"__low{i}"] or 1.0) > 0]
        never = F.lit(True)
        for column in columns:
            none = F.coalesce(F.col(f"`{column}`").cast("double") == 0, F.lit(column in blank))
            never = never & none
        frame = frame.withColumn("__never", never).persist()
        identifier = F.col(f"`{clean.id_column}`") if clean.id_column else F.col(_KEY)
        never_bought = to_pandas(
            frame.where("__never")
            .select(identifier.cast("string").alias("customer_id"))
            .orderBy("customer_id")
        ).assign(reason=never_bought_reason(columns, blank))
        frame = frame.where("NOT __never").drop("__never")
    measures = [c for c in clean.feature_columns if clean.is_measure(c)]
    if measures:
        exact = rows <= EXACT_QUANTILES_LIMIT
        quantiles = frame.agg(
            *(
                (
                    F.percentile(F.col(f"`{c}`").cast("double"), [0.01, 0.05, 0.5, 0.95, 0.99])
                    if exact
                    else F.percentile_approx(
                        F.col(f"`{c}`").cast("double"), [0.01, 0.05, 0.5, 0.95, 0.99], 100_000
                    )
                ).alias(f"q{i}")
                for i, c in enumerate(measures)
            )
        ).collect()[0]
        for index, column in enumerate(measures):
            p1, p5, median, p95, p99 = quantiles[f"q{index}"] or (None,) * 5
            if median is None or p1 is None or p5 is None or p95 is None or p99 is None:
                raise DataError(f"Column {column!r} has no values at all; leave it out.")
            value = F.coalesce(F.col(f"`{column}`").cast("double"), F.lit(float(median)))
            lower, upper = outlier_bounds(p1, p5, p95, p99)
            if lower < upper and np.isfinite(lower):
                value = F.least(F.greatest(value, F.lit(lower)), F.lit(upper))
            frame = frame.withColumn(column, value)
    for column in clean.feature_columns:
        if column in measures:
            continue
        mode = (
            frame.where(F.col(f"`{column}`").isNotNull())
            .groupBy(F.col(f"`{column}`").alias("v"))
            .count()
            .orderBy(F.desc("count"), "v")
            .first()
        )
        if mode is not None:
            frame = frame.fillna({column: mode["v"]})
    return frame, never_bought


# --- the whole engine -------------------------------------------------------------------------


@dataclass(frozen=True)
class SparkPrepared:
    """What the Spark engine hands the pipeline: the sample's stages and every customer's."""

    clean: CleanTable
    features: FeatureMatrix
    stats: Standardization
    customers: Any
    count: int
    source: SparkInput
    orders: Any = None
    order_summary: Any = None
    sample_customers: pd.DataFrame | None = None


def prepare(settings: Settings, source: SparkInput, previous_model: Any = None) -> SparkPrepared:
    """Read (or take) the input in Spark, aggregate or clean it, and draw the driver's sample.

    Raises:
        ReportgenError: a problem with the input or the settings.
    """
    from reportgen.cleaning import clean_table
    from reportgen.rfm import customer_table
    from reportgen.transactions import order_options

    spark = source.frame.sparkSession
    options = order_options(settings)
    plan = plan_spark_orders(source, options)
    if plan is not None:
        refuse_customer_table_settings(settings, source.name)
        orders = aggregate_spark_orders(spark, source, plan, options)
        customers = orders.customers.persist()
        count = customers.count()
        sample = seeded_sample(customers, SAMPLE_SIZE, settings.seed)
        frame = sample.drop(columns=[_KEY])
        frame.index = pd.Index(sample[_KEY].astype(str), name=plan.roles.customer)
        clean = customer_table(frame, orders.summary, settings.period)
        stats = standardization(customers, clean.feature_columns, (), log_all=True)
        features = sample_features(clean, stats)
        return SparkPrepared(
            clean, features, stats, customers, count, source, orders, orders.summary, frame
        )
    rows, rows_read, duplicates = customer_rows(source.frame.drop(*settings.ignore))
    sample = seeded_sample(rows, SAMPLE_SIZE, settings.seed).drop(columns=[_KEY])
    table = Table(sample, Path(source.name), source.sha256, source.description)
    kinds = previous_model.feature_kinds() if previous_model is not None else None
    sample_settings = dataclasses.replace(settings, ignore=())
    clean = clean_table(table, sample_settings, kinds)
    latest = latest_dates(without_total_lines(rows), clean.derived)
    if any(m.latest != latest.get(m.source, m.latest) for m in clean.derived):
        # Days and ages as of every customer's latest date, not the sample's: cleaned again.
        clean = clean_table(table, sample_settings, kinds, latest)
    cleaned, never_bought = cleaned_customers(rows, clean, rows_read - duplicates)
    customers = cleaned.persist()
    count = customers.count()
    quality = dataclasses.replace(
        clean.quality,
        rows_read=rows_read,
        duplicate_rows=duplicates,
        rows_kept=count,
        ignored=tuple(settings.ignore),
    )
    if never_bought is not None:
        quality = dataclasses.replace(quality, never_bought=len(never_bought))
        clean = dataclasses.replace(clean, not_segmented=never_bought)
    if len(sample) < count:
        quality = dataclasses.replace(quality, columns=_missing_counts(rows, quality.columns))
    clean = dataclasses.replace(clean, quality=quality)
    measures = [c for c in clean.feature_columns if clean.is_measure(c)]
    categorical = [c for c in clean.feature_columns if not clean.is_measure(c)]
    stats = standardization(
        customers,
        measures,
        categorical,
        log_all=False,
        encodings=previous_model.categorical if previous_model is not None else None,
    )
    return SparkPrepared(clean, sample_features(clean, stats), stats, customers, count, source)


def _missing_counts(frame: Any, columns: Sequence[ColumnReport]) -> tuple[ColumnReport, ...]:
    """The columns' missing values counted over every customer, in one Spark pass.

    ``frame`` is the rows before the features were filled; a column's note that counts
    the sample's filled gaps ("12 missing filled with the median") counts them all.
    """
    from pyspark.sql import functions as F

    present = [c.name for c in columns if c.name in frame.columns]
    row = frame.agg(
        *(F.sum(F.col(f"`{c}`").isNull().cast("int")).alias(f"m{i}") for i, c in enumerate(present))
    ).collect()[0]
    counts = {name: int(row[f"m{index}"] or 0) for index, name in enumerate(present)}
    reports = []
    for column in columns:
        if column.name not in counts or not column.missing:
            reports.append(column)
            continue
        missing = counts[column.name]
        note = column.note and re.sub(
            r"[0-9][0-9,]* missing filled", f"{missing:,} missing filled", column.note
        )
        reports.append(dataclasses.replace(column, missing=missing, note=note))
    return tuple(reports)


@dataclass(frozen=True)
class SparkSegments:
    """Every customer's segment in Spark, and the figures the report needs from them.

    ``assigned`` has the customers' columns and ``_SEGMENT``, the position of their
    centre in ``centres``; ``order`` lists the positions in report order.
    """

    assigned: Any
    figures: SegmentFigures
    centres: np.ndarray
    order: np.ndarray


def segment_everyone(
    prepared: SparkPrepared, k: int, seed: int, examined: np.ndarray | None = None
) -> SparkSegments:
    """The final K-Means on every customer and each segment's figures.

    As the local engine does above 50,000 customers: the restarts run on the driver's
    sample (clustering.fit_segments, with the centres the evidence for k ``examined``),
    then K-Means on every customer (in Spark) starts from the sample's best centres.
    """
    from reportgen.clustering import fit_segments, segment_order

    start = fit_segments(prepared.features, k, seed=seed, examined=examined).centroids_scaled
    scaled, names = with_scaled(prepared.customers, prepared.stats)
    scaled = scaled.persist()
    centres = refine_centres(scaled, names, start)
    assigned = assign(scaled, names, centres).persist()
    figures = segment_figures(assigned, names, prepared.stats, k)
    order = segment_order(figures.sizes, figures.scaled_means)
    return SparkSegments(assigned, figures, figures.scaled_means, order)


def score_everyone(prepared: SparkPrepared, model: SavedModel) -> SparkSegments:
    """Assign every customer to an earlier model's nearest centre, in Spark."""
    stats = Standardization(
        columns=tuple(model.features),
        transforms=tuple(model.transforms),
        means=np.array(model.means, dtype=float),
        scales=np.array(model.scales, dtype=float),
        categorical=tuple(model.categorical),
    )
    scaled, names = with_scaled(prepared.customers, stats)
    centres = model.scaled_centroids()
    assigned = assign(scaled, names, centres).drop(*names)
    # The segments' standardized means in this month's units, as tracking.score_customers.
    assigned, names = with_scaled(assigned, prepared.stats)
    assigned = assigned.persist()
    figures = segment_figures(assigned, names, prepared.stats, len(centres), allow_empty=True)
    return SparkSegments(assigned, figures, centres, np.arange(len(centres)))


def population(
    prepared: SparkPrepared, segments: SparkSegments, positions: np.ndarray
) -> Population:
    """Every customer's exact figures for the report, in the segmentation's order.

    ``positions[i]`` is the K-Means centre of the report's segment ``i``.
    """
    figures = segments.figures
    # Every customer's means, from the segments' sizes and means: no pass over the data.
    overall = (figures.sizes[:, None] * np.nan_to_num(figures.means)).sum(axis=0) / max(
        int(figures.sizes.sum()), 1
    )
    quality: DataQuality = prepared.clean.quality
    sampled = len(prepared.clean.frame)
    if sampled < prepared.count:
        quality = dataclasses.replace(
            quality,
            notes=(
                *quality.notes,
                f"Spark engine: all {prepared.count:,} customers were segmented in Spark; the "
                f"evidence for k, the charts, the column notes and the segment descriptions "
                f"come from a seeded sample of {sampled:,} of them.",
            ),
        )
    return Population(
        customers=prepared.count,
        sizes=tuple(int(segments.figures.sizes[p]) for p in positions),
        means=segments.figures.means[positions],
        feature_means=overall,
        medians=segments.figures.medians[positions],
        quality=quality,
        sample_size=sampled,
    )


def reordering(before: Segmentation, after: Segmentation) -> np.ndarray:
    """Where each of ``after``'s segments was in ``before`` (tracking renumbers segments)."""
    return np.array(
        [
            int(np.flatnonzero((before.centroids_scaled == centre).all(axis=1))[0])
            for centre in after.centroids_scaled
        ]
    )


# --- the customer -> segment table -------------------------------------------------------------


@dataclass(frozen=True)
class Assignments:
    """Every customer's segment, in Spark: written as Parquet, and as segments.csv when small.

    ``frame`` has the order key, ``customer_id``, the report position of the customer's
    segment and, for order lines, the RFM columns of segments.csv.
    """

    frame: Any
    count: int
    extra: tuple[str, ...]

    def files(self, numbers: Sequence[int], names: Sequence[str]) -> dict[str, Any]:
        """The output files: segments.parquet (a folder) and, up to SEGMENTS_CSV_LIMIT
        customers, segments.csv with the local engine's columns and order."""
        from reportgen.outputs import Directory, write_assignments_csv

        table = self._named(numbers, names)

        def parquet(path: Path) -> None:
            table.drop(_KEY, "__position").write.partitionBy("segment").parquet(path.as_uri())

        files: dict[str, Any] = {"segments.parquet": Directory(parquet)}
        if self.count <= SEGMENTS_CSV_LIMIT:

            def csv(file: Any) -> None:
                rows = to_pandas(table.orderBy(_KEY))
                for name, kind in table.dtypes:  # Spark's nullable integers, not floats
                    if name in self.extra and kind in ("int", "bigint"):
                        rows[name] = rows[name].astype("Int64")
                write_assignments_csv(
                    file,
                    rows["customer_id"],
                    rows["__position"].to_numpy(),
                    tuple(numbers),
                    list(names),
                    extra=rows[list(self.extra)] if self.extra else None,
                )

            files["segments.csv"] = csv
        return files

    def every_customer(self) -> tuple[pd.Series, np.ndarray]:
        """Every customer's ID and segment position, collected (for "What changed")."""
        rows = to_pandas(self.frame.select(_KEY, "customer_id", "__position").orderBy(_KEY))
        return rows["customer_id"].reset_index(drop=True), rows["__position"].to_numpy()

    def _named(self, numbers: Sequence[int], names: Sequence[str]) -> Any:
        from pyspark.sql import functions as F

        number = F.lit(None).cast("int")
        name = F.lit(None).cast("string")
        for position, (value, text) in enumerate(zip(numbers, names, strict=True)):
            here = F.col("__position") == position
            number = F.when(here, F.lit(int(value))).otherwise(number)
            name = F.when(here, F.lit(text)).otherwise(name)
        return self.frame.select(
            _KEY,
            "customer_id",
            "__position",
            number.alias("segment"),
            name.alias("segment_name"),
            *self.extra,
        )


def assignments(
    prepared: SparkPrepared, every: SparkSegments, positions: np.ndarray, settings: Settings
) -> Assignments:
    """The customer -> segment table of every customer, in Spark (nothing is collected)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from reportgen.rfm import grid_path, load_grid

    assigned = every.assigned
    position = F.lit(None).cast("int")
    for report_position, kmeans_position in enumerate(positions):
        position = F.when(
            F.col(_SEGMENT) == int(kmeans_position), F.lit(report_position)
        ).otherwise(position)
    assigned = assigned.withColumn("__position", position).where(F.col("__position").isNotNull())
    clean = prepared.clean
    extra: tuple[str, ...] = ()
    if prepared.orders is not None:
        identifier = F.col(_KEY)
        grid = load_grid(grid_path(settings.rules_path)).for_history(prepared.orders.summary)
        assigned = with_rfm_scores(assigned, grid)
        measures = ("recency_days", "frequency", "monetary")
        extra = (*(c for c in measures if c in assigned.columns), "rfm_score", "rfm_group")
        if "tenure_days" in assigned.columns:
            assigned = assigned.withColumn("days_between_purchases", F.expr(DAYS_BETWEEN_PURCHASES))
            extra = (*extra, "days_between_purchases")
    elif clean.id_column is not None:
        identifier = F.col(f"`{clean.id_column}`")
    else:
        # Row numbers, as the local engine numbers a table without an ID (one partition).
        identifier = F.row_number().over(Window.orderBy(_KEY))
    frame = assigned.select(_KEY, identifier.alias("customer_id"), "__position", *extra)
    return Assignments(frame, prepared.count, extra)


# rfm.days_between_purchases in Spark SQL: whole days, half up, by integer division.
DAYS_BETWEEN_PURCHASES = (
    f"CASE WHEN frequency >= {RHYTHM_PURCHASES} AND tenure_days > recency_days "
    "THEN (2 * (tenure_days - recency_days) + frequency - 1) DIV (2 * (frequency - 1)) END"
)


def with_rfm_scores(frame: Any, grid: Any) -> Any:
    """rfm.rfm_scores and rfm.customer_groups in Spark, from every customer's ranks.

    A score is 1 plus five times the share of customers strictly worse, rounded down:
    the value from which each score starts is found from the counts of each distinct
    value, so equal values get the same score, exactly as the local engine scores them.
    """
    from pyspark.sql import functions as F

    from reportgen.rfm import SCORES

    total = frame.count()
    scores = {}
    for key, column, higher in (
        ("r", "recency_days", False),
        ("f", "frequency", True),
        ("m", "monetary", True),
    ):
        if column not in frame.columns:
            continue
        ranked = F.col(column) if higher else -F.col(column)
        counts = to_pandas(frame.groupBy(ranked.alias("v")).count().orderBy("v"))
        below = counts["count"].cumsum().to_numpy() - counts["count"].to_numpy()
        score = F.lit(1)
        for step in range(1, 5):
            reached = counts["v"].to_numpy()[below * 5 >= step * total]
            if len(reached):
                score = score + F.when(ranked >= float(reached[0]), 1).otherwise(0)
        scores[key] = score
    frame = frame.select("*", *(score.alias(f"__{key}") for key, score in scores.items()))
    text = F.concat(*(F.col(f"__{key}").cast("string") for key in scores))
    group = F.lit(None).cast("string")
    for r in SCORES:
        for f in SCORES:
            group = F.when(
                (F.col("__r") == r) & (F.col("__f") == f), F.lit(grid.group(r, f).name)
            ).otherwise(group)
    return frame.withColumn("rfm_score", text).withColumn("rfm_group", group)
