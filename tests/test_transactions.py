"""Order lines: detection by shape, the DuckDB aggregation, dates and bad input."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from reportgen.errors import DataError, SettingsError
from reportgen.rfm import customer_table, order_quality
from reportgen.transactions import (
    NET_NEGATIVE,
    RETURNS_ONLY,
    SPARK,
    ZERO_SPEND,
    OrderOptions,
    Roles,
    aggregate_orders,
    aggregation_sql,
    customer_attributes,
    date_expression,
    decide_date_order,
    plan_orders,
    valued_lines_sql,
)


def _write(tmp_path: Path, frame: pd.DataFrame, name: str = "orders.csv", **kwargs: object) -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False, **kwargs)  # type: ignore[arg-type]
    return path


def _retail_lines() -> pd.DataFrame:
    """A small Online-Retail-like export with every problem real exports have."""
    rows = [
        # invoice, code, qty, date, price, customer
        ("536365", "85123A", 6, "01/12/2010 08:26", 2.55, "17850"),
        ("536365", "71053", 6, "01/12/2010 08:26", 3.39, "17850"),
        ("536365", "71053", 6, "01/12/2010 08:26", 3.39, "17850"),  # exact duplicate
        ("536366", "22633", 6, "13/12/2010 08:28", 1.85, "17850"),
        ("C536379", "85123A", -2, "14/12/2010 09:41", 2.55, "17850"),  # cancellation
        ("536367", "84879", 32, "01/12/2010 08:34", 1.69, "13047"),
        ("536368", "POST", 1, "02/12/2010 10:00", 18.0, "13047"),  # postage
        ("536369", "22745", 6, "20/12/2010 10:03", 2.10, "13047"),
        ("536370", "22728", 24, "05/12/2010 08:45", 3.75, None),  # no customer
        ("536371", "22727", 24, "05/12/2010 08:45", 3.75, ""),  # no customer
        ("536372", "21730", 10, "06/12/2010 09:00", 0.0, "12583"),  # zero price
        ("536373", "21730", 10, "06/12/2010 09:00", 4.25, "12583"),
        ("C536374", "21730", -10, "07/12/2010 09:00", 4.25, "12583"),  # returns all
        ("536375", "22960", 3, "15/12/2010 12:00", 4.25, "12431"),
        ("536375", "22961", -1, "15/12/2010 12:00", 4.25, "12431"),  # negative quantity
        ("536376", "22960", 1, "21/12/2010 12:00", 4.25, "12431"),
    ]
    return pd.DataFrame(
        rows,
        columns=["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"],
    )


def test_detects_order_lines_and_their_roles(tmp_path: Path) -> None:
    path = _write(tmp_path, _retail_lines())
    plan = plan_orders(path, OrderOptions())
    assert plan is not None
    assert plan.roles == Roles(
        customer="CustomerID",
        date="InvoiceDate",
        quantity="Quantity",
        price="UnitPrice",
        order="InvoiceNo",
        item="StockCode",
    )
    assert "CustomerID repeats" in plan.reason
    assert "Quantity × UnitPrice is the amount" in plan.reason


def test_a_customer_table_is_not_read_as_order_lines(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "CustomerID": range(1, 101),
            "SignupDate": pd.date_range("2020-01-01", periods=100).strftime("%Y-%m-%d"),
            "Spend": np.linspace(10, 1000, 100),
        }
    )
    assert plan_orders(_write(tmp_path, frame), OrderOptions()) is None


def test_input_kind_customers_skips_detection(tmp_path: Path) -> None:
    path = _write(tmp_path, _retail_lines())
    assert plan_orders(path, OrderOptions(input_kind="customers")) is None


def test_rfm_equals_an_independent_pandas_computation(tmp_path: Path) -> None:
    lines = _retail_lines()
    path = _write(tmp_path, lines)
    plan = plan_orders(path, OrderOptions())
    assert plan is not None
    options = OrderOptions(exclude_items=("post",))
    totals = aggregate_orders(plan, options)

    # The same numbers, computed independently with pandas. The two identical lines of
    # invoice 536365 are the item bought twice in one order: both count.
    frame = lines[lines["CustomerID"].fillna("").ne("")]
    frame = frame[(frame["UnitPrice"] > 0) & (frame["StockCode"] != "POST")]
    frame = frame.assign(
        day=pd.to_datetime(frame["InvoiceDate"], format="%d/%m/%Y %H:%M").dt.normalize(),
        value=frame["Quantity"] * frame["UnitPrice"],
        is_return=frame["InvoiceNo"].str.startswith("C") | (frame["Quantity"] < 0),
    )
    reference = pd.Timestamp("2010-12-22")  # the day after the last date
    purchases = frame[~frame["is_return"]]
    expected = pd.DataFrame(
        {
            "recency_days": (reference - purchases.groupby("CustomerID")["day"].max()).dt.days,
            "frequency": purchases.groupby("CustomerID")["InvoiceNo"].nunique(),
            "monetary": frame.groupby("CustomerID")["value"].sum().round(2),
        }
    )
    expected = expected[expected["monetary"] > 0].sort_index()
    got = totals.frame[["recency_days", "frequency", "monetary"]].sort_index()
    pd.testing.assert_frame_equal(got, expected, check_names=False, check_dtype=False)

    summary = totals.summary
    assert summary.reference_date == date(2010, 12, 22)
    assert summary.lines_read == 16
    assert summary.duplicate_lines == 0 and summary.repeated_in_order_lines == 1
    assert summary.no_customer_lines == 2
    assert summary.no_customer_value == pytest.approx(2 * 24 * 3.75)
    assert summary.bad_price_lines == 1
    assert summary.excluded_lines == 1
    assert summary.return_lines == 3
    assert summary.returned_value == pytest.approx(2 * 2.55 + 10 * 4.25 + 4.25)
    # 12583 bought 42.50 and returned it all: counted, not segmented.
    assert summary.not_positive_customers == 1
    assert "day-first" in summary.date_interpretation


def test_returns_are_netted_not_counted_as_orders(tmp_path: Path) -> None:
    plan = plan_orders(_write(tmp_path, _retail_lines()), OrderOptions())
    assert plan is not None
    customer = aggregate_orders(plan, OrderOptions()).frame.loc["17850"]
    assert customer["frequency"] == 2  # 536365 and 536366; C536379 is not an order
    assert customer["returned_share"] == pytest.approx(  # 71053 bought twice in 536365
        2 * 2.55 / (6 * 2.55 + 2 * 6 * 3.39 + 6 * 1.85), abs=1e-4
    )


def test_suspect_item_codes_are_listed_with_the_config_line(tmp_path: Path) -> None:
    plan = plan_orders(_write(tmp_path, _retail_lines()), OrderOptions())
    assert plan is not None
    suspects = aggregate_orders(plan, OrderOptions()).summary.suspect_items
    assert [item.code for item in suspects] == ["POST"]


def test_gift_cards_are_listed_even_among_named_items(tmp_path: Path) -> None:
    """Square sold 120,737.50 of eGift Cards, counted as spend without a word."""
    n = 60
    items = ["Latte", "Croissant", "eGift Card", "Latte", "Bagel"] * (n // 5)
    lines = pd.DataFrame(
        {
            "Customer ID": [f"C{k % 12}" for k in range(n)],
            "Date": [f"2024-0{1 + k % 9}-1{k % 10}" for k in range(n)],
            "Item": items,
            "Net Sales": [50.0 if item == "eGift Card" else 4.5 for item in items],
        }
    )
    plan = plan_orders(_write(tmp_path, lines), OrderOptions())
    assert plan is not None and plan.roles.item == "Item"
    summary = aggregate_orders(plan, OrderOptions()).summary
    # Names, not codes: only the gift card is suspect, with what it is worth.
    assert [(item.code, item.gift_card) for item in summary.suspect_items] == [("eGift Card", True)]
    assert summary.suspect_items[0].value == pytest.approx(50.0 * n / 5)


def test_as_of_sets_the_reference_date_and_leaves_later_lines_out(tmp_path: Path) -> None:
    plan = plan_orders(_write(tmp_path, _retail_lines()), OrderOptions())
    assert plan is not None
    totals = aggregate_orders(plan, OrderOptions(as_of=date(2010, 12, 14)))
    assert totals.summary.reference_date == date(2010, 12, 14)
    assert totals.summary.after_reference_lines > 0
    assert totals.frame.loc["17850", "recency_days"] == 1  # last purchase 13 December


def test_without_an_order_column_frequency_counts_purchase_days(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "Member_number": ["1001", "1001", "1001", "1002", "1002", "1003"],
            "Date": [
                "21-07-2015",
                "21-07-2015",
                "05-01-2015",
                "13-03-2015",
                "13-03-2015",
                "01-02-2015",
            ],
            "itemDescription": ["milk", "bread", "milk", "soda", "milk", "rolls/buns"],
        }
    )
    plan = plan_orders(_write(tmp_path, frame), OrderOptions(input_kind="orders"))
    assert plan is not None
    assert not plan.roles.has_money
    totals = aggregate_orders(plan, OrderOptions())
    assert totals.frame["frequency"].to_dict() == {"1001": 2, "1002": 1, "1003": 1}
    assert "monetary" not in totals.frame


def test_whitespace_separated_text_without_a_header(tmp_path: Path) -> None:
    path = tmp_path / "cdnow.txt"
    path.write_bytes(
        b" 00004 0001 19970101  2   29.33\r\n 00004 0001 19970118  2   29.73\r\n"
        b" 00004 0001 19970802  1   14.96\r\n 00018 0002 19970101  2   36.72\r\n"
        b" 00021 0003 19970101  3   52.56\r\n 00021 0003 19970110  1   11.77\r\n"
    )
    plan = plan_orders(path, OrderOptions(input_kind="orders"))
    assert plan is not None
    assert plan.roles.customer == "column1"
    assert plan.roles.date == "column3"
    assert plan.roles.amount == "column5"
    totals = aggregate_orders(plan, OrderOptions())
    # Zero-padded IDs stay as they are.
    assert list(totals.frame.index) == ["00004", "00018", "00021"]
    assert totals.frame.loc["00004", "monetary"] == pytest.approx(29.33 + 29.73 + 14.96)
    assert totals.summary.reference_date == date(1997, 8, 3)


def test_windows_1252_files_are_read(tmp_path: Path) -> None:
    frame = _retail_lines().assign(Name="Roy Französisch")
    path = _write(tmp_path, frame, encoding="cp1252")
    plan = plan_orders(path, OrderOptions())
    assert plan is not None
    assert aggregate_orders(plan, OrderOptions()).summary.customers == 3


@pytest.mark.parametrize(
    ("parts", "order"),
    [
        (["21/07/2015", "01/02/2015"], "dmy"),
        (["11/8/2016", "12/30/2017"], "mdy"),
        (["2011-12-09", "2011-01-01"], "ymd"),
        (["19970101", "19980630"], "compact"),
        (["01/02/2015", "03/04/2015"], None),  # no day above 12
        (["13/01/2015", "01/13/2015"], None),  # both: inconsistent
    ],
)
def test_date_order_is_decided_from_the_whole_column(parts: list[str], order: str | None) -> None:
    assert decide_date_order(parts)[0] == order


def test_an_undecidable_date_column_asks_for_date_format(tmp_path: Path) -> None:
    frame = _retail_lines()
    frame["InvoiceDate"] = "01/02/2011"
    plan = plan_orders(_write(tmp_path, frame), OrderOptions())
    assert plan is not None
    with pytest.raises(DataError, match="date_format"):
        aggregate_orders(plan, OrderOptions())
    totals = aggregate_orders(plan, OrderOptions(date_format="%m/%d/%Y"))
    assert totals.summary.last_date == date(2011, 1, 2)


def test_missing_roles_are_named_with_the_config_key(tmp_path: Path) -> None:
    frame = pd.DataFrame({"Colour": ["red", "blue"] * 5, "Size": list(range(10))})
    with pytest.raises(DataError) as error:
        plan_orders(_write(tmp_path, frame), OrderOptions(input_kind="orders"))
    message = str(error.value)
    assert "the customer and the date" in message
    assert 'customer = "<column>"' in message
    assert 'date = "<column>"' in message


def test_a_configured_column_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, _retail_lines())
    with pytest.raises(SettingsError, match="customer = 'Client'"):
        plan_orders(path, OrderOptions(roles=Roles(customer="Client")))


def test_superstore_like_order_ids_are_not_cancellations(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "Order ID": ["CA-2016-152156", "CA-2016-152156", "US-2015-108966", "CA-2014-1"],
            "Order Date": ["11/8/2016", "11/8/2016", "10/11/2015", "1/13/2014"],
            "Customer ID": ["CG-12520", "CG-12520", "SO-20335", "CG-12520"],
            "Sales": [261.96, 731.94, 957.5775, 22.0],
            "Quantity": [2, 3, 5, 1],
            "Discount": [0.0, 0.0, 0.45, 0.0],
        }
    )
    plan = plan_orders(_write(tmp_path, frame), OrderOptions())
    assert plan is not None
    assert plan.roles.amount == "Sales"
    assert plan.roles.quantity == "Quantity"
    totals = aggregate_orders(plan, OrderOptions())
    assert totals.summary.return_lines == 0
    assert totals.frame.loc["CG-12520", "frequency"] == 2
    assert "month-first" in totals.summary.date_interpretation


def test_the_spark_dialect_uses_no_duckdb_only_function() -> None:
    roles = Roles(customer="c", date="d", quantity="q", price="p", order="o", item="i")
    sql = aggregation_sql(roles, date_expression(None, "dmy", SPARK), dialect=SPARK)
    sql += valued_lines_sql("SELECT * FROM staged", roles, dialect=SPARK)
    for duckdb_only in ("try_strptime", "regexp_matches", "'g')", "INTERVAL"):
        assert duckdb_only not in sql
    assert "to_date(" in sql and "RLIKE" in sql and "date_add(" in sql


def test_parquet_order_lines_are_read_directly(tmp_path: Path) -> None:
    frame = _retail_lines()
    frame["Quantity"] = frame["Quantity"].astype("int64")
    frame["InvoiceDate"] = pd.to_datetime(frame["InvoiceDate"], format="%d/%m/%Y %H:%M")
    path = tmp_path / "orders.parquet"
    frame.to_parquet(path)
    plan = plan_orders(path, OrderOptions())
    assert plan is not None
    assert plan.source.format == "parquet"
    totals = aggregate_orders(plan, OrderOptions(exclude_items=("POST",)))
    assert totals.summary.reference_date == date(2010, 12, 22)
    assert totals.frame.loc["17850", "frequency"] == 2


def test_a_kind_of_customer_is_not_the_customer(tmp_path: Path) -> None:
    """Supermarket sales: one row per invoice, "Customer type" Member/Normal, no customer ID."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "Invoice ID": [f"750-67-{i:04d}" for i in range(400)],
            "Customer type": rng.choice(["Member", "Normal"], 400),
            "Date": pd.date_range("2019-01-01", periods=400, freq="6h").strftime("%m/%d/%Y"),
            "Total": rng.uniform(10, 1000, 400).round(2),
        }
    )
    path = _write(tmp_path, frame)
    # Not a customer table either: invoices without a customer stop with what to do.
    with pytest.raises(DataError, match=r"Invoice ID numbers the orders.*no column says who"):
        plan_orders(path, OrderOptions())
    assert plan_orders(path, OrderOptions(input_kind="customers")) is None


def test_an_unnamed_code_is_not_the_customer_in_a_table_with_a_header(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "Postal Code": rng.choice([f"{n:05d}" for n in range(10_000, 10_300)], 2_000),
            "Order Date": pd.date_range("2019-01-01", periods=2_000, freq="h").strftime("%Y-%m-%d"),
            "Sales": rng.uniform(10, 1000, 2_000).round(2),
        }
    )
    assert plan_orders(_write(tmp_path, frame), OrderOptions()) is None


def test_exclude_items_without_an_item_column_is_refused(tmp_path: Path) -> None:
    frame = _retail_lines().drop(columns="StockCode")
    with pytest.raises(SettingsError, match='item = "<column>"'):
        plan_orders(_write(tmp_path, frame), OrderOptions(exclude_items=("POST",)))


def test_a_european_export_semicolons_decimal_commas_and_dotted_dates(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "Kundennummer": ["101", "101", "102", "102", "103"] * 4,
            "Rechnungsdatum": ["02.03.2024", "16.03.2024", "03.03.2024", "20.03.2024", "05.03.2024"]
            * 4,
            "Rechnung": [f"R{n:04d}" for n in range(20)],
            "Menge": [2, 1, 3, 1, 1] * 4,
            "Einzelpreis": ["2,50", "1,00", "3,50", "4,00", "10,00"] * 4,
        }
    )
    path = _write(tmp_path, frame, sep=";")
    plan = plan_orders(path, OrderOptions())
    assert plan is not None
    assert (plan.roles.customer, plan.roles.quantity, plan.roles.price) == (
        "Kundennummer",
        "Menge",
        "Einzelpreis",
    )
    totals = aggregate_orders(plan, OrderOptions())
    assert totals.frame.loc["101", "monetary"] == pytest.approx(4 * (2 * 2.5 + 1.0))
    assert totals.summary.last_date == date(2024, 3, 20)

    # Money with a decimal comma, thousands dots and a euro sign is the line's value, and
    # a negative amount (a credit note) a return.
    betrag = ["5,00 €", "1.000,00 €", "10,50 €", "-4,00 €", "10,00 €"] * 4
    path = _write(tmp_path, frame.assign(Betrag=betrag), sep=";")
    plan = plan_orders(path, OrderOptions())
    assert plan is not None and plan.roles.amount == "Betrag" and plan.currency == "€"
    totals = aggregate_orders(plan, OrderOptions())
    assert totals.frame.loc["101", "monetary"] == pytest.approx(4 * 1005.0)
    assert totals.frame.loc["102", "monetary"] == pytest.approx(4 * (10.5 - 4.0))


def test_money_with_currency_signs_and_thousands_commas_is_money(tmp_path: Path) -> None:
    # A spreadsheet's currency format: without reading it, the export had "no money column".
    frame = pd.DataFrame(
        {
            "Customer ID": ["C1", "C1", "C2", "C2", "C3"] * 4,
            "Order Date": ["2024-03-02", "2024-03-16", "2024-03-03", "2024-03-20", "2024-03-05"]
            * 4,
            "Invoice": [f"INV{n}" for n in range(20)],
            "Amount": ["$1,234.50", "$5.00", "€12.25", "-$2.00", "3,000.00 USD"] * 4,
        }
    )
    plan = plan_orders(_write(tmp_path, frame), OrderOptions())
    assert plan is not None and plan.roles.amount == "Amount"
    assert plan.formatted_money == ("Amount",)
    totals = aggregate_orders(plan, OrderOptions()).frame
    assert totals.loc["C1", "monetary"] == pytest.approx(4 * 1239.5)
    # The minus sign makes a return: netted against the purchases.
    assert totals.loc["C2", "monetary"] == pytest.approx(4 * (12.25 - 2.0))
    assert totals.loc["C3", "monetary"] == pytest.approx(4 * 3000.0)
    assert plan.currency == ""  # dollars, euros: no one unit
    # Accountants' parentheses are a minus (Square's refunds: "($3.25)"), in either format.
    refunds = frame.assign(Amount=frame["Amount"].str.replace("-$2.00", "($2.00)"))
    plan = plan_orders(_write(tmp_path, refunds), OrderOptions())
    assert plan is not None
    totals = aggregate_orders(plan, OrderOptions()).frame
    assert totals.loc["C2", "monetary"] == pytest.approx(4 * (12.25 - 2.0))
    european = frame.assign(Amount=["1.234,50 €", "5,00 €", "12,25 €", "(2,00 €)", "3.000,00"] * 4)
    plan = plan_orders(_write(tmp_path, european), OrderOptions())
    assert plan is not None and plan.decimal_comma == ("Amount",)
    totals = aggregate_orders(plan, OrderOptions()).frame
    assert totals.loc["C1", "monetary"] == pytest.approx(4 * 1239.5)
    assert totals.loc["C2", "monetary"] == pytest.approx(4 * (12.25 - 2.0))
    dollars = frame.assign(Amount=frame["Amount"].str.replace("€", "$").str.replace(" USD", ""))
    plan = plan_orders(_write(tmp_path, dollars), OrderOptions())
    assert plan is not None and plan.currency == "$"
    summary = aggregate_orders(plan, OrderOptions()).summary
    assert summary.currency == "$"
    clean = customer_table(aggregate_orders(plan, OrderOptions()).frame, summary)
    assert clean.display("monetary") == "Net spend ($)"


def test_lines_whose_status_says_the_sale_did_not_happen_are_left_out(tmp_path: Path) -> None:
    days = [(1, 6), (1, 9), (2, 9), (3, 9), (3, 19), (4, 19), (5, 19), (5, 20)]
    later = ("Shipped", "Shipped", "Refunded")
    frame = pd.DataFrame(
        {
            "ORDERNUMBER": [f"{10100 + n}" for n in range(8)],
            "ORDERDATE": [f"{month}/{day}/2003" for month, day in days],
            "SALES": [3000.0, 1000.0, 200.0, 100.0, 70.0, 10.0, 10.0, 5.0],
            "STATUS": [*("Shipped", "Cancelled", "Shipped", "Disputed", "On Hold"), *later],
            "CUSTOMERNAME": ["Ann", "Ann", "Bob", "Bob", "Cid", "Cid", "Ann", "Cid"],
            # A US state is a place, not a status.
            "STATE": ["NY", "NY", "CA", "CA", "MA", "MA", "NY", "MA"],
        }
    )
    path = _write(tmp_path, frame)
    plan = plan_orders(path, OrderOptions())
    assert plan is not None and plan.roles.status == "STATUS"
    assert plan.void_statuses == ("Cancelled", "On Hold", "Refunded")
    totals = aggregate_orders(plan, OrderOptions())
    assert totals.frame.loc["Ann", "monetary"] == 3010.0  # the cancelled 1,000 is not spend
    assert totals.frame.loc["Ann", "frequency"] == 2
    assert totals.frame.loc["Bob", "monetary"] == 300.0  # a dispute is still a sale
    assert totals.frame.loc["Cid", "monetary"] == 10.0  # on hold: not paid yet
    summary = totals.summary
    assert (summary.void_lines, summary.void_value) == (3, 1075.0)
    assert summary.unkept_customers == 0
    # A customer whose only order was cancelled is counted, not lost without a word.
    dan = frame.iloc[[1]].assign(CUSTOMERNAME="Dan", ORDERNUMBER="10199")
    plan = plan_orders(_write(tmp_path, pd.concat([frame, dan])), OrderOptions())
    assert plan is not None
    assert aggregate_orders(plan, OrderOptions()).summary.unkept_customers == 1
    # Named in the config, a status column is used even without a telling name.
    renamed = frame.rename(columns={"STATUS": "Outcome"})
    options = OrderOptions(roles=Roles(status="Outcome"))
    plan = plan_orders(_write(tmp_path, renamed), options)
    assert plan is not None and plan.roles.status == "Outcome"
    assert aggregate_orders(plan, options).summary.void_lines == 3
    # Without a status that says so, nothing is left out.
    plain = frame.assign(STATUS="Shipped")
    plan = plan_orders(_write(tmp_path, plain), OrderOptions())
    assert plan is not None and plan.roles.status is None


def test_a_shop_export_keyed_by_email_with_a_billing_country(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    customers = [f"cust{n:03d}@example.com" for n in range(60)]
    rows = []
    for order in range(300):
        customer = customers[int(rng.integers(0, 60))]
        status = ["paid", "paid", "refunded", "partially_refunded"][order % 4]
        rows.append(
            (
                f"#{1000 + order}",
                customer,
                status,
                f"2024-0{1 + order % 9}-1{order % 9}",
                f"${rng.integers(10, 500)}.00",
                "US" if order % 3 else "CA",
            )
        )
    frame = pd.DataFrame(
        rows,
        columns=["Name", "Email", "Financial Status", "Created at", "Total", "Billing Country"],
    )
    plan = plan_orders(_write(tmp_path, frame), OrderOptions())
    assert plan is not None
    assert (plan.roles.customer, plan.roles.date, plan.roles.amount) == (
        "Email",
        "Created at",
        "Total",
    )
    # 'bill' is an order hint, but two countries cannot number 300 orders.
    assert plan.roles.order is None
    summary = aggregate_orders(plan, OrderOptions()).summary
    # Refunded orders are left out; a partial refund is still (mostly) a sale.
    assert summary.void_lines == 75 and summary.void_statuses == ("refunded",)


def test_customer_ids_written_as_floats_lose_the_point_zero(tmp_path: Path) -> None:
    frame = _retail_lines()
    frame["CustomerID"] = pd.to_numeric(frame["CustomerID"].replace("", None))  # 17850.0
    plan = plan_orders(_write(tmp_path, frame), OrderOptions())
    assert plan is not None and plan.float_ids
    totals = aggregate_orders(plan, OrderOptions())
    assert set(totals.frame.index) == {"17850", "13047", "12431"}


def test_an_unnamed_row_index_column_is_read_not_refused(tmp_path: Path) -> None:
    """R's write.csv puts an unnamed row index first; DuckDB refused the empty name."""
    lines = _retail_lines()
    lines.insert(0, "", range(1, len(lines) + 1))
    plan = plan_orders(_write(tmp_path, lines), OrderOptions())
    assert plan is not None
    assert plan.source.columns[0] == "Unnamed: 0"
    assert plan.roles.customer == "CustomerID"
    assert aggregate_orders(plan, OrderOptions()).frame.loc["17850"]["frequency"] == 2


def test_a_date_format_with_a_quote_stays_a_sql_string() -> None:
    """A quote in date_format ended the run with DuckDB's 'unterminated string literal'."""
    import duckdb

    expression = date_expression("%Y'-%m-%d", None)
    rows = duckdb.sql(f"SELECT {expression} FROM (SELECT '2024-01-03' AS date_text)").fetchall()
    assert rows == [(None,)]  # unreadable with that format: a missing date, not a SQL error


def test_money_is_summed_exactly_whatever_the_order_of_the_lines(tmp_path: Path) -> None:
    # As floats, ten lines of 0.10 sum to 0.9999999999999999 and the result depends on the
    # order the engine adds them in (DuckDB's threads): one customer's spend moved by a
    # cent between runs. Summed as decimals, it is exactly 1.
    rows = [("A", f"2024-01-{day:02d}", 0.1) for day in range(1, 11)]
    rows += [(None, f"2024-02-{day:02d}", 0.1) for day in range(1, 11)]
    rows += [("B", "2024-03-01", 5.0), ("B", "2024-03-02", 5.0)]
    lines = pd.DataFrame(rows, columns=["Customer", "Date", "Amount"])
    totals = aggregate_orders(plan_orders(_write(tmp_path, lines), OrderOptions()), OrderOptions())
    assert totals.frame.loc["A", "monetary"] == 1.0
    assert totals.summary.no_customer_value == 1.0


def test_the_date_order_example_does_not_depend_on_the_order_of_the_dates() -> None:
    parts = ["21/07/2015", "01/02/2015", "30/12/2015", "13/03/2015"]
    assert decide_date_order(parts) == decide_date_order(parts[::-1])
    assert "e.g. 13/03/2015" in decide_date_order(parts)[1]


def test_customers_left_out_are_listed_with_their_reason(tmp_path: Path) -> None:
    rows = [
        ("A", "2024-01-05", 10.0),
        ("Z", "2024-01-07", 0.0),  # purchases all worth 0
        ("N", "2024-01-09", 20.0),  # returned more than bought
        ("N", "2024-02-09", -25.0),
        ("R", "2024-02-10", -5.0),  # a return only
    ]
    lines = pd.DataFrame(rows, columns=["Customer", "Date", "Amount"])
    plan = plan_orders(_write(tmp_path, lines), OrderOptions())
    assert plan is not None
    totals = aggregate_orders(plan, OrderOptions())
    assert list(totals.frame.index) == ["A"]
    left = totals.left_out
    assert list(left["customer_id"]) == ["N", "R", "Z"]
    assert list(left["reason"]) == [NET_NEGATIVE, RETURNS_ONLY, ZERO_SPEND]
    assert list(left["purchases"]) == [20.0, 0.0, 0.0]
    assert list(left["returns"]) == [25.0, 5.0, 0.0]
    assert [str(day) for day in left["last_purchase"]] == ["2024-01-09", "NaT", "2024-01-07"]
    summary = totals.summary
    assert (summary.not_positive_customers, summary.returns_only_customers) == (3, 1)
    assert (summary.zero_spend_customers, summary.net_negative_customers) == (1, 1)


def test_the_date_order_is_named_with_the_files_own_separator() -> None:
    assert "day-first dates (dd-mm-yyyy)" in decide_date_order(["21-07-2015", "01-02-2015"])[1]
    assert "month-first dates (mm/dd/yyyy)" in decide_date_order(["11/8/2016", "12/30/2017"])[1]


def test_an_export_where_most_customers_bought_once_is_still_order_lines(
    tmp_path: Path,
) -> None:
    # 700 customers with one purchase and 60 who came back on another day: 1.08 lines
    # per customer, below MIN_LINES_PER_CUSTOMER, but 9% of customers repeat on other days.
    once = [(f"CS{n}", f"3/{1 + n % 28}/2014", 30) for n in range(700)]
    again = [(f"CS{n}", f"5/{1 + n % 28}/2014", 40) for n in range(60)]
    lines = pd.DataFrame(once + again, columns=["customer_id", "trans_date", "tran_amount"])
    path = tmp_path / "transactions.csv"
    lines.to_csv(path, index=False)
    plan = plan_orders(path, OrderOptions())
    assert plan is not None and plan.roles.customer == "customer_id"
    assert "customer_id repeats on other days for 60 customers (9%)" in plan.reason
    # A customer table with a signup date, where 5 records were entered twice: a table.
    table = pd.DataFrame(once[:300] + again[:5], columns=["customer_id", "signup", "spend"])
    table.to_csv(path, index=False)
    assert plan_orders(path, OrderOptions()) is None


def test_a_marketplace_export_is_keyed_by_the_person_not_the_per_order_customer_id(
    tmp_path: Path,
) -> None:
    # Olist's shape: customer_id is new for every order; customer_unique_id is the person.
    # 630 persons; 30 of them (4.8%, under MIN_RETURNING_SHARE) order again on another day.
    rows = []
    for person in range(630):
        orders = 2 if person < 30 else 1
        for order in range(orders):
            rows.append(
                {
                    "order_id": f"o{person}-{order}",
                    "customer_id": f"c{person}-{order}",
                    "customer_unique_id": f"u{person:04d}",
                    "order_purchase_timestamp": f"2024-0{1 + 3 * order}-{1 + person % 28:02d}",
                    "payment_value": 50.0 + person % 7,
                }
            )
    path = tmp_path / "olist.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    plan = plan_orders(path, OrderOptions())
    assert plan is not None and plan.roles.customer == "customer_unique_id"
    assert "customer_id is a new ID for each order inside it" in plan.reason
    totals = aggregate_orders(plan, OrderOptions())
    assert totals.summary.customers == 630
    assert int((totals.frame["frequency"] == 2).sum()) == 30
    # Without an order number, 30 of 630 returning is too few to tell from duplicates.
    pd.DataFrame(rows).drop(columns=["order_id"]).to_csv(path, index=False)
    assert plan_orders(path, OrderOptions()) is None


def test_order_lines_under_a_title_are_read_as_without_it(tmp_path: Path) -> None:
    lines = pd.DataFrame(
        {
            "Invoice": [f"I{n // 2}" for n in range(60)],
            "Customer": [f"C{n % 12}" for n in range(60)],
            "Date": [f"2024-0{1 + n % 6}-1{n % 9}" for n in range(60)],
            "Amount": [10.0 + n for n in range(60)],
        }
    )
    plain, titled = tmp_path / "plain.csv", tmp_path / "titled.csv"
    lines.to_csv(plain, index=False)
    titled.write_text("Sales export,,,\nShop 12,,,\n" + plain.read_text(), encoding="utf-8")
    plan = plan_orders(titled, OrderOptions())
    assert plan is not None and plan.source.skip == 2
    assert "the first 2 lines (Sales export; Shop 12) are a title" in plan.source.description
    expected = aggregate_orders(plan_orders(plain, OrderOptions()), OrderOptions()).frame  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(aggregate_orders(plan, OrderOptions()).frame, expected)


def _payments(lines: int, customers: int, **columns: list[object]) -> pd.DataFrame:
    """A payments export: ``lines`` payments by ``customers`` customers on spread dates."""
    return pd.DataFrame(
        {
            "Customer ID": [f"cus_{k % customers}" for k in range(lines)],
            "Created date": [f"2024-0{1 + k % 9}-1{k % 10}" for k in range(lines)],
            **columns,
        }
    )


def test_the_amount_is_the_first_well_filled_money_column_in_any_process(
    tmp_path: Path,
) -> None:
    # Stripe- and Etsy-like: several money columns. The choice was made in set order,
    # so it changed with the process's hash seed; refunds and fees are never the amount.
    n = 80
    lines = _payments(
        n,
        20,
        **{
            "Customer Description": [f"Name {k % 20 // 2}" for k in range(n)],
            "Amount Refunded": [0.0] * n,
            "Adjusted Net Order Amount": [5.0 if k == 3 else None for k in range(n)],
            "Amount": [20.0 + k for k in range(n)],
            "Fee": [1.0] * n,
        },
    )
    path = tmp_path / "payments.csv"
    lines.to_csv(path, index=False)
    script = (
        "from pathlib import Path; from reportgen.transactions import plan_orders, OrderOptions;"
        f"p = plan_orders(Path({str(path)!r}), OrderOptions());"
        "print(p.roles.amount, p.roles.customer)"
    )
    chosen = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in (1, 2, 3, 4)
    }
    # A customer's name is not an ID the customer ID nests in: two customers share one.
    assert chosen == {"Amount Customer ID"}


def test_amounts_in_several_currencies_are_converted_or_said_to_be_mixed(
    tmp_path: Path,
) -> None:
    n = 60
    lines = _payments(
        n,
        12,
        **{
            "Amount": [10.0 + k for k in range(n)],
            "Currency": ["usd", "eur", "usd", "gbp"] * (n // 4),
            "Converted Amount": [11.0 + k for k in range(n)],
        },
    )
    path = tmp_path / "payments.csv"
    lines.to_csv(path, index=False)
    plan = plan_orders(path, OrderOptions())
    assert plan is not None and plan.roles.amount == "Converted Amount"
    assert plan.currencies == ("Currency", "USD", "EUR", "GBP")
    assert not aggregate_orders(plan, OrderOptions()).summary.mixed_currencies
    lines.drop(columns=["Converted Amount"]).to_csv(path, index=False)
    plan = plan_orders(path, OrderOptions())
    assert plan is not None and plan.roles.amount == "Amount"
    assert aggregate_orders(plan, OrderOptions()).summary.mixed_currencies
    # One currency: nothing to say.
    lines.assign(Currency="usd").to_csv(path, index=False)
    plan = plan_orders(path, OrderOptions())
    assert plan is not None and plan.currencies == ()
    assert plan.currency == "USD"  # and the money is said to be in it


def test_two_digit_years_are_read_in_the_right_century(tmp_path: Path) -> None:
    # Excel's US default writes 2/24/03 0:00; read with %Y it would be the year 3.
    lines = pd.DataFrame(
        {
            "ORDERNUMBER": [1, 2, 3, 4],
            "SALES": [20.0, 10.0, 10.0, 30.0],
            "ORDERDATE": ["2/24/03 0:00", "5/7/03 0:00", "12/31/98 0:00", "1/13/68 0:00"],
            "CUSTOMERNAME": ["Ann", "Bob", "Ann", "Cid"],
        }
    )
    path = tmp_path / "sales.csv"
    lines.to_csv(path, index=False)
    plan = plan_orders(path, OrderOptions())
    assert plan is not None
    summary = aggregate_orders(plan, OrderOptions()).summary
    assert (summary.first_date, summary.last_date) == (date(1998, 12, 31), date(2068, 1, 13))
    assert "month-first dates (mm/dd/yy)" in summary.date_interpretation
    assert "two-digit years 69-99 read as 1969-1999" in summary.date_interpretation
    # Four-digit years are untouched, and said so.
    assert "(mm/dd/yyyy)" in decide_date_order(["11/8/2016", "12/30/2017"])[1]


def test_columns_that_describe_the_customer_are_found_and_others_are_not(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(1)
    customers = [f"C{n}" for n in range(40)]
    kinds = {
        customer: rng.choice(["Consumer", "Corporate", "Home Office"]) for customer in customers
    }
    rows = []
    for line in range(400):
        customer = customers[line % 40]
        rows.append(
            (
                customer,
                f"2024-{1 + line % 12:02d}-{1 + line % 28:02d}",
                float(10 + line % 7),
                kinds[customer],  # one per customer: describes them
                rng.choice(["First Class", "Standard"]),  # one per order: does not
                f"{rng.integers(10000, 99999)}",  # a number: never a category here
            )
        )
    columns = ["Customer", "Date", "Sales", "Segment", "Ship Mode", "Postal"]
    path = _write(tmp_path, pd.DataFrame(rows, columns=columns))
    plan = plan_orders(path, OrderOptions())
    assert plan is not None and plan.attributes == ("Segment",)
    totals = aggregate_orders(plan, OrderOptions())
    assert (totals.frame["Segment"] == pd.Series(kinds)[totals.frame.index]).all()


def test_a_column_named_like_a_customer_measure_is_never_an_attribute() -> None:
    head = pd.DataFrame(
        {
            "Customer": ["A", "A", "B", "B"],
            "Date": ["2024-01-01", "2024-02-01", "2024-01-03", "2024-03-01"],
            "frequency": ["high", "high", "low", "low"],  # one per customer, but a clash
            "Tier": ["gold", "gold", "silver", "silver"],
        }
    )
    roles = Roles(customer="Customer", date="Date")
    assert customer_attributes(head, roles, ()) == ("Tier",)


def test_identical_lines_with_different_line_numbers_are_two_purchases(tmp_path: Path) -> None:
    rows = [
        (1, "A", "2024-01-05", 10.0),
        (2, "A", "2024-01-05", 10.0),  # the same purchase again, on its own numbered line
        (3, "B", "2024-02-11", 15.0),
        (4, "B", "2024-03-11", 5.0),
    ]
    lines = pd.DataFrame(rows, columns=["Row ID", "Customer", "Date", "Sales"])
    plan = plan_orders(_write(tmp_path, lines), OrderOptions())
    assert plan is not None and plan.line_id == "Row ID"
    totals = aggregate_orders(plan, OrderOptions())
    assert totals.summary.duplicate_lines == 0
    assert totals.frame.loc["A", "monetary"] == 20.0
    # Without the line numbers the two lines are one line exported twice.
    unnumbered = _write(tmp_path, lines.drop(columns="Row ID"), name="plain.csv")
    plain = aggregate_orders(plan_orders(unnumbered, OrderOptions()), OrderOptions())
    assert plain.summary.duplicate_lines == 1 and plain.frame.loc["A", "monetary"] == 10.0


def test_typed_parquet_numbers_are_read_as_their_text_would_be(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Integer and double Parquet columns are cast to DOUBLE directly, not through text:
    the same doubles, so the same totals to the last digit, for awkward values too."""
    import duckdb

    from reportgen import transactions

    frame = _retail_lines()
    awkward = [0.1, 1 / 3, 2.675, 1e-5, 123456.789012345, 7.62, 0.30000000000000004, 19.99]
    frame["UnitPrice"] = [awkward[i % len(awkward)] * (1 + i) for i in range(len(frame))]
    frame["Quantity"] = frame["Quantity"].astype("int64") * 1_000_003
    path = tmp_path / "typed.parquet"
    frame.to_parquet(path)
    plan = plan_orders(path, OrderOptions())
    assert plan is not None
    relation = f"read_parquet('{path}')"
    typed = transactions._typed_numbers(duckdb.connect(), relation, plan)
    assert typed == {"Quantity", "UnitPrice"}
    direct = aggregate_orders(plan, OrderOptions())
    monkeypatch.setattr(transactions, "_EXACT_NUMBER_TYPES", frozenset())
    assert not transactions._typed_numbers(duckdb.connect(), relation, plan)
    through_text = aggregate_orders(plan, OrderOptions())
    pd.testing.assert_frame_equal(direct.frame, through_text.frame, check_exact=True)
    assert direct.summary == through_text.summary


def test_duckdb_gets_more_memory_only_for_large_inputs(tmp_path: Path, monkeypatch) -> None:
    """The cap follows the input's size: lines estimated from a CSV's head, counted in a
    Parquet footer; the result does not depend on it (spilling only costs time)."""
    from reportgen import transactions

    frame = _retail_lines()
    csv = _write(tmp_path, frame)
    parquet = tmp_path / "orders.parquet"
    frame.to_parquet(parquet)
    options = OrderOptions()
    plans = [plan_orders(path, options) for path in (csv, parquet)]
    assert all(plan is not None for plan in plans)
    lines = [transactions.estimated_lines(plan.source) for plan in plans if plan]
    assert lines[1] == len(frame) and abs(lines[0] - len(frame)) <= 2
    small = [transactions.memory_limit(plan.source) for plan in plans if plan]
    assert small == [transactions.DUCKDB_MEMORY_LIMIT] * 2
    totals = aggregate_orders(plans[0], options)  # type: ignore[arg-type]
    monkeypatch.setattr(transactions, "LARGE_INPUT_LINES", 10)
    large = [transactions.memory_limit(plan.source) for plan in plans if plan]
    assert large == [transactions.DUCKDB_LARGE_MEMORY_LIMIT] * 2
    again = aggregate_orders(plans[0], options)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(totals.frame, again.frame)


def test_placeholder_customers_are_anonymous_lines_not_the_best_customer(tmp_path: Path) -> None:
    """WooCommerce files guest checkouts under customer 0: 442 orders became one Champion."""
    n = 120
    customer = [str(100 + k % 40) for k in range(n)]
    for k in range(0, n, 4):
        customer[k] = "0" if k % 8 else " Guest "
    lines = pd.DataFrame(
        {
            "Order ID": [f"#{1000 + k}" for k in range(n)],
            "Order Date": [f"2024-0{1 + k % 9}-1{k % 10}" for k in range(n)],
            "Customer User": customer,
            "Order Total": [10.0 + k for k in range(n)],
        }
    )
    path = _write(tmp_path, lines)
    plan = plan_orders(path, OrderOptions())
    assert plan is not None and plan.roles.customer == "Customer User"
    assert plan.placeholders == ("0", "Guest")
    totals = aggregate_orders(plan, OrderOptions())
    assert sorted(totals.frame.index) == sorted({c for c in customer if c.isdigit() and c != "0"})
    summary = totals.summary
    assert summary.no_customer_lines == 30
    anonymous = [k for k in range(n) if k % 4 == 0]
    assert summary.no_customer_value == pytest.approx(sum(10.0 + k for k in anonymous))
    assert summary.placeholder_customers == ("0", "Guest")
    # A file that numbers its customers from 0: customer 0 is a customer like the others.
    numbered = lines.assign(**{"Customer User": [str(k % 40) for k in range(n)]})
    plan = plan_orders(_write(tmp_path, numbered), OrderOptions())
    assert plan is not None and plan.placeholders == ()
    assert "0" in aggregate_orders(plan, OrderOptions()).frame.index


def test_guest_checkouts_are_told_apart_by_their_e_mail(tmp_path: Path) -> None:
    n = 120
    account = [str(100 + k % 40) if k % 3 else "0" for k in range(n)]
    lines = pd.DataFrame(
        {
            "Order ID": [f"#{1000 + k}" for k in range(n)],
            "Order Date": [f"2024-0{1 + k % 9}-1{k % 10}" for k in range(n)],
            "Customer User": account,
            "Billing Email": [f"buyer{k % 50}@example.com" for k in range(n)],
            "Order Total": [10.0 + k for k in range(n)],
        }
    )
    plan = plan_orders(_write(tmp_path, lines), OrderOptions())
    assert plan is not None and plan.roles.customer == "Billing Email"
    assert "Customer User holds a placeholder" in plan.reason
    assert len(aggregate_orders(plan, OrderOptions()).frame) == 50


def test_e_mail_customers_are_one_person_whatever_the_case(tmp_path: Path) -> None:
    """A subscription export wrote some charges as ANN@EXAMPLE.COM: 700 people, 1,092 keys."""
    n = 60
    lines = pd.DataFrame(
        {
            "email": [
                f"user{k % 10}@example.com" if (k // 10) % 2 else f" User{k % 10}@Example.COM"
                for k in range(n)
            ],
            "created_at": [f"2024-0{1 + k % 9}-1{k % 10}" for k in range(n)],
            "total_price": [10.0] * n,
        }
    )
    plan = plan_orders(_write(tmp_path, lines), OrderOptions())
    assert plan is not None and plan.roles.customer == "email"
    totals = aggregate_orders(plan, OrderOptions())
    assert sorted(totals.frame.index) == [f"user{k}@example.com" for k in range(10)]
    assert totals.frame["monetary"].sum() == pytest.approx(10.0 * n)


def test_the_amount_is_never_a_discount_column_or_one_mostly_zero(tmp_path: Path) -> None:
    """A subscription export's 'total_discounts' (plural) was the amount: '42 revenue at risk'."""
    n = 60
    lines = _payments(
        n,
        12,
        **{
            "total_discounts": [5.0 if k % 9 == 0 else 0.0 for k in range(n)],
            "total_price": [30.0 + k for k in range(n)],
        },
    )
    path = tmp_path / "charges.csv"
    lines.to_csv(path, index=False)
    plan = plan_orders(path, OrderOptions())
    assert plan is not None and plan.roles.amount == "total_price"
    # Not a discount by name, but 0 on most lines: a column that is paid wins.
    lines.rename(columns={"total_discounts": "Adjustment Total"}).to_csv(path, index=False)
    plan = plan_orders(path, OrderOptions())
    assert plan is not None and plan.roles.amount == "total_price"


def test_an_erp_amount_in_local_currency_is_a_converted_amount(tmp_path: Path) -> None:
    n = 60
    lines = _payments(
        n,
        12,
        **{
            "Currency Code": ["GBP", "USD", "CHF"] * (n // 3),
            "Amount": [10.0 + k for k in range(n)],
            "Amount (LCY)": [12.0 + k for k in range(n)],
        },
    )
    path = tmp_path / "erp.csv"
    lines.to_csv(path, index=False)
    plan = plan_orders(path, OrderOptions())
    assert plan is not None and plan.roles.amount == "Amount (LCY)"
    assert not aggregate_orders(plan, OrderOptions()).summary.mixed_currencies


def test_charges_never_made_and_denied_check_ins_are_not_purchases(tmp_path: Path) -> None:
    """Subscriptions' SKIPPED and ERROR charges (17,772 never paid) were counted as sales."""
    n = 60
    charges = _payments(
        n,
        12,
        status=["SUCCESS", "SKIPPED", "SUCCESS", "ERROR", "wc-pending", "wc-on-hold"] * 10,
        total_price=[10.0] * n,
    )
    plan = plan_orders(_write(tmp_path, charges), OrderOptions())
    assert plan is not None and plan.roles.status == "status"
    summary = aggregate_orders(plan, OrderOptions()).summary
    assert summary.void_lines == 40
    visits = _payments(n, 12, Result=["Granted", "Granted", "Denied - expired"] * 20)
    plan = plan_orders(_write(tmp_path, visits), OrderOptions())
    assert plan is not None and plan.roles.status == "Result"
    assert aggregate_orders(plan, OrderOptions()).summary.void_lines == 20


def test_a_bare_id_that_repeats_beside_a_date_is_the_customer(tmp_path: Path) -> None:
    """Lifetimes' example_transactions (date,id) was read as 14,270 one-row "customers"."""
    n = 90
    lines = pd.DataFrame(
        {
            "date": [f"2014-0{1 + k % 9}-1{k % 10} 00:00:00" for k in range(n)],
            "id": [str(k % 30) for k in range(n)],
        }
    )
    plan = plan_orders(_write(tmp_path, lines), OrderOptions())
    assert plan is not None and plan.roles.customer == "id"
    totals = aggregate_orders(plan, OrderOptions())
    assert len(totals.frame) == 30 and "0" in totals.frame.index
    # A per-row id does not repeat: a customer table.
    rows = lines.assign(id=[str(k) for k in range(n)])
    assert plan_orders(_write(tmp_path, rows), OrderOptions()) is None


def test_orders_without_a_customer_stop_instead_of_segmenting_rows(tmp_path: Path) -> None:
    """An Amazon order report has no buyer: its 3,252 item rows became "customers"."""
    n = 60
    lines = pd.DataFrame(
        {
            "amazon-order-id": [f"111-{1000000 + k // 2}-{2000000 + k // 2}" for k in range(n)],
            "purchase-date": [f"2024-0{1 + k % 9}-1{k % 10}T10:00:00" for k in range(n)],
            "sku": [f"SKU{k % 7}" for k in range(n)],
            "item-price": [9.99 + k for k in range(n)],
        }
    )
    path = _write(tmp_path, lines)
    with pytest.raises(DataError, match=r"looks like an export of orders .* no column says who"):
        plan_orders(path, OrderOptions())
    assert plan_orders(path, OrderOptions(input_kind="customers")) is None


def test_a_workbook_date_column_with_some_dates_typed_as_text_is_dates(tmp_path: Path) -> None:
    """An ERP export's Posting Date: 80% real dates, 20% typed '05.01.2024' -> a category,
    and the whole file was read as 3,786 one-line customers."""
    from datetime import datetime

    n = 60
    posted = [
        f"{1 + k % 28:02d}.{1 + k % 12:02d}.2024"
        if k % 5 == 0
        else datetime(2024, 1 + k % 12, 1 + k % 28)
        for k in range(n)
    ]
    lines = pd.DataFrame(
        {
            "Posting Date": posted,
            "Document No.": [f"SI-{1000 + k}" for k in range(n)],
            "Sell-to Customer No.": [f"C{k % 12:04d}" for k in range(n)],
            "Amount": [100.0 + k for k in range(n)],
        }
    )
    path = tmp_path / "erp.xlsx"
    lines.to_excel(path, index=False)
    plan = plan_orders(path, OrderOptions())
    assert plan is not None and plan.roles.date == "Posting Date"
    assert plan.roles.order == "Document No."  # an ERP's order number
    summary = aggregate_orders(plan, OrderOptions()).summary
    assert summary.no_date_lines == 0
    days = [date(2024, 1 + k % 12, 1 + k % 28) for k in range(n)]
    assert (summary.first_date, summary.last_date) == (min(days), max(days))


def test_an_event_log_counts_only_its_purchase_events(tmp_path: Path) -> None:
    """A clickstream (view, cart, purchase): every page view was a "purchase", and the
    users who never bought were segmented."""
    n = 120
    events = ["product_view", "add_to_cart", "product_view", "purchase"]
    lines = pd.DataFrame(
        {
            "user_id": [f"user_{k % 20:04d}" for k in range(n)],
            "event_type": [events[k % 4] if k % 20 < 15 else "product_view" for k in range(n)],
            "event_time": [f"2024-0{1 + k % 9}-1{k % 10} 10:00:00" for k in range(n)],
            "price": [20.0 + k % 5 for k in range(n)],
        }
    )
    plan = plan_orders(_write(tmp_path, lines), OrderOptions())
    assert plan is not None and plan.roles.status == "event_type" and plan.roles.events
    assert plan.void_statuses == ("product_view", "add_to_cart")
    totals = aggregate_orders(plan, OrderOptions())
    bought = lines[lines["event_type"] == "purchase"]
    assert sorted(totals.frame.index) == sorted(bought["user_id"].unique())
    spend = bought.groupby("user_id")["price"].sum()
    assert totals.frame["monetary"].sort_index().tolist() == spend.sort_index().tolist()
    summary = totals.summary
    assert summary.events and summary.void_lines == n - len(bought)
    assert summary.unkept_customers == 20 - bought["user_id"].nunique()  # only browsed


def test_credit_notes_are_returns_whatever_the_sign_of_their_amounts(tmp_path: Path) -> None:
    """An ERP's 'Credit Memo' lines carry positive amounts: 54,007 of credits were added."""
    n = 60
    documents = ["Invoice", "Invoice", "Invoice", "Credit Memo"] * (n // 4)
    lines = pd.DataFrame(
        {
            "Document Type": documents,
            "Document No.": [
                f"{'SCM' if d == 'Credit Memo' else 'SI'}-{1000 + k}"
                for k, d in enumerate(documents)
            ],
            "Posting Date": [f"2024-0{1 + k % 9}-1{k % 10}" for k in range(n)],
            "Sell-to Customer No.": [f"C{k % 10:04d}" for k in range(n)],
            "Amount": [100.0] * n,
        }
    )
    plan = plan_orders(_write(tmp_path, lines), OrderOptions())
    assert plan is not None and plan.roles.document == "Document Type" and plan.roles.credit_notes
    totals = aggregate_orders(plan, OrderOptions())
    assert totals.summary.return_lines == n // 4
    assert totals.summary.returned_value == pytest.approx(100.0 * n / 4)
    assert totals.frame["monetary"].sum() == pytest.approx(100.0 * (n - n // 4) - 100.0 * n / 4)
    assert totals.summary.void_lines == 0


def test_the_summary_counted_per_customer_adds_up_to_the_lines_counted_one_by_one(
    tmp_path: Path,
) -> None:
    # The summary's counts are made per customer in the same pass as the totals, then
    # added up: checked here against every line counted directly, in exact decimals.
    rng = np.random.default_rng(14)
    size = 3000
    frame = pd.DataFrame(
        {
            "InvoiceNo": [
                ("C" if rng.random() < 0.1 else "") + str(500000 + rng.integers(0, 900))
                for _ in range(size)
            ],
            "StockCode": rng.choice(["10001", "10002", "20003", "POST", "FEE", "30004"], size),
            "Quantity": rng.choice([-3, 0, 1, 2, 5, 12], size),
            "InvoiceDate": [
                f"{rng.integers(1, 32):02d}/{rng.integers(1, 13):02d}/2011" for _ in range(size)
            ],
            "UnitPrice": rng.choice([-1.0, 0.0, 0.01, 0.85, 2.55, 3.39, 19.99], size),
            "CustomerID": rng.choice([*(str(17000 + n) for n in range(40)), None], size),
        }
    )
    unkept = pd.DataFrame(  # customers with lines, none kept: after as_of, excluded
        [
            ["500001", "10001", 1, "20/11/2011", 2.55, "99998"],
            ["500002", "POST", 1, "02/01/2011", 5.0, "99999"],
        ],
        columns=frame.columns,
    )
    frame = pd.concat([frame, frame.iloc[:200], unkept], ignore_index=True)  # and duplicates
    options = OrderOptions(as_of=date(2011, 11, 15), exclude_items=("POST",))
    plan = plan_orders(_write(tmp_path, frame), options)
    assert plan is not None
    totals = aggregate_orders(plan, options)
    summary = totals.summary

    # With an order column, identical lines are the same item bought again: each is a
    # line of its own, in the counts as in the money.
    lines = frame
    day = pd.to_datetime(lines["InvoiceDate"], format="%d/%m/%Y", errors="coerce")
    value = pd.Series(
        [
            Decimal(str(quantity)) * Decimal(str(price))
            for quantity, price in zip(lines["Quantity"], lines["UnitPrice"], strict=True)
        ],
        index=lines.index,
    )
    status = np.select(
        [lines["StockCode"] == "POST", lines["UnitPrice"] <= 0, day.isna()],
        ["excluded", "bad_price", "no_date"],
        default="ok",
    )
    ok = pd.Series(status == "ok", index=lines.index)
    returned = lines["InvoiceNo"].str.startswith("C") | (lines["Quantity"] < 0) | (value < 0)
    no_customer = lines["CustomerID"].isna()
    as_of = pd.Timestamp(options.as_of)
    kept = ok & ~no_customer & (day < as_of)

    def money(mask: pd.Series, values: pd.Series = value) -> float:
        return float(sum(values[mask], Decimal(0)))

    assert summary.lines_read == len(frame)
    assert summary.duplicate_lines == 0
    assert summary.repeated_in_order_lines == len(frame) - len(frame.drop_duplicates()) > 0
    assert (summary.first_date, summary.last_date) == (day.min().date(), day.max().date())
    assert summary.no_customer_lines == no_customer.sum()
    assert summary.no_customer_value == money(no_customer & ok)
    assert summary.no_date_lines == ((status == "no_date") & ~no_customer).sum()
    assert summary.bad_price_lines == (status == "bad_price").sum()
    assert summary.zero_value_lines == (ok & (value == 0)).sum()
    assert summary.excluded_lines == (status == "excluded").sum()
    assert summary.return_lines == (ok & returned).sum()
    assert summary.returned_value == money(ok & returned, value.abs())
    assert summary.after_reference_lines == (ok & (day >= as_of)).sum()
    customers = set(lines.loc[~no_customer, "CustomerID"])
    assert summary.unkept_customers == len(customers - set(lines.loc[kept, "CustomerID"]))
    assert summary.unkept_customers > 0
    net = value.where(~returned, -value.abs())
    for customer in totals.frame.index:
        mine = kept & (lines["CustomerID"] == customer)
        assert totals.frame.loc[customer, "monetary"] == pytest.approx(money(mine, net))


def test_a_void_status_and_a_document_type_are_both_applied(tmp_path: Path) -> None:
    """Xero: Status DRAFT/VOIDED leaves lines out AND Type 'Sales credit note' (positive
    amounts) makes lines returns; one slot used to hide the other (credit notes added)."""
    statuses = ["PAID", "PAID", "AUTHORISED", "VOIDED", "DRAFT", "PAID"] * 10
    types = ["Sales invoice"] * 5 + ["Sales credit note"]
    lines = pd.DataFrame(
        {
            "EmailAddress": [f"accounts@company{k % 10}.example" for k in range(60)],
            "InvoiceNumber": [f"INV-{k:05d}" for k in range(60)],
            "InvoiceDate": [f"{1 + k % 28:02d}/0{1 + k % 9}/2025" for k in range(60)],
            "SubTotal": [100.0] * 60,
            "Status": statuses,
            "Type": types * 10,
        }
    )
    plan = plan_orders(_write(tmp_path, lines), OrderOptions())
    assert plan is not None
    assert plan.roles.status == "Status" and plan.roles.document == "Type"
    totals = aggregate_orders(plan, OrderOptions())
    assert totals.summary.void_lines == 20  # VOIDED and DRAFT
    assert totals.summary.return_lines == 10  # the credit notes (all PAID)
    assert totals.frame["monetary"].sum() == pytest.approx(100.0 * (30 - 10))


def test_a_sales_pipeline_counts_won_deals_only_dated_by_their_close(tmp_path: Path) -> None:
    """Salesforce's Stage: Closed Lost and open stages (Prospecting, Negotiation) are no
    sale; the Close Date dates a deal, and open deals closing next year set no reference."""
    stages = ["Closed Won", "Closed Lost", "Prospecting", "Negotiation/Review"] * 15
    rows = []
    for k, stage in enumerate(stages):
        close = (
            f"2026-0{1 + k % 9}-15"
            if stage in ("Prospecting", "Negotiation/Review")
            else (f"2025-0{1 + k % 9}-10")
        )
        rows.append((f"Account {k % 12}", stage, 1000.0 + k, "2024-01-05", close))
    rows.append(("", "", sum(row[2] for row in rows), "", ""))  # the report's Total line
    lines = pd.DataFrame(
        rows, columns=["Account Name", "Stage", "Amount", "Created Date", "Close Date"]
    )
    plan = plan_orders(_write(tmp_path, lines), OrderOptions())
    assert plan is not None
    assert plan.roles.status == "Stage" and plan.roles.pipeline
    assert plan.roles.date == "Close Date"
    totals = aggregate_orders(plan, OrderOptions())
    won = lines[lines["Stage"] == "Closed Won"]
    assert totals.summary.void_lines == 45  # the Total line has no stage: not a lost deal
    assert totals.summary.footer_lines == 1  # no customer, no date: the Total line
    assert totals.frame["monetary"].sum() == pytest.approx(won["Amount"].sum())
    assert len(totals.frame) == won["Account Name"].nunique()
    assert totals.summary.reference_date == date(2025, 9, 11)  # the last won close + 1
    notes = order_quality(totals.summary, ("recency_days",), ()).notes
    assert "Reference date: 2025-09-11, the day after the last sale's date" in notes[1]


@pytest.mark.parametrize(
    ("column", "values", "void"),
    [
        ("Status", ["Abgeschlossen", "Abgeschlossen", "Abgelehnt", "Ausstehend"], 2),
        ("state", ["complete", "processing", "canceled", "holded", "closed"], 3),
        ("Status", ["CLOSED", "CLOSED", "SAVED", "LAYBY", "VOIDED"], 3),
        ("Estado", ["Pagado", "Pagado", "Rechazado", "Pendiente"], 2),
        ("Statut", ["Payé", "Payé", "Refusé", "En attente"], 2),
    ],
)
def test_statuses_in_other_names_and_languages_leave_their_lines_out(
    tmp_path: Path, column: str, values: list[str], void: int
) -> None:
    """German (Abgelehnt, Ausstehend), Magento's state (holded; closed beside complete is
    refunded), a till's parked and lay-by sales, Spanish and French; Vend's CLOSED alone
    is a finished sale."""
    n = len(values) * 12
    lines = pd.DataFrame(
        {
            "Customer": [f"C{k % 15}" for k in range(n)],
            "Date": [f"2025-0{1 + k % 9}-{10 + k % 18}" for k in range(n)],
            "Amount": [10.0] * n,
            column: values * 12,
        }
    )
    plan = plan_orders(_write(tmp_path, lines), OrderOptions())
    assert plan is not None and plan.roles.status == column
    totals = aggregate_orders(plan, OrderOptions())
    assert totals.summary.void_lines == void * 12
    listed = {value: sale for value, _, sale in totals.summary.status_values}
    assert sum(not sale for sale in listed.values()) == void
    notes = " ".join(order_quality(totals.summary, ("recency_days",), ()).notes)
    assert f"{column} values ({n:,} lines with a value): counted as sales: {values[0]}" in notes


def test_a_status_named_column_that_is_not_read_says_why(tmp_path: Path) -> None:
    n = 40
    lines = pd.DataFrame(
        {
            "Customer": [f"C{k % 10}" for k in range(n)],
            "Date": [f"2025-0{1 + k % 9}-1{k % 10}" for k in range(n)],
            "Amount": [10.0] * n,
            "Ticket Status": ["Solved", "Open"] * (n // 2),
        }
    )
    plan = plan_orders(_write(tmp_path, lines), OrderOptions())
    assert plan is not None and plan.roles.status is None
    totals = aggregate_orders(plan, OrderOptions())
    notes = " ".join(order_quality(totals.summary, ("recency_days",), ()).notes)
    assert "Ticket Status is named like a status but is not read: none of its values" in notes


def test_accented_names_are_matched_after_folding(tmp_path: Path) -> None:
    """PayPal's German 'Währung' lost its ä ('whrung') and matched no currency name: three
    currencies were added up with no warning."""
    n = 60
    lines = pd.DataFrame(
        {
            "Datum": [f"{1 + k % 28:02d}.0{1 + k % 9}.2025" for k in range(n)],
            "Absender E-Mail-Adresse": [f"kunde{k % 12}@example.de" for k in range(n)],
            "Währung": ["EUR", "EUR", "USD", "GBP"] * (n // 4),
            "Brutto": ["12,50"] * n,
        }
    )
    plan = plan_orders(_write(tmp_path, lines), OrderOptions())
    assert plan is not None and plan.currencies == ("Währung", "EUR", "GBP", "USD")


def test_an_order_hinted_column_of_money_is_the_amount_not_the_order(tmp_path: Path) -> None:
    """A loyalty ledger's 'Basket Value (CHF)' ("basket" hints an order) was the order
    number: two baskets of equal value were one visit, and there was no money."""
    n = 80
    lines = pd.DataFrame(
        {
            "Card Number": [f"6280 7843 3141 {9600 + k % 15}" for k in range(n)],
            "Transaction Date": [f"2025-0{1 + k % 9}-{10 + k % 19} 10:00" for k in range(n)],
            "Basket Value (CHF)": [f"CHF {20 + k % 7}.{k % 10}5" for k in range(n)],
        }
    )
    plan = plan_orders(_write(tmp_path, lines), OrderOptions())
    assert plan is not None
    assert plan.roles.customer == "Card Number"
    assert plan.roles.order is None and plan.roles.amount == "Basket Value (CHF)"


def test_a_frequent_flyer_number_is_the_customer_and_a_ticket_status_no_order(
    tmp_path: Path,
) -> None:
    """An airline's PNR export: FFP Number is the flyer, 'Ticket Status' (CNLD cancelled)
    a status, not an order number ("ticket" hints an order), and Base Fare the amount."""
    n = 90
    lines = pd.DataFrame(
        {
            "PNR": [f"X{k:05d}" for k in range(n)],
            "FFP Number": [f"{932865000 + k % 20}" for k in range(n)],
            "Booking Date": [f"2025-0{1 + k % 9}-{10 + k % 19}" for k in range(n)],
            "Base Fare": [f"{200 + k}.50" for k in range(n)],
            "Ticket Status": ["FLWN", "FLWN", "TKTD", "CNLD", "NOSH", "FLWN"] * (n // 6),
        }
    )
    plan = plan_orders(_write(tmp_path, lines), OrderOptions())
    assert plan is not None
    assert plan.roles.customer == "FFP Number" and plan.roles.amount == "Base Fare"
    assert plan.roles.status == "Ticket Status" and plan.roles.order is None
    totals = aggregate_orders(plan, OrderOptions())
    assert totals.summary.void_lines == n // 6  # CNLD; a no-show keeps its fare


def test_a_line_type_with_totals_and_items_is_read_at_one_level(tmp_path: Path) -> None:
    """Vend: a 'Sale' row (the total), its 'Sale Line' rows (the items) and a 'Payment'
    row per receipt; every sale was counted twice. Two identical items in one receipt
    (two flat whites) are two purchases, not a duplicate."""
    rows = []
    for receipt in range(40):
        customer = f"C{receipt % 16}"
        day = f"2025-0{1 + receipt % 9}-{10 + receipt % 19} 09:00:00"
        items = [("Flat white", 4.5), ("Flat white", 4.5), ("Muffin", 3.0 + receipt % 3)]
        total = sum(price for _, price in items)
        rows.append((day, 100 + receipt, "Sale", customer, "", total))
        rows += [(day, 100 + receipt, "Sale Line", customer, n, p) for n, p in items]
        rows.append((day, 100 + receipt, "Payment", customer, "", None))
    lines = pd.DataFrame(
        rows,
        columns=["Date", "Receipt Number", "Line Type", "Customer Code", "Product", "Subtotal"],
    )
    plan = plan_orders(_write(tmp_path, lines), OrderOptions())
    assert plan is not None and plan.roles.level == "Line Type"
    assert plan.roles.level_drop == ("Payment", "Sale") and plan.level_kept == ("Sale Line",)
    totals = aggregate_orders(plan, OrderOptions())
    sales = lines[lines["Line Type"] == "Sale"]
    assert totals.frame["monetary"].sum() == pytest.approx(sales["Subtotal"].sum())
    assert totals.summary.level_lines == 80 and totals.summary.duplicate_lines == 0
    notes = " ".join(order_quality(totals.summary, ("recency_days",), ()).notes)
    assert "Line Type splits the rows into levels: the Sale Line lines are the items" in notes


def test_child_lines_of_a_parent_are_not_sales_of_their_own(tmp_path: Path) -> None:
    """Magento: a configurable product is a parent row and a simple child row repeating
    its price (parent_item_id set): the child doubled the money."""
    rows = []
    for order in range(60):
        email = f"buyer{order % 12}@example.com"
        day = f"2025-0{1 + order % 9}-{10 + order % 19}"
        rows.append((100000 + order, day, email, 3 * order + 1, None, "configurable", 49.9))
        rows.append((100000 + order, day, email, 3 * order + 2, 3 * order + 1, "simple", 49.9))
        rows.append((100000 + order, day, email, 3 * order + 3, None, "simple", 10.0))
    lines = pd.DataFrame(
        rows,
        columns=[
            "increment_id",
            "created_at",
            "customer_email",
            "item_id",
            "parent_item_id",
            "product_type",
            "row_total",
        ],
    )
    plan = plan_orders(_write(tmp_path, lines), OrderOptions())
    assert plan is not None and plan.roles.level == "parent_item_id" and plan.roles.children
    totals = aggregate_orders(plan, OrderOptions())
    assert totals.frame["monetary"].sum() == pytest.approx(60 * (49.9 + 10.0))
    assert totals.summary.level_lines == 60


def test_bill_payments_are_neither_purchases_nor_returns(tmp_path: Path) -> None:
    """A card issuer's postings: PAY 'PAYMENT - THANK YOU' rows (negative) are the holder
    paying the bill; netted as returns they wiped out most customers' spend. REF rows are
    merchant refunds, netted."""
    rows = []
    for k in range(120):
        account = f"{1001598100 + k % 10}"
        day = f"{1 + k % 28:02d}/0{1 + k % 9}/2025"
        rows.append((account, day, "NETFLIX.COM", 20.0, "PUR"))
        if k % 3 == 0:
            rows.append((account, day, "PAYMENT - THANK YOU", -60.0, "PAY"))
        if k % 20 == 0:
            rows.append((account, day, "NETFLIX.COM", -5.0, "REF"))
    lines = pd.DataFrame(
        rows,
        columns=["Account Number", "Posting Date", "Description", "Amount", "Transaction Code"],
    )
    plan = plan_orders(_write(tmp_path, lines), OrderOptions())
    assert plan is not None and plan.roles.level is not None
    totals = aggregate_orders(plan, OrderOptions())
    assert len(totals.frame) == 10
    assert totals.frame["monetary"].sum() == pytest.approx(120 * 20.0 - 6 * 5.0)
    assert totals.summary.return_lines == 6 and totals.summary.level_lines == 40


def test_a_payment_accounts_holder_is_not_a_customer(tmp_path: Path) -> None:
    """PayPal's activity: the shop sends refunds (Absender = the shop, the buyer the
    recipient) and currency conversions; it became a customer with all the refunds, and
    the buyers' refunds were never netted. Brutto (gross) is what the buyer paid."""
    rows = []
    for k in range(60):
        buyer = f"kunde{k % 15}@example.de"
        day = f"{1 + k % 28:02d}.0{1 + k % 9}.2025"
        rows.append((day, "Zahlung", buyer, "shop@example.de", "100,00", "97,00"))
        if k % 6 == 0:
            rows.append((day, "Rückzahlung", "shop@example.de", buyer, "-40,00", "-39,00"))
        if k % 5 == 0:
            rows.append((day, "Umrechnung", "shop@example.de", "", "-12,00", "-12,00"))
    lines = pd.DataFrame(
        rows,
        columns=[
            "Datum",
            "Typ",
            "Absender E-Mail-Adresse",
            "Empfänger E-Mail-Adresse",
            "Brutto",
            "Netto",
        ],
    )
    plan = plan_orders(_write(tmp_path, lines), OrderOptions())
    assert plan is not None and plan.roles.amount == "Brutto"
    assert plan.holder == ("shop@example.de", "Empfänger E-Mail-Adresse", 22)
    totals = aggregate_orders(plan, OrderOptions())
    assert "shop@example.de" not in totals.frame.index and len(totals.frame) == 15
    assert totals.frame["monetary"].sum() == pytest.approx(60 * 100.0 - 10 * 40.0)
    assert totals.summary.no_customer_lines == 12  # the conversions: no one on the other side


def test_a_document_type_named_after_the_document_is_no_order_number(tmp_path: Path) -> None:
    """'Belegart' (document type; "beleg" hints an order) was taken as the order number,
    so its credit notes ('Gutschrift') were never returns."""
    n = 44
    lines = pd.DataFrame(
        {
            "Kundennummer": [f"K{k % 11:03d}" for k in range(n)],
            "Datum": [f"{1 + k % 28:02d}.0{1 + k % 9}.2025" for k in range(n)],
            "Belegart": ["Rechnung", "Rechnung", "Rechnung", "Gutschrift"] * (n // 4),
            "Betrag": ["100,00"] * n,
        }
    )
    plan = plan_orders(_write(tmp_path, lines), OrderOptions())
    assert plan is not None and plan.roles.document == "Belegart" and plan.roles.order is None
    totals = aggregate_orders(plan, OrderOptions())
    assert totals.summary.return_lines == n // 4


def _till_baskets(n_baskets: int = 40) -> pd.DataFrame:
    """A bakery's till export: short running receipt numbers, 1-3 items each, no buyer."""
    rows = []
    for basket in range(1, n_baskets + 1):
        for item in range(1 + basket % 3):
            rows.append(
                {
                    "Date": f"2016-10-{30 + basket // 30}",
                    "Time": f"{9 + basket // 10:02d}:{basket % 60:02d}:00",
                    "Transaction": str(basket),
                    "Item": ["Bread", "Coffee", "Tea"][item],
                }
            )
    return pd.DataFrame(rows)


def test_till_baskets_with_short_receipt_numbers_stop_without_a_customer(tmp_path: Path) -> None:
    """BreadBasket_DMS (Date, Time, Transaction 1..9,684, Item) was segmented as 210
    "customers" on the basket number and the day: short numbers with 2-3 lines each
    failed the 'long, mostly distinct codes' test."""
    path = _write(tmp_path, _till_baskets())
    with pytest.raises(DataError, match=r"looks like an export of orders \(Transaction numbers"):
        plan_orders(path, OrderOptions())
    # One line per receipt, numbered in sequence: still receipts.
    single = _till_baskets().drop_duplicates("Transaction").rename(columns={"Transaction": "Bon"})
    with pytest.raises(DataError, match=r"no column says who bought"):
        plan_orders(_write(tmp_path, single, "bons.csv"), OrderOptions())


def test_a_count_of_transactions_in_a_customer_table_is_not_an_order_number(
    tmp_path: Path,
) -> None:
    """A customer table's count of orders repeats (3, 5, 3 ...) but is no order number."""
    rng = np.random.default_rng(3)
    n = 80
    frame = pd.DataFrame(
        {
            "Signup Date": pd.date_range("2020-01-01", periods=n).strftime("%Y-%m-%d"),
            "Transactions": rng.integers(1, 9, n).astype(str),
            "Spend": rng.uniform(10, 900, n).round(2),
        }
    )
    assert plan_orders(_write(tmp_path, frame), OrderOptions()) is None
    # Singular and without a count word: small numbers scattered over the table neither
    # sit together nor run in sequence.
    frame = frame.rename(columns={"Transactions": "Order"})
    assert plan_orders(_write(tmp_path, frame, "order.csv"), OrderOptions()) is None
    # A few channels, the table sorted by them: together, but not order numbers.
    channels = frame.drop(columns="Order").assign(
        **{"Order Channel": ["web"] * 30 + ["phone"] * 25 + ["store"] * 25}
    )
    assert plan_orders(_write(tmp_path, channels, "channels.csv"), OrderOptions()) is None


def _headerless_sales(n_orders: int = 40) -> str:
    """Kaggle 'Sales_January_2019' lines without their header line: order ID, product,
    quantity, price, date, address; a few orders have two lines."""
    lines = []
    for k in range(n_orders):
        order = 141234 + k
        when = f"1/{1 + k % 28}/2019 {8 + k % 12}:{k % 60:02d}"
        products = [("iPhone", 700)] + ([("Lightning Charging Cable", 14.95)] if k % 9 == 0 else [])
        for product, price in products:
            lines.append(f'{order},{product},1,{price},{when},"{k} Walnut St, Boston, MA 02215"')
    return "\n".join(lines) + "\n"


def test_a_headerless_order_export_is_not_read_with_its_first_line_as_header(
    tmp_path: Path,
) -> None:
    """Its first order line became the header: 'Customers were grouped by 141234, 700,
    1/22/2019 21:25 (days)'. Without a customer column it must stop as the same file with
    its header does."""
    path = tmp_path / "sales.csv"
    path.write_text(_headerless_sales(), encoding="utf-8")
    with pytest.raises(DataError, match=r"\(column1 numbers the orders, column5 dates them\)"):
        plan_orders(path, OrderOptions())


def _olist_orders(n: int = 50) -> pd.DataFrame:
    """Olist's orders file: a new customer_id for every order, so no customer repeats."""
    rng = np.random.default_rng(11)
    stamps = pd.Timestamp("2017-01-23") + pd.to_timedelta(rng.integers(0, 560, n), unit="D")
    return pd.DataFrame(
        {
            "order_id": [f"{rng.integers(16**6, 16**7):07x}e{k:024x}" for k in range(n)],
            "customer_id": [f"{rng.integers(16**6, 16**7):07x}c{k:024x}" for k in range(n)],
            "order_status": ["delivered"] * (n - 2) + ["shipped", "invoiced"],
            "order_purchase_timestamp": stamps.strftime("%Y-%m-%d %H:%M:%S"),
            "order_delivered_customer_date": [
                None if k >= n - 2 else (stamps[k] + pd.Timedelta(days=9)).strftime("%Y-%m-%d")
                for k in range(n)
            ],
        }
    )


def test_an_order_export_whose_customers_never_repeat_is_read_as_orders(tmp_path: Path) -> None:
    """Olist orders (order_id, customer_id new per order, a purchase timestamp) was read
    as a customer table and segmented on ranges of the purchase date."""
    path = _write(tmp_path, _olist_orders())
    plan = plan_orders(path, OrderOptions())
    assert plan is not None
    assert plan.roles.customer == "customer_id" and plan.roles.order == "order_id"
    assert plan.roles.date == "order_purchase_timestamp"
    assert "no customer repeats" in plan.reason
    assert "name the column that holds the person's own ID" in plan.reason
    totals = aggregate_orders(plan, OrderOptions())
    assert len(totals.frame) == 50 and (totals.frame["frequency"] == 1).all()
    # Without an order number a per-row ID beside a date stays a customer table.
    assert (
        plan_orders(
            _write(tmp_path, _olist_orders().drop(columns="order_id"), "c.csv"), OrderOptions()
        )
        is None
    )


def test_a_line_missing_a_separator_is_left_out_and_counted_not_shifted(tmp_path: Path) -> None:
    header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
    lines = [header]
    for number in range(30):
        customer = 17000 + number % 6
        lines.append(
            f"{536000 + number},85123A,WHITE HEART,{1 + number % 4},2010-12-0{1 + number % 5} "
            f"08:26,2.55,{customer},United Kingdom"
        )
    # The comma between Description and Quantity is missing: 7 fields, not 8.
    lines.insert(
        9, "536999,84879,GIN + TONIC DIET METAL   2,2010-12-01 09:00,1.25,16029,United Kingdom"
    )
    path = tmp_path / "lines.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    plan = plan_orders(path, OrderOptions())
    assert plan is not None
    totals = aggregate_orders(plan, OrderOptions())
    summary = totals.summary
    assert "United Kingdom" not in set(totals.frame.index.astype(str))
    assert "16029" not in set(totals.frame.index.astype(str))
    assert summary.lines_read == 30
    assert summary.no_date_lines == 0
    assert summary.ragged_lines == 1
    assert summary.ragged_examples[0][0] == 10
    assert "GIN + TONIC" in summary.ragged_examples[0][1]
    notes = " ".join(customer_table(totals.frame, summary).quality.notes)
    assert "1 line has fewer fields than the header" in notes
    assert "line 10: 536999,84879,GIN + TONIC" in notes


def test_the_date_format_an_ambiguous_stop_suggests_reads_the_dates_with_their_time(
    tmp_path: Path,
) -> None:
    import re

    from click.testing import CliRunner

    from reportgen.cli import main

    # Day and month both at most 12, two-digit years and a time: "12/1/10 8:26".
    rows = []
    for number in range(60):
        month, day = 1 + number % 12, 1 + (number * 7) % 12
        rows.append(
            (
                f"{536000 + number}",
                f"{month}/{day}/10 {8 + number % 9}:{number % 60:02d}",
                f"C{number % 15}",
                2,
                1.5 + number % 4,
            )
        )
    lines = pd.DataFrame(
        rows, columns=["InvoiceNo", "InvoiceDate", "CustomerID", "Quantity", "UnitPrice"]
    )
    source = _write(tmp_path, lines)
    out = tmp_path / "out"
    first = CliRunner().invoke(main, ["run", str(source), "-o", str(out), "--no-pdf"])
    assert first.exit_code == 1
    message = " ".join(first.output.split())
    assert "Cannot tell whether the dates" in message
    suggested = re.findall(r'date_format = "([^"]+)"', message)
    assert suggested == ["%d/%m/%y", "%m/%d/%y"]
    for fmt in suggested:
        config = tmp_path / "config.toml"
        config.write_text(f'date_format = "{fmt}"\n', encoding="utf-8")
        run = ["run", str(source), "-o", str(out), "--no-pdf", "--config", str(config)]
        result = CliRunner().invoke(main, run)
        assert result.exit_code == 0, result.output


def _policies(n_customers: int = 40) -> pd.DataFrame:
    """A German insurer's policy list: one row per policy, 1-3 policies per client."""
    rows = []
    for client in range(n_customers):
        for policy in range(1 + client % 3):
            year = 2015 + (client + policy) % 10
            rows.append(
                {
                    "Policennummer": f"KF-{year}-{1000 * client + policy:07d}",
                    "Kundennummer": f"K-{100000 + client}",
                    "Sparte": ["Kfz", "Hausrat", "Haftpflicht"][policy],
                    "Jahresbeitrag": f"{120 + 7.5 * client + policy:.2f}",
                    "Beginn": f"{year}-{1 + client % 12:02d}-{1 + policy * 9:02d}",
                    "Storniert": "ja" if client % 7 == 0 else "nein",
                }
            )
    return pd.DataFrame(rows)


def test_a_policy_list_stops_instead_of_reading_its_policies_as_purchases(
    tmp_path: Path,
) -> None:
    """Review 7, class 7: a policy list (Kundennummer repeats, Beginn is a date) was read
    as order lines, and live policyholders became "Hibernating ... suppress"."""
    path = _write(tmp_path, _policies())
    with pytest.raises(DataError, match=r"looks like a list of contracts") as stop:
        plan_orders(path, OrderOptions())
    message = str(stop.value)
    assert re.search(r"Kundennummer has 2\.0 rows per customer, Policennummer", message)
    for shown in (
        "Policennummer numbers the contracts",
        "Beginn is a start date",
        "Jahresbeitrag is a premium or fee",
        "Storniert says whether a contract ended",
        "RFM",
        "one row per customer",
        "--input-kind customers",
    ):
        assert shown in message
    # Said to be purchases, it is read as them; said to be one row each, it is a table.
    plan = plan_orders(path, OrderOptions(input_kind="orders"))
    assert plan is not None and plan.roles.customer == "Kundennummer"
    assert plan_orders(path, OrderOptions(input_kind="customers")) is None


def test_a_subscription_list_stops_on_two_signs_of_contracts(tmp_path: Path) -> None:
    """A SaaS subscription list (subscription_id, account_id, start_date, end_date,
    mrr_amount): the same misreading, in English."""
    n = 60
    subscriptions = pd.DataFrame(
        {
            "subscription_id": [f"S-{k:05x}" for k in range(n)],
            "account_id": [f"A-{k % 25:04d}" for k in range(n)],
            "start_date": [f"2024-{1 + k % 12:02d}-{1 + k % 28:02d}" for k in range(n)],
            "plan_tier": ["Basic", "Pro", "Enterprise"] * (n // 3),
            "mrr_amount": [49 * (1 + k % 5) for k in range(n)],
        }
    )
    with pytest.raises(DataError, match=r"subscription_id numbers the contracts, start_date"):
        plan_orders(_write(tmp_path, subscriptions), OrderOptions())
    # One sign alone is not enough: a start date and a monthly fee with no contract number
    # or end could be a booking's, and the table is read as before.
    alone = subscriptions.drop(columns="subscription_id").rename(columns={"mrr_amount": "Amount"})
    assert plan_orders(_write(tmp_path, alone, "alone.csv"), OrderOptions()) is not None


def test_charges_of_subscriptions_and_order_exports_are_still_order_lines(
    tmp_path: Path,
) -> None:
    """A contract number alone (charges billed to subscriptions) or beside an order number
    (an order export that names the subscription an order renews) is not a contract list:
    those rows are payments or orders."""
    n = 60
    charges = pd.DataFrame(
        {
            "customer_id": [f"C{k % 20:03d}" for k in range(n)],
            "subscription_id": [f"sub_{k % 30:04d}" for k in range(n)],
            "charge_date": [f"2024-{1 + k % 12:02d}-{1 + k % 28:02d}" for k in range(n)],
            "amount": [19.99 + k % 3 for k in range(n)],
        }
    )
    plan = plan_orders(_write(tmp_path, charges), OrderOptions())
    assert plan is not None and plan.roles.amount == "amount"
    renewals = charges.assign(
        order_id=[f"#{1000 + k}" for k in range(n)],
        start_date=charges["charge_date"],
        cancelled=["no"] * n,
    )
    plan = plan_orders(_write(tmp_path, renewals, "renewals.csv"), OrderOptions())
    assert plan is not None and plan.roles.order == "order_id"


def test_a_premium_or_a_beitrag_is_the_amount_of_lines_read_as_payments(tmp_path: Path) -> None:
    """Review 7: 'Jahresbeitrag | - | not used' ("beitrag" was no money hint), so a policy
    list read as order lines had "no money column"; a premium is what the customer pays."""
    plan = plan_orders(_write(tmp_path, _policies()), OrderOptions(input_kind="orders"))
    assert plan is not None and plan.roles.amount == "Jahresbeitrag"
    payments = pd.DataFrame(
        {
            "Client": [f"C{k % 15}" for k in range(45)],
            "Paid On": [f"2024-{1 + k % 12:02d}-15" for k in range(45)],
            "Premium": [80.5 + k for k in range(45)],
            "Prämie": [80.5 + k for k in range(45)],
        }
    )
    plan = plan_orders(_write(tmp_path, payments, "payments.csv"), OrderOptions())
    assert plan is not None and plan.roles.amount == "Premium"
    plan = plan_orders(
        _write(tmp_path, payments.drop(columns="Premium"), "praemie.csv"), OrderOptions()
    )
    assert plan is not None and plan.roles.amount == "Prämie"


def test_a_policy_list_keyed_by_policyholder_stops_too(tmp_path: Path) -> None:
    """A policy list whose customer column is policyholder_id (no customer hint) was read
    as a customer table keyed by policy_id: each policy a "customer"."""
    n = 90
    policies = pd.DataFrame(
        {
            "policy_id": [f"POL{k:04d}" for k in range(n)],
            "type": ["Life", "Home", "Auto"] * (n // 3),
            "start_date": [f"202{k % 4}-{1 + k % 12:02d}-{1 + k % 28:02d}" for k in range(n)],
            "premium_monthly": [50.5 + k for k in range(n)],
            "status": ["Active", "Expired", "Cancelled"] * (n // 3),
            "policyholder_id": [f"PH{k % 40:04d}" for k in range(n)],
        }
    )
    with pytest.raises(DataError, match=r"policyholder_id has 2\.2 rows per customer, policy_id"):
        plan_orders(_write(tmp_path, policies), OrderOptions())


def test_a_contract_term_is_no_contract_number(tmp_path: Path) -> None:
    """A few accounts with a 'Contract Term' of 12/24/36/48 months: four values are as
    many as the customers, but they do not number the contracts (one per row)."""
    n = 60
    lines = pd.DataFrame(
        {
            "Account": [f"A{k % 4}" for k in range(n)],
            "Start Date": [f"2024-{1 + k % 12:02d}-{1 + k % 28:02d}" for k in range(n)],
            "Contract Term": [12 * (1 + k % 4) for k in range(n)],
            "Amount": [100.0 + k for k in range(n)],
        }
    )
    plan = plan_orders(_write(tmp_path, lines), OrderOptions())
    assert plan is not None and plan.roles.customer == "Account"


# --- six-digit YYMMDD dates (review 8, class 5) -----------------------------------------


def _postings(dates: list[str], **extra: list[object]) -> pd.DataFrame:
    """Berka-like lines: an account that repeats, a six-digit date and an amount."""
    count = len(dates)
    return pd.DataFrame(
        {
            "trans_id": [str(695247 + i) for i in range(count)],
            "account_id": [str(2378 + i % 5) for i in range(count)],
            "date": dates,
            "amount": [f"{700 + 10 * i}.00" for i in range(count)],
            **extra,
        }
    )


_BERKA_DAYS = ["930101", "930105", "930111", "930118", "930122", "930131", "930204", "930208"]


def test_six_digit_dates_in_a_date_named_column_are_read_as_yymmdd(tmp_path: Path) -> None:
    frame = _postings(_BERKA_DAYS * 3)
    path = _write(tmp_path, frame, sep=";")
    plan = plan_orders(path, OrderOptions())
    assert plan is not None
    assert plan.roles.date == "date"
    assert plan.roles.customer == "account_id"
    totals = aggregate_orders(plan, OrderOptions())
    assert totals.summary.first_date == date(1993, 1, 1)
    assert totals.summary.last_date == date(1993, 2, 8)
    assert "YYMMDD" in totals.summary.date_interpretation
    # The same lines with four-digit years give the same customers.
    long = _write(tmp_path, frame.assign(date="19" + frame["date"]), "long.csv", sep=";")
    long_plan = plan_orders(long, OrderOptions())
    assert long_plan is not None
    pd.testing.assert_frame_equal(
        totals.frame, aggregate_orders(long_plan, OrderOptions()).frame, check_like=True
    )


def test_six_digit_numbers_are_dates_only_in_a_column_named_as_a_date(tmp_path: Path) -> None:
    # 930101 and 120315 are valid YYMMDD texts, but 'reference' and 'amount' name no date.
    frame = _postings(_BERKA_DAYS * 3).rename(columns={"date": "reference"})
    frame["amount"] = ["120315", "930101", "100512"] * 8
    frame["Order Date"] = ["2024-01-0" + str(1 + i % 9) for i in range(len(frame))]
    plan = plan_orders(_write(tmp_path, frame), OrderOptions())
    assert plan is not None
    assert plan.roles.date == "Order Date"
    assert plan.roles.amount == "amount"
    totals = aggregate_orders(plan, OrderOptions())
    assert totals.summary.first_date == date(2024, 1, 1)
    assert totals.frame["monetary"].sum() == pytest.approx(8 * (120315 + 930101 + 100512))
    # Without any date-named column, six-digit numbers give no date at all.
    undated = frame.drop(columns="Order Date")
    plan = plan_orders(_write(tmp_path, undated, "undated.csv"), OrderOptions())
    assert plan is None or plan.roles.date is None


@pytest.mark.parametrize(
    ("parts", "order"),
    [
        (["930101", "930208", "991231", "000229"], "yymmdd"),
        (["930101", "931301"], None),  # month 13
        (["930101", "930230"], None),  # 30 February
        (["930101", "450101"], None),  # 2045: after today under the %y rule
    ],
)
def test_six_digit_date_parts_are_yymmdd_up_to_today(parts: list[str], order: str | None) -> None:
    assert decide_date_order(parts, six_digit=True)[0] == order
    # Never without a date-named column.
    assert decide_date_order(parts)[0] is None


def test_yymmdd_dates_follow_the_python_century_rule_in_sql() -> None:
    import duckdb

    expression = date_expression(None, "yymmdd")
    texts = ["930101", "690101", "000229", "681231", " 050607 ", "9301011", "93-01-01"]
    rows = duckdb.sql(
        f"SELECT {expression} FROM (SELECT unnest({texts!r}) AS date_text)"
    ).fetchall()
    assert [row[0] for row in rows] == [
        date(1993, 1, 1),
        date(1969, 1, 1),
        date(2000, 2, 29),
        date(2068, 12, 31),
        date(2005, 6, 7),
        None,
        None,
    ]
    spark = date_expression(None, "yymmdd", SPARK)
    assert "concat(" in spark and "'yyyy/M/d'" in spark and "try_to_date" in spark


def _day_first_six_digits(days: list[str]) -> list[str]:
    return [day[4:6] + day[2:4] + day[0:2] for day in days]  # 930101 -> 010193


def test_an_unreadable_date_column_is_said_first_with_a_date_format_that_reads_it(
    tmp_path: Path,
) -> None:
    # DDMMYY (010193) is no YYMMDD date (day 93): before, the rows were taken for
    # bookings of account_id, or "no column looks like the date" with input_kind orders.
    frame = _postings(_day_first_six_digits(_BERKA_DAYS) * 3)
    path = _write(tmp_path, frame, sep=";")
    for options in (OrderOptions(), OrderOptions(input_kind="orders")):
        with pytest.raises(DataError) as error:
            plan_orders(path, options)
        message = str(error.value)
        assert message.startswith("'date' of orders.csv is named as a date")
        assert "(010193, 040293, 050193, ...)" in message
        assert 'date_format = "%d%m%y"' in message
    # The advised date_format reads the dates: the same customers as YYMMDD.
    plan = plan_orders(path, OrderOptions(date_format="%d%m%y"))
    assert plan is not None and plan.roles.date == "date"
    totals = aggregate_orders(plan, OrderOptions(date_format="%d%m%y"))
    assert (totals.summary.first_date, totals.summary.last_date) == (
        date(1993, 1, 1),
        date(1993, 2, 8),
    )


def test_six_digit_dates_after_today_are_refused_with_the_reason(tmp_path: Path) -> None:
    frame = _postings(["4" + day[1:] for day in _BERKA_DAYS] * 3)  # 430101: 2043
    with pytest.raises(DataError) as error:
        plan_orders(_write(tmp_path, frame, sep=";"), OrderOptions())
    message = str(error.value)
    assert "'date' of orders.csv is named as a date" in message
    assert "would be after today, e.g. 430101 as 2043-01-01" in message
    assert "date_format" in message


def test_date_named_numbers_that_are_no_whole_dates_are_not_called_unreadable(
    tmp_path: Path,
) -> None:
    # A hotel's day of the month and year beside a repeating guest: no date stop.
    frame = pd.DataFrame(
        {
            "guest_id": [str(100 + i % 6) for i in range(24)],
            "arrival_date_day_of_month": [str(1 + i % 28) for i in range(24)],
            "arrival_date_year": ["2015"] * 24,
            "adr": [f"{80 + i}.50" for i in range(24)],
        }
    )
    assert plan_orders(_write(tmp_path, frame), OrderOptions()) is None


# --- bank and account statements (review 8, class 5) ------------------------------------


def _statement(
    direction: tuple[str, str] = ("PRIJEM", "VYDAJ"), running: bool = True
) -> pd.DataFrame:
    """Postings of six accounts, oldest first: a direction, an amount always positive and
    the account's balance after each posting (or a balance that does not run)."""
    rows = []
    balances: dict[str, float] = {}
    for i in range(36):
        account = str(2378 + i % 6)
        out = i % 5 == 4
        amount = 100.0 + 7 * i
        balances[account] = balances.get(account, 0.0) + (-amount if out else amount)
        rows.append(
            {
                "account_id": account,
                "date": f"1993-01-{1 + i // 2:02d}",
                "type": direction[1] if out else direction[0],
                "amount": f"{amount:.2f}",
                "balance": f"{balances[account] if running else 5000 + 13 * i:.2f}",
            }
        )
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    "direction", [("PRIJEM", "VYDAJ"), ("Haben", "Soll"), ("CR", "DR"), ("Credit", "Debit")]
)
def test_a_bank_statement_is_stopped_with_the_columns_that_show_it(
    tmp_path: Path, direction: tuple[str, str]
) -> None:
    path = _write(tmp_path, _statement(direction), sep=";")
    with pytest.raises(DataError) as error:
        plan_orders(path, OrderOptions())
    message = str(error.value)
    assert message.startswith("orders.csv looks like a bank or account statement")
    assert f"'type' says whether money came in or went out ({direction[0]}, {direction[1]})" in (
        message
    )
    assert "'balance' is a running balance" in message
    assert 'input_kind = "orders"' in message
    # Said to be order lines, it is read as such.
    plan = plan_orders(path, OrderOptions(input_kind="orders"))
    assert plan is not None and plan.roles.amount == "amount"


def test_a_running_balance_alone_or_a_direction_beside_a_balance_is_a_statement(
    tmp_path: Path,
) -> None:
    # Signed amounts and a running balance, no direction column.
    signed = _statement()
    signed["amount"] = [
        f"-{a}" if t == "VYDAJ" else a
        for a, t in zip(signed["amount"], signed["type"], strict=True)
    ]
    with pytest.raises(DataError, match="'balance' is a running balance"):
        plan_orders(_write(tmp_path, signed.drop(columns="type"), "signed.csv"), OrderOptions())
    # A direction beside a balance that does not run: still a statement.
    with pytest.raises(DataError, match="'balance' is a balance"):
        plan_orders(_write(tmp_path, _statement(running=False), "still.csv"), OrderOptions())


def test_sales_with_a_type_or_a_balance_due_are_not_statements(tmp_path: Path) -> None:
    # An order export's Type (sale, return) beside a balance still owed is no statement.
    frame = _statement(("Sale", "Return"), running=False).rename(
        columns={"balance": "Balance Due", "account_id": "Customer ID", "date": "Order Date"}
    )
    plan = plan_orders(_write(tmp_path, frame), OrderOptions())
    assert plan is not None and plan.roles.customer == "Customer ID"
    # Directions without any balance: no stop either.
    plan = plan_orders(
        _write(tmp_path, _statement().drop(columns="balance"), "d.csv"), OrderOptions()
    )
    assert plan is not None


def _discounted_lines(discount: str, values: list[object], n: int = 60) -> pd.DataFrame:
    """Order lines with quantity, unit price and a discount column of ``values`` (cycled)."""
    return pd.DataFrame(
        {
            "OrderID": [f"{100000 + k}" for k in range(n)],
            "OrderDate": [f"{1 + k % 12}/{1 + k % 28}/2025" for k in range(n)],
            "CustomerID": [f"C{k % 20}" for k in range(n)],
            "Quantity": [1 + k % 4 for k in range(n)],
            "UnitPrice": [50.0 + 10 * (k % 7) for k in range(n)],
            discount: [values[k % len(values)] for k in range(n)],
        }
    )


def test_a_discount_rate_beside_quantity_and_price_is_taken_off(tmp_path: Path) -> None:
    """Review 9: DiscountPercent (0.01-0.30) was 'not used', revenue 19% too high."""
    lines = _discounted_lines("DiscountPercent", [0.21, 0.2, None, 0.05, 0.3])
    plan = plan_orders(_write(tmp_path, lines), OrderOptions())
    assert plan is not None
    assert plan.roles.discount == "DiscountPercent" and plan.roles.discount_kind == "rate"
    totals = aggregate_orders(plan, OrderOptions())
    gross = lines["Quantity"] * lines["UnitPrice"]
    net = gross * (1 - lines["DiscountPercent"].fillna(0))  # a blank discount is none
    assert totals.frame["monetary"].sum() == pytest.approx(net.sum())
    assert totals.summary.discount_value == pytest.approx(gross.sum() - net.sum())
    assert totals.summary.list_value == pytest.approx(gross.sum())
    notes = " ".join(order_quality(totals.summary, ("recency_days",), ()).notes)
    assert "DiscountPercent is a discount rate and is applied" in notes
    assert f"{net.sum():,.2f} after discounts" in notes
    assert f"{gross.sum() - net.sum():,.2f}" in notes


@pytest.mark.parametrize(
    ("name", "values", "kind", "worth"),
    [
        # 0-100 with a percent word or sign: percent.
        ("Rabatt %", [5, 10, 0, 30], "percent", lambda g, q, d: g * (1 - d / 100)),
        (
            "discount_pct",
            ["5%", "10%", "0%", "12.5%"],
            "percent",
            lambda g, q, d: g * (1 - d / 100),
        ),
        # An amount by name: per line, or per unit when the name says so.
        ("Discount Amount", [5.0, 0.0, 12.5, 20.0], "line", lambda g, q, d: g - d),
        ("Unit Discount Amount", [5.0, 0.0, 2.5, 10.0], "unit", lambda g, q, d: g - q * d),
        # Up to 100 without a word, but larger than a line's value: no amount, a percent.
        ("Descuento", [5, 60, 0, 95, 80], "percent", lambda g, q, d: g * (1 - d / 100)),
        # Money-sized values without a word: an amount per line.
        ("Korting", [0.0, 120.0, 7.5, 10.0], "line", lambda g, q, d: g - d),
    ],
)
def test_each_kind_of_discount_column_is_taken_off_its_way(
    tmp_path: Path, name: str, values: list[object], kind: str, worth: Any
) -> None:
    lines = _discounted_lines(name, values)
    if name == "Korting":  # lines large enough for a 120 discount
        lines["UnitPrice"] = lines["UnitPrice"] * 10
    plan = plan_orders(_write(tmp_path, lines), OrderOptions())
    assert plan is not None and plan.roles.discount == name
    assert plan.roles.discount_kind == kind
    totals = aggregate_orders(plan, OrderOptions())
    discount = pd.to_numeric(lines[name].astype(str).str.rstrip("%"))
    gross = lines["Quantity"] * lines["UnitPrice"]
    expected = worth(gross, lines["Quantity"], discount).clip(lower=0)
    assert totals.frame["monetary"].sum() == pytest.approx(expected.sum())


@pytest.mark.parametrize(
    ("name", "values", "why"),
    [
        ("Discount", [5, 10, 0, 15], "its name says neither percent nor amount"),
        ("Discount", [0, 1], "a yes/no flag, not a rate"),
    ],
)
def test_a_discount_column_that_cannot_be_read_is_not_applied_and_said(
    tmp_path: Path, name: str, values: list[object], why: str
) -> None:
    lines = _discounted_lines(name, values)
    plan = plan_orders(_write(tmp_path, lines), OrderOptions())
    assert plan is not None and plan.roles.discount is None
    assert plan.discount_unread is not None and why in plan.discount_unread[1]
    totals = aggregate_orders(plan, OrderOptions())
    gross = lines["Quantity"] * lines["UnitPrice"]
    assert totals.frame["monetary"].sum() == pytest.approx(gross.sum())
    notes = " ".join(order_quality(totals.summary, ("recency_days",), ()).notes)
    assert "Discount looks like a discount but is not applied" in notes
    assert 'discount = "Discount"' in notes


def test_the_discount_config_key_names_or_turns_off_the_column(tmp_path: Path) -> None:
    from reportgen.settings import Settings
    from reportgen.transactions import order_options

    lines = _discounted_lines("Discount", [5, 10, 0, 15])
    path = _write(tmp_path, lines)
    gross = lines["Quantity"] * lines["UnitPrice"]
    # Named, values up to 100 without a word are a percent.
    options = order_options(Settings(input_path=path, discount_column="Discount"))
    plan = plan_orders(path, options)
    assert plan is not None and plan.roles.discount_kind == "percent"
    net = gross * (1 - lines["Discount"] / 100)
    assert aggregate_orders(plan, options).frame["monetary"].sum() == pytest.approx(net.sum())
    # "" turns it off, without a note.
    lines["Discount"] = [0.1, 0.2] * 30
    _write(tmp_path, lines)
    options = order_options(Settings(input_path=path, discount_column=""))
    plan = plan_orders(path, options)
    assert plan is not None and plan.roles.discount is None and plan.discount_unread is None
    assert aggregate_orders(plan, options).frame["monetary"].sum() == pytest.approx(gross.sum())


def test_a_discount_is_never_taken_off_an_amount_column(tmp_path: Path) -> None:
    """Superstore's Sales already includes its Discount (0-0.8): taken off again it would
    count the discount twice."""
    lines = _discounted_lines("Discount", [0.2, 0.0, 0.45])
    lines["Sales"] = lines["Quantity"] * lines["UnitPrice"] * (1 - lines["Discount"])
    path = _write(tmp_path, lines.drop(columns=["UnitPrice"]))
    plan = plan_orders(path, OrderOptions())
    assert plan is not None and plan.roles.amount == "Sales" and plan.roles.discount is None
    totals = aggregate_orders(plan, OrderOptions())
    assert totals.frame["monetary"].sum() == pytest.approx(lines["Sales"].sum())
    assert totals.summary.discount_value == 0
    with pytest.raises(SettingsError, match="already includes any discount"):
        plan_orders(path, OrderOptions(roles=Roles(discount="Discount")))


def test_a_price_after_discount_is_not_discounted_again(tmp_path: Path) -> None:
    """Flipkart-like: discounted_price is the price paid; discount_percentage beside it."""
    lines = _discounted_lines("discount_percentage", [10, 25, 40])
    lines = lines.rename(columns={"UnitPrice": "discounted_price"})
    plan = plan_orders(_write(tmp_path, lines), OrderOptions())
    assert plan is not None and plan.roles.price == "discounted_price"
    assert plan.roles.discount is None


def test_a_deal_is_dated_by_its_close_when_open_deals_leave_it_blank(tmp_path: Path) -> None:
    """Review 9: Maven's CRM pipeline (engage_date, close_date blank on open deals) was
    dated by engage_date, 3 1/2 months early; its open deals without an account were
    called footer lines."""
    rows = []
    for k in range(90):
        stage = ["Won", "Won", "Lost", "Engaging"][k % 4]
        account = "" if stage == "Engaging" and k % 8 == 3 else f"Account {k % 25}"
        close = "" if stage == "Engaging" else f"3/{1 + k % 28}/2017"
        value = "" if stage == "Engaging" else ("0" if stage == "Lost" else str(100 + k))
        rows.append((f"D{k}", account, stage, f"{10 + k % 3}/{1 + k % 28}/2016", close, value))
    lines = pd.DataFrame(
        rows,
        columns=[
            "opportunity_id",
            "account",
            "deal_stage",
            "engage_date",
            "close_date",
            "close_value",
        ],
    )
    plan = plan_orders(_write(tmp_path, lines), OrderOptions())
    assert plan is not None and plan.roles.pipeline
    assert plan.roles.date == "close_date"
    totals = aggregate_orders(plan, OrderOptions())
    won = lines[lines["deal_stage"] == "Won"]
    last_close = pd.to_datetime(won["close_date"], format="%m/%d/%Y").max().date()
    assert totals.summary.first_date == date(2017, 3, 1)
    assert totals.summary.reference_date == last_close + timedelta(days=1)
    assert totals.summary.footer_lines == 0  # open deals, not a report's total line
