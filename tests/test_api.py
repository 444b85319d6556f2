"""The Python API: reportgen.segment() and its Result, against the command line."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, tzinfo
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import reportgen
from reportgen import pipeline
from reportgen.cli import main
from reportgen.errors import DataError, SettingsError

from .conftest import blobs, write_csv


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stop the pipeline's clock: the time stamp is all that may differ between two runs."""

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> Frozen:
            return cls(2026, 11, 30, 9, 15, tzinfo=UTC)

    monkeypatch.setattr(pipeline, "datetime", Frozen)


def _cli(*arguments: str) -> None:
    result = CliRunner().invoke(main, ["run", *arguments, "-q"])
    assert result.exit_code == 0, result.output


def _files(directory: Path) -> dict[str, bytes]:
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three groups of customers on two measures, with a region to profile them by."""
    frame = blobs(3).assign(Region=lambda f: ["North", "South", "East"] * (len(f) // 3))
    return write_csv(tmp_path_factory.mktemp("api") / "customers.csv", frame)


@pytest.fixture(scope="module")
def october(table: Path) -> reportgen.Result:
    """The table segmented once, for the tests that only read a result."""
    return reportgen.segment(table, pdf=False, period="2026-10")


@pytest.mark.usefixtures("frozen_clock")
def test_save_writes_what_the_command_writes(table: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _cli(str(table), "-o", str(out), "--no-pdf", "--period", "2026-11", "--profile", "Region")
    out.rename(tmp_path / "cli")

    result = reportgen.segment(table, pdf=False, period="2026-11", profile="Region")
    written = result.save(out)

    assert {path.name for path in written} >= {"report.html", "summary.json", "segments.csv"}
    assert _files(out) == _files(tmp_path / "cli")


@pytest.mark.slow
@pytest.mark.usefixtures("frozen_clock")
def test_the_bundled_sample_saves_the_same_bytes_as_the_command_pdf_included(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    _cli("-o", str(out), "--period", "2026-11")
    out.rename(tmp_path / "cli")

    reportgen.segment(period="2026-11").save(out)

    assert (out / "report.pdf").exists()
    assert "2026-11-30 09:15 UTC" in (out / "report.html").read_text()  # the frozen clock
    assert _files(out) == _files(tmp_path / "cli")


def test_a_dataframe_gives_the_results_of_its_file(table: Path, october: reportgen.Result) -> None:
    from_file = october
    from_frame = reportgen.segment(reportgen.read_table(table), pdf=False)

    assert from_frame.k == from_file.k == 3
    pd.testing.assert_frame_equal(from_frame.segments, from_file.segments)
    pd.testing.assert_frame_equal(from_frame.profiles, from_file.profiles)
    pd.testing.assert_frame_equal(from_frame.k_evidence, from_file.k_evidence)
    assert from_frame.report.source_name == "DataFrame"
    assert from_file.report.source_name == "customers.csv"


def test_a_named_index_is_kept_as_the_customer_id(table: Path) -> None:
    frame = reportgen.read_table(table).set_index("CustomerID")
    frame.index = frame.index + 1000

    result = reportgen.segment(frame, pdf=False)

    assert result.segments["customer"].tolist() == list(range(1001, 1001 + len(frame)))
    assert "CustomerID" not in result.profiles.columns
    assert frame.index.name == "CustomerID"  # the caller's frame is left alone


def test_the_result_tables(table: Path) -> None:
    result = reportgen.segment(table, pdf=False, k=np.int64(4), features=("Income", "Spending"))

    assert result.k == 4
    assert result.segments.columns.tolist() == ["customer", "segment", "name"]
    assert len(result.segments) == 180
    assert result.segments["segment"].between(1, 4).all()
    profiles = result.profiles
    assert profiles.index.tolist() == [1, 2, 3, 4]
    assert profiles["size"].sum() == 180
    assert {"name", "share", "description", "Income", "Spending", "Region"} <= set(profiles)
    assert result.recommendations.columns.tolist() == [
        "name",
        "rule",
        "action",
        "campaign",
        "retention",
        "products",
    ]
    evidence = result.k_evidence
    assert evidence.loc[4, "note"].endswith("chosen")
    assert {"inertia", "silhouette", "stability"} <= set(evidence)
    # Three groups, four segments forced: 3 passes the rule, 4 does not.
    assert evidence.loc[3, "passes"] and evidence.loc[3, "prediction_strength"] >= 0.8
    assert not evidence.loc[4, "passes"]
    assert result.figures["segment_map"].png.startswith(b"\x89PNG")
    assert result.figures["segment_map"]._repr_png_() == result.figures["segment_map"].png
    assert result.data_quality.rows_kept == 180
    assert result.changes is None


def test_the_result_is_immutable(october: reportgen.Result) -> None:
    result = october
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.analysis = None  # type: ignore[misc]
    segments, profiles = result.segments, result.profiles
    segments.loc[0, "segment"] = 99
    profiles.loc[1, "name"] = "changed"
    with pytest.raises(TypeError):
        result.figures["segment_map"] = None  # type: ignore[index]
    assert result.segments.loc[0, "segment"] != 99
    assert result.profiles.loc[1, "name"] != "changed"


def test_html_pdf_and_the_notebook_view(table: Path, tmp_path: Path) -> None:
    result = reportgen.segment(table, pdf=False, title="Spring <customers>", k=3)

    page = result.to_html()
    assert "Spring &lt;customers&gt;" in page
    assert '<section id="segments"' in page
    pdf = result.to_pdf(tmp_path / "r.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")

    inline = result._repr_html_()
    assert inline.startswith("<iframe srcdoc=") and " sandbox " in inline
    assert "summary-table" in inline
    assert "data:image/png;base64," in inline  # the segment map
    assert "id=&quot;segments&quot;" not in inline  # the summary only
    cards = result.view("segments")._repr_html_()
    assert "class=&quot;card&quot;" in cards
    with pytest.raises(ValueError, match="Unknown section 'cards'"):
        result.view("cards")


@pytest.mark.slow
def test_next_month_after_a_result_in_memory_equals_after_its_directory(
    table: Path, october: reportgen.Result, tmp_path: Path
) -> None:
    october.save(tmp_path / "2026-10")
    frame = reportgen.read_table(table)
    november = frame.assign(Income=frame["Income"] * 1.05)

    after_result = reportgen.segment(november, period="2026-11", previous=october, pdf=False)
    after_folder = reportgen.segment(
        november, period="2026-11", previous=tmp_path / "2026-10", pdf=False
    )

    pd.testing.assert_frame_equal(after_result.segments, after_folder.segments)
    pd.testing.assert_frame_equal(after_result.profiles, after_folder.profiles)
    assert after_result.changes is not None and after_folder.changes is not None
    assert after_result.changes.highlights == after_folder.changes.highlights
    assert after_result.changes.customers_in_both == 180
    scored = reportgen.segment(november, period="2026-11", previous=october, score=True, pdf=False)
    assert scored.k_evidence.empty
    assert scored.k == october.k


@pytest.mark.parametrize(
    ("arguments", "error", "message", "spelled"),
    [
        ({"features": ["Nope"]}, SettingsError, "Nope", ("features=", "--feature")),
        ({"k": 1}, SettingsError, "between 2 and 30", ("", "")),
        ({"period": "November"}, SettingsError, "2026-11", ("", "")),
        ({"score": True}, SettingsError, "previous", ("score=", "--score")),
    ],
)
def test_errors_are_the_command_line_ones_in_python_words(
    table: Path,
    tmp_path: Path,
    arguments: dict,
    error: type,
    message: str,
    spelled: tuple[str, str],
) -> None:
    options = {
        "features": ["--feature", "Nope"],
        "k": ["-k", "1"],
        "period": ["--period", "November"],
        "score": ["--score"],
    }
    (name,) = arguments
    cli = CliRunner().invoke(
        main, ["run", str(table), "-o", str(tmp_path / "out"), "--no-pdf", *options[name]]
    )
    with pytest.raises(error, match=message) as raised:
        reportgen.segment(table, pdf=False, **arguments)
    assert cli.exit_code == error.exit_code, cli.output
    if name != "k":  # click checks the range of -k itself, with its own words
        python, command = spelled
        assert python in str(raised.value)
        in_command_words = (
            str(raised.value).replace(python, command).replace("previous=", "--previous")
        )
        assert f"Error: {in_command_words}" in " ".join(cli.output.split())
    assert not (tmp_path / "out").exists()


def test_a_missing_file_and_bad_settings_raise_and_never_exit(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        reportgen.segment(tmp_path / "missing.csv")
    with pytest.raises(SettingsError, match=r"Unknown setting 'colour'\. Known settings: .*k_max"):
        reportgen.segment(tmp_path / "missing.csv", colour="blue")
    with pytest.raises(SettingsError, match="'k_max' must be a whole number, not '5'"):
        reportgen.segment(tmp_path / "missing.csv", k_max="5")
    with pytest.raises(SettingsError, match="segment\\(data"):
        reportgen.segment(input="x.csv")
    with pytest.raises(DataError, match="only one column"):
        reportgen.segment(pd.DataFrame({"a": [1, 2]}))


def test_save_refuses_another_periods_folder(october: reportgen.Result, tmp_path: Path) -> None:
    october.save(tmp_path / "out")
    model = tmp_path / "out" / "model.json"
    model.write_text(model.read_text().replace('"period": "2026-10"', '"period": "2026-09"'))
    with pytest.raises(SettingsError, match="holds the report for 2026-09"):
        october.save(tmp_path / "out")
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["period"] == "2026-10"


def test_importing_reportgen_loads_no_heavy_library() -> None:
    import subprocess
    import sys

    code = "import sys, reportgen; print('pandas' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert output.stdout.strip() == "False", output.stderr


@pytest.mark.slow
def test_order_lines_in_a_dataframe_are_segmented_as_the_file_is(tmp_path: Path) -> None:
    from reportgen.sample_orders import write_order_lines

    source = tmp_path / "orders.csv"
    write_order_lines(source, 12_000, seed=5)
    from_file = reportgen.segment(source, period="2011-12", pdf=False)
    from_frame = reportgen.segment(pd.read_csv(source), period="2011-12", pdf=False)
    assert from_frame.report.rfm is not None
    assert from_frame.report.quality.source == "pandas DataFrame"
    assert from_frame.report.quality.rows_read == from_file.report.quality.rows_read
    assert [(s.name, s.size) for s in from_frame.report.segments] == [
        (s.name, s.size) for s in from_file.report.segments
    ]
    assert from_frame.report.rfm.revenue_at_risk == pytest.approx(
        from_file.report.rfm.revenue_at_risk
    )
    left_out = from_file.not_segmented
    assert len(left_out) == from_file.report.rfm.orders.not_positive_customers > 0
    pd.testing.assert_frame_equal(from_frame.not_segmented, left_out)


@pytest.mark.slow
def test_an_order_line_workbook_is_read_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reportgen import loading
    from reportgen.sample_orders import write_order_lines

    source = tmp_path / "orders.csv"
    write_order_lines(source, 3_000, seed=5)
    workbook = tmp_path / "orders.xlsx"
    pd.read_csv(source).to_excel(workbook, index=False)
    reads: list[Path] = []
    real_read = loading._read_excel
    monkeypatch.setattr(
        loading, "_read_excel", lambda path, sheet: reads.append(path) or real_read(path, sheet)
    )
    result = reportgen.segment(workbook, period="2011-12", pdf=False)
    assert result.report.rfm is not None
    assert reads == [workbook]
