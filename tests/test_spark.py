"""The Spark engine (issue 16): Spark in local[2] agrees with the local engine.

One SparkSession for the whole module (starting the JVM takes seconds); small data.
Skipped, saying why, only where pyspark or Java is missing; CI installs both
(pyspark is in the test extra, scripts/system-deps.sh installs Java 17).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.metrics import adjusted_rand_score

import reportgen
from reportgen.cli import main
from reportgen.config import SAMPLE_CONFIG, SAMPLE_DATA
from reportgen.sample_orders import write_order_lines

from .tables import shop_customers

_MISSING = (
    "pyspark is not installed"
    if importlib.util.find_spec("pyspark") is None
    else "no Java runtime (java) for Spark"
    if shutil.which("java") is None
    else None
)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.spark,
    pytest.mark.skipif(
        _MISSING is not None,
        reason=f"{_MISSING}: pip install -e '.[test]' and scripts/system-deps.sh --spark",
    ),
]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """One local[2] session; the engine finds it as the active session."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("reportgen-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _agree(local: reportgen.Result, spark_result: reportgen.Result) -> None:
    """The issue's agreement: same k, ARI >= 0.95, same names, sizes within 1%."""
    assert spark_result.k == local.k
    mine = local.segments.set_index("customer")
    theirs = spark_result.segments.set_index("customer")
    assert len(theirs) == len(mine)
    theirs = theirs.loc[mine.index]
    assert adjusted_rand_score(mine["segment"], theirs["segment"]) >= 0.95
    local_profiles, spark_profiles = local.profiles, spark_result.profiles
    assert list(spark_profiles["name"]) == list(local_profiles["name"])
    for size, expected in zip(spark_profiles["size"], local_profiles["size"], strict=True):
        assert abs(size - expected) <= 0.01 * expected


def test_the_bundled_sample_agrees_with_the_local_engine(spark: Any, tmp_path: Path) -> None:
    local = reportgen.segment(SAMPLE_DATA, config=SAMPLE_CONFIG, period="2026-11", pdf=False)
    on_spark = reportgen.segment(
        SAMPLE_DATA, config=SAMPLE_CONFIG, period="2026-11", engine="spark", pdf=False
    )
    _agree(local, on_spark)
    written = on_spark.save(tmp_path / "spark")
    names = {path.name for path in written}
    assert {"segments.parquet", "segments.csv", "summary.json", "model.json"} <= names
    parquet = pd.read_parquet(tmp_path / "spark" / "segments.parquet")
    assert len(parquet) == 200
    assert sorted(parquet["segment"].astype(int).unique()) == list(range(1, local.k + 1))
    local.save(tmp_path / "local")
    summary = json.loads((tmp_path / "spark" / "summary.json").read_text())
    expected = json.loads((tmp_path / "local" / "summary.json").read_text())
    assert summary.keys() == expected.keys()
    assert summary["settings"]["engine"] == "spark"
    model = json.loads((tmp_path / "spark" / "model.json").read_text())
    local_model = json.loads((tmp_path / "local" / "model.json").read_text())
    assert model.keys() == local_model.keys()
    for feature, expected_feature in zip(model["features"], local_model["features"], strict=True):
        assert feature.keys() == expected_feature.keys()
        for key, value in feature.items():
            if isinstance(value, float):
                assert np.isclose(value, expected_feature[key], rtol=1e-9), key
            else:
                assert value == expected_feature[key], key
    # Scoring across engines: each engine scores with the other's model.
    for made_by, scored_on in (("spark", "local"), ("local", "spark")):
        scored = reportgen.segment(
            SAMPLE_DATA,
            config=SAMPLE_CONFIG,
            period="2026-12",
            previous=tmp_path / made_by,
            score=True,
            engine=scored_on,
            pdf=False,
        )
        assert scored.k == local.k
        assert adjusted_rand_score(scored.segments["segment"], local.segments["segment"]) >= 0.95


def test_generated_order_lines_agree_with_the_local_engine(spark: Any, tmp_path: Path) -> None:
    path = tmp_path / "orders.parquet"
    write_order_lines(path, 40_000)
    local = reportgen.segment(path, period="2026-11", pdf=False)
    on_spark = reportgen.segment(path, period="2026-11", engine="spark", pdf=False)
    _agree(local, on_spark)
    local_rfm, spark_rfm = local.report.rfm, on_spark.report.rfm
    assert local_rfm is not None and spark_rfm is not None
    _same_counts(spark_rfm.orders, local_rfm.orders)
    local.save(tmp_path / "local")
    on_spark.save(tmp_path / "spark")
    mine = pd.read_csv(tmp_path / "local" / "segments.csv", dtype={"customer_id": str})
    theirs = pd.read_csv(tmp_path / "spark" / "segments.csv", dtype={"customer_id": str})
    assert list(theirs.columns) == list(mine.columns)
    assert list(theirs["customer_id"]) == list(mine["customer_id"])
    for column in ("recency_days", "frequency", "monetary", "rfm_score", "rfm_group"):
        assert (theirs[column] == mine[column]).all(), column
    days = "days_between_purchases"  # empty for one-day customers in both
    assert theirs[days].isna().equals(mine[days].isna())
    assert (theirs[days].dropna() == mine[days].dropna()).all()
    left_out = (tmp_path / "local" / "not_segmented.csv").read_bytes()
    assert left_out.count(b"\n") > 1  # the generated lines have customers with returns only
    assert (tmp_path / "spark" / "not_segmented.csv").read_bytes() == left_out


def test_money_formats_statuses_and_two_digit_years_agree(spark: Any, tmp_path: Path) -> None:
    """The order-line rules whose SQL differs between engines: currency formatting,
    cancelled statuses, two-digit years."""
    rng = np.random.default_rng(3)
    lines = 600
    frame = pd.DataFrame(
        {
            "ORDERNUMBER": [f"{10100 + n}" for n in range(lines)],
            "ORDERDATE": [
                f"{rng.integers(1, 13)}/{rng.integers(1, 29)}/{rng.choice(['98', '03', '04'])} 0:00"
                for _ in range(lines)
            ],
            "STATUS": rng.choice(["Shipped", "Shipped", "Shipped", "Cancelled", "On Hold"], lines),
            # Placeholders are no one; e-mails are one person in any case.
            "CUSTOMERNAME": [
                "Guest"
                if n % 17 == 0
                else f"Buyer{n}@Example.com"
                if k % 2
                else f"buyer{n}@example.com"
                for k, n in enumerate(rng.integers(0, 80, lines))
            ],
            # Accountants' parentheses are refunds.
            "SALES": [
                f"(${value:,.2f})" if k % 23 == 0 else f"${value:,.2f}"
                for k, value in enumerate(rng.lognormal(6, 1, lines))
            ],
        }
    )
    path = tmp_path / "sales.parquet"  # text columns, as a CSV would give them
    frame.to_parquet(path, index=False)
    local = reportgen.segment(path, period="2026-11", pdf=False)
    on_spark = reportgen.segment(path, period="2026-11", engine="spark", pdf=False)
    local_rfm, spark_rfm = local.report.rfm, on_spark.report.rfm
    assert local_rfm is not None and spark_rfm is not None
    assert local_rfm.orders.void_lines == int(frame["STATUS"].isin(["Cancelled", "On Hold"]).sum())
    assert local_rfm.orders.no_customer_lines == int((frame["CUSTOMERNAME"] == "Guest").sum())
    assert local_rfm.orders.return_lines > 0
    assert local_rfm.orders.first_date is not None and local_rfm.orders.first_date.year == 1998
    _same_counts(spark_rfm.orders, local_rfm.orders)


@pytest.mark.parametrize("compact", [False, True], ids=["yymmdd", "compact"])
def test_six_digit_yymmdd_and_compact_dates_agree(
    spark: Any, tmp_path: Path, compact: bool
) -> None:
    """YYMMDD dates (930101) in a date-named column: the century is written out in the
    shared SQL, as Spark's "yy" would read 98 as 2098 (review 8, class 5); compact
    YYYYMMDD (19930101), which Spark's pattern yyyyMd read as no date at all."""
    rng = np.random.default_rng(5)
    lines = 400
    frame = pd.DataFrame(
        {
            "account_id": [f"{2000 + n}" for n in rng.integers(0, 60, lines)],
            "date": [
                f"{year if compact else year[2:]}{rng.integers(1, 13):02d}{rng.integers(1, 29):02d}"
                for year in rng.choice(["1998", "2003", "2012"], lines)
            ],
            "amount": [f"{value:.2f}" for value in rng.lognormal(5, 1, lines)],
        }
    )
    path = tmp_path / "postings.parquet"  # text columns, as a CSV would give them
    frame.to_parquet(path, index=False)
    local = reportgen.segment(path, period="2026-11", pdf=False)
    on_spark = reportgen.segment(path, period="2026-11", engine="spark", pdf=False)
    local_rfm, spark_rfm = local.report.rfm, on_spark.report.rfm
    assert local_rfm is not None and spark_rfm is not None
    assert local_rfm.orders.first_date is not None and local_rfm.orders.first_date.year == 1998
    assert local_rfm.orders.last_date is not None and local_rfm.orders.last_date.year == 2012
    _same_counts(spark_rfm.orders, local_rfm.orders)


def test_repeated_lines_are_counted_alike_where_nulls_differ(spark: Any, tmp_path: Path) -> None:
    """With an order column each line counts and the repeats are counted by a hash of the
    line; Spark's hash skips NULLs, so two lines that differ only in which column is
    empty must not be taken for one."""
    rows = [
        ["A1", "2024-03-01", "c1", "SKU1", None, "5"],  # quantity missing
        ["A1", "2024-03-01", "c1", "SKU1", "5", None],  # price missing: another line
        ["A2", "2024-03-02", "c1", "SKU2", "1", "9.5"],
        ["A2", "2024-03-02", "c1", "SKU2", "1", "9.5"],  # a repeat
        ["A2", "2024-03-02", "c1", "SKU2", "1", "9.5"],  # and another
        ["A3", "2024-03-05", "c2", "SKU1", "2", "4"],
        ["A4", "2024-03-06", "c3", "SKU3", "3", "2"],
    ] + [  # customers with two orders each, so that the file reads as order lines
        [f"B{n}", f"2024-0{1 + n % 2}-{1 + n % 28:02d}", f"d{n // 2}", "SKU4", "1", str(10 + n)]
        for n in range(80)
    ]
    frame = pd.DataFrame(
        rows, columns=["Invoice", "InvoiceDate", "Customer", "StockCode", "Quantity", "Price"]
    )
    path = tmp_path / "lines.parquet"
    frame.to_parquet(path, index=False)
    local = reportgen.segment(path, period="2026-11", pdf=False, k=2)
    on_spark = reportgen.segment(path, period="2026-11", engine="spark", pdf=False, k=2)
    local_rfm, spark_rfm = local.report.rfm, on_spark.report.rfm
    assert local_rfm is not None and spark_rfm is not None
    assert local_rfm.orders.repeated_in_order_lines == 2
    assert spark_rfm.orders.repeated_in_order_lines == 2


def _same_counts(spark_summary: Any, local_summary: Any) -> None:
    """Every count of what happened to the lines, and every sum of money, exactly (money is
    summed as decimals by both engines)."""
    for field in dataclasses.fields(local_summary):
        mine, theirs = getattr(local_summary, field.name), getattr(spark_summary, field.name)
        if field.name == "source_description":
            assert theirs == f"{mine}, read by Spark"
        else:
            assert theirs == mine, field.name


def test_customers_who_never_bought_are_set_apart_by_both_engines(
    spark: Any, tmp_path: Path
) -> None:
    path = tmp_path / "customers.csv"
    table = shop_customers(never=60, buyers=600)
    total = pd.DataFrame([{"Customer ID": "Total", "Total Spent": table["Total Spent"].sum()}])
    # A till's pseudo-customer for everyone without a card: no one in particular.
    walk_in = table.iloc[[0]].assign(**{"Customer ID": "WALK-IN", "Total Spent": 99_999.0})
    # A title above the header and a total line below the table, as spreadsheets export.
    path.write_text(
        "Customer export,,,\n" + pd.concat([table, walk_in, total]).to_csv(index=False),
        encoding="utf-8",
    )
    local = reportgen.segment(path, period="2026-11", pdf=False)
    on_spark = reportgen.segment(path, period="2026-11", engine="spark", pdf=False)
    _agree(local, on_spark)
    assert len(local.segments) == 600 and "Total" not in set(local.segments["customer"])
    assert "WALK-IN" not in set(on_spark.segments["customer"])
    for result in (local, on_spark):
        assert result.report.quality.never_bought == 60
        assert list(result.not_segmented["customer_id"]) == [f"C{n:04d}" for n in range(600, 660)]


def test_a_blank_purchase_history_means_never_bought_on_both_engines(
    spark: Any, tmp_path: Path
) -> None:
    """A CRM leaves non-buyers' revenue blank (HubSpot): both engines set them apart."""
    table = shop_customers(never=60, buyers=600).drop(columns="Total Orders")
    table["Total Spent"] = table["Total Spent"].where(table["Total Spent"] > 0)
    path = tmp_path / "contacts.csv"
    table.to_csv(path, index=False)
    local = reportgen.segment(path, period="2026-11", pdf=False)
    on_spark = reportgen.segment(path, period="2026-11", engine="spark", pdf=False)
    _agree(local, on_spark)
    for result in (local, on_spark):
        assert result.report.quality.never_bought == 60
        assert set(result.not_segmented["reason"]) == {"never bought: Total Spent is blank"}


def test_a_spark_dataframe_is_segmented_in_its_session(spark: Any) -> None:
    frame = spark.read.option("header", True).option("inferSchema", True).csv(str(SAMPLE_DATA))
    result = reportgen.segment(
        frame, features=["Annual Income (k$)", "Spending Score (1-100)"], period="2026-11"
    )
    assert result.report.source_name == "Spark DataFrame"
    assert result.report.customers == 200
    assert np.isclose(result.profiles["share"].sum(), 1.0)


def test_the_command_reads_a_parquet_folder(spark: Any, tmp_path: Path) -> None:
    folder = tmp_path / "customers"
    folder.mkdir()
    table = pd.read_csv(SAMPLE_DATA)
    table.iloc[:100].to_parquet(folder / "part-0.parquet")
    table.iloc[100:].to_parquet(folder / "part-1.parquet")
    out = tmp_path / "out"
    command = ["run", str(folder), "--engine", "spark", "--no-pdf", "-o", str(out)]
    command += ["--config", str(SAMPLE_CONFIG), "--period", "2026-11"]
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["input"]["file"] == "customers"
    assert sum(segment["size"] for segment in summary["segments"]) == 200
    missing = CliRunner().invoke(main, [*command[:1], str(tmp_path / "nowhere"), *command[2:]])
    assert missing.exit_code == 1
    assert "Traceback" not in missing.output and "Spark cannot read" in missing.output


def _dated_customers(n: int, seed: int = 11) -> pd.DataFrame:
    """A customer table (iFood-like) with dates and birth years: three groups by income
    and spending, the dates and ages less tied to them (no near-copies)."""
    rng = np.random.default_rng(seed)
    group = np.arange(n) % 3
    signup = pd.Timestamp("2012-08-01") + pd.to_timedelta(
        np.array([0, 200, 400])[group] + rng.integers(0, 300, n), unit="D"
    )
    last = pd.Timestamp("2014-01-01") + pd.to_timedelta(
        np.array([10, 40, 70])[group] * 1440 + rng.integers(0, 60 * 1440, n), unit="min"
    )
    years = rng.integers(1945, 2000, n).astype(float)
    years[:3] = [1893, 1899, np.nan]  # implausible (before 1900) and missing
    born = pd.Timestamp("1955-01-01") + pd.to_timedelta(rng.integers(0, 40 * 365, n), unit="D")
    signup_text = list(signup.strftime("%d-%m-%Y"))
    signup_text[5] = "00-00-0000"  # no date: missing, then filled like any gap
    return pd.DataFrame(
        {
            "ID": [f"K{i:05d}" for i in range(n)],
            "Dt_Customer": signup_text,  # day-first
            "Last Order Date": list(last.strftime("%Y-%m-%d %H:%M:%S")),  # ISO with a time
            "Year_Birth": years,
            "Date of Birth": list(born.strftime("%Y-%m-%d")),
            "Income": (np.array([30_000, 60_000, 90_000])[group] * rng.normal(1, 0.08, n)).round(),
            "MntWines": (np.array([100, 400, 700])[group] * rng.normal(1, 0.35, n)).round(),
        }
    )


def test_dates_and_birth_years_of_a_customer_table_give_the_same_segments(
    spark: Any, tmp_path: Path
) -> None:
    """Days to the latest date and ages are derived by both engines, with the same numbers
    (the Spark engine refused such a table before)."""
    path = tmp_path / "customers.csv"
    _dated_customers(300).to_csv(path, index=False)
    local = reportgen.segment(path, period="2026-11", pdf=False)
    on_spark = reportgen.segment(path, period="2026-11", engine="spark", pdf=False)
    local.save(tmp_path / "local")
    on_spark.save(tmp_path / "spark")
    mine = (tmp_path / "local" / "segments.csv").read_text()
    assert (tmp_path / "spark" / "segments.csv").read_text() == mine
    summary = json.loads((tmp_path / "spark" / "summary.json").read_text())
    expected = json.loads((tmp_path / "local" / "summary.json").read_text())
    derived = [
        "Dt_Customer (days)",
        "Last Order Date (days)",
        "Age (from Year_Birth)",
        "Age (from Date of Birth)",
    ]
    assert set(derived) <= set(expected["features"])
    assert summary["features"] == expected["features"]
    assert summary["input"] == expected["input"]
    for theirs, ours in zip(summary["segments"], expected["segments"], strict=True):
        assert theirs["size"] == ours["size"]
        for feature in expected["features"]:
            assert np.isclose(theirs["feature_means"][feature], ours["feature_means"][feature])
    for feature in expected["features"]:
        assert np.isclose(
            summary["population_means"][feature], expected["population_means"][feature]
        )


def test_days_are_counted_to_the_latest_date_of_every_customer_not_the_samples(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a sample smaller than the table, every customer's days and ages are the local
    engine's on the whole table: Parquet timestamps with a time of day, and dates in two
    formats (ISO beside day-first) included."""
    from reportgen import spark_engine
    from reportgen.cleaning import clean_table
    from reportgen.loading import load_table
    from reportgen.settings import resolve_settings

    table = _dated_customers(240).drop(columns=["Last Order Date", "Date of Birth"])
    rng = np.random.default_rng(4)
    visits = pd.Timestamp("2014-03-01") + pd.to_timedelta(
        rng.integers(0, 90 * 1440, len(table)), unit="min"
    )
    # A timestamp (in microseconds, as Spark reads Parquet's), one missing.
    table["Last Visit"] = visits.where(np.arange(len(table)) != 7).astype("datetime64[us]")
    first = pd.Timestamp("2011-01-01") + pd.to_timedelta(rng.integers(0, 900, len(table)), "D")
    table["First Purchase"] = [
        day.strftime("%Y-%m-%d") if n % 3 else day.strftime("%d.%m.%Y")
        for n, day in enumerate(first)
    ]
    path = tmp_path / "customers.parquet"
    table.to_parquet(path, index=False)
    monkeypatch.setattr(spark_engine, "SAMPLE_SIZE", 60)
    settings = resolve_settings(path, None, {"engine": "spark", "period": "2026-11"})
    prepared = spark_engine.prepare(
        settings, spark_engine.spark_input(spark.read.parquet(str(path)))
    )
    local = clean_table(load_table(path), resolve_settings(path, None, {"period": "2026-11"}))
    sampled = set(prepared.clean.customer_ids)
    assert len(sampled) == 60
    # The latest visit is not in the sample: the test tells the two latest dates apart.
    assert table.loc[table["ID"].isin(sampled), "Last Visit"].max() < visits.max()
    assert prepared.clean.feature_columns == local.feature_columns
    derived = [m.column for m in local.derived]
    assert set(derived) == {
        "Dt_Customer (days)",
        "Last Visit (days)",
        "First Purchase (days)",
        "Age (from Year_Birth)",
    }
    assert set(derived) <= set(local.feature_columns)
    everyone = spark_engine.to_pandas(prepared.customers.select("ID", *derived)).set_index("ID")
    expected = local.frame.set_index(local.customer_ids)[derived]
    assert everyone.index.sort_values().equals(expected.index.sort_values())
    assert np.allclose(everyone.loc[expected.index], expected)
    # The sample's values, which choose k and describe the segments, are the same numbers
    # (but its gaps, filled with the sample's medians: rows 0-7 have one).
    sample = prepared.clean.frame.set_index(prepared.clean.customer_ids)[derived]
    sample = sample[sample.index > "K00007"]
    assert np.allclose(sample, expected.loc[sample.index])


def test_status_document_structure_and_account_holder_agree(spark: Any, tmp_path: Path) -> None:
    """Review 7's rules in the shared SQL: a German status, a document type's credit notes,
    a line type's payment rows and a payment account's holder, on both engines."""
    rng = np.random.default_rng(7)
    rows = []
    for n in range(400):
        buyer = f"kunde{rng.integers(0, 40)}@example.de"
        day = f"{rng.integers(1, 29):02d}.{rng.integers(1, 13):02d}.2025"
        status = rng.choice(["Abgeschlossen", "Abgeschlossen", "Abgelehnt", "Ausstehend"])
        document = "Gutschrift" if n % 11 == 0 else "Rechnung"
        amount = f"{rng.lognormal(4, 1):.2f}".replace(".", ",")
        rows.append((day, "Zahlung", status, document, buyer, "shop@example.de", amount))
        if n % 7 == 0:
            rows.append(
                (
                    day,
                    "Rückzahlung",
                    "Abgeschlossen",
                    "Rechnung",
                    "shop@example.de",
                    buyer,
                    "-10,00",
                )
            )
        if n % 13 == 0:
            rows.append(
                (
                    day,
                    "Abbuchung Bankkonto",
                    "Abgeschlossen",
                    "Rechnung",
                    "shop@example.de",
                    "",
                    "-500,00",
                )
            )
    frame = pd.DataFrame(
        rows,
        columns=[
            "Datum",
            "Typ",
            "Status",
            "Belegart",
            "Absender E-Mail",
            "Empfänger E-Mail",
            "Brutto",
        ],
    )
    path = tmp_path / "aktivitaet.parquet"
    frame.to_parquet(path, index=False)
    local = reportgen.segment(path, period="2026-11", pdf=False)
    on_spark = reportgen.segment(path, period="2026-11", engine="spark", pdf=False)
    local_rfm, spark_rfm = local.report.rfm, on_spark.report.rfm
    assert local_rfm is not None and spark_rfm is not None
    orders = local_rfm.orders
    assert orders.void_lines > 0 and orders.return_lines > 0 and orders.level_lines == 31
    assert orders.account_holder is not None and orders.credit_notes
    _same_counts(spark_rfm.orders, orders)


def test_a_discount_column_is_applied_alike(spark: Any, tmp_path: Path) -> None:
    """A discount on quantity x price (rate, percent with a sign, amount) is taken off in
    the shared SQL: both engines count the same money and the same discount."""
    rng = np.random.default_rng(5)
    lines = 300
    frame = pd.DataFrame(
        {
            "OrderID": [f"{100000 + n}" for n in range(lines)],
            "OrderDate": [
                f"2025-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}" for _ in range(lines)
            ],
            "CustomerID": [f"C{n}" for n in rng.integers(0, 60, lines)],
            "Quantity": [str(q) for q in rng.integers(-1, 5, lines)],
            "UnitPrice": [f"{p:.2f}" for p in rng.uniform(5, 500, lines)],
            "Discount %": [
                "" if n % 11 == 0 else f"{d}%" for n, d in enumerate(rng.integers(0, 40, lines))
            ],
        }
    )
    path = tmp_path / "discounted.parquet"
    frame.to_parquet(path, index=False)
    local = reportgen.segment(path, period="2026-11", pdf=False)
    on_spark = reportgen.segment(path, period="2026-11", engine="spark", pdf=False)
    local_rfm, spark_rfm = local.report.rfm, on_spark.report.rfm
    assert local_rfm is not None and spark_rfm is not None
    assert local_rfm.orders.role("discount") == "Discount %"
    assert local_rfm.orders.discount_kind == "percent"
    assert local_rfm.orders.discount_value > 0
    _same_counts(spark_rfm.orders, local_rfm.orders)
