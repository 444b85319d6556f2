"""A seeded, synthetic order-line export, shaped like the UCI Online Retail table.

Columns: InvoiceNo, StockCode, Description, Quantity, InvoiceDate (dd/mm/yyyy HH:MM),
UnitPrice, CustomerID, Country. It has what real exports have: repeat customers with
heavy-tailed order counts (planted groups: champions, loyal, lapsed, new and one-off
buyers), invoices of several lines, about a quarter of lines without a customer
(guest checkouts), cancellations (C-prefixed invoices with negative quantities),
non-product lines (POST, DOT, M, BANK CHARGES), a few zero prices and duplicate lines.
It is written in batches, so ten million lines never sit in memory at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

ORDERS_SEED = 7
LINES_PER_INVOICE = 18
LINES_PER_CUSTOMER = 60
GUEST_SHARE = 0.25
CANCELLED_SHARE = 0.02
NON_PRODUCT_SHARE = 0.004
ZERO_PRICE_SHARE = 0.002
DUPLICATE_SHARE = 0.005
PRODUCTS = 3_000
PERIOD_START = np.datetime64("2010-12-01T08:00")
PERIOD_DAYS = 373
NON_PRODUCTS = (
    ("POST", "POSTAGE"),
    ("DOT", "DOTCOM POSTAGE"),
    ("M", "Manual"),
    ("BANK CHARGES", "Bank Charges"),
)
COUNTRIES = ("United Kingdom", "Germany", "France", "EIRE", "Spain", "Netherlands")
BATCH_INVOICES = 50_000


@dataclass(frozen=True)
class Planted:
    """A planted customer group: share, (first, last) activity window and order weight."""

    name: str
    share: float
    window: tuple[float, float]
    weight: float


# Windows are fractions of the period: lapsed customers stopped in the first half,
# new ones started in the last month.
GROUPS = (
    Planted("champions", 0.10, (0.0, 1.0), 8.0),
    Planted("loyal", 0.20, (0.0, 0.9), 3.0),
    Planted("lapsed", 0.20, (0.0, 0.45), 2.0),
    Planted("new", 0.10, (0.92, 1.0), 0.3),
    Planted("one-off", 0.40, (0.0, 1.0), 0.15),
)


def order_line_batches(lines: int, *, seed: int = ORDERS_SEED) -> Iterator[pa.Table]:
    """Yield the order lines as Arrow tables of at most about a million lines each."""
    rng = np.random.default_rng(seed)
    customers = max(20, lines // LINES_PER_CUSTOMER)
    invoices = max(2, round(lines / LINES_PER_INVOICE / (1 + DUPLICATE_SHARE)))
    group = rng.choice(len(GROUPS), size=customers, p=[g.share for g in GROUPS])
    weights = np.array([GROUPS[g].weight for g in group]) * rng.lognormal(0, 1.0, customers)
    owner = rng.choice(customers, size=invoices, p=weights / weights.sum())
    # One-off buyers buy once: their extra invoices go to guests.
    one_off = np.array([GROUPS[g].name == "one-off" for g in group])
    _, first_index = np.unique(owner, return_index=True)
    repeat = np.ones(invoices, dtype=bool)
    repeat[first_index] = False
    guest = rng.random(invoices) < GUEST_SHARE
    guest |= one_off[owner] & repeat
    windows = np.array([GROUPS[g].window for g in group])
    start = windows[owner, 0] + rng.random(invoices) * (windows[owner, 1] - windows[owner, 0])
    day = np.floor(start * PERIOD_DAYS).astype(int)
    minutes = rng.integers(0, 10 * 60, invoices)
    stamps = PERIOD_START + day.astype("timedelta64[D]") + minutes.astype("timedelta64[m]")
    # dd/mm/yyyy HH:MM, like many European shop exports (formatted once per invoice).
    dates = np.array(
        [f"{t[8:10]}/{t[5:7]}/{t[0:4]} {t[11:16]}" for t in np.datetime_as_string(stamps, "m")]
    )
    number = 536_365 + np.argsort(np.argsort(stamps, kind="stable"), kind="stable")
    cancelled = rng.random(invoices) < CANCELLED_SHARE
    invoice_no = np.char.add(np.where(cancelled, "C", ""), number.astype(str))
    customer_ids = (12_346 + np.arange(customers)).astype(str)
    country = rng.choice(len(COUNTRIES), size=customers, p=[0.85, 0.04, 0.04, 0.03, 0.02, 0.02])
    sizes = 1 + rng.poisson(LINES_PER_INVOICE - 1, invoices)
    scale = lines / (sizes.sum() * (1 + DUPLICATE_SHARE))
    sizes = np.maximum(1, np.round(sizes * scale)).astype(int)
    product_codes, descriptions, prices = _catalogue(rng)
    popularity = 1 / np.arange(1, PRODUCTS + 1) ** 0.9
    popularity /= popularity.sum()
    for begin in range(0, invoices, BATCH_INVOICES):
        chunk = np.arange(begin, min(invoices, begin + BATCH_INVOICES))
        line_invoice = np.repeat(chunk, sizes[chunk])
        count = len(line_invoice)
        product = rng.choice(PRODUCTS, size=count, p=popularity)
        codes = product_codes[product].astype(object)
        names = descriptions[product].astype(object)
        price = prices[product].copy()
        special = rng.random(count) < NON_PRODUCT_SHARE
        which = rng.integers(0, len(NON_PRODUCTS), count)
        for index, (code, text) in enumerate(NON_PRODUCTS):
            chosen = special & (which == index)
            codes[chosen], names[chosen] = code, text
            price[chosen] = np.round(rng.uniform(1, 40, int(chosen.sum())), 2)
        price[rng.random(count) < ZERO_PRICE_SHARE] = 0.0
        quantity = np.minimum(1 + rng.geometric(0.25, count), 480)
        quantity = np.where(cancelled[line_invoice], -quantity, quantity)
        ids = np.where(guest[line_invoice], "", customer_ids[owner[line_invoice]])
        duplicated = np.flatnonzero(rng.random(count) < DUPLICATE_SHARE)
        take = np.sort(np.concatenate([np.arange(count), duplicated]), kind="stable")
        yield pa.table(
            {
                "InvoiceNo": pa.array(invoice_no[line_invoice][take]),
                "StockCode": pa.array(codes[take], type=pa.string()),
                "Description": pa.array(names[take], type=pa.string()),
                "Quantity": pa.array(quantity[take]),
                "InvoiceDate": pa.array(dates[line_invoice][take]),
                "UnitPrice": pa.array(price[take]),
                "CustomerID": pa.array(ids[take]),
                "Country": pa.array(
                    np.array(COUNTRIES)[country[owner[line_invoice]]][take], type=pa.string()
                ),
            }
        )


def write_order_lines(
    path: Path, lines: int, *, seed: int = ORDERS_SEED, parquet: bool | None = None
) -> None:
    """Write about ``lines`` synthetic order lines to ``path``.

    Args:
        parquet: write Parquet rather than CSV; by default, when ``path`` ends in .parquet.
    """
    if parquet is None:
        parquet = path.suffix == ".parquet"
    import pyarrow.csv as arrow_csv
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    writer: pq.ParquetWriter | arrow_csv.CSVWriter | None = None
    try:
        for batch in order_line_batches(lines, seed=seed):
            if writer is None:
                writer = (
                    pq.ParquetWriter(path, batch.schema)
                    if parquet
                    else arrow_csv.CSVWriter(
                        str(path),
                        batch.schema,
                        write_options=arrow_csv.WriteOptions(quoting_style="needed"),
                    )
                )
            writer.write_table(batch)
    finally:
        if writer is not None:
            writer.close()


def _catalogue(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    numbers = rng.choice(np.arange(10_000, 90_000), size=PRODUCTS, replace=False)
    suffix = np.where(rng.random(PRODUCTS) < 0.2, rng.choice(list("ABCDEFGHJKLMNPR"), PRODUCTS), "")
    codes = np.char.add(numbers.astype(str), suffix)
    words = np.array(
        ["HEART", "LANTERN", "MUG", "BAG", "CANDLE", "BOX", "SIGN", "CUSHION", "TIN", "CLOCK"]
    )
    colours = np.array(["RED", "WHITE", "PINK", "BLUE", "VINTAGE", "GREEN", "GOLD", "BLACK"])
    descriptions = np.char.add(
        np.char.add(colours[rng.integers(0, len(colours), PRODUCTS)], " "),
        words[rng.integers(0, len(words), PRODUCTS)],
    )
    prices = np.round(rng.lognormal(np.log(2.5), 0.8, PRODUCTS), 2)
    return codes, descriptions, prices
