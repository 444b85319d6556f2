"""Order lines end to end: the CLI, the PDF's first page, segments.csv and bad input."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pypdf
import pytest
from click.testing import CliRunner

from reportgen.cli import main
from reportgen.sample_orders import order_line_batches, write_order_lines


def test_sample_order_lines_are_seeded_and_online_retail_like() -> None:
    first = pd.concat(batch.to_pandas() for batch in order_line_batches(5_000, seed=1))
    again = pd.concat(batch.to_pandas() for batch in order_line_batches(5_000, seed=1))
    pd.testing.assert_frame_equal(first, again)
    assert 4_500 <= len(first) <= 5_500
    assert first["InvoiceNo"].str.startswith("C").any()
    assert (first["Quantity"] < 0).any()
    assert first["CustomerID"].eq("").mean() > 0.1
    assert first["StockCode"].isin(["POST", "DOT", "M", "BANK CHARGES"]).any()
    assert first.duplicated().any()
    lines = pd.concat(batch.to_pandas() for batch in order_line_batches(30_000, seed=1))
    known = lines[(lines["CustomerID"] != "") & ~lines["InvoiceNo"].str.startswith("C")]
    orders = known.groupby("CustomerID")["InvoiceNo"].nunique()
    assert orders.max() > 10 * orders.median()  # heavy-tailed order counts
    assert (orders == 1).mean() > 0.2  # many one-off buyers


def test_sample_orders_command_writes_lines(tmp_path: Path) -> None:
    out = tmp_path / "orders.csv"
    result = CliRunner().invoke(main, ["sample", "--orders", "-n", "2000", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith('"InvoiceNo","StockCode"')


@pytest.mark.slow
def test_order_lines_give_rfm_segments_on_page_one(tmp_path: Path) -> None:
    source = tmp_path / "orders.csv"
    write_order_lines(source, 40_000, seed=3)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(source), "-o", str(out), "--period", "2011-12"])
    assert result.exit_code == 0, result.output

    page_one = pypdf.PdfReader(out / "report.pdf").pages[0].extract_text()
    flat = " ".join(page_one.split())
    assert "Revenue at risk" in flat
    assert re.search(r"reference date \d{1,2} (November|December) 2011", flat)
    segments = pd.read_csv(out / "segments.csv", dtype={"customer_id": str})
    names = set(segments["segment_name"])
    grid_names = {"Champions", "Loyal", "Potential loyalists", "New", "Promising"}
    grid_names |= {"Need attention", "About to sleep", "At risk", "Can't lose", "Hibernating"}
    # A group's name, or up to three joined ("Loyal / At risk / Hibernating"), or the
    # in-rhythm name, with a qualifier in brackets.
    grid_names.add("Infrequent regulars")
    assert names
    for name in names:
        groups = name.split(" (")[0].split(" / ")
        assert len(groups) <= 3 and set(groups) <= grid_names, name
    for name in names:
        assert name in flat
    assert {"recency_days", "frequency", "monetary", "rfm_score", "rfm_group"} <= set(
        segments.columns
    )
    assert segments["rfm_score"].astype(str).str.fullmatch(r"[1-5]{3}").all()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Read as order lines" in html
    assert "The RFM grid" in html
    # Cards and the correlation findings name the measures as the report does, not by
    # their internal column names.
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(out / "report.pdf").pages)
    assert "Days since first purchase:" in text
    for internal in ("tenure_days", "average_order_value", "distinct_items"):
        assert internal not in text.replace("\n", " ").split("segments.csv")[0]


@pytest.mark.slow
def test_monthly_previous_works_on_order_lines(tmp_path: Path) -> None:
    source = tmp_path / "orders.csv"
    write_order_lines(source, 20_000, seed=5)
    runner = CliRunner()
    first = runner.invoke(
        main, ["run", str(source), "-o", str(tmp_path / "nov"), "--period", "2011-11", "--no-pdf"]
    )
    assert first.exit_code == 0, first.output
    second = runner.invoke(
        main,
        [
            "run",
            str(source),
            "-o",
            str(tmp_path / "dec"),
            "--period",
            "2011-12",
            "--previous",
            str(tmp_path / "nov"),
            "--no-pdf",
        ],
    )
    assert second.exit_code == 0, second.output
    assert "What changed" in (tmp_path / "dec" / "report.html").read_text(encoding="utf-8")


def _bad_run(tmp_path: Path, frame: pd.DataFrame, *options: str) -> tuple[int, str, Path]:
    source = tmp_path / "bad.csv"
    frame.to_csv(source, index=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(source), "-o", str(out), *options])
    return result.exit_code, result.output, out


def test_orders_without_a_customer_column_fail_naming_the_key(tmp_path: Path) -> None:
    frame = pd.DataFrame({"When": ["2024-01-02", "2024-02-03"] * 5, "Amount": range(10)})
    code, output, out = _bad_run(tmp_path, frame, "--input-kind", "orders")
    assert code == 1, output
    assert output.startswith("Error:") and output.count("\n") == 1
    assert 'customer = "<column>"' in output
    assert not out.exists()


def test_undecidable_dates_fail_asking_for_date_format(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "Customer": ["A", "A", "B", "B", "C"] * 4,
            "Date": ["01/02/2024", "03/04/2024", "05/06/2024", "07/08/2024", "09/10/2024"] * 4,
            "Amount": [10.0] * 20,
        }
    )
    code, output, out = _bad_run(tmp_path, frame)
    assert code == 1, output
    assert "date_format" in output and "Traceback" not in output
    assert not out.exists()


def test_a_bad_as_of_is_a_usage_error(tmp_path: Path) -> None:
    frame = pd.DataFrame({"Customer": ["A", "A"], "Date": ["2024-01-02", "2024-02-03"]})
    code, output, _ = _bad_run(tmp_path, frame, "--as-of", "31/12/2024")
    assert code == 2, output
    assert "as_of must be a date like" in output


def test_features_do_not_apply_to_order_lines(tmp_path: Path) -> None:
    source = tmp_path / "orders.csv"
    write_order_lines(source, 2_000, seed=2)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(source), "-o", str(out), "--feature", "Quantity"])
    assert result.exit_code == 2, result.output
    assert "--feature applies to customer tables only" in result.output
    assert not out.exists()


def test_init_writes_the_roles_of_an_order_line_export_and_run_uses_them(tmp_path: Path) -> None:
    source = tmp_path / "exports" / "orders.csv"
    write_order_lines(source, 3_000, seed=4)
    config = tmp_path / "config" / "orders.toml"
    runner = CliRunner()
    result = runner.invoke(main, ["init", str(source), "-o", str(config)])
    assert result.exit_code == 0, result.output
    text = config.read_text(encoding="utf-8")
    assert 'input = "../exports/orders.csv"' in text
    assert 'input_kind = "orders"' in text
    assert 'customer = "CustomerID"' in text and 'order = "InvoiceNo"' in text
    out = tmp_path / "out"
    run = runner.invoke(main, ["run", "--config", str(config), "-o", str(out), "--no-pdf"])
    assert run.exit_code == 0, run.output
    assert (out / "segments.csv").exists()


def test_customers_not_segmented_are_written_for_the_crm_and_never_left_stale(
    tmp_path: Path,
) -> None:
    rows = [(f"C{n}", f"2024-0{1 + n % 6}-1{n % 9}", 10.0 + n) for n in range(60)]
    rows += [(f"C{n}", f"2024-0{1 + n % 5}-2{n % 9}", 5.0 + n) for n in range(0, 60, 2)]
    with_zero = [*rows, ("ZERO", "2024-03-03", 0.0), ("ZERO", "2024-04-04", 0.0)]
    columns = ["Customer", "Date", "Amount"]
    source = tmp_path / "lines.csv"
    out = tmp_path / "out"
    pd.DataFrame(with_zero, columns=columns).to_csv(source, index=False)
    command = ["run", str(source), "-o", str(out), "--period", "2024-06", "--no-pdf"]
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0, result.output
    left = pd.read_csv(out / "not_segmented.csv", dtype=str)
    assert list(left["customer_id"]) == ["ZERO"]
    assert list(left["reason"]) == ["purchases worth 0"]
    assert "ZERO" not in set(pd.read_csv(out / "segments.csv", dtype=str)["customer_id"])
    assert "listed in not_segmented.csv" in (out / "report.html").read_text(encoding="utf-8")

    pd.DataFrame(rows, columns=columns).to_csv(source, index=False)
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0, result.output
    assert not (out / "not_segmented.csv").exists()


def test_an_event_log_says_events_were_read_and_only_purchases_count(tmp_path: Path) -> None:
    events = ["product_view", "add_to_cart", "product_view", "purchase"]
    n = 1_200
    log = pd.DataFrame(
        {
            "user_id": [f"user_{k % 150:04d}" for k in range(n)],
            "event_type": [
                events[(k // 150) % 4] if k % 150 < 120 else "product_view" for k in range(n)
            ],
            "event_time": [f"2024-0{1 + k % 9}-{10 + k % 19} 10:00:00" for k in range(n)],
        }
    )
    path = tmp_path / "events.csv"
    log.to_csv(path, index=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(path), "-o", str(out), "--no-pdf"])
    assert result.exit_code == 0, result.output
    page = " ".join((out / "report.html").read_text(encoding="utf-8").split())
    buyers = log.loc[log["event_type"] == "purchase", "user_id"].nunique()
    assert (
        "1,200 events were read, of which only purchases count (event_type), as "
        f"{buyers} customers who bought (30 more only browsed)" in page
    )
    email = (out / "email" / "message.txt").read_text(encoding="utf-8")
    assert "from 1,200 events, purchases only" in email


def test_orders_whose_customers_never_repeat_say_so_on_page_one(tmp_path: Path) -> None:
    """Olist's orders file gives every order a new customer_id: the report must say that
    no customer repeats, not segment ranges of the purchase date as a customer table."""
    n = 80
    stamps = pd.Timestamp("2017-01-23") + pd.to_timedelta([(k * 37) % 560 for k in range(n)], "D")
    orders = pd.DataFrame(
        {
            "order_id": [f"{k * 7919 % 10**6:06d}e{k:025x}" for k in range(n)],
            "customer_id": [f"{k * 104729 % 10**6:06d}c{k:025x}" for k in range(n)],
            "order_status": "delivered",
            "order_purchase_timestamp": stamps.strftime("%Y-%m-%d %H:%M:%S"),
        }
    )
    path = tmp_path / "olist_orders.csv"
    orders.to_csv(path, index=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(path), "-o", str(out), "--no-pdf"])
    assert result.exit_code == 0, result.output
    page = " ".join((out / "report.html").read_text(encoding="utf-8").split())
    assert f"{n} order lines were read as {n} customers" in page
    assert f"No customer repeats: each of the {n} customers has one order in this file" in page
    email = " ".join((out / "email" / "message.txt").read_text(encoding="utf-8").split())
    assert "No customer repeats" in email


def test_a_policy_list_stops_with_one_error_and_writes_nothing(tmp_path: Path) -> None:
    """Review 7, class 7: a policy list became an RFM report whose largest segment was
    live policyholders to suppress; now the run stops (exit 1) and says why."""
    rows = [
        {
            "Policy Number": f"POL-{k:05d}",
            "Customer ID": f"C{k % 30:03d}",
            "Start Date": f"20{15 + k % 10}-0{1 + k % 9}-1{k % 10}",
            "Annual Premium": 250.0 + k,
            "Status": ["In Force", "Lapsed"][k % 2],
        }
        for k in range(80)
    ]
    code, output, out = _bad_run(tmp_path, pd.DataFrame(rows))
    assert code == 1, output
    assert output.startswith("Error:") and output.count("\n") == 1
    assert "list of contracts" in output and "Traceback" not in output
    assert "Status says whether a contract ended" in output
    assert not out.exists()
