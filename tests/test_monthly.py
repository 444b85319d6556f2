"""The monthly workflow end to end: three generated months, each run against the last."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from reportgen.choosing_k import choose_k
from reportgen.cleaning import clean_table
from reportgen.cli import main
from reportgen.config import SAMPLE_CONFIG, SAMPLE_DATA
from reportgen.features import prepare_features
from reportgen.loading import load_table
from reportgen.pipeline import run
from reportgen.sample import make_customers
from reportgen.settings import resolve_settings

from .test_end_to_end import pdf_pages


@pytest.fixture(scope="module")
def months(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three months of sample data and their reports, the last one with a PDF."""
    root = tmp_path_factory.mktemp("monthly")
    runner = CliRunner()
    result = runner.invoke(main, ["sample", "--months", "3", "-o", str(root / "data")])
    assert result.exit_code == 0, result.output
    first = [
        "run",
        str(root / "data" / "customers-2026-01.csv"),
        "--config",
        str(SAMPLE_CONFIG),
        "--period",
        "2026-01",
        "-o",
        str(root / "2026-01"),
        "--no-pdf",
        "-q",
    ]
    assert runner.invoke(main, first).exit_code == 0
    for previous, period in (("2026-01", "2026-02"), ("2026-02", "2026-03")):
        arguments = [
            "run",
            str(root / "data" / f"customers-{period}.csv"),
            "--period",
            period,
            "--previous",
            str(root / previous),
            "-o",
            str(root / period),
            "-q",
        ]
        if period == "2026-02":
            arguments.append("--no-pdf")
        result = runner.invoke(main, arguments)
        assert result.exit_code == 0, result.output
    return root


def summary(directory: Path) -> dict:
    return json.loads((directory / "summary.json").read_text())


def test_segment_names_and_numbers_are_stable_across_months(months: Path) -> None:
    names = [
        {s["number"]: s["name"] for s in summary(months / p)["segments"]}
        for p in ("2026-01", "2026-02", "2026-03")
    ]
    assert names[0] == names[1] == names[2]
    assert len(names[0]) == 5


def test_what_changed_reports_the_planted_drift(months: Path) -> None:
    changes = summary(months / "2026-03")["changes"]
    numbers = {s["name"]: s["number"] for s in summary(months / "2026-03")["segments"]}
    reserved, big = numbers["High income, low spending"], numbers["High income, high spending"]
    moved = changes["migration"][str(reserved)][str(big)]
    assert moved >= 5  # 30% of the reserved group converts each month
    assert changes["previous_period"] == "2026-02" and changes["mode"] == "refit"
    assert (
        sum(sum(row.values()) for row in changes["migration"].values())
        == changes["customers_in_both"]
    )
    assert changes["new_customers"] > 0 and changes["lost_customers"] > 0
    text = " ".join(pdf_pages(months / "2026-03" / "report.pdf"))
    assert "What changed since 2026-02" in text
    assert (
        f"customers moved from Segment {reserved} “High income, low spending” to Segment "
        f"{big} “High income, high spending”"
    ) in text


def test_the_email_says_what_changed(months: Path) -> None:
    folder = months / "2026-03" / "email"
    for name in ("message.html", "message.txt"):
        words = " ".join((folder / name).read_text().replace("<strong>", "").split())
        assert "Period 2026-03" in words
        assert "What changed since 2026-02" in words
        assert "The details are in the attached PDF." in words


def test_the_same_month_twice_gives_identical_results(months: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    arguments = [
        "run",
        str(months / "data" / "customers-2026-02.csv"),
        "--period",
        "2026-02",
        "--previous",
        str(months / "2026-01"),
        "-o",
        str(tmp_path),
        "--no-pdf",
        "-q",
    ]
    assert runner.invoke(main, arguments).exit_code == 0
    assert (tmp_path / "segments.csv").read_bytes() == (
        months / "2026-02" / "segments.csv"
    ).read_bytes()
    for name in ("summary.json", "model.json"):
        again, first = (json.loads((d / name).read_text()) for d in (tmp_path, months / "2026-02"))
        for document in (again, first):
            document.pop("generated_at", None)
            del document["settings"]["output_dir"]
        assert again == first, name


def test_score_mode_keeps_last_months_model(months: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "run",
            str(months / "data" / "customers-2026-03.csv"),
            "--period",
            "2026-03",
            "--previous",
            str(months / "2026-02"),
            "--score",
            "-o",
            str(tmp_path),
            "--no-pdf",
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    scored = summary(tmp_path)
    assert scored["k"] is None and scored["changes"]["mode"] == "score"
    email_text = " ".join((tmp_path / "email" / "message.txt").read_text().split())
    assert "segments of the 2026-02 model without refitting (score mode)" in email_text
    model = json.loads((tmp_path / "model.json").read_text())
    previous = json.loads((months / "2026-02" / "model.json").read_text())
    assert model["period"] == "2026-03"
    assert [s["centroid"] for s in model["segments"]] == [
        s["centroid"] for s in previous["segments"]
    ]


def test_another_periods_report_is_never_overwritten(months: Path) -> None:
    before = (months / "2026-02" / "summary.json").read_bytes()
    result = CliRunner().invoke(
        main,
        [
            "run",
            str(months / "data" / "customers-2026-03.csv"),
            "--period",
            "2026-03",
            "-o",
            str(months / "2026-02"),
            "--no-pdf",
        ],
    )
    assert result.exit_code == 2, result.output
    assert "holds the report for 2026-02" in result.output
    assert (months / "2026-02" / "summary.json").read_bytes() == before


@pytest.mark.parametrize("case", ["no model", "missing feature"])
def test_bad_previous_is_one_line_exit_1_and_writes_nothing(
    months: Path, tmp_path: Path, case: str
) -> None:
    table = months / "data" / "customers-2026-02.csv"
    previous = months / "2026-01"
    if case == "no model":
        previous = tmp_path / "empty"
        previous.mkdir()
        message = "holds no model.json"
    else:
        lines = table.read_text().splitlines()
        stripped = [",".join(line.split(",")[:-1]) for line in lines]  # drop the spending column
        table = tmp_path / "stripped.csv"
        table.write_text("\n".join(stripped) + "\n")
        message = "lacks 'Spending Score (1-100)'"
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "run",
            str(table),
            "--period",
            "2026-02",
            "--previous",
            str(previous),
            "-o",
            str(out),
            "--no-pdf",
        ],
    )
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir())


def perturbed_sample(path: Path, seed: int) -> Path:
    """The bundled sample with small random changes: 5% of customers leave, 5% join
    (new IDs, drawn like the sample) and every income and spending score moves by up
    to ±2%."""
    rng = np.random.default_rng(seed)
    frame = pd.read_csv(SAMPLE_DATA)
    ids = frame["CustomerID"].unique()
    change = round(0.05 * len(ids))
    leaving = rng.choice(ids, change, replace=False)
    joining = make_customers(change, seed=1_000 + seed)
    joining["CustomerID"] += int(ids.max())
    frame = pd.concat([frame[~frame["CustomerID"].isin(leaving)], joining], ignore_index=True)
    customers = frame["CustomerID"].unique()
    for column in ("Annual Income (k$)", "Spending Score (1-100)"):
        # One change per customer: the sample's duplicated rows stay duplicates.
        jitter = pd.Series(rng.uniform(0.98, 1.02, len(customers)), index=customers)
        moved = frame[column] * frame["CustomerID"].map(jitter)
        frame[column] = moved.round().astype("Int64")
    frame.to_csv(path, index=False)
    return path


@pytest.mark.slow
def test_small_changes_keep_k_and_with_previous_keep_customers_in_their_segment(
    tmp_path: Path,
) -> None:
    base_dir = tmp_path / "base"
    settings = resolve_settings(
        None, SAMPLE_CONFIG, {"output_dir": base_dir, "make_pdf": False, "period": "2026-01"}
    )
    base = run(settings)
    assert len(base.report.segments) == 5
    before = pd.read_csv(base_dir / "segments.csv").set_index("customer_id")
    ks, kept_shares = [], []
    for seed in range(10):
        table = perturbed_sample(tmp_path / f"customers-{seed}.csv", seed)
        # A fresh run's choice of k, without drawing and writing a report.
        clean = clean_table(
            load_table(table, None), dataclasses.replace(settings, input_path=table)
        )
        ks.append(choose_k(prepare_features(clean), k_max=8, seed=settings.seed).chosen_k)
        followed_dir = tmp_path / f"next-{seed}"
        run(
            dataclasses.replace(
                settings,
                input_path=table,
                output_dir=followed_dir,
                period="2026-02",
                previous_dir=base_dir,
            )
        )
        after = pd.read_csv(followed_dir / "segments.csv").set_index("customer_id")
        shared = before.index.intersection(after.index)
        same = (before.loc[shared, "segment"] == after.loc[shared, "segment"]) & (
            before.loc[shared, "segment_name"] == after.loc[shared, "segment_name"]
        )
        kept_shares.append(float(same.mean()))
    assert max(ks.count(k) for k in set(ks)) >= 9, ks
    assert ks.count(5) >= 9, ks
    assert min(kept_shares) >= 0.95, kept_shares
