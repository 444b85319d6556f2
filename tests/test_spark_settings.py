"""The Spark engine's settings, its dialect and its errors: no Spark is started here."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import reportgen
from reportgen import spark_engine
from reportgen.cli import main
from reportgen.config import SAMPLE_DATA
from reportgen.contract import DateReading
from reportgen.errors import SettingsError
from reportgen.settings import read_config, resolve_settings
from reportgen.transactions import (
    DUCKDB,
    SPARK,
    Roles,
    _java_format,
    aggregation_sql,
    date_expression,
)


def test_the_spark_table_gives_the_master_and_the_conf(tmp_path: Path) -> None:
    config = tmp_path / "run.toml"
    config.write_text(
        'input = "s3a://lake/orders/"\nengine = "spark"\n[spark]\nmaster = "spark://head:7077"\n'
        '[spark.conf]\n"spark.executor.memory" = "4g"\n"spark.sql.adaptive.enabled" = true\n',
        encoding="utf-8",
    )
    settings = resolve_settings(None, config, {})
    assert settings.engine == "spark"
    assert settings.input_uri == "s3a://lake/orders/"
    assert settings.input_path == Path("orders")
    assert settings.spark_master == "spark://head:7077"
    assert settings.spark_conf == {
        "spark.executor.memory": "4g",
        "spark.sql.adaptive.enabled": "true",
    }
    assert settings.to_summary()["spark_conf"]["spark.executor.memory"] == "4g"


def test_an_unknown_key_in_the_spark_table_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "run.toml"
    config.write_text('[spark]\nmastr = "local[2]"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match=r"Unknown key 'mastr'.*Known keys: conf, master"):
        read_config(config)


def test_a_uri_needs_the_spark_engine() -> None:
    with pytest.raises(SettingsError, match="only the Spark engine reads: add --engine spark"):
        resolve_settings("s3a://lake/orders/", None, {})
    settings = resolve_settings("s3a://lake/orders/", None, {"engine": "spark"})
    assert settings.input_uri == "s3a://lake/orders/"


def test_a_spark_master_needs_the_spark_engine() -> None:
    with pytest.raises(SettingsError, match="--spark-master applies to the Spark engine"):
        resolve_settings(SAMPLE_DATA, None, {"spark_master": "local[2]"})


def test_the_spark_dialect_escapes_what_spark_unescapes() -> None:
    assert SPARK.pattern(r"\.0$") == r"'\\.0$'"
    assert DUCKDB.pattern(r"\.0$") == r"'\.0$'"
    assert SPARK.text_type == "STRING"
    roles = Roles(customer="c", date="d", quantity="q", price="p", item="i")  # no order column
    sql = aggregation_sql(roles, date_expression(None, "dmy", SPARK), dialect=SPARK)
    assert "VARCHAR" not in sql and "CAST(day AS STRING)" in sql
    assert "try_to_date(" in sql and r"^\\s*" in sql


def test_a_date_format_becomes_a_spark_pattern_or_is_refused_saying_why() -> None:
    """Letters that are no directive are quoted ('T'); a directive Spark's patterns do not
    mirror (%b: month names) stops the run (exit 2) instead of reading no date."""
    assert _java_format("%Y-%m-%dT%H:%M") == "yyyy-M-d'T'H:mm"
    assert _java_format("%d/%m/%y") == "d/M/yy"
    with pytest.raises(SettingsError, match=r"date_format '%d %b %Y' uses %b.*--engine local"):
        spark_engine.date_value("Signed Up", DateReading("%d %b %Y"))


def _without_pyspark(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == "pyspark" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def test_without_pyspark_one_line_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    _without_pyspark(monkeypatch)
    with pytest.raises(SettingsError, match=r'pip install "reportgen\[spark\]".*system-deps'):
        spark_engine.require_spark()
    with pytest.raises(SettingsError, match="pyspark is not installed"):
        reportgen.segment(SAMPLE_DATA, features=["Age"], engine="spark")


def test_without_java_one_line_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spark_engine.shutil, "which", lambda name: None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    if importlib.util.find_spec("pyspark") is None:
        pytest.skip("pyspark is not installed: the message about pyspark comes first")
    with pytest.raises(SettingsError, match=r"No Java runtime.*openjdk-17-jre-headless"):
        spark_engine.require_spark()


def test_the_command_exits_2_with_the_hint_and_no_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _without_pyspark(monkeypatch)
    result = CliRunner().invoke(
        main, ["run", str(SAMPLE_DATA), "--engine", "spark", "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert 'pip install "reportgen[spark]"' in result.output
    assert not (tmp_path / "out").exists()


def test_nothing_imports_pyspark_unless_the_spark_engine_runs() -> None:
    code = (
        "import sys, reportgen, reportgen.api, reportgen.cli, reportgen.pipeline, "
        "reportgen.spark_engine; "
        "reportgen.segment(reportgen.read_table(sys.argv[1]), features=['Age'], k=3); "
        "sys.exit('pyspark' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code, str(SAMPLE_DATA)], check=False)
    assert done.returncode == 0
