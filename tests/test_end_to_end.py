"""The real outputs, read as a manager, an analyst and an email recipient would."""

from __future__ import annotations

import html.parser
import io
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pypdf
import pytest

from reportgen.config import SAMPLE_CONFIG
from reportgen.pipeline import run
from reportgen.settings import resolve_settings

from .conftest import SampleRun, blobs, write_csv
from .tables import shop_customers

CLASSIC_NAMES = {
    "Low income, low spending",
    "Low income, high spending",
    "Average income, average spending",
    "High income, low spending",
    "High income, high spending",
}


def pdf_pages(path: Path) -> list[str]:
    reader = pypdf.PdfReader(path)
    return [" ".join(page.extract_text().split()) for page in reader.pages]


class _References(html.parser.HTMLParser):
    """Collects every attribute that could make a browser fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.references: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in {"src", "href", "srcset", "poster", "data", "background"} and value:
                self.references.append(value)


def external_references(document: str) -> list[str]:
    parser = _References()
    parser.feed(document)
    css_urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", document)
    return [ref for ref in parser.references + css_urls if not ref.startswith(("data:", "#"))] + [
        tag for tag in parser.tags if tag in {"script", "link", "iframe", "object", "embed"}
    ]


def test_sample_chooses_five_segments_with_the_classic_names(sample_run: SampleRun) -> None:
    summary = json.loads((sample_run.output_dir / "summary.json").read_text())
    assert summary["k"]["chosen"] == 5
    assert summary["k"]["forced"] is False
    assert {segment["name"] for segment in summary["segments"]} == CLASSIC_NAMES
    sizes = [segment["size"] for segment in summary["segments"]]
    assert sizes == sorted(sizes, reverse=True)
    assert sum(sizes) == summary["input"]["rows_kept"] == 200
    assert summary["input"]["duplicate_rows"] == 3
    assert summary["input"]["sha256"] == sample_run.result.report.input_sha256
    assert set(summary["versions"]) >= {"reportgen", "python", "scikit-learn", "weasyprint"}
    for segment in summary["segments"]:
        assert set(segment["recommendations"]) == {
            "rule",
            "action",
            "campaign",
            "retention",
            "products",
            "parts",
        }
        assert segment["recommendations"]["parts"] == []  # a customer table has no RFM parts


def test_pdf_first_page_tells_a_manager_what_to_do(sample_run: SampleRun) -> None:
    pages = pdf_pages(sample_run.output_dir / "report.pdf")
    first = pages[0]
    squeezed = first.replace(" ", "")
    assert "Customer segments: sample mall customers" in first
    assert "200 customers analysed" in first and "5 segments found" in first
    for segment in sample_run.result.report.segments:
        assert segment.name in first
        assert segment.recommendation.action.replace(" ", "") in squeezed
    assert "We chose 5 segments" in first
    assert "Page 1 of" in first


def test_pdf_has_every_section_a_card_per_segment_and_a_sane_length(sample_run: SampleRun) -> None:
    pages = pdf_pages(sample_run.output_dir / "report.pdf")
    text = " ".join(pages)
    assert 5 <= len(pages) <= 12
    for heading in (
        "Data quality",
        "Exploring the customers",
        "Choosing the number of segments",
        "The segments",
        "How this report was made",
        "Reproducibility",
    ):
        assert heading in text
    for segment in sample_run.result.report.segments:
        assert f"Segment {segment.number}: {segment.name}" in text
    assert sample_run.result.report.input_sha256 in text.replace(" ", "")
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]


def test_pdf_is_a4_and_weasyprint_logged_no_problem(sample_run: SampleRun) -> None:
    reader = pypdf.PdfReader(sample_run.output_dir / "report.pdf")
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    assert sample_run.weasyprint_problems == []


def test_html_is_self_contained(sample_run: SampleRun) -> None:
    document = (sample_run.output_dir / "report.html").read_text()
    assert external_references(document) == []
    images = re.findall(r'<img src="([^"]+)"', document)
    assert len(images) >= 6 and all(src.startswith("data:image/png;base64,") for src in images)
    assert "<style>" in document
    for segment in sample_run.result.report.segments:
        assert segment.name in document


def test_segments_csv_matches_the_summary(sample_run: SampleRun) -> None:
    segments = pd.read_csv(sample_run.output_dir / "segments.csv")
    summary = json.loads((sample_run.output_dir / "summary.json").read_text())
    assert list(segments.columns) == ["customer_id", "segment", "segment_name"]
    assert segments["customer_id"].is_unique and len(segments) == 200
    by_number = {s["number"]: s for s in summary["segments"]}
    counts = segments["segment"].value_counts()
    for number, segment in by_number.items():
        assert counts[number] == segment["size"]
        assert set(segments.loc[segments["segment"] == number, "segment_name"]) == {segment["name"]}


def test_same_data_and_settings_give_the_same_results(
    sample_run: SampleRun, tmp_path: Path
) -> None:
    settings = resolve_settings(None, SAMPLE_CONFIG, {"output_dir": tmp_path, "make_pdf": False})
    run(settings)
    assert (tmp_path / "segments.csv").read_bytes() == (
        sample_run.output_dir / "segments.csv"
    ).read_bytes()
    again, first = (
        json.loads((d / "summary.json").read_text()) for d in (tmp_path, sample_run.output_dir)
    )
    for summary in (again, first):
        del summary["generated_at"]
        summary["settings"]["output_dir"] = summary["settings"]["make_pdf"] = None
    assert again == first


class _CountingHandler(BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def counting_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CountingHandler)
    _CountingHandler.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _CountingHandler.requests
    server.shutdown()


def test_hostile_text_is_inert_and_rendering_fetches_nothing(
    tmp_path: Path, counting_server
) -> None:
    base, requests = counting_server
    hostile_column = f'<img src="{base}/column.png">'
    frame = blobs(3, per_blob=20)
    # One value per group of customers, so that every card describes the column.
    frame[hostile_column] = [
        value
        for value in (f"<script>fetch('{base}/value')</script>", "{{ 7*7 }}", "\u202eevil")
        for _ in range(20)
    ]
    table = write_csv(tmp_path / "hostile.csv", frame)
    title = f'Q3 <b>bold</b> <link rel="stylesheet" href="{base}/style.css"> {{{{ 6*7 }}}}'
    settings = resolve_settings(table, None, {"output_dir": tmp_path / "out", "title": title})

    run(settings)

    document = (tmp_path / "out" / "report.html").read_text()
    assert external_references(document) == []
    assert "&lt;script&gt;" in document and "&lt;b&gt;bold&lt;/b&gt;" in document
    heading = re.search(r"<h1>(.*?)</h1>", document, re.S)
    assert heading and heading.group(1).endswith("{{ 6*7 }}")
    text = " ".join(pdf_pages(tmp_path / "out" / "report.pdf"))
    assert "<b>bold</b>" in text
    assert requests == []

    # The email body: escaped in HTML, verbatim in the plain text, one line of subject.
    email_html = (tmp_path / "out" / "email" / "message.html").read_text()
    assert [ref for ref in external_references(email_html) if not ref.startswith("cid:")] == []
    assert "&lt;b&gt;bold&lt;/b&gt;" in email_html and "<b>" not in email_html
    assert "&lt;script&gt;" in email_html
    email_text = (tmp_path / "out" / "email" / "message.txt").read_text()
    assert title in email_text and "&lt;" not in email_text
    assert (tmp_path / "out" / "email" / "subject.txt").read_text().startswith(title + " – ")


def test_more_than_two_features_use_a_pca_map(tmp_path: Path) -> None:
    frame = blobs(3).assign(Visits=lambda f: (f["Income"] * 0.1 + f["CustomerID"] % 7).round(1))
    settings = resolve_settings(
        write_csv(tmp_path / "c.csv", frame),
        None,
        {"output_dir": tmp_path / "out", "make_pdf": False},
    )
    result = run(settings)
    assert (
        "3 features projected onto the two directions" in result.report.charts.segment_map.caption
    )
    assert io.BytesIO(result.report.charts.feature_boxplots.png).read(4) == b"\x89PNG"


def test_units_from_the_config_label_tables_and_charts(tmp_path: Path) -> None:
    write_csv(tmp_path / "c.csv", blobs(3))
    config = tmp_path / "c.toml"
    config.write_text('input = "c.csv"\n[units]\nIncome = "€ thousand"\n')
    settings = resolve_settings(None, config, {"output_dir": tmp_path / "out", "make_pdf": False})
    result = run(settings)
    document = (tmp_path / "out" / "report.html").read_text()
    assert "Income (€ thousand)" in document
    assert result.report.segments[0].features[0].display == "Income (€ thousand)"
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["settings"]["units"] == {
        "Income": "€ thousand"
    }


def channel_table(path: Path) -> Path:
    """Three groups on two measures; channel Retail, Horeca, and a mix of both."""
    frame = blobs(3)
    frame["Channel"] = ["Retail"] * 60 + ["Horeca"] * 60 + ["Retail", "Horeca"] * 30
    return write_csv(path, frame)


def test_a_categorical_feature_is_one_hot_encoded_and_the_report_says_so(tmp_path: Path) -> None:
    settings = resolve_settings(
        channel_table(tmp_path / "c.csv"),
        None,
        {
            "output_dir": tmp_path / "out",
            "features": ("Income", "Spending", "Channel"),
            "clusters": 3,
        },
    )
    result = run(settings)
    names = [segment.name for segment in result.report.segments]
    assert sum("mostly Retail" in name for name in names) == 1, names
    assert sum("mostly Horeca" in name for name in names) == 1, names
    assert result.report.charts.category_mix is not None
    model = json.loads((tmp_path / "out" / "model.json").read_text())
    assert [f["column"] for f in model["features"]] == ["Income", "Spending"]
    assert model["categorical_features"][0]["categories"] == ["Horeca", "Retail"]
    assert len(model["segments"][0]["centre_standardized"]) == 4
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    retail = [s["category_shares"]["Channel"].get("Retail", 0) for s in summary["segments"]]
    assert max(retail) == 1.0 and min(retail) == 0.0
    text = " ".join(" ".join(pdf_pages(tmp_path / "out" / "report.pdf")).split())
    assert "Categories. Channel is a category, not a quantity" in text
    assert "one-hot encoding" in text and "weighted 0.71" in text
    assert "Categories by segment" in text
    assert "3 features segmented on" in text


def test_categorical_features_are_tracked_and_scored_next_month(tmp_path: Path) -> None:
    first = channel_table(tmp_path / "m1.csv")
    features = {"features": ("Income", "Spending", "Channel"), "make_pdf": False}
    one = run(
        resolve_settings(
            first, None, {**features, "output_dir": tmp_path / "m1", "period": "2026-01"}
        )
    )
    frame = pd.read_csv(first)
    frame.loc[0, "Channel"] = "Online"  # a category last month's model never saw
    second = write_csv(tmp_path / "m2.csv", frame)
    for mode in ("refit", "score"):
        settings = resolve_settings(
            second,
            None,
            {
                "output_dir": tmp_path / mode,
                "period": "2026-02",
                "previous_dir": tmp_path / "m1",
                "score": mode == "score",
                "make_pdf": False,
            },
        )
        two = run(settings)
        assert [s.name for s in two.report.segments] == [s.name for s in one.report.segments]
        assert two.report.changes is not None
        assert two.report.changes.segments[0].status == "kept"
        assert two.report.categorical_features == one.report.categorical_features


def test_the_method_names_the_amounts_put_on_a_log_scale(tmp_path: Path) -> None:
    spend = np.random.default_rng(0).lognormal(6, 1.2, 180).round(2)  # a long right tail
    frame = blobs(3).assign(Spend=spend)
    settings = resolve_settings(
        write_csv(tmp_path / "c.csv", frame),
        None,
        {"output_dir": tmp_path / "out", "make_pdf": False},
    )
    result = run(settings)
    assert result.report.log_scaled_columns == ("Spend",)
    document = " ".join((tmp_path / "out" / "report.html").read_text().split())
    assert "skewed amounts (Spend) were put on a logarithmic scale" in document


def test_next_month_reads_categories_and_measures_as_last_month_did(tmp_path: Path) -> None:
    """Regression: a gap turned codes 1, 2 into '1.0', '2.0', which matched none of last
    month's categories; a measure with few values became a category and 'differed'."""
    frame = blobs(3).assign(Channel=lambda f: [1, 2, 3] * (len(f) // 3))
    frame["Visits"] = frame["CustomerID"] % 13
    first = frame.astype({"Channel": float})
    first.loc[:4, "Channel"] = None
    settings = {"features": ("Income", "Visits", "Channel"), "make_pdf": False}
    one = run(
        resolve_settings(
            write_csv(tmp_path / "m1.csv", first),
            None,
            {**settings, "output_dir": tmp_path / "m1", "period": "2026-01"},
        )
    )
    assert sorted(one.report.categorical_features[0].categories) == ["1", "2", "3"]
    second = frame.assign(Visits=frame["Visits"] % 10)  # 10 distinct values: looks like a code
    two = run(
        resolve_settings(
            write_csv(tmp_path / "m2.csv", second),
            None,
            {
                "output_dir": tmp_path / "m2",
                "period": "2026-02",
                "previous_dir": tmp_path / "m1",
                "make_pdf": False,
            },
        )
    )
    assert two.report.measure_columns == ("Income", "Visits")
    shares = two.report.segments[0].categories[0].shares
    assert {share.category for share in shares} <= {"1", "2", "3"}


def test_the_k_evidence_shows_every_measure_with_its_threshold(sample_run: SampleRun) -> None:
    text = " ".join(pdf_pages(sample_run.output_dir / "report.pdf"))
    for words in (
        "Prediction strength at least 0.8",
        "Every segment's stability at least 0.75",
        "The smallest segment at least 2% of customers",
        "needed ≥ 0.80 ≥ 0.75 ≥ 2%",
        "Calinski–Harabasz",
        "Davies–Bouldin",
        "Evidence for the number of segments",
        "resampled 20 times",
    ):
        assert words in text
    # Each card: the segment's own stability, read in words.
    for segment in sample_run.result.report.segments:
        assert segment.stability is not None and segment.stability >= 0.85
        assert f"Stability {segment.stability:.2f} — highly stable" in text
        assert not segment.untrusted
    assert "Unstable segment" not in text
    summary = json.loads((sample_run.output_dir / "summary.json").read_text())
    k = summary["k"]
    assert (k["k_min"], k["k_max"], k["rule_k"], k["sharp_groups"]) == (3, 8, 5, True)
    assert k["thresholds"] == {
        "prediction_strength": 0.8,
        "segment_stability": 0.75,
        "smallest_segment_share": 0.02,
    }
    five = next(score for score in k["scores"] if score["k"] == 5)
    assert (
        five["passes"]
        and five["prediction_strength"] >= 0.8
        and len(five["segment_stability"]) == 5
    )
    assert all(0.85 <= s["stability"] <= 1 for s in summary["segments"])


def test_customers_without_sharp_groups_are_told_so_on_page_1(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "CustomerID": np.arange(1, 501),
            "Spend": rng.normal(500, 100, 500).round(2),
            "Visits": rng.normal(20, 4, 500).round(1),
        }
    )
    path = write_csv(tmp_path / "one-cloud.csv", frame)
    result = run(resolve_settings(path, None, {"output_dir": tmp_path / "out"}))
    choice = result.report.k_choice
    assert choice is not None and not choice.sharp
    first = pdf_pages(tmp_path / "out" / "report.pdf")[0]
    assert "No number of segments from 3 to 8 passed the tests" in first
    assert "These customers do not fall into sharply separated groups" in first
    assert "not as fixed target lists" in first
    assert "segments (tendencies, not sharp groups)" in " ".join(first.split())
    # A segment below Hennig's 0.6 carries its caution next to its action on page 1.
    for segment in result.report.segments:
        assert segment.untrusted == (segment.stability is not None and segment.stability < 0.6)
        if segment.untrusted:
            assert f"Unstable segment (stability {segment.stability:.2f})" in " ".join(
                first.split()
            )
    email = (tmp_path / "out" / "email" / "message.txt").read_text()
    assert "do not fall into sharply separated groups" in " ".join(email.split())
    assert "segments (tendencies, not sharp groups)" in email


def test_sign_ups_who_never_bought_are_prospects_not_a_segment(tmp_path: Path) -> None:
    settings = resolve_settings(
        write_csv(tmp_path / "customers.csv", shop_customers(never=40)),
        None,
        {"output_dir": tmp_path / "out"},
    )
    run(settings)
    out = tmp_path / "out"
    segments = pd.read_csv(out / "segments.csv")
    left = pd.read_csv(out / "not_segmented.csv")
    assert len(segments) == 120 and len(left) == 40
    assert set(left["customer_id"]).isdisjoint(segments["customer_id"])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["input"]["never_bought"] == 40
    assert sum(segment["size"] for segment in summary["segments"]) == 120
    page_one = " ".join(pdf_pages(out / "report.pdf")[0].split())
    assert "Not in these segments: 40 more customers in the table who have never bought" in page_one
    text = " ".join(" ".join(pdf_pages(out / "report.pdf")).split())
    assert "40 customers (25%) have never bought (Total Orders, Total Spent 0)" in text
    # The e-mail tells its readers too.
    message = " ".join((out / "email" / "message.txt").read_text(encoding="utf-8").split())
    assert "Not in these segments: 40 more customers in the table who have never bought" in message


def test_cards_say_when_their_averages_count_capped_extremes(tmp_path: Path) -> None:
    frame = blobs(3)
    frame.loc[0, "Income"] = 5_000.0  # a typo a hundred times the others
    settings = resolve_settings(
        write_csv(tmp_path / "c.csv", frame),
        None,
        {"output_dir": tmp_path / "out", "make_pdf": False},
    )
    result = run(settings)
    assert [level.capped for level in result.report.segments[0].features] == [True, False]
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Averages of Income count extreme values at their cap" in html
    assert "Averages of Spending" not in html
