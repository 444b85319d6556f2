"""Order lines in, one row per customer out: detection by shape, then one SQL aggregation.

Most exports marketing teams have are order lines (invoice, date, customer, product,
quantity, price), not one row per customer. This module

1. reads the head of the file and decides whether it is such a table, and which column
   plays each role (customer, date, amount or quantity x price, order, item), from the
   columns' names and the shape of their values (``plan_orders``);
2. has DuckDB read the whole file once into a compact table of the role columns
   (exact duplicate lines merged and counted), decide the date order from the whole
   date column, and run ONE aggregation query from lines to customers
   (``aggregate_orders``). Only the per-customer table reaches pandas.

The aggregation query is written in plain SQL so that the same definition runs on
Spark SQL: every construct that differs between the two engines goes through a
``Dialect`` (date parsing, regular expressions, a global regexp replace). Everything
else is ANSI: CASE, COUNT(DISTINCT), SUM, MIN/MAX, GROUP BY.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import logging
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from reportgen.contract import OrderSummary, SuspectItem, Table
from reportgen.errors import DataError, SettingsError
from reportgen.loading import (
    CURRENCY,
    DECIMAL_COMMA_MONEY,
    DELIMITER_NAMES,
    ENCODING_NAMES,
    EXTRA_MISSING,
    FORMATTED_MONEY,
    first_row_is_data,
    sniff_delimiter,
    title_lines,
    title_note,
)
from reportgen.settings import InputKind, Settings

log = logging.getLogger(__name__)

SourceFormat = Literal["csv", "whitespace", "parquet", "frame"]

# How much of the file the detection reads: enough lines that customers repeat.
HEAD_BYTES = 2 << 20
HEAD_LINES = 20_000
# The first lines searched for a title above the header (loading.title_lines).
_TITLE_SCAN = 40
# A customer column repeats: on average at least this many lines per customer; or, in an
# export where most customers bought once, at least this share (and number) of customers
# are on lines of different days. A customer table's key does not repeat with other
# dates, beyond a few duplicated records.
MIN_LINES_PER_CUSTOMER = 1.15
MIN_RETURNING_SHARE = 0.05
MIN_RETURNING_CUSTOMERS = 10
# A role's column is preferred when at least this share of the first lines fill it.
MOSTLY_FILLED = 0.5
# A column is a date / a number when this share of its filled values reads as one.
DATE_SHARE = 0.95
NUMBER_SHARE = 0.95
# An item that is a gift card: its sale is not spend on products (what is bought with it
# is counted again when it is redeemed).
GIFT_CARD = (
    r"gift.?card|giftcard|e-?gift|gift.?voucher|gift.?certificate|gutschein|carte.?cadeau"
    r"|tarjeta.?regalo"
)
# Item codes unlike the rest: codes without a digit where this share of codes has one.
CODED_ITEMS_SHARE = 0.8
SHOWN_SUSPECT_ITEMS = 8
REVENUE_WINDOW_DAYS = 365
# DuckDB's memory cap; beyond it the staged lines spill to a temporary directory (slower,
# never out of memory). 1 GB keeps ten million CSV lines under issue 14's 1.5 GB for the
# whole run. Spilling is most of the time at fifty million lines (the staging pass took
# 169 s with 1 GB, 92 s with 2 GB), where the budget is 3 GB: from LARGE_INPUT_LINES
# lines on the cap is DUCKDB_LARGE_MEMORY_LIMIT, if that is at most a quarter of the
# machine's memory.
DUCKDB_MEMORY_LIMIT = "1GB"
DUCKDB_LARGE_MEMORY_LIMIT = "2GB"
LARGE_INPUT_LINES = 20_000_000
MISSING_TEXT = ("", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "none", "-", "?")
# Customer "IDs" that stand for no one in particular (lower-cased): a till's GUEST or
# WALK-IN, "cash sale". Their lines are anonymous, like blank ones; as one customer they
# would be the best customer of all.
PLACEHOLDER_CUSTOMERS = (
    "guest",
    "guests",
    "guest checkout",
    "guest customer",
    "anonymous",
    "anon",
    "walk-in",
    "walkin",
    "walk in",
    "walk-in customer",
    "walk-in, guest",
    "unknown",
    "unregistered",
    "not registered",
    "no customer",
    "cash",
    "cash customer",
    "cash sale",
    "gast",
    "laufkunde",
    "barverkauf",
    "unbekannt",
    "invité",
    "client de passage",
    "invitado",
    "cliente contado",
)
# Numbers that are a placeholder only where one of them holds far more lines than a
# customer does (WooCommerce's guest checkouts under customer 0: 44% of the orders); in
# a file that numbers its customers from 0, customer 0 is a customer.
NUMBER_PLACEHOLDERS = ("0", "0.0", "00", "000", "-1")
PLACEHOLDER_LINES_SHARE = 0.01
PLACEHOLDER_LINES_RATIO = 5
# A status (lower-cased) that says the sale did not happen: Cancelled, canceled, Voided,
# Refunded, Declined, Payment failed, Rejected, unavailable; Storniert, annulé, anulado;
# or has not happened yet or never will: a skipped or erroring subscription charge, an
# order pending or on hold for payment (Magento's 'holded'), unpaid, a draft, an
# abandoned checkout, a denied check-in, a lost deal; a till's parked sale (Vend's SAVED,
# 'parked') or lay-by (not paid yet), a quotation or estimate; an airline ticket's CNLD
# (cancelled). Not a partial refund (Shopify's partially_refunded): most of that sale
# stands. German, French, Spanish and Italian words for the same: abgelehnt (declined),
# ausstehend (pending), fehlgeschlagen, erstattet, Entwurf, verloren; refusé, en attente,
# remboursé, échoué, brouillon, perdu; rechazado, pendiente, reembolsado, fallido,
# borrador, perdido; rifiutato, in attesa, rimborsato.
# Decided NOT to be void (they are sales): an airline's NOSH (a no-show keeps the fare)
# and TKTD (ticketed, paid); an invoice that is open or AUTHORISED (sent, unpaid: billed);
# 'offen' / 'open' (an open order or invoice), except in a sales pipeline, where only won
# deals count (WON_STAGE); 'closed' is a sale (Vend, Shopify) unless the same column has
# a separate 'complete' status (Magento: closed = refunded), see closed_refunds.
VOID_STATUS = (
    r"cancel|void|refund|declin|reject|fail|storn|annul|anul|unavailab"
    r"|skip|error|pending|on.?hold|^hold|holded|unpaid|not.?paid|draft|abandon|denied|lost"
    r"|abgelehnt|ausstehend|abgebrochen|fehlgeschlagen|erstattet|entwurf|unbezahlt|verloren"
    r"|refus|en attente|rembours|[eé]chou|brouillon|perdu"
    r"|rechaz|pendiente|reembols|fallid|borrador|perdid|rifiut|in attesa|rimbors"
    r"|^saved$|parked|lay.?by|layaway|quotation|^quote|estimate|^cnld$|^cncl$|^cxl$"
)
# A sales pipeline's stage (Salesforce 'Closed Won', HubSpot 'closedwon'): only a won deal
# is a sale; lost deals and open stages (Prospecting, Qualification, Negotiation) are not.
WON_STAGE = r"won(?:[^a-z]|$)|gewonnen|gagn[eé]|ganad|vinto"
# A column is a pipeline when, besides a won stage, it has a lost or an open stage.
OPEN_STAGE = (
    r"lost|verloren|perdu|perdid|prospect|qualif|proposal|negotiat|discovery|appointment"
    r"|contract.?sent|presentation|needs.?analysis|value.?proposition|perception"
)
PARTIAL_STATUS = "partial"
# An event log's purchase events (lower-cased): GA4's and Kaggle's 'purchase',
# Retailrocket's 'transaction', Segment's 'Order Completed'.
PURCHASE_EVENT = (
    r"^(?:purchase[ds]?|buy|bought|orders?|order.?(?:placed|completed?)|completed?.?order"
    r"|checkout.?(?:complete[ds]?|success)|transaction|sale|conversion)$"
)
# A document type that says the lines refund a sale: Business Central's 'Credit Memo', a
# credit note, Gutschrift, avoir, nota de crédito, abono, creditnota.
CREDIT_NOTE = r"credit.?(?:memo|note)|gutschrift|avoir|nota de cr|abono|creditnota|^credit$"
# The direction of a posting on a bank or account statement (lower-cased, accents
# folded, the whole value): money in (the Czech Berka bank's PRIJEM, credit, CR, Haben,
# Einnahme, deposit) or out (VYDAJ, debit, DR, Soll, Ausgabe, withdrawal). A column that
# holds only these, beside a running balance, makes the file a statement, not sales
# (statement_evidence). 'Sale' and 'Return' are not directions: an order export's Type.
CREDIT_DIRECTION = (
    r"^(?:prijem|credit|cr|haben|einnahme|einnahmen|eingang|in|inflow|incoming|deposit"
    r"|deposits|credito|recette|entree|ingreso|entrata|bij)$"
)
DEBIT_DIRECTION = (
    r"^(?:vydaj|debit|dr|soll|ausgabe|ausgaben|ausgang|out|outflow|outgoing|withdrawal"
    r"|withdrawals|debito|depense|sortie|gasto|egreso|uscita|af)$"
)
# A running balance is named so (balance, Saldo, Kontostand, the Czech zustatek, solde);
# not an amount still owed ('Balance Due', 'Open Balance') or PayPal's 'Balance Impact'.
_BALANCE_NAMES = ("balance", "saldo", "kontostand", "zustatek", "solde")
_NOT_BALANCE_WORDS = ("due", "open", "outstanding", "impact", "owed", "unpaid", "remaining")
# A document type column is named so: 'Document Type', 'Doc Type', 'Belegart', 'Type'.
_DOCUMENT_TYPE_NAMES = ("documenttype", "doctype", "belegart", "invoicetype", "transactiontype")
# An event type column is named so: 'event', 'event_type', 'action', 'activity'.
_EVENT_NAMES = ("event", "action", "activity", "interaction", "behavio")
# A status column is named so, or a check-in's 'Result' (Granted / Denied), a CRM's
# 'Stage', an order's 'state' (Magento); a "State" that is a US state has no status among
# its values, and a column is only a status when some value says a sale did not happen.
_STATUS_NAMES = (
    "status",
    "statut",
    "result",
    "stage",
    "state",
    "stato",
    "estado",
    "etat",
    "zustand",
    "phase",
)
# A type column ('Type', 'Typ', 'Transaction Type') is a status when its values are.
_TYPE_NAMES = ("type", "typ", "transactiontype", "art")

_HINTS: dict[str, tuple[str, ...]] = {
    # English first; then the usual words of German, French, Spanish, Italian, Dutch and
    # Portuguese shop exports (matched inside the lower-cased name without separators).
    "customer": (
        "customer",
        "client",
        "member",
        "buyer",
        "shopper",
        "consumer",
        "patron",
        "household",
        # An insurer's customer: the policyholder (Versicherungsnehmer), whose policies a
        # policy list repeats (then stopped as a list of contracts, contract_columns).
        "policyholder",
        "versicherungsnehmer",
        # A loyalty or member card's number, a frequent flyer's (FFP) number, a passenger.
        "cardnumber",
        "cardno",
        "cardnr",
        "cardid",
        "kartennummer",
        "ffp",
        "frequentflyer",
        "passenger",
        "account",
        "user",
        "cust",
        "kunde",
        "klant",
        # Small shops key their exports by e-mail (Shopify, WooCommerce, Etsy).
        "email",
    ),
    "order": (
        "invoice",
        "order",
        "receipt",
        "transaction",
        "basket",
        "ticket",
        "bill",
        "rechnung",
        "bestell",
        "beleg",
        # ERP exports: Business Central's 'Document No.', SAP's 'Billing Document'.
        "document",
        "voucher",
        # German tills: Bon-Nr, Bonnummer, Kassenbon ("bon" alone is in "bonus").
        "bonnr",
        "bonnummer",
        "kassenbon",
        "facture",
        "commande",
        "factura",
        "pedido",
        "fattura",
        "ordine",
        "factuur",
    ),
    "item": (
        "stockcode",
        "sku",
        "product",
        "item",
        "article",
        "stock",
        "ean",
        "upc",
        "barcode",
        "artikel",
        "produit",
        "producto",
        "prodotto",
        "produto",
    ),
    "amount": (
        "amount",
        "sales",
        "revenue",
        "spend",
        "turnover",
        "value",
        "total",
        "paid",
        "net",
        "gross",
        "brutto",
        "betrag",
        "umsatz",
        "montant",
        "importe",
        "importo",
        "bedrag",
        "valor",
        # What a traveller paid: an airline booking's Base Fare.
        "fare",
        # An insurance premium (Praemie), a contribution or membership fee (Beitrag,
        # Jahresbeitrag): what the customer pays when the rows are read as payments.
        # Not "fee" or "charge": a payment's fee and a shipping charge are parts of it.
        "premium",
        "praemie",
        "pramie",
        "beitrag",
    ),
    "quantity": (
        "quantity",
        "qty",
        "units",
        "numberof",
        "pieces",
        "cds",
        "menge",
        "anzahl",
        "quantite",
        "cantidad",
        "quantita",
        "aantal",
        "quantidade",
    ),
    "price": ("unitprice", "price", "preis", "prix", "precio", "prezzo", "prijs", "preco"),
}
# Hints too short to match inside a name, matched as whole words: a German till's 'Bon'
# (receipt), never the 'bon' of 'Bonus'.
_HINT_WORDS: dict[str, frozenset[str]] = {"order": frozenset({"bon"})}
# Among several columns with a role's hint, prefer a code over a name or a description.
_CODE_WORDS = ("id", "code", "no", "number", "num", "key", "nr", "sku")
_AVOID_WORDS = ("name", "description", "desc", "date", "time", "type", "status", "mode")
_DESCRIBING_WORDS = (
    "type",
    "segment",
    "group",
    "category",
    "class",
    "tier",
    "status",
    "gender",
    "country",
    "city",
    "region",
    "state",
    "since",
    "age",
)
_NOT_MONEY_WORDS = (
    "profit",
    "discount",
    "tax",
    "cost",
    "margin",
    "postal",
    "zip",
    "id",
    # Parts of a payment, not what the customer bought: Stripe's 'Amount Refunded',
    # fees, shipping. Refunds in their own column are not netted (the note says so).
    "refund",
    "refunded",
    "fee",
    "fees",
    "shipping",
    "postage",
)

_DATE_PATTERNS = {
    "iso": re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[ T]\d{1,2}:\d{2}.*)?$"),
    "dmy": re.compile(r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}(?:[ T]\d{1,2}:\d{2}.*)?$"),
    "compact": re.compile(r"^(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$"),
}
_NUMBER = re.compile(r"^[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?$")
# A decimal comma, with or without a currency sign and thousands dots: 2,50  1.234,56 €.
_DECIMAL_COMMA = re.compile(
    rf"^[-+]?\s*(?:{CURRENCY})?\s*[-+]?(?:\d{{1,3}}(?:\.\d{{3}})+|\d+),\d+\s*(?:{CURRENCY})?$"
)
_MONEY_TEXT = re.compile(rf"^(?:{FORMATTED_MONEY})$")
_DECIMAL_COMMA_MONEY = re.compile(rf"^(?:{DECIMAL_COMMA_MONEY})$")
_MONEY_MARK = re.compile(rf",|{CURRENCY}")
_FLOAT_ID = re.compile(r"^\d+\.0$")
# The date part of a date text, as SQL extracts it before parsing.
_SQL_DATE_PART = r"^\s*([0-9]{8}|[0-9]{1,4}[/.-][0-9]{1,2}[/.-][0-9]{1,4})"


@dataclass(frozen=True)
class Roles:
    """Which column of the order lines plays each part (None: absent)."""

    customer: str | None = None
    date: str | None = None
    amount: str | None = None
    quantity: str | None = None
    price: str | None = None
    order: str | None = None
    item: str | None = None
    # An order or payment status: lines whose status says the sale did not happen
    # (cancelled, voided, refunded, failed: VOID_STATUS) are left out.
    status: str | None = None
    # The status is an event log's event type (view, cart, purchase): only lines whose
    # event is a purchase (PURCHASE_EVENT) are purchases.
    events: bool = False
    # A document type column (Invoice, Credit Memo), beside any status: a credit note's
    # lines are returns (CREDIT_NOTE), whatever the sign of their amounts.
    document: str | None = None
    # The status is a sales pipeline's stage: only won deals (WON_STAGE) are sales.
    pipeline: bool = False
    # Statuses (lower-cased) decided from the column's values to be no sale either:
    # 'closed' beside 'complete' (Magento's refunded orders).
    void_values: tuple[str, ...] = ()
    # The export's row structure (structure_of): a line-type column whose ``level_drop``
    # values are another level than the items (Vend's Sale totals and Payments beside its
    # Sale Lines) or payments of the bill (a card's PAY rows); or, with ``children``, a
    # parent ID: a line with a parent is part of another line (Magento's configurable
    # products). Those lines are left out.
    level: str | None = None
    level_drop: tuple[str, ...] = ()
    children: bool = False
    # A discount on the line, applied when the value is quantity x price (discount_role):
    # its column and how it reads (DISCOUNT_KINDS: "rate", "percent", "line", "unit").
    discount: str | None = None
    discount_kind: str = ""

    @property
    def credit_notes(self) -> bool:
        """Whether a document type column marks credit notes (their lines are returns)."""
        return self.document is not None

    @property
    def has_money(self) -> bool:
        """Whether the lines carry money: an amount, or a price (times quantity if any)."""
        return self.amount is not None or self.price is not None

    def used(self) -> dict[str, str]:
        """The role -> column pairs that are set, in a fixed order."""
        pairs = {
            "customer": self.customer,
            "date": self.date,
            "order": self.order,
            "item": self.item,
            "quantity": self.quantity,
            "price": self.price,
            "discount": self.discount,
            "amount": self.amount,
            "status": self.status,
            "document": self.document,
            "level": self.level,
        }
        return {role: column for role, column in pairs.items() if column is not None}


@dataclass(frozen=True)
class Source:
    """How to read the file: its format, and for text the delimiter, encoding and header."""

    path: Path
    format: SourceFormat
    columns: tuple[str, ...]
    delimiter: str = ","
    utf8: bool = True
    header: bool = True
    description: str = ""
    # A table already in memory (a workbook, a DataFrame), and the hash of its content.
    frame: pd.DataFrame | None = field(default=None, compare=False, repr=False)
    sha256: str | None = None
    # Lines above the header that are a title (loading.title_lines), skipped.
    skip: int = 0


@dataclass(frozen=True)
class OrderPlan:
    """An order-line table, how to read it, and why it was read as order lines."""

    source: Source
    roles: Roles
    reason: str
    decimal_comma: tuple[str, ...] = ()
    # Money written with currency signs or commas between thousands ($1,234.50).
    formatted_money: tuple[str, ...] = ()
    other_customer_columns: tuple[str, ...] = ()
    # Customer IDs written as floats (17850.0: pandas' export of an ID column with gaps).
    float_ids: bool = False
    # Columns that hold one category per customer (Segment, Country): they describe segments.
    attributes: tuple[str, ...] = ()
    # The statuses in the first lines that say a sale did not happen (Roles.status).
    void_statuses: tuple[str, ...] = ()
    # The one currency sign the money columns are written with ("$1,234.50"), if any.
    currency: str = ""
    # A column that numbers the lines (Row ID): two lines it tells apart are two purchases.
    line_id: str | None = None
    # A currency column with two or more codes: its name, then the codes (_currencies).
    currencies: tuple[str, ...] = ()
    # Placeholder customers seen in the first lines ('0', 'GUEST'): their lines are anonymous.
    placeholders: tuple[str, ...] = ()
    # The amount is a column converted to one currency ('Converted Amount', 'Amount (LCY)'),
    # chosen because the currency column has several codes.
    converted: bool = False
    # The status column's values in the first lines (status_values), how many lines those
    # were, and the status-named columns not read, with why (unused_statuses).
    status_values: tuple[tuple[str, int, bool], ...] = ()
    sample_lines: int = 0
    unused_statuses: tuple[tuple[str, str], ...] = ()
    # The line-type values kept (Roles.level): the items ('Sale Line').
    level_kept: tuple[str, ...] = ()
    # The account holder of a payment export (account_holder): its address, the column
    # that names the customer on its lines, and its lines in the first lines.
    holder: tuple[str, str, int] | None = None
    # How the date column's values were seen written in the first lines (date_kind, or
    # YYMMDD): six-digit dates are extracted and read on their own (date_part_pattern).
    date_kind: str | None = None
    # A discount-named column not applied, and why (discount_role).
    discount_unread: tuple[str, str] | None = None
    # Number columns written with a percent sign ('15%'): the sign is dropped.
    percent_signs: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrderOptions:
    """What the user said about the order lines (config keys and options)."""

    input_kind: InputKind = "auto"
    roles: Roles = Roles()
    date_format: str | None = None
    as_of: date | None = None
    exclude_items: tuple[str, ...] = ()
    # discount = "" in the config: no discount column is looked for.
    no_discount: bool = False


@dataclass(frozen=True)
class CustomerTotals:
    """The aggregation's result: one row per customer, and what happened to the lines."""

    frame: pd.DataFrame
    summary: OrderSummary
    # The customers not segmented, with their reasons (left_out_customers).
    left_out: pd.DataFrame


# --- detection -------------------------------------------------------------------------


def header_names(cells: Sequence[str]) -> list[str]:
    """Column names from a header line, named as pandas names them.

    An empty name (the unnamed row-index column that R and pandas write first) becomes
    ``Unnamed: <position>`` and a repeated one gets ``.1``, ``.2``: DuckDB refuses
    both, and the customer-table path reads the same file with pandas' names.
    """
    names: list[str] = []
    for position, cell in enumerate(cells):
        name = cell.strip() or f"Unnamed: {position}"
        base, copy = name, 0
        while name in names:
            copy += 1
            name = f"{base}.{copy}"
        names.append(name)
    return names


def plan_orders(path: Path, options: OrderOptions, sheet: str | None = None) -> OrderPlan | None:
    """Decide whether ``path`` holds order lines, and which column plays which role.

    Returns None for a customer table (one row per customer), which the rest of the
    pipeline reads as before.

    Raises:
        SettingsError: a configured role names a column the file does not have.
        DataError: the table must be order lines (``input_kind = "orders"``, or roles
            were configured) but a role cannot be found.
    """
    if options.input_kind == "customers":
        return None
    sampled = _sample(path, sheet)
    if sampled is None:
        if _forced(options):
            raise DataError(
                f"Cannot read {path.name} as order lines: it does not split into columns; "
                "export it as CSV (comma, semicolon or tab) or Parquet."
            )
        return None
    return plan_from_head(*sampled, options)


def plan_table_orders(table: Table, options: OrderOptions) -> OrderPlan | None:
    """Decide whether a table already in memory (a workbook, a DataFrame) holds order lines.

    As ``plan_orders``, for a table read by the loading stage or given to the Python API:
    it is then aggregated from memory, never read again.
    """
    if options.input_kind == "customers":
        return None
    return plan_from_head(*_table_sample(table), options)


def _table_sample(table: Table) -> tuple[Source, pd.DataFrame]:
    frame = table.frame
    source = Source(
        table.path,
        "frame",
        tuple(frame.columns),
        description=table.description,
        frame=frame,
        sha256=table.sha256,
    )
    return source, as_text(frame.head(HEAD_LINES))


def _forced(options: OrderOptions) -> bool:
    """Whether the user said the table is order lines (input_kind, or a role named)."""
    return options.input_kind == "orders" or bool(options.roles.used())


def plan_from_head(source: Source, head: pd.DataFrame, options: OrderOptions) -> OrderPlan | None:
    """Decide from the first lines of ``source`` whether and how to read it as order lines.

    ``head`` is as ``as_text`` gives it; the Spark engine passes a Spark DataFrame's
    first rows.
    """
    path, forced = source.path, _forced(options)
    for role, column in options.roles.used().items():
        if column not in head.columns:
            raise SettingsError(
                f"{role} = {column!r} names a column that {path.name} does not have; "
                f"its columns are: {', '.join(head.columns)}."
            )
    given = options.roles
    if given.date is None and options.date_format is not None:
        # A date_format for a date column nothing else reads (the one an unreadable
        # date's stop advises) names that column as the date.
        given = replace(given, date=_date_read_with(head, options.date_format))
    roles, evidence, others = _detect_roles(head, given)
    if roles.date is None and (forced or (roles.customer is not None and _repeats(evidence))):
        # Said before the missing date's consequences: "no column looks like the date",
        # or the rows taken for bookings of the repeating key (review 8).
        unread = _unreadable_date_column(head, roles)
        if unread is not None:
            raise DataError(unreadable_date_message(unread, path.name, list(head[unread].dropna())))
    if not forced and roles.customer is None and _numbers_orders(head, roles):
        # Read as a customer table, each line would be a "customer" (an Amazon order report).
        raise DataError(
            f"{path.name} looks like an export of orders ({roles.order} numbers the orders, "
            f"{roles.date} dates them), but no column says who bought: customers cannot be "
            "segmented without one. Name the customer column in the config file (customer = "
            '"<column>"), or export the orders with the customer ID or e-mail; if each row '
            "really is one customer, run with --input-kind customers."
        )
    if (
        not forced
        and roles.customer is not None
        and roles.date is not None
        and not _repeats(evidence)
        and _numbers_orders(head, roles)
    ):
        # An order number and a date beside a customer that never repeats: still orders,
        # each customer with one (Olist issues a customer_id per order; a first-order
        # extract). A customer table has no order number per row.
        evidence["no_repeats"] = True
    elif not forced and (roles.customer is None or roles.date is None or not _repeats(evidence)):
        return None
    if not forced and roles.order is None:
        shown = contract_columns(head, roles, others)
        if shown:
            raise DataError(contract_message(path.name, roles, evidence, shown))
    missing = [
        (role, key)
        for role, key in (("customer", "customer"), ("date", "date"))
        if getattr(roles, role) is None
    ]
    if missing:
        what = " and ".join(f"the {role}" for role, _ in missing)
        keys = " and ".join(f'{key} = "<column>"' for _, key in missing)
        raise DataError(
            f"Cannot read {path.name} as order lines: no column looks like {what}. "
            f"Name it in the config file: {keys}."
        )
    # PayPal's activity download runs a balance too, but its holder is told apart
    # (account_holder): the payments are read from the buyers' side.
    statement = None if forced else statement_evidence(head, roles)
    if statement is not None and account_holder(head, str(roles.customer)) is None:
        raise DataError(statement_message(path.name, roles, statement))
    if options.exclude_items and roles.item is None:
        raise SettingsError(
            f"exclude_items needs an item column, and none was found in {path.name}: "
            'name it with item = "<column>" in the config file.'
        )
    discount, discount_kind, discount_unread = discount_role(head, roles, options)
    roles = replace(roles, discount=discount, discount_kind=discount_kind)
    decimal_comma = tuple(
        column
        for column in (roles.amount, roles.quantity, roles.price, roles.discount)
        if column is not None and _share(head[column], _DECIMAL_COMMA) > 0.5
    )
    formatted_money = tuple(
        column
        for column in (roles.amount, roles.quantity, roles.price)
        if column is not None and column not in decimal_comma and _is_formatted_money(head[column])
    )
    assert roles.customer is not None
    customer = roles.customer
    level, drop, children, kept = structure_of(head, roles)
    roles = replace(roles, level=level, level_drop=drop, children=children)
    holder = account_holder(head, customer)
    return OrderPlan(
        source=source,
        roles=roles,
        reason=_reason(roles, evidence, forced),
        decimal_comma=decimal_comma,
        formatted_money=formatted_money,
        void_statuses=_void_statuses(head, roles),
        currency=_currency(head, (*decimal_comma, *formatted_money))
        or _one_currency_code(head, [c for c in head.columns if c not in roles.used().values()]),
        currencies=evidence.get("currencies", ()),
        converted=bool(evidence.get("converted")),
        other_customer_columns=others,
        float_ids=_share(head[roles.customer], _FLOAT_ID) > 0.99,
        placeholders=placeholder_customers(head[roles.customer]),
        attributes=customer_attributes(head, roles, others),
        line_id=line_id_column(head, roles, others),
        status_values=status_values(head, roles),
        sample_lines=len(head),
        unused_statuses=unused_statuses(head, roles),
        level_kept=kept,
        holder=holder,
        date_kind=evidence.get("date_kind"),
        discount_unread=discount_unread,
        percent_signs=(discount,)
        if discount and _share(head[discount], _PERCENT_TEXT) > 0.5
        else (),
    )


# A value is written like a whole date when it has at least six characters, four digits.
_DATE_WRITTEN = re.compile(r"^(?=(?:\D*\d){4}).{6,}$")


def _unreadable_date_column(head: pd.DataFrame, roles: Roles) -> str | None:
    """A column named as a date, filled on most lines with values written like dates
    (_DATE_WRITTEN: not a day of the month, a year or an amount with decimals) that no
    date format reportgen reads by itself reads."""
    taken = set(roles.used().values())
    for column in head.columns:
        if column in taken or not date_named(column):
            continue
        present = head[column].dropna().astype(str).str.strip()
        present = present[present.ne("")]
        if len(present) < 0.5 * len(head) or _share(present, _DATE_WRITTEN) < DATE_SHARE:
            continue
        if date_kind(present) is not None or is_yymmdd(present) or _has_decimals(present):
            continue
        return str(column)
    return None


def _date_read_with(head: pd.DataFrame, date_format: str) -> str | None:
    """The one column named as a date that ``date_format`` reads in every first line,
    when no column holds dates reportgen reads by itself; else None."""
    if any(date_kind(head[column]) is not None for column in head.columns):
        return None
    read = [
        str(column)
        for column in head.columns
        if date_named(column)
        and head[column].notna().any()
        and reads_all(list(head[column].dropna()), date_format)
    ]
    return read[0] if len(read) == 1 else None


# The account holder is on one side of at least this share of a payment export's lines.
HOLDER_SHARE = 0.9


def account_holder(head: pd.DataFrame, customer: str) -> tuple[str, str, int] | None:
    """The owner of a payment account's export, if the money flows both ways.

    PayPal's activity download: on a payment the buyer is the sender and the shop the
    recipient; on a refund, a withdrawal or a currency conversion the shop is the sender.
    The shop is then on one side or the other of (nearly) every line: it is the account
    holder, not a customer, and on its own lines the customer is the other side.
    Returns (the holder as written, the other side's column, the holder's lines among
    the first lines), or None.
    """
    values = head[customer].astype("string").str.strip()
    counts = values.value_counts()
    if counts.empty:
        return None
    holder = str(counts.index[0])
    mine = values.eq(holder).fillna(False)
    if not 0.05 <= mine.mean() < 0.95:
        return None
    for other in head.columns:
        if other == customer or not _hinted(other, "customer"):
            continue
        side = head[other].astype("string").str.strip()
        theirs = side.eq(holder).fillna(False)
        both_ways = (mine | theirs).mean() >= HOLDER_SHARE and not (mine & theirs).any()
        if both_ways and side[mine].notna().any():
            return holder, str(other), int(mine.sum())
    return None


def customer_text(plan: OrderPlan, column: Any) -> str:
    """SQL: a line's customer text before customer_sql, from ``column`` (a function from a
    column name to its trimmed text in the engine's SQL): on the account holder's lines,
    the other side (account_holder)."""
    assert plan.roles.customer is not None
    text = column(plan.roles.customer)
    if plan.holder is None:
        return str(text)
    holder, other, _ = plan.holder
    return f"CASE WHEN {text} = {_literal(holder)} THEN {column(other)} ELSE {text} END"


# A line type's values that are payments of a bill or transfers, not purchases (a card
# issuer's PAY 'PAYMENT - THANK YOU', a bank transfer, a withdrawal), when their amounts
# are negative; not refunds (Rückzahlung is a refund: a return).
PAYMENT_ROWS = (
    r"^pay$|^pymt$|payment|settlement|transfer|withdraw|abbuchung|uberweisung|auszahlung"
    r"|virement|retrait|^paiement"
)
REFUND_ROWS = r"refund|ruckzahlung|erstattung|return|rembours|reembols|^ref$"
# A line-type column has at most this many values in the first lines.
MAX_LEVELS = 8
# Two levels: the totals of one level equal the sum of the other's lines in this share
# of the orders that have both.
LEVEL_MATCH_SHARE = 0.9


def _line_values(head: pd.DataFrame, roles: Roles) -> pd.Series:
    """Each first line's money, roughly (for comparing levels; signs and ratios hold)."""

    def parse(column: str) -> pd.Series:
        return _rough_numbers(head[column])

    if roles.amount is not None:
        return parse(roles.amount)
    if roles.price is not None:
        price = parse(roles.price)
        return price * parse(roles.quantity) if roles.quantity is not None else price
    return pd.Series(np.nan, index=head.index)


def _rough_numbers(values: pd.Series) -> pd.Series:
    """A text column's numbers, roughly: signs, decimal commas and thousands undone."""
    text = values.fillna("").astype(str)
    text = text.str.replace(r"[^\d.,-]", "", regex=True)
    comma_decimal = text.str.contains(r",\d{1,2}$", regex=True)
    text = text.where(~comma_decimal, text.str.replace(".", "").str.replace(",", "."))
    return pd.to_numeric(text.str.replace(",", ""), errors="coerce")


# A balance runs when, between two postings of one account next to each other in the
# file, it changes by the amount of one of them on at least this share of such pairs
# (at least RUNNING_PAIRS pairs; either order: statements are listed oldest or newest first).
RUNNING_SHARE = 0.8
RUNNING_PAIRS = 5
# A direction column has at most this many values in the first lines.
MAX_DIRECTIONS = 6


@dataclass(frozen=True)
class Statement:
    """Why order lines look like a bank or account statement (statement_evidence)."""

    direction: str | None
    directions: tuple[str, ...]
    balance: str
    running: bool


def statement_evidence(head: pd.DataFrame, roles: Roles) -> Statement | None:
    """Whether the lines are a bank or account statement's postings, not sales.

    A statement: beside the account (the customer role), a date and an amount, a
    running-balance column (named as a balance, numeric) together with a column
    holding only posting directions (CREDIT_DIRECTION, DEBIT_DIRECTION: PRIJEM/VYDAJ,
    Soll/Haben, credit/debit), or a balance that runs: it changes by the amount from one
    posting of an account to the next.
    """
    if roles.customer is None or roles.date is None:
        return None
    if roles.amount is None and roles.price is None:
        return None
    kept = {roles.customer, roles.date, roles.amount, roles.quantity, roles.price}
    amounts = _line_values(head, roles)
    balance = None
    for column in head.columns:
        if column in kept or not any(name in _key(column) for name in _BALANCE_NAMES):
            continue
        if any(word in _NOT_BALANCE_WORDS for word in _words(column)):
            continue
        present = head[column].dropna()
        if len(present) >= 0.9 * len(head) and _is_number(present):
            balance = str(column)
            break
    if balance is None:
        return None
    direction, directions = None, ()
    for column in head.columns:
        if column in kept or column == balance:
            continue
        present = head[column].dropna()
        if len(present) < 0.9 * len(head) or _is_number(present):
            continue
        folded = _folded(present)
        if folded.nunique() > MAX_DIRECTIONS:
            continue
        said = folded.str.contains(CREDIT_DIRECTION, regex=True) | folded.str.contains(
            DEBIT_DIRECTION, regex=True
        )
        if said.mean() >= DATE_SHARE:
            direction = str(column)
            directions = tuple(present.astype(str).str.strip().value_counts().index[:4])
            break
    running = _runs(head[roles.customer], _rough_numbers(head[balance]), amounts)
    if direction is None and not running:
        return None
    return Statement(direction, directions, balance, running)


def _runs(accounts: pd.Series, balances: pd.Series, amounts: pd.Series) -> bool:
    """Whether the balance changes by a posting's amount from one posting of an account
    to the account's next in the file (statement_evidence)."""
    frame = pd.DataFrame({"account": accounts, "balance": balances, "amount": amounts.abs()})
    frame = frame.dropna()
    step = frame.groupby("account")["balance"].diff().abs()
    pairs = step.notna()
    if pairs.sum() < RUNNING_PAIRS:
        return False
    earlier = frame.groupby("account")["amount"].shift()

    def close(other: pd.Series) -> pd.Series:
        return (step - other).abs() <= np.maximum(0.01, 0.001 * other.abs())

    oldest_first = close(frame["amount"])[pairs].mean()
    newest_first = close(earlier)[pairs].mean()
    return bool(max(oldest_first, newest_first) >= RUNNING_SHARE)


def statement_message(name: str, roles: Roles, statement: Statement) -> str:
    """The stop for a bank or account statement read as order lines."""
    shown = []
    if statement.direction is not None:
        values = ", ".join(statement.directions)
        shown.append(f"{statement.direction!r} says whether money came in or went out ({values})")
    if statement.running:
        shown.append(
            f"{statement.balance!r} is a running balance (it changes by the "
            f"{roles.amount or roles.price} from one posting of the same {roles.customer} "
            "to the next)"
        )
    else:
        shown.append(f"{statement.balance!r} is a balance")
    return (
        f"{name} looks like a bank or account statement (credits and debits with a running "
        f"balance), not sales: {' and '.join(shown)}. Summed as spend, its deposits, "
        "transfers and withdrawals would be taken for purchases. Export the sales or orders "
        "instead; if the rows really are purchases, run with --input-kind orders "
        '(input_kind = "orders" in the config, and amount = "<column>" to name the money).'
    )


def structure_of(
    head: pd.DataFrame, roles: Roles
) -> tuple[str | None, tuple[str, ...], bool, tuple[str, ...]]:
    """The export's row structure: (column, line types left out, parent ID?, kept types).

    - A parent ID ('parent_item_id'), filled on some lines: those lines are parts of
      another line (Magento's simple child of a configurable product), not sales.
    - A line-type column ('Line Type', 'Record Type') with a level whose lines, one per
      order, equal the sum of another level's lines in the same order (Vend's Sale row is
      the total of its Sale Lines): the items are kept, every other type left out.
    - A type or code column with a value that says payment or transfer whose amounts
      are negative (a card's PAY 'PAYMENT - THANK YOU'): the holder paying the bill, not
      a return.
    """
    taken = set(roles.used().values())
    free = [c for c in head.columns if c not in taken]
    for column in free:
        filled = head[column].notna().mean()
        if "parent" in _key(column) and 0 < filled < 1:
            return column, (), True, ()
    values = _line_values(head, roles)
    if values.notna().sum() == 0:
        return None, (), False, ()
    for column in free:
        written = head[column].dropna().astype(str).str.strip()
        if not 2 <= written.nunique() <= MAX_LEVELS or _is_number(written):
            continue
        if roles.order is not None and (levels := _levels(head, roles.order, column, values)):
            items = levels[1]
            drop = tuple(sorted(v for v in written.unique() if v != items))
            return column, drop, False, (items,)
    for column in free:
        written = head[column].dropna().astype(str).str.strip()
        if not 2 <= written.nunique() <= MAX_LEVELS * 4 or _is_number(written):
            continue
        folded = _folded(written)
        paying = folded.str.contains(PAYMENT_ROWS, regex=True) & ~folded.str.contains(
            REFUND_ROWS, regex=True
        )
        paid: list[str] = []
        for value in sorted(written[paying].unique()):
            amounts = values[written.index[written == value]].dropna()
            if len(amounts) and (amounts < 0).mean() >= 0.9:
                paid.append(str(value))
        if paid:
            return column, tuple(paid), False, ()
    return None, (), False, ()


def _levels(
    head: pd.DataFrame, order: str, column: str, values: pd.Series
) -> tuple[str, str] | None:
    """(total type, item type) when one type's line per order is the sum of another's."""
    frame = pd.DataFrame(
        {"order": head[order], "type": head[column].astype("string").str.strip(), "v": values}
    ).dropna(subset=["order", "type"])
    per = frame.groupby(["order", "type"])["v"].agg(["sum", "size"]).reset_index()
    kinds = list(per["type"].unique())
    for total in kinds:
        tops = per[per["type"] == total].set_index("order")
        if tops.empty or (tops["size"] > 1).mean() > 0.05:
            continue
        for items in kinds:
            if items == total:
                continue
            parts = per[per["type"] == items].set_index("order")
            both = tops.index.intersection(parts.index)
            if len(both) < 10:
                continue
            a, b = tops.loc[both, "sum"], parts.loc[both, "sum"]
            close = (a - b).abs() <= np.maximum(0.05, 0.01 * a.abs())
            if (a.abs() > 0).mean() > 0.5 and close.mean() >= LEVEL_MATCH_SHARE:
                return str(total), str(items)
    return None


_LINE_ID_WORDS = {"row", "line", "id", "no", "nr", "number", "key", "index", "position"}


def line_id_column(head: pd.DataFrame, roles: Roles, others: Sequence[str]) -> str | None:
    """A column that numbers the lines: filled and different in every line of the head, with
    an ID-like name (Row ID, Line No). Identical lines with different numbers are kept."""
    taken = {*roles.used().values(), *others}
    for column in head.columns:
        if column in taken or not _LINE_ID_WORDS & set(_words(column)):
            continue
        values = head[column].fillna("").astype(str).str.strip()
        if values.ne("").all() and values.is_unique and len(values) > 1:
            return str(column)
    return None


# A column describes customers when it is a category (2 to this many values in the head)
# that stays the same across a customer's lines for nearly all repeat customers.
MAX_ATTRIBUTE_VALUES = 20
ATTRIBUTE_CONSTANT_SHARE = 0.95
MAX_ATTRIBUTES = 3
# A customer whose attribute is blank in every line.
UNKNOWN_ATTRIBUTE = "Unknown"
# The per-customer measures the aggregation makes: no attribute may take their names.
CUSTOMER_MEASURES = (
    "recency_days",
    "frequency",
    "monetary",
    "tenure_days",
    "average_order_value",
    "returned_share",
    "last_12_months",
    "distinct_items",
)


def attribute_names(plan: OrderPlan) -> tuple[str, ...]:
    """The SQL names of the plan's customer attributes in the staged lines."""
    return tuple(f"attribute_{index}" for index in range(len(plan.attributes)))


def customer_attributes(head: pd.DataFrame, roles: Roles, others: Sequence[str]) -> tuple[str, ...]:
    """The columns of the order lines that describe the customer, not the line.

    A customer type, region or country of a B2B or retail export: text with a few values,
    filled in nearly every line, and the same in all of a customer's lines (at least
    ATTRIBUTE_CONSTANT_SHARE of the customers seen more than once). At most
    MAX_ATTRIBUTES, in the file's order.
    """
    taken = {*roles.used().values(), *others, *CUSTOMER_MEASURES}

    def text(column: str) -> pd.Series:
        return head[column].fillna("").astype(str).str.strip()

    customers = text(roles.customer) if roles.customer is not None else None
    found: list[str] = []
    for column in head.columns:
        if customers is None or column in taken or len(found) == MAX_ATTRIBUTES:
            continue
        values = text(column)
        present = values.ne("") & ~values.isin(MISSING_TEXT) & customers.ne("")
        if present.mean() < 0.9 or _share(values[present], _NUMBER) > 0.5:
            continue
        if any(_share(values[present], pattern) > 0.5 for pattern in _DATE_PATTERNS.values()):
            continue
        if not 2 <= values[present].nunique() <= MAX_ATTRIBUTE_VALUES:
            continue
        per_customer = values[present].groupby(customers[present]).agg(["nunique", "size"])
        repeat = per_customer[per_customer["size"] > 1]
        if len(repeat) and (repeat["nunique"] == 1).mean() >= ATTRIBUTE_CONSTANT_SHARE:
            found.append(column)
    return tuple(found)


def _sample(path: Path, sheet: str | None) -> tuple[Source, pd.DataFrame] | None:
    """Read the head of the file as text columns, and how to read all of it.

    Returns None for text that does not split into at least two columns: the customer
    table loader then says what is wrong with it.
    """
    if not path.exists():
        raise DataError(f"Input file {path} does not exist. Check the path and try again.")
    if path.is_dir():
        raise DataError(f"{path} is a directory; give the path of a CSV file inside it.")
    if not path.is_file():
        return None  # a pipe or a device: never read here (a pipe would block); see loading
    with path.open("rb") as file:
        head = file.read(HEAD_BYTES)
    if not head.strip():
        raise DataError(f"Input file {path} is empty; export the table again.")
    if head.startswith(b"PAR1"):
        return _sample_parquet(path)
    if head.startswith(b"PK\x03\x04"):
        return _sample_excel(path, sheet)
    utf8 = _decodes(head, "utf-8", complete=len(head) < HEAD_BYTES)
    text = head.decode("utf-8-sig" if utf8 else "cp1252", errors="ignore")
    if len(head) == HEAD_BYTES:
        text = text.rsplit("\n", 1)[0]
    lines = text.splitlines()[:HEAD_LINES]
    delimiter = sniff_delimiter(text)
    skipped = title_lines(list(csv.reader(lines[:_TITLE_SCAN], delimiter=delimiter)))
    title = list(csv.reader(lines[:skipped], delimiter=delimiter))
    lines = lines[skipped:]
    first = next(csv.reader(lines[:1], delimiter=delimiter), [])
    if len(first) < 2 and _whitespace_fields(lines):
        rows = [line.split() for line in lines if line.strip()]
        fmt: SourceFormat = "whitespace"
    else:
        rows = [row for row in csv.reader(lines, delimiter=delimiter) if row]
        fmt = "csv"
    if not rows or len(rows[0]) < 2 or b"\x00" in head[:4096]:
        return None
    header = not first_row_is_data(rows)
    names = header_names(rows[0]) if header else [f"column{i}" for i in range(1, len(rows[0]) + 1)]
    body = rows[1:] if header else rows
    width = len(names)
    frame = pd.DataFrame([(row + [""] * width)[:width] for row in body], columns=names)
    encoding = ENCODING_NAMES["utf-8-sig" if utf8 else "cp1252"]
    kind = (
        "whitespace-separated" if fmt == "whitespace" else f"{DELIMITER_NAMES[delimiter]}-separated"
    )
    description = f"{kind} text, {encoding}{'' if header else ', no header line'}"
    if skipped:
        note = title_note(title, skipped).rstrip(".")
        description += f"; {note[0].lower()}{note[1:]}"
    source = Source(path, fmt, tuple(names), delimiter, utf8, header, description, skip=skipped)
    return source, as_text(frame)


def _sample_parquet(path: Path) -> tuple[Source, pd.DataFrame]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
        batch = next(parquet.iter_batches(batch_size=HEAD_LINES), None)
    except Exception as error:  # pyarrow raises many types for a damaged file
        raise DataError(f"Cannot read {path} as a Parquet file: {error}.") from None
    frame = batch.to_pandas() if batch is not None else pd.DataFrame()
    names = tuple(str(name) for name in parquet.schema_arrow.names)
    return Source(path, "parquet", names, description="Parquet"), as_text(frame)


def _sample_excel(path: Path, sheet: str | None) -> tuple[Source, pd.DataFrame]:
    from reportgen.loading import load_table

    return _table_sample(load_table(path, sheet))


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as stripped text, missing markers as NaN: roles are judged on text."""
    text = frame.astype(object).where(frame.notna(), None)
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = text[column].map(lambda v: None if v is None else str(v).strip())
        out[str(column)] = values.where(~values.isin([*MISSING_TEXT, *EXTRA_MISSING]), None)
    return out


def _decodes(data: bytes, encoding: str, *, complete: bool) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        decoder.decode(data, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def _whitespace_fields(lines: Sequence[str]) -> bool:
    widths = {len(line.split()) for line in lines[:200] if line.strip()}
    return len(widths) == 1 and widths.pop() >= 2


def _share(values: pd.Series, pattern: re.Pattern[str]) -> float:
    present = values.dropna().astype(str)
    if present.empty:
        return 0.0
    return float(present.str.match(pattern.pattern).mean())


def fold_accents(text: str) -> str:
    """``text`` without accents: decomposed (NFKD), the combining marks dropped."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _key(name: str) -> str:
    """The name lower-cased, accents folded, letters and digits only ('Währung' ->
    'wahrung'): without the fold the ä was dropped ('whrung') and matched no word."""
    return re.sub(r"[^a-z0-9]", "", fold_accents(name).lower())


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", fold_accents(name))
    return [word for word in re.split(r"[^a-z0-9]+", spaced.lower()) if word]


def _hinted(name: str, role: str) -> bool:
    key = _key(name)
    return any(hint in key for hint in _HINTS[role]) or bool(
        set(_words(name)) & _HINT_WORDS.get(role, frozenset())
    )


def _preference(name: str) -> tuple[int, int]:
    """Sort key among hinted columns: codes first, names and descriptions last."""
    words = _words(name)
    return (
        0 if any(word in _CODE_WORDS for word in words) else 1,
        1 if any(word in _AVOID_WORDS for word in words) else 0,
    )


def date_kind(values: pd.Series) -> str | None:
    """Return "iso", "dmy" (day or month first) or "compact" when most values are dates."""
    present = values.dropna()
    if present.empty:
        return None
    for kind, pattern in _DATE_PATTERNS.items():
        if _share(present, pattern) >= DATE_SHARE:
            return kind
    return None


# Six-digit dates (YYMMDD: 930101 is 1 January 1993), as legacy exports (the Berka bank
# data, AS/400 and COBOL systems) write them. Read only in a column named as a date
# whose every value is a calendar date so, and none after today: a plain six-digit
# number (an amount, a code) elsewhere is never a date. The century follows Python's
# %y (and DuckDB's): 69-99 are 1969-1999, 00-68 are 2000-2068 (CENTURY_PIVOT).
YYMMDD = "yymmdd"
_SIX_DIGITS = re.compile(r"^\d{6}$")
# The date part of a six-digit date text, as SQL extracts it (date_part_pattern).
_SQL_SIX_DIGIT_DATE = r"^\s*([0-9]{6})\s*$"
# A column is named as a date when a word of its name is, or starts or ends with, one of
# these ('date', 'OrderDate', 'Buchungsdatum', 'fecha_pedido'), or is 'dt' or 'day'
# (not 'data', which in English names anything).
_DATE_NAME_PARTS = ("date", "datum", "fecha")
_DATE_NAME_WORDS = frozenset({"dt", "day", "datetime"})
# Words that end in 'date' but name no date.
_NOT_DATE_WORDS = frozenset({"update", "mandate", "candidate", "validate", "accommodate"})


def date_named(name: str) -> bool:
    """Whether a column's name says it holds dates ('date', 'Posting Date', 'Buchungsdatum')."""
    for word in _words(name):
        if word in _NOT_DATE_WORDS:
            continue
        if word in _DATE_NAME_WORDS or any(
            word.startswith(part) or word.endswith(part) for part in _DATE_NAME_PARTS
        ):
            return True
    return False


def yymmdd_day(text: str) -> date | None:
    """The day a six-digit YYMMDD text stands for ('930101' -> 1993-01-01), or None when
    it is not one (not six digits, or no such day: 931301, 930230)."""
    if not _SIX_DIGITS.match(text):
        return None
    try:
        return datetime.strptime(text, "%y%m%d").date()
    except ValueError:
        return None


def is_yymmdd(values: pd.Series, today: date | None = None) -> bool:
    """Whether every present value is a YYMMDD date no later than ``today``."""
    present = values.dropna().astype(str).str.strip().unique()
    if len(present) == 0:
        return False
    latest = today or date.today()
    days = [yymmdd_day(text) for text in present]
    return all(day is not None and day <= latest for day in days)


def _is_number(values: pd.Series) -> bool:
    return (
        _share(values, _NUMBER) >= NUMBER_SHARE
        or _is_formatted_money(values)
        or _share(values, _DECIMAL_COMMA_MONEY) >= NUMBER_SHARE
    )


def _is_formatted_money(values: pd.Series) -> bool:
    return _share(values, _MONEY_TEXT) >= NUMBER_SHARE and _share(values, _MONEY_MARK) > 0


def number_sql(value: str, column: str, plan: OrderPlan, dialect: Dialect) -> str:
    """SQL: a line's number read from its text ``value`` (NULL when it is not one), with
    the column's decimal commas or money formatting undone, and its percent sign dropped."""
    if column in plan.percent_signs:  # a discount written '15%'
        value = f"trim(replace({value}, '%', ''))"
    if column not in plan.decimal_comma and column not in plan.formatted_money:
        return f"TRY_CAST({value} AS DOUBLE)"
    # Accountants' parentheses are a minus: Square writes a refund as ($3.25).
    sign = f"CASE WHEN {value} LIKE '(%)' THEN -1 ELSE 1 END"
    if column in plan.decimal_comma:
        digits = dialect.replace_all(value, rf"{CURRENCY}|[\s()]", "")
        digits = f"replace(replace({digits}, '.', ''), ',', '.')"
    else:
        digits = dialect.replace_all(value, rf"{CURRENCY}|[\s,()]", "")
    return f"{sign} * TRY_CAST({digits} AS DOUBLE)"


def _money_like(values: pd.Series) -> bool:
    """Numbers with decimals or a currency ('CHF 59.93', '12.50'): money, never a code."""
    present = values.dropna().astype(str)
    if present.empty or not _is_number(present):
        return False
    return _has_decimals(present) or _share(present, re.compile(rf".*(?:{CURRENCY})")) > 0.5


def _has_decimals(values: pd.Series) -> bool:
    present = values.dropna()
    return bool(present.str.contains(r"[.,]\d*[1-9]", regex=True).any())


def _detect_roles(
    head: pd.DataFrame, given: Roles
) -> tuple[Roles, dict[str, Any], tuple[str, ...]]:
    """Find each role's column; what the user named wins."""
    columns = list(head.columns)
    evidence: dict[str, Any] = {}
    dates = {c: kind for c in columns if (kind := date_kind(head[c])) is not None}
    # Six-digit YYMMDD dates only in a column named as a date (or named by the user).
    dates.update(
        (c, YYMMDD)
        for c in columns
        if c not in dates and (date_named(c) or c == given.date) and is_yymmdd(head[c])
    )
    # Lists in column order, never sets: which column wins must not depend on hashing.
    numbers = [c for c in columns if c not in dates and _is_number(head[c])]
    taken = {column for column in given.used().values()}

    def pick(role: str, allowed: Sequence[str]) -> str | None:
        named = getattr(given, role)
        if named is not None:
            return str(named)
        hinted = [c for c in allowed if c not in taken and _hinted(c, role)]
        if not hinted:
            return None
        # A column filled on most lines first (Etsy's 'Adjusted Net Order Amount' is
        # filled on refunded orders only); then codes before names; then column order.
        chosen = sorted(
            hinted,
            key=lambda c: (
                head[c].notna().mean() < MOSTLY_FILLED,
                _mostly_zero(head[c]),
                *_preference(c),
            ),
        )[0]
        taken.add(chosen)
        return chosen

    # The date of the order: the first date column, preferring an order or invoice date;
    # a closing or completion date beats a creation date when it is filled as often (a
    # deal is a sale when it closes: Salesforce's Close Date, not its Created Date).
    created = [c for c in dates if any(h in _key(c) for h in (*_CREATED_DATES, *_STARTED_DATES))]
    filled = max((head[c].notna().mean() for c in created), default=1.0)

    def closing(column: str) -> bool:
        return (
            bool(created)
            and any(h in _key(column) for h in _CLOSING_DATES)
            and head[column].notna().mean() >= 0.95 * filled
        )

    date_columns = sorted(
        dates,
        key=lambda c: (
            0
            if closing(c)
            or any(h in _key(c) for h in ("order", "invoice", "purchase", "transaction", "created"))
            else 1,
            1 if any(h in _key(c) for h in ("ship", "deliver", "due", "birth", "signup")) else 0,
            0 if closing(c) else 1,
            columns.index(c),
        ),
    )
    date_column = given.date or (date_columns[0] if date_columns else None)
    if date_column:
        taken.add(date_column)
    non_dates = [c for c in columns if c not in dates]
    # An "order number" with decimals or a currency is money ('Basket Value (CHF)').
    # A status or document type named after the order, ticket or document ('Order
    # Status', 'Ticket Status', 'Belegart') is neither an order nor an item.
    codes = [
        c
        for c in non_dates
        if not _hinted(c, "customer")
        and not (
            (_status_named(c) or any(name in _key(c) for name in _DOCUMENT_TYPE_NAMES))
            and head[c].nunique() <= MAX_STATUS_VALUES
        )
    ]
    order = pick("order", [c for c in codes if not _money_like(head[c])])
    item = pick("item", codes)
    # Three slots, each applied: a status (the sale did not happen), an event type (only
    # purchases count) and a document type (credit notes are returns). Xero has a Status
    # (DRAFT, VOIDED) and a Type ('Sales credit note').
    free = [c for c in non_dates if c not in taken]
    status = given.status
    document = None
    if status is not None and _document_type_column(head, [status]) == status:
        document, status = status, None  # a configured status that holds credit notes
    elif status is None:
        status = _status_column(head, free) or _event_column(head, free)
    events = status is not None and _event_column(head, [status]) == status
    if document is None:
        document = _document_type_column(head, [c for c in free if c != status])
    pipeline = status is not None and not events and _is_pipeline(head[status])
    void_values: tuple[str, ...] = ()
    if status is not None and not events and not pipeline:
        void_values = closed_refunds(head[status])
    taken.update(c for c in (status, document) if c is not None)
    if given.date is None and status is not None and not events:
        # Open deals leave the closing date blank: it is judged on the lines that are sales.
        sold = is_sale_status(
            head[status].fillna(""),
            Roles(status=status, pipeline=pipeline, void_values=void_values),
        )
        closed = closing_on_sales(head.loc[sold.to_numpy(dtype=bool)], list(dates), date_column)
        if closed is not None:
            taken.discard(date_column)
            date_column = closed
            taken.add(closed)
    customer = given.customer
    others: tuple[str, ...] = ()
    unnamed = all(_key(c).startswith("column") for c in columns)  # no header line
    if customer is None:
        id_like = [c for c in non_dates if c not in taken and _is_id_like(head[c])]
        hinted = sorted(
            (c for c in id_like if _hinted(c, "customer") and not _describes(c)),
            key=_preference,
        )
        # Without a telling name, only in a file without a header: a postal code or a
        # product number in a named table must not become the customer.
        # A bare 'id' beside a date (Lifetimes' date,id) is a customer when it repeats:
        # _repeats decides, and a per-row ID does not repeat.
        unnamed_ids = [c for c in id_like if unnamed and _is_unnamed_id(c, head[c])]
        if unnamed and date_column is not None:
            # Without names, a code whose repeats are the lines of one order (together,
            # on one day) numbers orders: a headerless sales export's Order ID.
            numbering = [c for c in unnamed_ids if _one_order_per_run(head, c, date_column)]
            if numbering and order is None:
                order = numbering[0]
                taken.add(order)
            unnamed_ids = [c for c in unnamed_ids if c not in numbering]
        candidates = hinted or unnamed_ids or [c for c in id_like if _words(c) == ["id"]]
        if candidates:
            customer = _person(head, candidates)
            if customer != candidates[0]:
                evidence["per_order_customer"] = candidates[0]
            if (standing_in := _stand_in(head, customer, candidates)) is not None:
                evidence["placeholder_customer"] = customer
                customer = standing_in
            # Columns that identify the same customers (an ID and a name, two IDs).
            others = tuple(
                c
                for c in candidates
                if c != customer
                and head[c].nunique() == head[customer].nunique()
                and head.groupby(customer)[c].nunique().max() == 1
            )
    if customer is not None:
        taken.add(customer)
        taken.update(others)
        present = head[customer].dropna()
        evidence["lines_per_customer"] = len(present) / max(present.nunique(), 1)
        if date_column is not None:
            days = head.loc[present.index, date_column].str.split(" ").str[0]
            returning = int((days.groupby(present).nunique() > 1).sum())
            evidence["returning_customers"] = returning
            evidence["returning_share"] = returning / max(present.nunique(), 1)
        # Every customer has an order of their own: a column with far fewer values than
        # customers is something else a name hint matched ('Billing Country' for "bill").
        if (
            order is not None
            and given.order is None
            and head[order].nunique() < (present.nunique() / 2)
        ):
            taken.discard(order)
            order = None
        evidence["orders_outnumber_customers"] = (
            order is not None and head[order].nunique() > present.nunique()
        )
    money = [c for c in numbers if c not in taken]
    currencies = _currencies(head, [c for c in columns if c not in taken])
    converted_chosen = False
    if currencies and given.amount is None:
        # Several currencies: an amount converted to one (Stripe's 'Converted Amount') wins.
        converted = [
            c for c in money if _converted(c) and _hinted(c, "amount") and not _not_money(c)
        ]
        if converted:
            taken.add(converted[0])
            given = replace(given, amount=converted[0])
            converted_chosen = True
    # A currency column only counts against an amount the user did not choose.
    evidence["currencies"] = currencies if given.amount is None or converted_chosen else ()
    evidence["converted"] = converted_chosen
    amount = pick("amount", [c for c in money if not _not_money(c)])
    quantity = pick("quantity", [c for c in money if not _not_money(c)])
    price = pick("price", [c for c in money if not _not_money(c)])
    if amount is None and price is None and given.quantity is None:
        # No names to go by (a file without a header): a column of decimal amounts.
        decimals = [
            c
            for c in money
            if c not in taken and _has_decimals(head[c]) and not _hinted(c, "quantity")
        ]
        if decimals and unnamed:
            amount = decimals[-1]
            taken.add(amount)
            integers = [c for c in money if c not in taken and not _has_decimals(head[c])]
            quantity = quantity or (integers[-1] if integers else None)
    if amount is not None and price is not None and given.price is None:
        price = None  # an amount per line is given: no need to multiply
    evidence["date_kind"] = dates.get(date_column) if date_column else None
    roles = Roles(
        customer,
        date_column,
        amount,
        quantity,
        price,
        order,
        item,
        status,
        events,
        document,
        pipeline,
        void_values,
    )
    return roles, evidence, others


# A creation date, and the closing or completion dates that beat it (_detect_roles).
_CREATED_DATES = ("created", "creation", "opened", "erstellt")
# Also dates a deal or quote starts on, before it can close (a CRM's engage_date, Lead
# Date, Quote Date): a closing date beats them as it beats a creation date.
_STARTED_DATES = ("create", "open", "engage", "lead", "quote", "start")
_CLOSING_DATES = ("close", "closing", "completed", "completion", "won", "abschluss")


def closing_on_sales(sales: pd.DataFrame, dates: Sequence[str], chosen: str | None) -> str | None:
    """A closing date that beats ``chosen`` when filled on the lines that are sales
    (``sales``: won deals, orders not cancelled) as often as a creation or start date is:
    a pipeline's close_date is blank on open deals, which are no sales. None: keep
    ``chosen``."""
    if sales.empty:
        return None
    started = [c for c in dates if any(h in _key(c) for h in (*_CREATED_DATES, *_STARTED_DATES))]
    if not started:
        return None
    filled = max(sales[c].notna().mean() for c in started)
    closing = [
        c
        for c in dates
        if c not in started
        and any(h in _key(c) for h in _CLOSING_DATES)
        and sales[c].notna().mean() >= 0.95 * filled
    ]
    return closing[0] if closing and chosen not in closing else None


# A discount on the order line (discount_role). Its names; the words that say it is a
# percent, an amount, or an amount per unit; and the words of discount-named columns that
# are no discount of the line's price: a code, a yes/no flag, a band, one per order, or
# the price after the discount ('Discounted Price').
_DISCOUNT_NAMES = (
    "discount",
    "rabatt",
    "remise",
    "descuento",
    "desconto",
    "sconto",
    "korting",
    "nachlass",
)
_DISCOUNT_WORDS = frozenset({"disc", "dto"})
_PERCENT_WORDS = frozenset(
    {"percent", "percentage", "pct", "perc", "prozent", "pourcentage", "porcentaje"}
    | {"porcentagem", "percentuale", "procent", "rate", "satz"}
)
_AMOUNT_WORDS = frozenset(
    {"amount", "amt", "value", "betrag", "montant", "importe", "importo", "valor", "bedrag"}
    | {"total", "sum"}
)
_UNIT_WORDS = frozenset({"unit", "each", "per", "stuck", "piece", "ea", "unitario"})
_NOT_LINE_DISCOUNT = frozenset(
    {"code", "codes", "id", "name", "type", "band", "flag", "applied", "reason", "has", "is"}
    | {"order", "cart", "basket", "invoice", "coupon", "shipping", "discounted", "after"}
)
_NET_PRICE_WORDS = frozenset({"net", "netto", "after", "paid", "final", "sale", "selling"})
_PERCENT_TEXT = re.compile(r"^\s*[-+]?\d+(?:[.,]\d+)?\s*%\s*$")
# A discount amount is at most its line's value on all but this share of the lines.
DISCOUNT_OVER_SHARE = 0.05


def _discount_named(name: str) -> bool:
    words = set(_words(name))
    named = any(hint in _key(name) for hint in _DISCOUNT_NAMES) or bool(words & _DISCOUNT_WORDS)
    return named and not words & _NOT_LINE_DISCOUNT and not _hinted(name, "price")


def _price_after_discount(name: str) -> bool:
    """Whether a price's name says the discount is taken off already ('discounted_price',
    'Net Price', 'Price after discount')."""
    words = set(_words(name))
    return bool(words & _NET_PRICE_WORDS) or any(hint in _key(name) for hint in _DISCOUNT_NAMES)


def _percent_or_money_numbers(text: pd.Series) -> pd.Series:
    """Numbers from their text, roughly: signs, percent signs and currencies dropped, a
    decimal comma read as a point, thousands commas dropped."""
    cleaned = text.astype(str).str.replace(rf"%|\s|{CURRENCY}", "", regex=True)
    comma = cleaned.str.fullmatch(r"[-+]?\d*,\d+")
    cleaned = cleaned.where(~comma, cleaned.str.replace(",", "."))
    return pd.to_numeric(cleaned.str.replace(",", ""), errors="coerce")


def discount_role(
    head: pd.DataFrame, roles: Roles, options: OrderOptions
) -> tuple[str | None, str, tuple[str, str] | None]:
    """The line's discount column and how it reads, when the value is quantity x price.

    A column named as a discount (Discount, DiscountPercent, Rabatt, remise, descuento,
    sconto, korting), of numbers, not taken by another role, reads as:

    - "rate": values within [0, 1] (not only 0 and 1: a yes/no flag), unless the name
      says amount: value x (1 - rate);
    - "percent": values up to 100 with a percent word or sign in the name or values
      (percent, pct, %, rate): value x (1 - percent / 100);
    - "line" or "unit": an amount (the name says amount/value/total, or values above
      100), at most the line's value on nearly every line: value - discount, times the
      quantity when the name says per unit (unit, each, per);
    - values from 1 to 100 without such a word are a percent when some value is larger
      than its line's value (no amount can be), or when the user named the column
      (discount = "..."); otherwise they are not applied, and said so.

    Never when the line has an amount column (it already includes any discount:
    Superstore's Sales beside Discount). Returns (column, kind, None), or (None, "",
    (column, why)) for a discount-named column that is not applied, or (None, "", None).

    Raises:
        SettingsError: ``discount`` is configured but cannot apply.
    """
    named = options.roles.discount
    if options.no_discount:
        return None, "", None
    if roles.amount is not None or roles.price is None:
        if named is not None:
            raise SettingsError(
                f"discount = {named!r} is taken off quantity × price, but the lines' value is "
                + (
                    f"{roles.amount!r}, which already includes any discount"
                    if roles.amount is not None
                    else "not built from a price"
                )
                + ": drop discount, or name price (and quantity) instead of amount."
            )
        return None, "", None
    taken = set(roles.used().values())
    columns = (
        [named]
        if named is not None
        else [c for c in head.columns if c not in taken and _discount_named(str(c))]
    )
    unread: tuple[str, str] | None = None
    price = str(roles.price)
    if named is None and columns and _price_after_discount(price):
        return None, "", (str(columns[0]), f"{price} is a price after discount already")
    for column in columns:
        kind, why = _discount_kind(head, str(column), roles, named=named is not None)
        if kind:
            return str(column), kind, None
        if named is not None:
            raise SettingsError(f"discount = {named!r} cannot be applied: {why}.")
        if why and unread is None:
            unread = (str(column), why)
    return None, "", unread


def _discount_kind(
    head: pd.DataFrame, column: str, roles: Roles, *, named: bool
) -> tuple[str, str]:
    """How a discount column reads (see discount_role): (kind, "") or ("", why not)."""
    text = head[column].dropna().astype(str).str.strip()
    text = text[~text.isin(MISSING_TEXT)]
    if text.empty:
        return "", "it is empty in the first lines" if named else ""
    values = _percent_or_money_numbers(text)
    if values.notna().mean() < NUMBER_SHARE:
        return "", "its values are not numbers"
    size = values.abs()
    top = float(size.max())
    if top == 0:  # nothing to take off (a discount never used)
        return "", "it is 0 on every line read" if named else ""
    words = set(_words(column))
    says_percent = (
        bool(words & _PERCENT_WORDS) or "%" in column or _share(text, _PERCENT_TEXT) > 0.5
    )
    says_amount = bool(words & _AMOUNT_WORDS) and not says_percent
    if top <= 1 and not says_amount:
        if set(size.dropna().unique()) <= {0.0, 1.0}:
            return "", "it is 0 or 1 on every line: a yes/no flag, not a rate"
        return "rate", ""
    if says_percent:
        if top <= 100:
            return "percent", ""
        return "", f"its name says percent but it reaches {top:,.4g}"
    gross = _line_values(head, roles).loc[size.index].abs()
    unit = bool(words & _UNIT_WORDS) and roles.quantity is not None
    limit = (
        _percent_or_money_numbers(head.loc[size.index, roles.price].astype(str)).abs()
        if unit
        else gross
    )
    over = size > limit * 1.0001
    over_share = float(over[limit.notna()].mean()) if limit.notna().any() else 0.0
    if says_amount or top > 100:
        if over_share > DISCOUNT_OVER_SHARE:
            return (
                "",
                f"as an amount it is larger than the line's value on {over_share:.0%} of lines",
            )
        return ("unit" if unit else "line"), ""
    if over.any() or named:  # no amount can be larger than its line
        return "percent", ""
    low = float(size[size > 0].min())
    return "", (
        f"its values run from {low:,.4g} to {top:,.4g} and its name says neither percent nor amount"
    )


_CURRENCY_NAMES = ("currency", "curr", "waehrung", "wahrung", "devise", "moneda", "valuta")


def _currencies(head: pd.DataFrame, columns: Sequence[str]) -> tuple[str, ...]:
    """A currency column holding two or more currency codes (usd, eur): its name, then
    the codes, most lines first; () when there is none."""
    for column in columns:
        if not any(name in _key(column) for name in _CURRENCY_NAMES):
            continue
        codes = head[column].dropna().astype(str).str.strip().str.upper()
        if codes.empty or not codes.str.fullmatch(r"[A-Z]{3}").mean() > 0.9:
            continue
        counts = codes.value_counts().sort_index().sort_values(ascending=False, kind="stable")
        if len(counts) >= 2:
            return (column, *counts.index)
    return ()


def _one_currency_code(head: pd.DataFrame, columns: Sequence[str]) -> str:
    """The code of a currency column that holds one code on every line ('EUR'), else ""."""
    for column in columns:
        if any(name in _key(column) for name in _CURRENCY_NAMES):
            codes = head[column].dropna().astype(str).str.strip().str.upper()
            if len(codes) and codes.str.fullmatch(r"[A-Z]{3}").all() and codes.nunique() == 1:
                return str(codes.iloc[0])
    return ""


def _currency(head: pd.DataFrame, columns: Sequence[str]) -> str:
    """The currency sign or code of formatted money columns, when they all use one."""
    found: set[str] = set()
    for column in columns:
        found |= set(head[column].dropna().str.extract(f"({CURRENCY})", expand=False).dropna())
    return found.pop() if len(found) == 1 else ""


def _void_statuses(head: pd.DataFrame, roles: Roles) -> tuple[str, ...]:
    """The distinct statuses in the first lines that say a sale did not happen; of an
    event log, the events that are not purchases, most lines first."""
    if roles.status is None:
        return ()
    values = head[roles.status].dropna().astype(str).str.strip()
    others = values[~is_sale_status(values, roles).to_numpy(dtype=bool)]
    if roles.events or roles.pipeline:
        counts = others.value_counts().sort_index().sort_values(ascending=False, kind="stable")
        return tuple(counts.index)
    return tuple(sorted(set(others)))


def _is_void(values: pd.Series) -> pd.Series:
    """Whether each status says the sale did not happen (VOID_STATUS, not PARTIAL_STATUS)."""
    lower = values.str.lower()
    return lower.str.contains(VOID_STATUS, regex=True) & ~lower.str.contains(PARTIAL_STATUS)


def _status_named(column: str) -> bool:
    return any(name in _key(column) for name in _STATUS_NAMES)


def _status_column(head: pd.DataFrame, columns: Sequence[str]) -> str | None:
    """The first column named as a status with a value that says a sale did not happen,
    or that is a sales pipeline (Closed Won, Closed Lost, Prospecting); or a type column
    ('Type', 'Typ') whose values are such statuses (not refunds: those are returns)."""
    for column in columns:
        values = head[column].dropna().astype(str)
        if _status_named(column):
            if _is_void(values).any() or _is_pipeline(values):
                return column
        elif _key(column) in _TYPE_NAMES:
            refunds = _folded(values).str.contains(r"refund|rembours|reembols|erstatt|credit")
            if (_is_void(values) & ~refunds).any():
                return column
    return None


def _folded(values: pd.Series) -> pd.Series:
    """Lower-cased, stripped text without accents (Rückzahlung -> ruckzahlung)."""
    return values.astype(str).str.strip().map(fold_accents).str.lower()


def _is_pipeline(values: pd.Series) -> bool:
    """Whether a status column is a sales pipeline: a won stage and a lost or open one."""
    lower = values.dropna().astype(str).str.lower()
    return bool(
        lower.str.contains(WON_STAGE, regex=True).any()
        and lower.str.contains(OPEN_STAGE, regex=True).any()
    )


def closed_refunds(values: pd.Series) -> tuple[str, ...]:
    """('closed',) when a status column has 'closed' beside a 'complete' status: the order
    was completed and then refunded (Magento). Alone, 'closed' is a finished sale (Vend)."""
    lower = set(values.dropna().astype(str).str.strip().str.lower())
    if "closed" in lower and any(value.startswith("complete") for value in lower):
        return ("closed",)
    return ()


def is_sale_status(values: pd.Series, roles: Roles) -> pd.Series:
    """Whether each value of the status column counts as a sale, as the SQL decides."""
    lower = values.astype(str).str.strip().str.lower()
    if roles.events:
        return lower.str.contains(PURCHASE_EVENT, regex=True)
    if roles.pipeline:
        return lower.str.contains(WON_STAGE, regex=True)
    return ~(_is_void(values.astype(str)) | lower.isin(roles.void_values))


def status_values(head: pd.DataFrame, roles: Roles) -> tuple[tuple[str, int, bool], ...]:
    """The status column's values in the first lines: (value, lines, counts as a sale),
    most lines first."""
    if roles.status is None:
        return ()
    values = head[roles.status].dropna().astype(str).str.strip()
    counts = values.value_counts().sort_index().sort_values(ascending=False, kind="stable")
    sale = is_sale_status(pd.Series(counts.index, dtype=object), roles)
    return tuple(
        (str(value), int(count), bool(ok))
        for value, count, ok in zip(counts.index, counts, sale, strict=True)
    )


# A status-named column with more values than this in the first lines is no status.
MAX_STATUS_VALUES = 30


def unused_statuses(head: pd.DataFrame, roles: Roles) -> tuple[tuple[str, str], ...]:
    """Columns named as a status (Status, Stage; not 'State', often a place) that are not
    read, each with why: their values in the first lines say no line is other than a sale."""
    found = []
    used = set(roles.used().values())
    for column in head.columns:
        key = _key(column)
        if column in used or not any(
            name in key for name in ("status", "statut", "stage", "phase")
        ):
            continue
        values = head[column].dropna().astype(str).str.strip()
        if values.empty or values.nunique() > MAX_STATUS_VALUES or _is_number(values):
            continue
        counts = values.value_counts().sort_index().sort_values(ascending=False, kind="stable")
        shown = ", ".join(str(value) for value in counts.index[:6])
        more = ", …" if len(counts) > 6 else ""
        why = (
            f"none of its values ({shown}{more}) says a sale did not happen, so every line "
            "counts as a sale"
        )
        if roles.status is not None:
            why += f"; {roles.status} is the status read"
        found.append((str(column), why))
    return tuple(found)


def _document_type_column(head: pd.DataFrame, columns: Sequence[str]) -> str | None:
    """The first column named as a document type ('Document Type', or just 'Type') with
    credit notes among other documents (Invoice, Credit Memo)."""
    for column in columns:
        key = _key(column)
        if key not in ("type", *_DOCUMENT_TYPE_NAMES) and not any(
            name in key for name in _DOCUMENT_TYPE_NAMES
        ):
            continue
        written = head[column].dropna().astype(str).str.strip().str.lower()
        credit = written.str.contains(CREDIT_NOTE, regex=True)
        if credit.any() and not credit.all():
            return column
    return None


def _holds_purchase_events(values: pd.Series) -> bool:
    """Whether a column's values are event types of which some are purchases and some not
    (view, add_to_cart, purchase)."""
    written = values.dropna().astype(str).str.strip().str.lower()
    purchase = written.str.contains(PURCHASE_EVENT, regex=True)
    return bool(purchase.any() and not purchase.all())


def _event_column(head: pd.DataFrame, columns: Sequence[str]) -> str | None:
    """The first column named as an event type that tells purchases from other events."""
    for column in columns:
        if any(name in _key(column) for name in _EVENT_NAMES) and _holds_purchase_events(
            head[column]
        ):
            return column
    return None


def _mostly_zero(values: pd.Series) -> bool:
    """Whether most filled values are 0: a discount or refund column, not what was paid
    (a shop's 'total_discounts' beside 'total_price')."""
    digits = values.dropna().astype(str).str.replace(r"[^\d.-]", "", regex=True)
    numbers = pd.to_numeric(digits, errors="coerce").dropna()
    return len(numbers) > 0 and bool((numbers == 0).mean() > 0.5)


def _not_money(name: str) -> bool:
    """Whether a money column's name says it is a part of a payment, not what was bought
    ('Discount', 'total_discounts', 'Taxes', 'Amount Refunded')."""
    return any(
        word in _NOT_MONEY_WORDS
        or word.removesuffix("s") in _NOT_MONEY_WORDS
        or word.removesuffix("es") in _NOT_MONEY_WORDS
        for word in _words(name)
    )


# A money column already in one currency: Stripe's 'Converted Amount', an ERP's
# 'Amount (LCY)' (local currency), 'Amount in base currency'.
_CONVERTED_WORDS = {"converted", "convert", "lcy", "lc", "base", "local", "functional"}


def _converted(name: str) -> bool:
    return bool(_CONVERTED_WORDS & set(_words(name))) or "convert" in _key(name)


def _describes(name: str) -> bool:
    """A column about customers rather than identifying them (Customer type, Segment)."""
    return any(word in _DESCRIBING_WORDS for word in _words(name))


def _is_id_like(values: pd.Series) -> bool:
    """Codes that repeat: not decimal numbers, no long text, enough distinct values.

    Enough: at least 10, or one per 20 lines in a small table; "Member"/"Normal" is a
    kind of customer, not a customer.
    """
    present = values.dropna()
    if len(present) < 2 or present.nunique() < min(10, max(2, len(present) // 20)):
        return False
    if _is_number(present) and _has_decimals(present):
        return False
    return bool(present.str.len().median() <= 40)


def _is_unnamed_id(name: str, values: pd.Series) -> bool:
    """Without a telling name: an integer or code of 4+ characters with many values."""
    present = values.dropna()
    distinct = present.nunique()
    return (
        distinct >= min(50, max(2, len(present) // 10))
        and present.str.len().median() >= 4
        and not present.str.contains(r"\s", regex=True).any()
    )


# Words of a name that make an order-hinted column a count or a summary per customer
# ('Transactions', 'Orders Count', 'Total Orders', 'Last Invoice'), not an order number.
_NOT_ORDER_NUMBER_WORDS = frozenset(
    {
        "last", "first", "latest", "recent", "count", "counts", "ct", "cnt", "total",
        "totals", "sum", "avg", "average", "mean", "freq", "frequency", "per", "days",
        "since", "value", "amount", "orders", "transactions", "invoices", "receipts",
        "baskets", "tickets", "bills",
    }
)  # fmt: skip
# Lines of one order sit together: this share of the repeated numbers must be on
# consecutive lines (a count per customer repeats all over the table).
RUN_SHARE = 0.9
# Short order numbers count only when the first lines hold at least this many.
MIN_ORDER_NUMBERS = 10
# Or numbers that run in order down the lines (a till's receipts, one line each).
SEQUENCE_SHARE = 0.9


def _numbers_orders(head: pd.DataFrame, roles: Roles) -> bool:
    """Whether a dated table numbers its rows' orders: an order column of codes (not a
    count), one per line or a few lines each. A customer table has no order number.

    Long, mostly distinct codes (an Amazon order ID) number orders whatever their
    order; a till's or a bakery's short receipt numbers (1 ... 9,684, 2-3 lines each)
    do when the lines of one number sit together or the numbers run in sequence.
    """
    if roles.order is None or roles.date is None:
        return False
    if set(_words(roles.order)) & _NOT_ORDER_NUMBER_WORDS:
        return False
    codes = head[roles.order].dropna()
    if len(codes) < 20:
        return False
    if codes.nunique() >= 0.5 * len(codes) and bool(codes.str.len().median() >= 5):
        return True
    # Short numbers: only many of them (a few channels or kinds sorted together are not
    # orders), and only with a name that numbers rather than describes ('Order Type').
    if codes.nunique() < MIN_ORDER_NUMBERS or _describes(roles.order):
        return False
    return _lines_run_together(codes) or _runs_in_sequence(codes)


def _one_order_per_run(head: pd.DataFrame, column: str, date_column: str) -> bool:
    """Whether a code repeats only as the lines of one order do: some value is on more
    than one line, and each repeated value's lines are consecutive and on one day. A
    customer's code repeats on other days (CDNOW); a customer table's never repeats."""
    codes = head[column].dropna()
    repeated = codes[codes.duplicated(keep=False)]
    if repeated.empty:
        return False
    runs = codes.ne(codes.shift()).cumsum()[repeated.index]
    days = head.loc[repeated.index, date_column].str.split(" ").str[0]
    return bool(
        (runs.groupby(repeated).nunique() == 1).all()
        and (days.groupby(repeated).nunique() == 1).all()
    )


def _lines_run_together(codes: pd.Series) -> bool:
    """Whether codes repeat (at least 1.2 lines each) and each one's lines are consecutive."""
    if len(codes) < 1.2 * codes.nunique():
        return False
    runs = codes.ne(codes.shift()).cumsum()
    repeated = codes[codes.duplicated(keep=False)]
    together = runs[repeated.index].groupby(repeated).nunique().eq(1)
    return bool(together.mean() >= RUN_SHARE)


def _runs_in_sequence(codes: pd.Series) -> bool:
    """Whether whole numbers, nearly all distinct, rise (or fall) down the lines."""
    if not codes.str.fullmatch(r"\d{1,12}").all() or codes.nunique() < 0.9 * len(codes):
        return False
    steps = np.diff(codes.astype("int64").to_numpy())
    return bool((steps > 0).mean() >= SEQUENCE_SHARE or (steps < 0).mean() >= SEQUENCE_SHARE)


def _repeats(evidence: Mapping[str, Any]) -> bool:
    """Whether the customer column repeats as an order-line export's does.

    With an order column holding more orders than there are customers, any
    MIN_RETURNING_CUSTOMERS customers buying on other days will do: a marketplace where
    3% come back (Olist) is still an export of orders, and a customer table has no order
    number per row.
    """
    if evidence.get("lines_per_customer", 0.0) >= MIN_LINES_PER_CUSTOMER:
        return True
    if evidence.get("returning_customers", 0) < MIN_RETURNING_CUSTOMERS:
        return False
    return bool(
        evidence.get("returning_share", 0.0) >= MIN_RETURNING_SHARE
        or evidence.get("orders_outnumber_customers")
    )


def _person(head: pd.DataFrame, candidates: Sequence[str]) -> str:
    """The customer column among customer-named IDs: the first, unless it is a per-order
    customer ID inside another one (Olist's customer_id, new for every order, inside
    customer_unique_id): then the one it is inside, the person."""
    first = candidates[0]
    # Only another ID: a name or a description (Stripe's 'Customer Description') also
    # has one value per customer ID, and fewer values, when two customers share a name.
    wider = [
        c
        for c in candidates[1:]
        if any(word in _CODE_WORDS for word in _words(c))
        and not any(word in _AVOID_WORDS for word in _words(c))
        and head[c].nunique() < head[first].nunique()
        and head[[first, c]].dropna().groupby(first)[c].nunique().max() == 1
    ]
    return wider[0] if wider else first


# A customer column with a placeholder ('0') on this share of lines gives way to another
# customer column filled on those lines (WooCommerce: guests have an e-mail, not an account).
PLACEHOLDER_SHARE = 0.05


def _stand_in(head: pd.DataFrame, customer: str, candidates: Sequence[str]) -> str | None:
    """Another customer column that names the customers ``customer`` leaves as a
    placeholder (PLACEHOLDER_CUSTOMERS) on many lines, if there is one."""
    found = [text.lower() for text in placeholder_customers(head[customer])]
    written = head[customer].astype("string").str.strip().str.lower()
    placeholder = written.isin(found).fillna(False).to_numpy(dtype=bool)
    if placeholder.mean() < PLACEHOLDER_SHARE:
        return None
    for other in candidates:
        if other == customer:
            continue
        values = head.loc[placeholder, other].astype("string").str.strip()
        named = values.notna() & ~values.str.lower().isin(PLACEHOLDER_CUSTOMERS)
        if named.mean() >= 0.95:
            return other
    return None


# --- contracts ---------------------------------------------------------------------------
# A list of contracts (insurance policies, subscriptions, memberships, loans, leases) has
# one row per contract: a customer that repeats (several contracts each) beside a start
# date, which is the shape of order lines. Read so, each contract's start was a
# "purchase" and a policyholder whose policies began years ago and still run was a
# lapsed buyer: review 7 (class 7) found 85% of a "Hibernating ... suppress from paid
# campaigns" segment holding a policy in force. Such a table stops (contract_columns).
#
# A column numbering contracts: policy (Police, Polizze, poliza, apolice), contract
# (Vertrag, contrat, contrato, contratto), subscription (Abonnement), loan (Darlehen),
# lease, mortgage (Hypothek), mandate; matched inside the name.
_CONTRACT_NAMES = (
    "polic",
    "poliz",
    "contract",
    "vertrag",
    "contrat",
    "subscription",
    "abonnement",
    "loan",
    "darlehen",
    "lease",
    "leasing",
    "mortgage",
    "hypothek",
    "mandate",
)
# A date named as a contract's start: start, begin (Beginn, Vertragsbeginn), inception,
# effective, commencement, renewal, valid from (gueltig ab), a policy's bind date, a
# loan's disbursement or origination; debut (date de debut), inicio, inizio,
# decorrenza, ingangsdatum.
_START_NAMES = (
    "start",
    "begin",
    "inception",
    "effective",
    "commenc",
    "renewal",
    "validfrom",
    "gultigab",
    "gueltigab",
    "binddate",
    "disburs",
    "originat",
    "debut",
    "inicio",
    "inizio",
    "decorrenza",
    "ingang",
)
# A column that says a contract ended or will: lapse, Storno (storniert), cancellation,
# Kuendigung, termination, expiry (Ablauf), an end date, churn, surrender (Rueckkauf),
# resiliation, vencimiento, scadenza; or "end" as a word of the name.
_END_NAMES = (
    "lapse",
    "storn",
    "cancel",
    "kundig",
    "kuendig",
    "terminat",
    "expir",
    "ablauf",
    "enddate",
    "vertragsende",
    "laufzeitende",
    "churn",
    "surrender",
    "ruckkauf",
    "rueckkauf",
    "resili",
    "vencim",
    "scadenz",
)
_END_WORDS = frozenset({"end", "ende", "ended", "ends"})
# Or whose values are a contract's state: in force, lapsed, surrendered, expired,
# terminated, gekuendigt, storniert, beitragsfrei (paid up), ruhend.
_CONTRACT_STATES = (
    r"in.?force|lapse|surrender|expired|terminat|gek[u]e?ndigt|storn|beitragsfrei"
    r"|paid.?up|ruhend"
)
# A premium or a recurring fee: premium (Praemie, prime, prima, premio), Beitrag
# (Jahresbeitrag, Monatsbeitrag, Mitgliedsbeitrag), monthly or annual recurring revenue.
_PREMIUM_NAMES = (
    "premium",
    "praemie",
    "pramie",
    "beitrag",
    "annualfee",
    "monthlyfee",
    "membershipfee",
    "subscriptionfee",
)
_PREMIUM_WORDS = frozenset({"prime", "primes", "prima", "premio", "mrr", "arr"})


def _named(name: str, parts: Sequence[str], whole: frozenset[str] = frozenset()) -> bool:
    return any(part in _key(name) for part in parts) or bool(set(_words(name)) & whole)


def contract_columns(
    head: pd.DataFrame, roles: Roles, others: Sequence[str] = ()
) -> tuple[tuple[str, str], ...]:
    """The columns that show a table of contracts rather than purchases, each with what
    it shows; empty when it does not look like one.

    A contract list names its contracts: a column numbering them (policy, contract,
    subscription, loan... a value for most rows, at least as many as customers) or
    a premium (premium, Beitrag, a recurring fee). With one of these, a second sign
    makes it a list of contracts: a date named as a start (start, begin, inception,
    effective, renewal), a column saying a contract ended (lapse, storniert, cancel,
    end date, expiry, churn, or values such as 'in force'/'lapsed'), or the other of the
    two. A table with an order or invoice number is not one: those number purchases.
    """
    customers = {roles.customer, *others}
    present = {c: head[c].dropna() for c in head.columns if c not in customers}
    buyers = head[roles.customer].nunique() if roles.customer is not None else 0
    numbers = [
        c
        for c, values in present.items()
        if _named(c, _CONTRACT_NAMES)
        and not _describes(c)
        and date_kind(values) is None
        and _is_id_like(values)
        and values.nunique() >= max(buyers, len(values) / 2)
    ]
    premiums = [
        c
        for c, values in present.items()
        if _named(c, _PREMIUM_NAMES, _PREMIUM_WORDS) and not values.empty and _is_number(values)
    ]
    if not numbers and not premiums:
        return ()
    starts = [
        c
        for c, values in present.items()
        if _named(c, _START_NAMES) and date_kind(values) is not None
    ]
    ends = [
        c
        for c, values in present.items()
        if c not in numbers
        and c not in premiums
        and (
            _named(c, _END_NAMES, _END_WORDS)
            or (
                0 < values.nunique() <= MAX_STATUS_VALUES
                and bool(_folded(values).str.contains(_CONTRACT_STATES).any())
            )
        )
    ]
    shown = [
        *((c, "numbers the contracts") for c in numbers[:1]),
        *((c, "is a start date") for c in starts[:1]),
        *((c, "is a premium or fee") for c in premiums[:1]),
        *((c, "says whether a contract ended") for c in ends[:1]),
    ]
    return tuple(shown) if len(shown) >= 2 else ()


def contract_message(
    name: str, roles: Roles, evidence: Mapping[str, Any], shown: Sequence[tuple[str, str]]
) -> str:
    """The stop for a table of contracts: which columns showed it, why purchase
    segmentation does not apply, and what to give instead."""
    signs = [f"{column} {what}" for column, what in shown]
    per = evidence.get("lines_per_customer")
    repeats = f"{roles.customer} has {per:.1f} rows per customer" if per else ""
    repeats = repeats or f"{roles.customer} repeats"
    because = ", ".join([repeats, *signs[:-1]]) + " and " + signs[-1]
    return (
        f"{name} looks like a list of contracts, one row per policy, subscription, "
        f"membership or loan, not of purchases ({because}), so purchase segmentation "
        "(RFM) does not apply: it would count each contract's start as a purchase and "
        "call customers whose contracts still run lapsed. Give one row per customer "
        "instead (contracts held, premium in force, years as a customer, products, "
        "cancellations); --input-kind customers segments the contracts themselves, and "
        "--input-kind orders reads the rows as purchases anyway."
    )


def _reason(roles: Roles, evidence: Mapping[str, Any], forced: bool) -> str:
    parts = []
    if evidence.get("placeholder_customer"):
        parts.append(
            f"{roles.customer} identifies the customer ({evidence['placeholder_customer']} "
            "holds a placeholder such as '0' or 'Guest' on many lines: guest checkouts)"
        )
    if evidence.get("per_order_customer"):
        parts.append(
            f"{roles.customer} identifies the customer ({evidence['per_order_customer']} is "
            f"a new ID for each order inside it)"
        )
    per = evidence.get("lines_per_customer")
    if evidence.get("no_repeats"):
        parts.append(
            f"{roles.order} numbers the orders and {roles.customer} names who bought (no "
            f"customer repeats in the first lines: every customer has one order, so "
            "frequency cannot tell them apart; if your system gives each order a new "
            "customer ID, name the column that holds the person's own ID in the config "
            "file: customer = ...)"
        )
    elif per and per < MIN_LINES_PER_CUSTOMER and evidence.get("returning_customers"):
        parts.append(
            f"{roles.customer} repeats on other days for {evidence['returning_customers']:,} "
            f"customers ({evidence['returning_share']:.0%}) in the first lines"
        )
    elif per:
        parts.append(f"{roles.customer} repeats ({per:.1f} lines each in the first lines)")
    parts.append(f"{roles.date} is a date")
    if roles.amount:
        parts.append(f"{roles.amount} is the amount")
    elif roles.price and roles.quantity:
        parts.append(f"{roles.quantity} × {roles.price} is the amount")
    elif roles.price:
        parts.append(f"{roles.price} is the amount")
    else:
        parts.append("there is no money column, so segments use recency and frequency only")
    because = ", ".join(parts[:-1]) + " and " + parts[-1]
    return ("as configured; " if forced else "because ") + because


# --- the SQL ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dialect:
    """The few SQL constructs that differ between engines; the rest is plain SQL.

    Differences found by running the text on Spark 4 (tests/test_spark.py): Spark has no
    VARCHAR without a length (STRING), unescapes backslashes inside string literals (so a
    regular expression's ``\\s`` must be written ``\\\\s``), and under its default ANSI mode
    ``to_date`` fails on an unreadable date instead of giving NULL (``try_to_date``).
    """

    name: str

    @property
    def text_type(self) -> str:
        """The SQL type of text of any length."""
        return "STRING" if self.name == "spark" else "VARCHAR"

    def pattern(self, pattern: str) -> str:
        """A regular expression as a SQL string literal that reaches the engine unchanged."""
        if self.name == "spark":
            pattern = pattern.replace("\\", "\\\\")
        return _literal(pattern)

    def parse_date(self, text: str, fmt: str) -> str:
        """A DATE parsed from ``text`` with a strftime-style ``fmt``; NULL if unreadable."""
        if self.name == "spark":
            return f"try_to_date({text}, {_literal(_java_format(fmt))})"
        return f"CAST(try_strptime({text}, {_literal(fmt)}) AS DATE)"

    def matches(self, text: str, pattern: str) -> str:
        """Whether ``text`` matches the regular expression ``pattern``."""
        if self.name == "spark":
            return f"({text} RLIKE {self.pattern(pattern)})"
        return f"regexp_matches({text}, {self.pattern(pattern)})"

    def extract(self, text: str, pattern: str) -> str:
        """The first group of ``pattern`` in ``text`` (empty when it does not match)."""
        return f"regexp_extract({text}, {self.pattern(pattern)}, 1)"

    def replace_all(self, text: str, pattern: str, replacement: str) -> str:
        """``text`` with every match of ``pattern`` replaced."""
        if self.name == "spark":
            return f"regexp_replace({text}, {self.pattern(pattern)}, {_literal(replacement)})"
        return f"regexp_replace({text}, {self.pattern(pattern)}, {_literal(replacement)}, 'g')"

    def line_hash(self, columns: Sequence[str]) -> str:
        """A 64-bit hash of the ``columns``' values together, position by position. Spark's
        hash functions skip NULLs (``(NULL, 'a')`` would hash as ``('a', NULL)``), so there
        each column is preceded by whether it is NULL."""
        if self.name == "spark":
            return "xxhash64(" + ", ".join(f"{c} IS NULL, {c}" for c in columns) + ")"
        return "hash(" + ", ".join(columns) + ")"

    def add_days(self, day: str, days: int) -> str:
        """``day`` plus ``days`` days (negative for earlier)."""
        if self.name == "spark":
            return f"date_add({day}, {days})"
        return f"CAST({day} + INTERVAL ({days}) DAY AS DATE)"


DUCKDB = Dialect("duckdb")
SPARK = Dialect("spark")


# strftime directives and the Spark (Java) pattern letters that read the same text.
JAVA_PATTERNS = {"%Y": "yyyy", "%y": "yy", "%m": "M", "%d": "d", "%H": "H", "%M": "mm", "%S": "ss"}


def _java_format(fmt: str) -> str:
    """A strftime format as a Spark datetime pattern; letters that are no directive
    ('T' in %Y-%m-%dT%H:%M) are quoted, as Java would read them as pattern letters."""
    return "".join(
        JAVA_PATTERNS.get(piece, piece)
        if piece.startswith("%")
        else f"'{piece}'"
        if piece.isalpha()
        else piece.replace("'", "''")
        for piece in re.findall(r"%.|[A-Za-z]+|[^%A-Za-z]+", fmt)
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def date_expression(fmt: str | None, order: str | None, dialect: Dialect = DUCKDB) -> str:
    """SQL that turns the staged ``date_text`` into a DATE.

    Args:
        fmt: the user's strftime-style ``date_format``; it is applied to the whole text.
        order: otherwise, the detected order of the date's parts: "ymd", "dmy", "mdy" or
            "compact"; separators are made "/" first, and any time of day is dropped; or
            "yymmdd", a six-digit date alone in its text.
    """
    if fmt is not None:
        text = "trim(date_text)"
        if not any(directive in fmt for directive in _TIME_DIRECTIVES):
            # A date-only format reads the date part of "12/1/10 8:26" (review 8: the
            # suggested "%m/%d/%y" read no date at all).
            text = dialect.replace_all(text, _SQL_TRAILING_TIME, "")
        return dialect.parse_date(text, fmt)
    if order == YYMMDD:
        # The century written out (CENTURY_PIVOT), as Spark's "yy" would read 93 as 2093.
        six = dialect.extract("date_text", _SQL_SIX_DIGIT_DATE)
        century = f"CASE WHEN left({six}, 2) >= '{CENTURY_PIVOT}' THEN '19' ELSE '20' END"
        return dialect.parse_date(_slashed(f"concat({century}, {six})"), "%Y/%m/%d")
    part = dialect.replace_all(dialect.extract("date_text", _SQL_DATE_PART), "[.-]", "/")
    if order in ("dmy", "mdy"):
        part = _four_digit_year(part, dialect)
    if order == "compact":
        return dialect.parse_date(_slashed(part), "%Y/%m/%d")
    formats = {"ymd": "%Y/%m/%d", "dmy": "%d/%m/%Y", "mdy": "%m/%d/%Y"}
    return dialect.parse_date(part, formats[order or "ymd"])


def _slashed(digits: str) -> str:
    """SQL: an eight-digit YYYYMMDD text as YYYY/MM/DD. Spark cannot read the digits as
    they are: its pattern for %Y%m%d, yyyyMd, reads no date from 19930101."""
    return (
        f"concat(substr({digits}, 1, 4), '/', substr({digits}, 5, 2), '/', substr({digits}, 7, 2))"
    )


# A date_format without any of these reads the date part only: a time of day after it
# (" 8:26", " 08:26:00.5 PM", "T08:26:00Z") is dropped first.
_TIME_DIRECTIVES = ("%H", "%I", "%M", "%S", "%p", "%f", "%z", "%Z", "%T", "%R", "%X", "%c")
_SQL_TRAILING_TIME = r"[ T]+[0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?.*$"


def date_format_choices(parts: Sequence[str]) -> tuple[str, str]:
    """The day-first and month-first date_format that read these date parts: their
    separator and year width ("12/1/10" -> "%d/%m/%y", "%m/%d/%y"); with date_expression
    they read the dates with a time of day too."""
    example = sorted(parts)[0] if parts else "1/1/2000"
    separator = next((c for c in example if c in "/.-"), "/")
    year = "%y" if len(re.split(r"[/.-]", example)[-1]) == 2 else "%Y"
    return (
        f"%d{separator}%m{separator}{year}",
        f"%m{separator}%d{separator}{year}",
    )


def ambiguous_dates_message(
    column: str, name: str, interpretation: str, parts: Sequence[str]
) -> str:
    """The stop for dates whose day-month order cannot be told, with the two settings
    that read them."""
    day_first, month_first = date_format_choices(parts)
    return (
        f"Cannot tell whether the dates in {column!r} of {name} are day-first or "
        f"month-first: {interpretation} Set date_format in the config file: "
        f'date_format = "{day_first}" (day first) or date_format = "{month_first}" '
        "(month first)."
    )


# A two-digit year from this value on is read as 19xx, below it as 20xx (Python's
# strptime rule; written out in SQL because Spark's "yy" would read 98 as 2098).
CENTURY_PIVOT = 69


def _four_digit_year(part: str, dialect: Dialect) -> str:
    """SQL: a day-first or month-first date part with its two-digit year made four digits
    ('2/24/03' -> '2/24/2003'); four-digit years are left as they are."""
    year = f"right({part}, 2)"
    century = f"CASE WHEN {year} >= '{CENTURY_PIVOT}' THEN '19' ELSE '20' END"
    return (
        f"CASE WHEN {dialect.matches(part, '/[0-9]{2}$')} "
        f"THEN concat(left({part}, length({part}) - 2), {century}, {year}) ELSE {part} END"
    )


# Money is summed as exact decimals: a float sum depends on the order the engine adds
# the lines in (DuckDB's threads), so one customer's spend could differ by a cent between
# two runs on the same file. 4 decimal places, up to 10**14 per line.
MONEY_TYPE = "DECIMAL(18, 4)"


def exact_money(value: str) -> str:
    """One line's money as an exact decimal (NULL when it is beyond MONEY_TYPE)."""
    return f"TRY_CAST({value} AS {MONEY_TYPE})"


def money_sum(value: str) -> str:
    """The exact sum of a money expression, as a float for pandas."""
    return f"CAST(SUM({value}) AS DOUBLE)"


def customer_sql(value: str, placeholders: Sequence[str] = ()) -> str:
    """The customer of a line from its trimmed text ``value``: NULL when it is missing
    ("NA", "-"), a placeholder word (PLACEHOLDER_CUSTOMERS) or one of ``placeholders``
    (a plan's, OrderPlan.placeholders); an e-mail address in lower case (Ann@Example.com
    and ann@example.com are one person); on either engine."""
    missing = ", ".join(_literal(text) for text in (*MISSING_TEXT, *EXTRA_MISSING))
    words = {*PLACEHOLDER_CUSTOMERS, *(text.lower() for text in placeholders)}
    listed = ", ".join(_literal(text) for text in sorted(words))
    # Two WHENs, not one with OR: a CASE tests a WHEN only on the lines no earlier WHEN
    # took, where both sides of an OR are worked out on every line (0.4 s of CPU in ten
    # million lines).
    return (
        f"CASE WHEN {value} IN ({missing}) THEN NULL WHEN lower({value}) IN ({listed}) "
        f"THEN NULL WHEN {value} LIKE '%@%' THEN lower({value}) ELSE {value} END"
    )


def placeholder_customers(values: pd.Series) -> tuple[str, ...]:
    """The placeholder customers among ``values`` (a customer column's first lines), as
    written, most lines first: placeholder words, and placeholder numbers (0, -1) that
    hold far more lines than a customer does (NUMBER_PLACEHOLDERS)."""
    written = values.dropna().astype(str).str.strip()
    counts = written.value_counts().sort_index().sort_values(ascending=False, kind="stable")
    usual = float(counts.median()) if len(counts) else 0.0
    lower = counts.index.str.lower()
    crowded = (counts >= PLACEHOLDER_LINES_SHARE * len(written)) & (
        counts >= PLACEHOLDER_LINES_RATIO * usual
    )
    chosen = lower.isin(PLACEHOLDER_CUSTOMERS) | (lower.isin(NUMBER_PLACEHOLDERS) & crowded)
    return tuple(str(text) for text in counts.index[chosen])


# The columns of a line as read (before valuing): with the customer ``attributes`` they are
# what makes two lines identical.
LINE_COLUMNS = (
    "customer",
    "date_text",
    "order_key",
    "item",
    "status_text",
    "document_text",
    "level_text",
    "quantity",
    "price",
    "amount",
)


def read_lines_sql(
    columns: str,
    relation: str,
    roles: Roles,
    *,
    attributes: Sequence[str] = (),
    numbered: bool = False,
    dialect: Dialect = DUCKDB,
) -> str:
    """The lines as valued_lines_sql takes them, from ``columns`` (a SELECT list over
    ``relation`` giving ``LINE_COLUMNS``, the ``attributes`` and, when the lines are
    ``numbered``, ``line_key``: numbered lines are never copies of each other).

    With an order column identical lines are items bought twice in one order (two flat
    whites on one receipt): each is a row of its own, ``copies`` 1, and ``line_hash`` lets
    repeated_lines_sql count the repeats without grouping every line (the grouping was
    a third of the time at ten million lines). Without one they may be one line exported
    twice: identical lines are merged, ``copies`` counting them.
    """
    read = (*LINE_COLUMNS, *(["discount"] if roles.discount is not None else []))
    kept = ", ".join((*read, *attributes))
    key = [*read, *attributes, *(["line_key"] if numbered else [])]
    source = f"(\n  SELECT {columns}\n  FROM {relation}\n) AS source"
    if roles.order is not None:
        return f"SELECT {kept}, 1 AS copies, {dialect.line_hash(key)} AS line_hash\nFROM {source}"
    return f"SELECT {kept}, COUNT(*) AS copies\nFROM {source}\nGROUP BY {', '.join(key)}"


def line_columns_sql(
    plan: OrderPlan,
    customer: str,
    text: Callable[..., str],
    number: Callable[[str | None], str],
    *,
    whole_dates: bool,
) -> str:
    """read_lines_sql's SELECT list over the export's columns, in one engine's SQL:
    ``text(column, markers=False)`` reads a column as trimmed text (NULL for a missing
    column), ``number(column)`` as a number, ``customer`` is the customer expression.

    Only the date part of a date and time is kept (unless a configured date_format reads
    the whole text): days are all the analysis uses, and short texts keep the table of
    ten million lines small enough to stay in memory.
    """
    roles = plan.roles
    date_text = text(roles.date)
    if not whole_dates and roles.date is not None:
        date_text = f"split_part({date_text}, ' ', 1)"
    staged = "".join(
        f", {text(column, markers=True)} AS {name}"
        for column, name in zip(plan.attributes, attribute_names(plan), strict=True)
    )
    if plan.line_id is not None:
        staged += f", {text(plan.line_id)} AS line_key"
    if roles.discount is not None:  # read_lines_sql keeps it beside the price
        staged += f", {number(roles.discount)} AS discount"
    return f"""{customer} AS customer, {date_text} AS date_text,
         {text(roles.order)} AS order_key, {text(roles.item)} AS item,
         {text(roles.status)} AS status_text, {text(roles.document)} AS document_text,
         {text(roles.level)} AS level_text,
         {number(roles.quantity)} AS quantity, {number(roles.price)} AS price,
         {number(roles.amount)} AS amount{staged}"""


def repeated_lines_sql(source: str = "lines") -> str:
    """How many lines repeat another in every column read (``line_hash``; with an order
    column, where read_lines_sql keeps each line). Two different lines share a 64-bit hash
    with a chance of about one in ten thousand at fifty million lines: then one line is
    counted as a repeat that is not."""
    return f"""SELECT COALESCE(SUM(copies_of_line - 1), 0) FROM (
  SELECT line_hash, COUNT(*) AS copies_of_line FROM {source}
  GROUP BY line_hash HAVING COUNT(*) > 1
) AS repeated"""


def valued_lines_sql(
    distinct_lines: str,
    roles: Roles,
    *,
    exclude_items: Sequence[str] = (),
    dialect: Dialect = DUCKDB,
    attributes: Sequence[str] = (),
) -> str:
    """The staged ``lines`` as every later query reads them, from ``distinct_lines``
    (read_lines_sql: the role columns as text, ``customer``, ``date_text``, ``order_key``,
    ``item``, ``status_text``, ``document_text``, and numbers, ``quantity``, ``price``,
    ``amount``, with ``copies``, how many identical lines were merged, and with an order
    column ``line_hash``, which is carried).

    What a line is worth and why it may be left out are worked out here, once per
    distinct line, and the raw numbers and status are not kept: ``value`` (exact
    decimal), ``is_return`` (1: a cancellation, a negative quantity or value) and
    ``held`` (1 excluded item, 2 void status, 3 price not above 0, 4 another level of the
    export's rows, else 0). The table
    is narrower (at fifty million lines it is read back from disk by each later query).
    """
    carried = "".join(f", {name}" for name in attributes)
    if roles.order is not None:
        carried += ", line_hash"
    if roles.amount is not None:
        value = "amount"
    elif roles.price is not None:
        value = "quantity * price" if roles.quantity is not None else "price"
    else:
        value = "CAST(NULL AS DOUBLE)"
    # A discount on the line (discount_role) is taken off the list value, which is kept
    # as ``off`` (list value minus value) for the data-quality note.
    listed_value = ""
    if roles.discount is not None and roles.amount is None and roles.price is not None:
        listed_value = f", {exact_money(value)}{{copies}} AS list_value"
        value = discounted_sql(value, roles)
    cancelled = dialect.matches("order_key", "^[Cc][0-9]+$") if roles.order is not None else "FALSE"
    if roles.document is not None:  # a credit note's lines are returns, their amounts positive
        credit = dialect.matches("lower(document_text)", CREDIT_NOTE)
        cancelled = f"({cancelled} OR COALESCE({credit}, FALSE))"
    excluded = (
        "upper(trim(item)) IN ("
        + ", ".join(_literal(i.strip().upper()) for i in exclude_items)
        + ")"
        if exclude_items and roles.item is not None
        else "FALSE"
    )
    bad_price = "price <= 0" if roles.price is not None else "FALSE"
    if roles.children:  # a part of another line (its parent): not a sale of its own
        other_level = "level_text IS NOT NULL"
    elif roles.level_drop:
        listed = ", ".join(_literal(value) for value in roles.level_drop)
        other_level = f"COALESCE(level_text IN ({listed}), FALSE)"
    else:
        other_level = "FALSE"
    # With an order column, identical lines are items bought twice in one order (two
    # flat whites on one receipt): each copy counts. Without one they may be one line
    # exported twice, and count once.
    copies = " * copies" if roles.order is not None else ""
    listed_value = listed_value.format(copies=copies)
    off = ", list_value - value AS off" if listed_value else ""
    if roles.events:  # an event log: anything but a purchase event is no purchase
        void = f"NOT COALESCE({dialect.matches('lower(status_text)', PURCHASE_EVENT)}, FALSE)"
    elif roles.pipeline:  # a sales pipeline: only won deals are sales
        # A blank stage is no deal (a report's Total line): the status decides nothing.
        void = f"COALESCE(NOT {dialect.matches('lower(status_text)', WON_STAGE)}, FALSE)"
    elif roles.status is not None:
        void = (
            f"COALESCE({dialect.matches('lower(status_text)', VOID_STATUS)} "
            f"AND NOT {dialect.matches('lower(status_text)', PARTIAL_STATUS)}, FALSE)"
        )
        if roles.void_values:
            listed = ", ".join(_literal(value) for value in roles.void_values)
            void = f"({void} OR COALESCE(lower(trim(status_text)) IN ({listed}), FALSE))"
    else:
        void = "FALSE"
    return f"""SELECT customer, date_text, order_key, item{carried}, copies, value{off},
       CAST(CASE WHEN {cancelled} OR quantity < 0 OR value < 0 THEN 1 ELSE 0 END AS TINYINT)
           AS is_return,
       CAST(CASE WHEN {excluded} THEN 1 WHEN {other_level} THEN 4 WHEN {void} THEN 2
                 WHEN {bad_price} THEN 3 ELSE 0 END AS TINYINT) AS held
FROM (
  SELECT merged.*, {exact_money(value)}{copies} AS value{listed_value}
  FROM ({distinct_lines}) AS merged
) AS valued"""


def discounted_sql(gross: str, roles: Roles) -> str:
    """SQL: a line's value after its discount (Roles.discount), from its list value
    ``gross`` (quantity x price). A rate or percent above 100% takes the whole line and no
    more; an amount takes the line down to 0 and no further (a discount larger than the
    line is no refund); a return's discount shrinks the return. A blank discount is none.
    Either sign of the discount reads as a discount ('-5.00' and '5.00')."""
    off = "COALESCE(abs(discount), 0)"
    kind = roles.discount_kind
    if kind in ("rate", "percent"):
        rate = off if kind == "rate" else f"{off} / 100"
        return f"({gross}) * (1 - LEAST({rate}, 1))"
    if kind == "unit" and roles.quantity is not None:
        off = f"{off} * abs(quantity)"
    return (
        f"CASE WHEN ({gross}) IS NULL THEN NULL WHEN ({gross}) < 0 "
        f"THEN LEAST(({gross}) + {off}, 0) ELSE GREATEST(({gross}) - {off}, 0) END"
    )


def prepared_lines_sql(
    day: str,
    *,
    dialect: Dialect = DUCKDB,
    source: str = "lines",
    attributes: Sequence[str] = (),
    discounted: bool = False,
) -> str:
    """The common table expressions over ``lines`` (valued_lines_sql) shared by every query.

    ``parsed`` adds the day (``day`` is the SQL that gives it: a parse of ``date_text``,
    or a column of ``source`` that holds it already); ``flagged`` the line's ``status``
    (why it is left out, or 'ok'); ``marked`` adds the purchase, the net value and
    ``kept`` (1 for a line the per-customer totals count); the customer ``attributes``
    (their SQL names in ``lines``) are carried along, and ``off``, the line's discount
    (0 unless the lines are ``discounted``: valued_lines_sql applied a discount column).
    """
    carried = "".join(f", {name}" for name in attributes)
    off = "off" if discounted else f"CAST(0 AS {MONEY_TYPE}) AS off"
    return f"""
parsed AS (
  SELECT customer, date_text, order_key, item, copies{carried}, value, {off}, is_return, held,
         {day} AS day
  FROM {source}
),
flagged AS (
  SELECT parsed.*,
         CASE WHEN held = 1 THEN 1 ELSE 0 END AS excluded,
         CASE WHEN held = 1 THEN 'excluded'
              WHEN held = 2 THEN 'void'
              WHEN held = 3 THEN 'bad_price'
              WHEN held = 4 THEN 'level'
              WHEN day IS NULL THEN 'no_date'
              ELSE 'ok' END AS status
  FROM parsed
),
marked AS (
  SELECT flagged.*,
         COALESCE(order_key, CAST(day AS {dialect.text_type})) AS purchase,
         CASE WHEN is_return = 1 THEN -abs(value) ELSE value END AS net,
         CASE WHEN status = 'ok' AND customer IS NOT NULL AND day < {{reference}}
              THEN 1 ELSE 0 END AS kept
  FROM flagged
)"""


# What the summary counts, as (name, the aggregate over a group of ``marked`` lines, how
# the groups' values combine: SUM, MIN, MAX, or MONEY for an exact sum shown as a float).
# Counted per customer in aggregation_sql's one pass, then added up by summary_sql: the
# lines are read once, and integer and exact decimal sums do not depend on the grouping.
_STATS = (
    ("lines_read", "SUM(copies)", "SUM"),
    ("distinct_lines", "COUNT(*)", "SUM"),
    ("first_day", "MIN(day)", "MIN"),
    ("last_day", "MAX(day)", "MAX"),
    # A line with neither a customer nor a date is a report's Total or footer line, unless
    # its status says it is no sale (an open deal has no account and no close date yet).
    (
        "footer_lines",
        "SUM(CASE WHEN customer IS NULL AND date_text IS NULL AND status <> 'void' "
        "THEN 1 ELSE 0 END)",
        "SUM",
    ),
    (
        "no_customer_lines",
        "SUM(CASE WHEN customer IS NULL AND date_text IS NOT NULL THEN 1 ELSE 0 END)",
        "SUM",
    ),
    (
        "no_customer_value",
        "SUM(CASE WHEN customer IS NULL AND status = 'ok' THEN value ELSE 0 END)",
        "MONEY",
    ),
    (
        "no_date_lines",
        "SUM(CASE WHEN status = 'no_date' AND customer IS NOT NULL THEN 1 ELSE 0 END)",
        "SUM",
    ),
    ("level_lines", "SUM(CASE WHEN status = 'level' THEN copies ELSE 0 END)", "SUM"),
    ("level_value", "SUM(CASE WHEN status = 'level' THEN value ELSE 0 END)", "MONEY"),
    ("bad_price_lines", "SUM(CASE WHEN status = 'bad_price' THEN 1 ELSE 0 END)", "SUM"),
    ("zero_value_lines", "SUM(CASE WHEN status = 'ok' AND value = 0 THEN 1 ELSE 0 END)", "SUM"),
    ("excluded_lines", "SUM(CASE WHEN status = 'excluded' THEN 1 ELSE 0 END)", "SUM"),
    ("excluded_value", "SUM(CASE WHEN status = 'excluded' THEN value ELSE 0 END)", "MONEY"),
    ("void_lines", "SUM(CASE WHEN status = 'void' THEN 1 ELSE 0 END)", "SUM"),
    ("void_value", "SUM(CASE WHEN status = 'void' THEN value ELSE 0 END)", "MONEY"),
    ("return_lines", "SUM(CASE WHEN status = 'ok' AND is_return = 1 THEN 1 ELSE 0 END)", "SUM"),
    (
        "returned_value",
        "SUM(CASE WHEN status = 'ok' AND is_return = 1 THEN abs(value) ELSE 0 END)",
        "MONEY",
    ),
    (
        "after_lines",
        "SUM(CASE WHEN status = 'ok' AND day >= {reference} THEN 1 ELSE 0 END)",
        "SUM",
    ),
    # What a discount column took off the purchases counted, and their list value.
    ("discount_value", "SUM(CASE WHEN kept = 1 AND is_return = 0 THEN off ELSE 0 END)", "MONEY"),
    (
        "list_value",
        "SUM(CASE WHEN kept = 1 AND is_return = 0 THEN value + off ELSE 0 END)",
        "MONEY",
    ),
)
STAT_NAMES = tuple(name for name, _, _ in _STATS)


def aggregation_sql(
    roles: Roles,
    day: str,
    *,
    dialect: Dialect = DUCKDB,
    source: str = "lines",
    attributes: Sequence[str] = (),
) -> str:
    """The ONE query over the order lines (placeholders: ``{reference}``): every line,
    grouped by customer (the lines without a customer are one group).

    Per customer, over its kept lines: first and last purchase day, frequency (distinct
    orders, or distinct purchase days without an order column; returns are not orders),
    net spend (purchases minus returns), purchases, returns, the last 12 months' net
    spend, each of the customer ``attributes`` (the smallest value: the
    attribute is the same in nearly all of a customer's lines, and MIN is the same on
    every engine and every run) and ``lines`` (kept lines; 0 for a customer none of
    whose lines is kept). Days are turned into recency and tenure in pandas, so no date
    arithmetic differs between engines. Then, as ``stat_<name>``, the group's share of
    each count the summary makes (``_STATS``): totals_sql, summary_sql and
    unkept_customers_sql read this one result, not the lines again.
    """
    ctes = prepared_lines_sql(
        day,
        dialect=dialect,
        source=source,
        attributes=attributes,
        discounted=roles.discount is not None and roles.amount is None,
    )

    def kept(expression: str) -> str:  # the expression on kept lines, NULL on the others
        return f"CASE WHEN kept = 1 THEN {expression} END"

    described = "".join(f"       MIN({kept(name)}) AS {name},\n" for name in attributes)
    # Without an order column a purchase is a (customer, day): the day is the order.
    purchase = "purchase" if roles.order is not None else f"CAST(day AS {dialect.text_type})"
    window_start = dialect.add_days("{reference}", -REVENUE_WINDOW_DAYS)
    stats = "".join(f",\n       {aggregate} AS stat_{name}" for name, aggregate, _ in _STATS)
    return f"""WITH {ctes}
SELECT customer,
       MIN({kept("CASE WHEN is_return = 0 THEN day END")}) AS first_day,
       MAX({kept("CASE WHEN is_return = 0 THEN day END")}) AS last_day,
       COUNT(DISTINCT {kept(f"CASE WHEN is_return = 0 THEN {purchase} END")}) AS frequency,
       {money_sum(kept("net"))} AS monetary,
       {money_sum(kept("CASE WHEN is_return = 0 THEN net ELSE 0 END"))} AS purchases,
       {money_sum(kept("CASE WHEN is_return = 1 THEN -net ELSE 0 END"))} AS returns,
       {money_sum(kept(f"CASE WHEN day >= {window_start} THEN net ELSE 0 END"))}
           AS last_12_months,
{described}       COUNT({kept("1")}) AS lines{stats}
FROM marked
GROUP BY customer"""


def distinct_items_sql(day: str, *, dialect: Dialect = DUCKDB, source: str = "lines") -> str:
    """Per customer, how many distinct items its kept purchases hold (placeholders:
    ``{reference}``). A query of its own, customer and item pairs first: as a
    COUNT(DISTINCT) in aggregation_sql it made DuckDB keep a copy of every line for the
    two distinct counts (at fifty million lines 23 s, against 9 + 9 s apart)."""
    ctes = prepared_lines_sql(day, dialect=dialect, source=source)
    return f"""WITH {ctes}
SELECT customer, COUNT(*) AS distinct_items
FROM (
  SELECT DISTINCT customer, item FROM marked
  WHERE kept = 1 AND is_return = 0 AND item IS NOT NULL
) AS bought
GROUP BY customer"""


def totals_sql(groups: str, attributes: Sequence[str] = (), items: str | None = None) -> str:
    """The per-customer totals (one row per customer with a kept line) from
    ``aggregation_sql``'s result, stored as ``groups``, and with an item column
    ``distinct_items_sql``'s, stored as ``items`` (else ``distinct_items`` is 0)."""
    described = "".join(f"groups.{name}, " for name in attributes)
    columns = (
        "groups.customer, first_day, last_day, frequency, monetary, purchases, returns, "
        "last_12_months, "
    )
    if items is None:
        return (
            f"SELECT {columns}0 AS distinct_items, {described}lines "
            f"FROM {groups} AS groups WHERE lines > 0"
        )
    return (
        f"SELECT {columns}COALESCE(items.distinct_items, 0) AS distinct_items, {described}lines "
        f"FROM {groups} AS groups LEFT JOIN {items} AS items ON groups.customer = items.customer "
        "WHERE lines > 0"
    )


def summary_sql(groups: str) -> str:
    """What happened to the lines (``STAT_NAMES``: counts and values per reason a line was
    left out), added up from ``aggregation_sql``'s result, stored as ``groups``."""
    combined = {"SUM": "SUM({})", "MIN": "MIN({})", "MAX": "MAX({})", "MONEY": money_sum("{}")}
    columns = ",\n       ".join(
        f"{combined[how].format('stat_' + name)} AS {name}" for name, _, how in _STATS
    )
    return f"SELECT {columns}\nFROM {groups}"


def unkept_customers_sql(groups: str) -> str:
    """How many customers have lines but none kept (every order cancelled, excluded, after
    the reference date or without a date): they are in no table of the report, so the
    data-quality section counts them. ``groups`` holds ``aggregation_sql``'s result."""
    return f"SELECT COUNT(*) FROM {groups} WHERE customer IS NOT NULL AND lines = 0"


# --- running it on DuckDB -----------------------------------------------------------------


def aggregate_orders(plan: OrderPlan, options: OrderOptions) -> CustomerTotals:
    """Read the order lines once with DuckDB and return one row per customer.

    Raises:
        DataError: the dates cannot be read or their order cannot be decided, or no
            customer is left.
    """
    import duckdb

    roles = plan.roles
    spill = tempfile.TemporaryDirectory(prefix="reportgen-duckdb-")
    connection = duckdb.connect(
        config={
            "preserve_insertion_order": False,
            # Lines beyond this are spilled to disk: a large export never fills memory.
            "memory_limit": memory_limit(plan.source),
            "temp_directory": spill.name,
        }
    )
    try:
        with _readable(plan.source) as relation_sql:
            if plan.source.frame is not None:
                connection.register("frame_source", _text_frame(plan.source.frame))
            _stage_lines(connection, relation_sql, plan, options)
        ragged, ragged_shown = ragged_lines(connection)
        connection.execute(f"CREATE TEMP TABLE line_sets AS {LINE_SETS_SQL}")
        texts = "(SELECT date_text FROM line_sets WHERE by_date = 1)"
        order, interpretation = _date_order(connection, plan, options.date_format, texts)
        # Each distinct date text is parsed once, not once per line.
        connection.execute(
            "CREATE TEMP TABLE dates AS SELECT date_text, "
            f"{date_expression(options.date_format, order)} AS parsed_day "
            f"FROM {texts} AS texts"
        )
        connection.execute(
            "CREATE TEMP VIEW dated AS SELECT lines.*, dates.parsed_day FROM lines "
            "LEFT JOIN dates ON lines.date_text = dates.date_text"
        )
        day = "parsed_day"
        first = connection.execute("SELECT MAX(parsed_day) FROM dates").fetchone()
        assert first is not None
        if first[0] is None:
            raise DataError(
                f"No date in {roles.date!r} of {plan.source.path.name} could be read; set "
                'date_format in the config file (e.g. date_format = "%d/%m/%Y").'
            )
        last_day: date = first[0]
        if roles.status is not None:
            # Lines that are no sale (open deals closing next year) set no reference date.
            counted = connection.execute(
                "SELECT MAX(parsed_day) FROM dated WHERE held <> 2"
            ).fetchone()
            last_day = counted[0] if counted and counted[0] is not None else last_day
        reference = options.as_of or (last_day + timedelta(days=1))
        reference_sql = f"DATE '{reference.isoformat()}'"
        attributes = attribute_names(plan)
        query = aggregation_sql(roles, day, source="dated", attributes=attributes)
        # The one pass over the lines after staging: totals, summary and unkept customers.
        connection.execute(
            "CREATE TEMP TABLE customer_groups AS " + query.replace("{reference}", reference_sql)
        )
        items = None
        if roles.item is not None:
            items = "customer_items"
            connection.execute(
                f"CREATE TEMP TABLE {items} AS "
                + distinct_items_sql(day, source="dated").replace("{reference}", reference_sql)
            )
        stats = connection.execute(summary_sql("customer_groups")).fetchone()
        assert stats is not None
        frame = connection.execute(totals_sql("customer_groups", attributes, items)).df()
        unkept = connection.execute(unkept_customers_sql("customer_groups")).fetchone()
        repeated = (0,)
        if roles.order is not None:
            repeated = connection.execute(repeated_lines_sql()).fetchone() or repeated
        suspects: tuple[SuspectItem, ...] = ()
        if roles.item is not None:
            suspects = suspect_items(
                connection.execute(suspect_items_sql(grouped="line_sets")).fetchall()
            )
    except duckdb.Error as error:
        raise DataError(
            f"Cannot read {plan.source.path.name} as order lines: {str(error).splitlines()[0]}"
        ) from None
    finally:
        connection.close()
        spill.cleanup()
    assert unkept is not None
    totals = _customer_totals(frame, stats, plan, options, reference, interpretation, suspects)
    summary = replace(
        totals.summary,
        unkept_customers=int(unkept[0] or 0),
        repeated_in_order_lines=int(repeated[0] or 0),
        ragged_lines=ragged,
        ragged_examples=ragged_shown,
    )
    return replace(totals, summary=summary)


def memory_limit(source: Source) -> str:
    """DuckDB's memory cap for reading ``source`` (see DUCKDB_MEMORY_LIMIT)."""
    lines = estimated_lines(source)
    if lines is None or lines < LARGE_INPUT_LINES:
        return DUCKDB_MEMORY_LIMIT
    large = int(DUCKDB_LARGE_MEMORY_LIMIT.removesuffix("GB")) * 10**9
    with suppress(ValueError, OSError, AttributeError):  # sysconf: Linux and macOS
        if large * 4 <= os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"):
            return DUCKDB_LARGE_MEMORY_LIMIT
    return DUCKDB_MEMORY_LIMIT


def estimated_lines(source: Source) -> int | None:
    """How many lines ``source`` holds: exact for Parquet (its footer) and tables in memory,
    estimated for text from the file's size and the length of its first lines."""
    if source.frame is not None:
        return len(source.frame)
    try:
        if source.format == "parquet":
            import pyarrow.parquet as pq

            return int(pq.ParquetFile(source.path).metadata.num_rows)
        with source.path.open("rb") as file:
            head = file.read(HEAD_BYTES)
        size = source.path.stat().st_size
    except Exception:  # unreadable here: DuckDB says what is wrong when it reads it
        return None
    newlines = head.count(b"\n")
    return size * newlines // len(head) if newlines and head else None


@contextmanager
def _readable(source: Source) -> Iterator[str]:
    """The SQL relation that reads the whole source (a UTF-8 copy for Windows-1252 text)."""
    if source.format == "frame":
        yield "frame_source"
        return
    if source.format == "parquet":
        yield f"read_parquet({_literal(str(source.path))})"
        return
    if source.utf8:
        yield _text_relation(source, source.path)
        return
    # DuckDB reads UTF-8 (and strict Latin-1) only: transcode Windows-1252 exports.
    with tempfile.TemporaryDirectory(prefix="reportgen-") as directory:
        copy = Path(directory) / "lines.csv"
        with source.path.open("rb") as raw, copy.open("wb") as out:
            decoder = codecs.getincrementaldecoder("cp1252")(errors="replace")
            while chunk := raw.read(1 << 22):
                out.write(decoder.decode(chunk).encode("utf-8"))
        yield _text_relation(source, copy)


def _text_relation(source: Source, path: Path) -> str:
    where = _literal(str(path))
    if source.format == "whitespace":
        return (
            f"read_csv({where}, columns={{'line': 'VARCHAR'}}, header=false, "
            f"delim='\\x01', quote='', escape='', skip={source.skip + (1 if source.header else 0)})"
        )
    names = ", ".join(_literal(name) for name in source.columns)
    return (
        f"read_csv({where}, all_varchar=true, header={str(source.header).lower()}, "
        f"skip={source.skip}, delim={_literal(source.delimiter)}, quote='\"', escape='\"', "
        f"names=[{names}], {_RAGGED_READ})"
    )


# Lines with fewer fields than the header are left out, not padded with NULLs: a missing
# separator shifts every later value one column left (the price into the date, the
# country into the customer: review 8 found "United Kingdom" as a customer and 9% of the
# money gone to "no readable date"). The read records them (store_rejects) and
# ragged_lines counts them for the data-quality section, without a second read of the
# file. Lines with more fields keep their first ones, as before.
_RAGGED_READ = "null_padding=false, strict_mode=false, ignore_errors=true, store_rejects=true"
# How many of the lines left out the data-quality section quotes.
RAGGED_SHOWN = 3


def ragged_lines(connection: Any) -> tuple[int, tuple[tuple[int, str], ...]]:
    """The lines of a delimited text file with fewer fields than the header, and the first
    RAGGED_SHOWN of them (line number in the file, text), as the staging read on
    ``connection`` recorded them (none for other sources: nothing was recorded)."""
    import duckdb

    try:
        rows = connection.execute(
            "SELECT DISTINCT line, csv_line FROM reject_errors "
            "WHERE error_type = 'MISSING COLUMNS' ORDER BY line"
        ).fetchall()
    except duckdb.Error:  # no text file was read: no reject table
        return 0, ()
    return len(rows), tuple((int(line), str(text)) for line, text in rows[:RAGGED_SHOWN])


def _text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object).where(frame.notna(), None).astype("string")


def _column_sql(source: Source, column: str, *, cast: bool = True) -> str:
    if source.format == "whitespace":
        position = source.columns.index(column) + 1
        return f"string_split_regex(trim(line), '\\s+')[{position}]"
    quoted = '"' + column.replace('"', '""') + '"'
    return f"CAST({quoted} AS VARCHAR)" if cast else quoted


# Parquet column types whose value, cast to DOUBLE, is the double its text would be read
# as: integers (rounded to the nearest double either way) and doubles (DuckDB writes a
# double as its shortest text that reads back as the same double). Not FLOAT (its text
# is shorter than its value), DECIMAL or BOOLEAN ('true' is no number, TRUE casts to 1).
_EXACT_NUMBER_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"}
    | {"UBIGINT", "DOUBLE"}
)


def _typed_numbers(connection: Any, relation: str, plan: OrderPlan) -> frozenset[str]:
    """The Parquet columns of number types that are cast to DOUBLE directly instead of
    through text (a second of fifty million lines)."""
    if plan.source.format != "parquet":
        return frozenset()
    described = connection.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    reformatted = set(plan.decimal_comma) | set(plan.formatted_money)
    return frozenset(
        str(row[0])
        for row in described
        if str(row[1]) in _EXACT_NUMBER_TYPES and row[0] not in reformatted
    )


def _stage_lines(connection: Any, relation: str, plan: OrderPlan, options: OrderOptions) -> None:
    """The one pass over the file: role columns, missing markers as NULL, identical lines
    merged where they are copies (read_lines_sql), each line valued and flagged
    (valued_lines_sql)."""
    whole_dates = options.date_format is not None
    roles, source = plan.roles, plan.source
    missing = ", ".join(_literal(text) for text in (*MISSING_TEXT, *EXTRA_MISSING))

    def text(column: str | None, markers: bool = False) -> str:
        if column is None:
            return "CAST(NULL AS VARCHAR)"
        value = f"trim({_column_sql(source, column)})"
        if markers:  # "NA", "None", "-" ... as an attribute would be one big category
            return f"CASE WHEN {value} IN ({missing}) THEN NULL ELSE {value} END"
        return f"nullif({value}, '')"

    typed = _typed_numbers(connection, relation, plan)

    def number(column: str | None) -> str:
        if column is None:
            return "CAST(NULL AS DOUBLE)"
        if column in typed:  # the same double as through its text, without the text
            return f"TRY_CAST({_column_sql(source, column, cast=False)} AS DOUBLE)"
        value = f"trim({_column_sql(source, column)})"  # markers fail the cast: NULL
        return number_sql(value, column, plan, DUCKDB)

    assert roles.customer is not None  # a plan always has one (plan_from_head)
    customer = customer_sql(
        customer_text(plan, lambda name: f"trim({_column_sql(source, name)})"), plan.placeholders
    )
    if plan.float_ids:
        customer = f"regexp_replace({customer}, '\\.0$', '')"
    columns = line_columns_sql(plan, customer, text, number, whole_dates=whole_dates)
    attributes = attribute_names(plan)
    distinct_lines = read_lines_sql(
        columns, relation, roles, attributes=attributes, numbered=plan.line_id is not None
    )
    valued = valued_lines_sql(
        distinct_lines, roles, exclude_items=options.exclude_items, attributes=attributes
    )
    connection.execute(f"CREATE TEMP TABLE lines AS {valued}")


def _date_order(
    connection: Any, plan: OrderPlan, date_format: str | None, texts: str
) -> tuple[str | None, str]:
    """Decide the order of the date parts from every distinct date in the column (``texts``:
    a relation of the distinct ``date_text``)."""
    if date_format is not None:
        return None, f"read with date_format {date_format!r}"
    # Distinct texts first: a few thousand regular expressions instead of one per line.
    pattern = date_part_pattern(plan)
    rows = connection.execute(
        f"SELECT DISTINCT {DUCKDB.extract('date_text', pattern)} FROM {texts} AS texts"
    ).fetchall()
    return order_of_parts(plan, [row[0] for row in rows if row[0]])


def date_part_pattern(plan: OrderPlan) -> str:
    """The regular expression whose group is a line's date part, on either engine: a
    six-digit date alone for YYMMDD dates, else the leading date of the text."""
    return _SQL_SIX_DIGIT_DATE if plan.date_kind == YYMMDD else _SQL_DATE_PART


def order_of_parts(plan: OrderPlan, parts: Sequence[str]) -> tuple[str, str]:
    """How to read the date column from all its distinct date parts (either engine).

    Raises:
        DataError: no date reads, day and month cannot be told apart, or six-digit dates
            are not all YYMMDD dates up to today.
    """
    column, name = str(plan.roles.date), plan.source.path.name
    if not parts:
        raise DataError(
            f"{column!r} of {name} holds no date that can be read; set "
            'date_format in the config file (e.g. date_format = "%d/%m/%Y %H:%M").'
        )
    six_digit = plan.date_kind == YYMMDD
    order, interpretation = decide_date_order(parts, six_digit=six_digit)
    if order is None and six_digit:
        raise DataError(unreadable_date_message(column, name, parts, interpretation))
    if order is None:
        raise DataError(ambiguous_dates_message(column, name, interpretation, parts))
    return order, interpretation


def decide_date_order(parts: Sequence[str], *, six_digit: bool = False) -> tuple[str | None, str]:
    """Decide how to read dates from all their (distinct) date parts.

    Returns the order ("ymd", "dmy", "mdy" or "compact"; with ``six_digit``, for a
    column named as a date, "yymmdd"; or None when it cannot be decided) and a sentence
    that says how the dates were read, or why they could not be.
    """
    parts = sorted(parts)  # engines list distinct values in no set order; the example must not vary
    if six_digit:
        return _six_digit_order(parts)
    compact = [p for p in parts if len(p) == 8 and p.isdigit()]
    if len(compact) == len(parts):
        return "compact", "compact dates (YYYYMMDD)"
    dated = [p for p in parts if not (len(p) == 8 and p.isdigit())]
    pieces = [re.split(r"[/.-]", p) for p in dated]
    if all(len(piece[0]) == 4 for piece in pieces):
        return "ymd", "year-month-day dates (ISO)"
    firsts = [int(piece[0]) for piece in pieces if len(piece[0]) <= 2]
    seconds = [int(piece[1]) for piece in pieces if len(piece[0]) <= 2]
    first_high = sum(value > 12 for value in firsts)
    second_high = sum(value > 12 for value in seconds)

    def example(position: int) -> str:
        """A date whose number at ``position`` is above 12: the evidence, shown."""
        for part, piece in zip(dated, pieces, strict=True):
            if len(piece) == 3 and piece[position].isdigit() and int(piece[position]) > 12:
                return part
        return dated[0]

    sep = next((char for char in dated[0] if char in "/.-"), "/")  # as the file writes them
    short = [piece for piece in pieces if len(piece) == 3 and len(piece[2]) == 2]
    years = "yyyy"
    century = ""
    if short:
        years = "yy" if len(short) == len(pieces) else "yy or yyyy"
        century = (
            f"; two-digit years {CENTURY_PIVOT}-99 read as 19{CENTURY_PIVOT}-1999, "
            f"00-{CENTURY_PIVOT - 1} as 2000-20{CENTURY_PIVOT - 1}"
        )
    if first_high and not second_high:
        return "dmy", (
            f"day-first dates (dd{sep}mm{sep}{years}): {first_high:,} distinct dates have a first "
            f"number above 12, none a second (e.g. {example(0)}){century}"
        )
    if second_high and not first_high:
        return "mdy", (
            f"month-first dates (mm{sep}dd{sep}{years}): {second_high:,} distinct dates have a "
            f"second number above 12, none a first (e.g. {example(1)}){century}"
        )
    if first_high and second_high:
        return None, "some dates have a first number above 12 and others a second one."
    return None, "no day in the column is above 12."


def _six_digit_order(parts: Sequence[str]) -> tuple[str | None, str]:
    """Six-digit date parts (sorted): YYMMDD when every one is a date up to today."""
    days = [yymmdd_day(part) for part in parts]
    wrong = [part for part, day in zip(parts, days, strict=True) if day is None]
    if wrong:
        return None, f"{len(wrong):,} are no YYMMDD date, e.g. {', '.join(wrong[:3])}"
    today = date.today()
    later = [part for part, day in zip(parts, days, strict=True) if day and day > today]
    if later:
        return None, (
            f"read as YYMMDD, {len(later):,} would be after today, e.g. {later[0]} as "
            f"{yymmdd_day(later[0])}: two-digit years 00-{CENTURY_PIVOT - 1} are 2000-"
            f"20{CENTURY_PIVOT - 1}"
        )
    return YYMMDD, (
        f"six-digit dates (YYMMDD, e.g. {parts[0]} is {yymmdd_day(parts[0])}); two-digit "
        f"years {CENTURY_PIVOT}-99 read as 19{CENTURY_PIVOT}-1999, 00-{CENTURY_PIVOT - 1} "
        f"as 2000-20{CENTURY_PIVOT - 1}"
    )


# The date_format a date column's unreadable values are tried with (working_date_format),
# in this order; the first that reads every one of them as a day up to today is advised.
SUGGESTED_DATE_FORMATS = (
    "%y%m%d",
    "%d%m%y",
    "%m%d%y",
    "%d%m%Y",
    "%m%d%Y",
    "%Y%m%d",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d %b %y",
    "%d/%b/%Y",
    "%Y%m%d%H%M%S",
)


def working_date_format(values: Sequence[str]) -> str | None:
    """The first SUGGESTED_DATE_FORMATS that reads every value (reads_all)."""
    return next((fmt for fmt in SUGGESTED_DATE_FORMATS if reads_all(values, fmt)), None)


def reads_all(values: Sequence[str], date_format: str) -> bool:
    """Whether ``date_format`` reads every value as a day from 1900 to today, tried with
    date_expression in DuckDB: the very SQL a run with it would use."""
    import duckdb

    texts = sorted({str(value).strip() for value in values if str(value).strip()})[:2_000]
    if not texts:
        return False
    connection = duckdb.connect()
    try:
        connection.register("texts", pd.DataFrame({"date_text": texts}))
        unread = connection.execute(
            f"SELECT COUNT(*) FROM (SELECT {date_expression(date_format, None)} AS day "
            "FROM texts) AS read WHERE day IS NULL OR day < DATE '1900-01-01' "
            f"OR day > DATE '{date.today():%Y-%m-%d}'"
        ).fetchone()
    except duckdb.Error:
        return False  # a date_format DuckDB cannot parse with
    finally:
        connection.close()
    return unread is not None and unread[0] == 0


def unreadable_date_message(column: str, name: str, values: Sequence[str], why: str = "") -> str:
    """The stop for a column named as a date whose values are no date reportgen reads:
    said before anything the missing date would lead to, with a few values and a
    date_format that reads them, when one does."""
    shown = sorted({str(value).strip() for value in values if str(value).strip()})
    if not why and shown and all(_SIX_DIGITS.match(text) for text in shown):
        why = _six_digit_order(shown)[1]  # why they are not YYMMDD dates
    examples = ", ".join(shown[:3]) + (", ..." if len(shown) > 3 else "")
    fmt = working_date_format(shown)
    advice = (
        f'set date_format = "{fmt}" in the config file, which reads all of them'
        if fmt is not None
        else "set date_format in the config file to the way they are written, in "
        'strftime codes (e.g. date_format = "%d %b %Y" for 31 Jan 2024)'
    )
    reason = f" ({why})" if why else ""
    return (
        f"{column!r} of {name} is named as a date, but its values ({examples}) are not "
        f"dates reportgen reads{reason}. It reads ISO (2024-01-31), day or month first "
        "(31/01/2024, 01/31/2024), compact 20240131 and six-digit 240131 (YYMMDD) dates. "
        f"To read them, {advice}."
    )


def suspect_items_sql(
    *, dialect: Dialect = DUCKDB, source: str = "lines", grouped: str | None = None
) -> str:
    """One query over the staged ``lines``: the most common item codes without a digit,
    each with ``share``, the share of all distinct item codes that have one.

    Item codes that look unlike the rest (no digit where most codes have digits) are
    postage, fees and manual adjustments. Whether an item is excluded depends on its code
    only, so one group per code says it; no day is needed (no date is parsed). With
    ``grouped`` (a table of line_sets_sql), the per-item groups are read from it instead
    of the lines.
    """
    if grouped is not None:
        groups = (
            "SELECT item, item_excluded AS excluded, item_lines AS lines, "
            f"CAST(item_value AS DOUBLE) AS value FROM {grouped} "
            "WHERE by_item = 1 AND item IS NOT NULL"
        )
        ctes = f"grouped AS ({groups})"
    else:
        prepared = prepared_lines_sql("CAST(NULL AS DATE)", dialect=dialect, source=source)
        ctes = f"""{prepared.replace("{reference}", "DATE '9999-12-31'")},
grouped AS (
  SELECT item, MAX(excluded) AS excluded, SUM(copies) AS lines,
         {money_sum("COALESCE(value, 0)")} AS value
  FROM flagged
  WHERE item IS NOT NULL
  GROUP BY item
)"""
    return f"""WITH {ctes},
items AS (
  SELECT item, excluded, lines, value,
         CASE WHEN {dialect.matches("item", "[0-9]")} THEN 1.0 ELSE 0.0 END AS coded,
         CASE WHEN {dialect.matches("lower(item)", GIFT_CARD)} THEN 1 ELSE 0 END AS gift
  FROM grouped
),
shared AS (SELECT items.*, AVG(coded) OVER () AS share FROM items)
SELECT item, lines, value, share, gift
FROM shared
WHERE excluded = 0 AND (coded = 0 OR gift = 1)
ORDER BY gift DESC, lines DESC, item
LIMIT {SHOWN_SUSPECT_ITEMS}"""


LINE_SETS_SQL = """SELECT CAST(GROUPING(item) AS TINYINT) AS by_date, date_text,
       CAST(GROUPING(date_text) AS TINYINT) AS by_item, item,
       MAX(CASE WHEN held = 1 THEN 1 ELSE 0 END) AS item_excluded,
       SUM(copies) AS item_lines, SUM(COALESCE(value, 0)) AS item_value
FROM lines
GROUP BY GROUPING SETS ((date_text), (item))"""
"""DuckDB: ONE read of the staged ``lines`` for what is grouped by date text or by item
and read before or beside the customer pass: each distinct date text (``by_date = 1``:
the dates are parsed and their order decided from these rows) and each item's
exclusion, lines and exact value (``by_item = 1``: suspect_items_sql reads them). Before,
three queries read ``lines`` for these (at fifty million lines, back from disk)."""


def suspect_items(rows: Sequence[Sequence[Any]]) -> tuple[SuspectItem, ...]:
    """The suspect items from suspect_items_sql's rows: gift cards, and codes without a
    digit where most codes have one (none of those when codes are not coded)."""
    coded = bool(rows) and rows[0][3] is not None and rows[0][3] >= CODED_ITEMS_SHARE
    return tuple(
        SuspectItem(str(item), int(lines), float(value), gift_card=bool(gift))
        for item, lines, value, _, gift in rows
        if gift or coded
    )


def _customer_totals(
    frame: pd.DataFrame,
    stats: tuple[Any, ...],
    plan: OrderPlan,
    options: OrderOptions,
    reference: date,
    interpretation: str,
    suspects: tuple[SuspectItem, ...],
) -> CustomerTotals:
    roles = plan.roles
    values = dict(zip(STAT_NAMES, stats, strict=True))
    positive = segmentable(frame, roles.has_money)
    left_out = left_out_customers(frame, roles.has_money)
    customers = frame.loc[positive].sort_values("customer", kind="stable").reset_index(drop=True)
    if customers.empty:
        raise DataError(
            f"No customer in {plan.source.path.name} has a purchase left to analyse "
            f"(of {int(values['lines_read'] or 0):,} lines); check the customer, date and "
            "amount columns, as_of and exclude_items."
        )
    reference_ts = pd.Timestamp(reference)
    last = pd.to_datetime(customers["last_day"])
    first = pd.to_datetime(customers["first_day"])
    result = pd.DataFrame(
        {
            "recency_days": (reference_ts - last).dt.days.astype(int),
            "frequency": customers["frequency"].astype(int),
        }
    )
    if roles.has_money:
        result["monetary"] = customers["monetary"].astype(float).round(2)
    result["tenure_days"] = (reference_ts - first).dt.days.astype(int)
    if roles.has_money:
        purchases = customers["purchases"].astype(float)
        result["average_order_value"] = (purchases / customers["frequency"]).round(2)
        result["returned_share"] = np.where(
            purchases > 0, customers["returns"].astype(float) / purchases, 0.0
        ).round(4)
        result["last_12_months"] = customers["last_12_months"].astype(float).round(2)
    if roles.item is not None:
        result["distinct_items"] = customers["distinct_items"].astype(int)
    for column, name in zip(plan.attributes, attribute_names(plan), strict=True):
        result[column] = customers[name].fillna(UNKNOWN_ATTRIBUTE).astype(str).to_numpy()
    result.index = pd.Index(customers["customer"].astype(str), name=roles.customer)
    summary = order_summary(
        values,
        plan,
        options,
        reference=reference,
        interpretation=interpretation,
        suspects=suspects,
        customers=len(result),
        left_out=left_out,
    )
    return CustomerTotals(frame=result, summary=summary, left_out=left_out)


# Why a customer of the order lines has nothing to segment on (not_segmented.csv).
RETURNS_ONLY = "returns or cancellations only"
ZERO_SPEND = "purchases worth 0"
NET_NEGATIVE = "returns as large as purchases or larger"


def segmentable(totals: pd.DataFrame, has_money: bool) -> pd.Series:
    """Which aggregated customers are segmented: a purchase, and (with money) net spend > 0.

    ``totals`` has ``aggregation_sql``'s columns. The one rule for both engines.
    """
    bought = totals["frequency"] > 0
    return bought & (totals["monetary"] > 0) if has_money else bought


def left_out_customers(totals: pd.DataFrame, has_money: bool) -> pd.DataFrame:
    """The aggregated customers that are not segmented, each with its reason.

    One row per customer (``customer_id``, sorted), with ``reason`` (RETURNS_ONLY,
    ZERO_SPEND or NET_NEGATIVE), the money bought and returned when the lines carry
    money, and the last purchase day (empty with returns only).
    """
    left = totals.loc[~segmentable(totals, has_money)].sort_values("customer", kind="stable")
    bought = left["frequency"] > 0
    zero_spend = bought & (left["purchases"] <= 0) if has_money else bought & False
    table = pd.DataFrame(
        {
            "customer_id": left["customer"].astype(str).to_numpy(),
            "reason": np.select(
                [~bought, zero_spend], [RETURNS_ONLY, ZERO_SPEND], default=NET_NEGATIVE
            ),
        }
    )
    if has_money:
        table["purchases"] = left["purchases"].astype(float).fillna(0.0).round(2).to_numpy()
        table["returns"] = left["returns"].astype(float).fillna(0.0).round(2).to_numpy()
    table["last_purchase"] = pd.to_datetime(left["last_day"]).dt.date.to_numpy()
    return table


def order_summary(
    values: Mapping[str, Any],
    plan: OrderPlan,
    options: OrderOptions,
    *,
    reference: date,
    interpretation: str,
    suspects: tuple[SuspectItem, ...],
    customers: int,
    left_out: pd.DataFrame,
) -> OrderSummary:
    """What happened to the lines, from ``summary_sql``'s row (by ``STAT_NAMES``), and
    the customers left out (``left_out_customers``), counted by reason. The customers
    with no kept line (unkept_customers_sql) and, with an order column, the repeated lines
    (repeated_lines_sql) are counted by queries of their own, the lines a text file's read
    left out (ragged_lines) by the read: the engine sets them."""
    reasons = left_out["reason"].value_counts()
    roles = plan.roles
    copies = int((values["lines_read"] or 0) - (values["distinct_lines"] or 0))
    return OrderSummary(
        lines_read=int(values["lines_read"] or 0),
        duplicate_lines=0 if roles.order is not None else copies,
        customers=customers,
        roles=tuple(roles.used().items()),
        reason=plan.reason,
        date_interpretation=interpretation,
        first_date=values["first_day"],
        last_date=values["last_day"],
        reference_date=reference,
        as_of_given=options.as_of is not None,
        no_customer_lines=int(values["no_customer_lines"] or 0),
        no_customer_value=float(values["no_customer_value"] or 0.0),
        no_date_lines=int(values["no_date_lines"] or 0),
        footer_lines=int(values["footer_lines"] or 0),
        level_lines=int(values["level_lines"] or 0),
        level_value=float(values["level_value"] or 0.0),
        level_drop=roles.level_drop,
        level_children=roles.children,
        level_kept=plan.level_kept,
        bad_price_lines=int(values["bad_price_lines"] or 0),
        zero_value_lines=int(values["zero_value_lines"] or 0),
        excluded_lines=int(values["excluded_lines"] or 0),
        excluded_items=tuple(options.exclude_items),
        return_lines=int(values["return_lines"] or 0),
        returned_value=float(values["returned_value"] or 0.0),
        after_reference_lines=int(values["after_lines"] or 0),
        not_positive_customers=len(left_out),
        returns_only_customers=int(reasons.get(RETURNS_ONLY, 0)),
        zero_spend_customers=int(reasons.get(ZERO_SPEND, 0)),
        suspect_items=suspects,
        has_money=roles.has_money,
        has_orders=roles.order is not None,
        other_customer_columns=plan.other_customer_columns,
        source_description=plan.source.description,
        source_columns=tuple(plan.source.columns),
        attributes=plan.attributes,
        line_id=plan.line_id,
        void_lines=int(values["void_lines"] or 0),
        void_value=float(values["void_value"] or 0.0),
        void_statuses=plan.void_statuses,
        currency=plan.currency,
        currencies=plan.currencies,
        placeholder_customers=plan.placeholders,
        account_holder=plan.holder,
        events=roles.events,
        credit_notes=roles.credit_notes,
        amount_converted=plan.converted,
        pipeline=roles.pipeline,
        status_values=plan.status_values,
        status_sample_lines=plan.sample_lines,
        unused_statuses=plan.unused_statuses,
        discount_kind=roles.discount_kind if roles.discount is not None else "",
        discount_value=float(values["discount_value"] or 0.0),
        list_value=float(values["list_value"] or 0.0),
        discount_unread=plan.discount_unread,
    )


def refuse_customer_table_settings(settings: Settings, source_name: str) -> None:
    """Refuse settings that only apply to customer tables, for a run on order lines.

    Raises:
        SettingsError: ``features``, ``profile`` or ``ignore`` is set.
    """
    chosen = [name for name in ("features", "profile", "ignore") if getattr(settings, name)]
    if chosen:
        raise SettingsError(
            f"{source_name} is read as order lines, which are segmented on recency, "
            f"frequency and spend: {settings.named(chosen[0])} applies to customer tables "
            'only. Drop it, or set input_kind = "customers".'
        )


def order_options(settings: Settings) -> OrderOptions:
    """The order-line part of the run settings."""
    return OrderOptions(
        input_kind=settings.input_kind,  # type: ignore[arg-type]
        roles=Roles(
            customer=settings.customer_column,
            date=settings.date_column,
            amount=settings.amount_column,
            quantity=settings.quantity_column,
            price=settings.price_column,
            order=settings.order_column,
            item=settings.item_column,
            status=settings.status_column,
            discount=settings.discount_column or None,
        ),
        date_format=settings.date_format,
        as_of=date.fromisoformat(settings.as_of) if settings.as_of else None,
        exclude_items=settings.exclude_items,
        no_discount=settings.discount_column == "",
    )


def file_sha256(path: Path) -> str:
    """The file's SHA-256, read in chunks (the model records which file it was fitted on)."""
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def order_config(plan: OrderPlan, config_path: Path | None = None) -> str:
    """A commented config for an order-line export, as `reportgen init` writes it.

    Args:
        config_path: where the config will be written; the input path is made
            relative to it, so the config and the export can move together.
    """
    source = plan.source.path.resolve()
    where = os.path.relpath(source, config_path.resolve().parent) if config_path else str(source)
    lines = [
        f"# reportgen config for {plan.source.path.name}, written by `reportgen init` on "
        f"{date.today():%Y-%m-%d}.",
        "#",
        f"# Read as order lines {plan.reason}.",
        "# Each role below was guessed from the columns' names and values: correct any that",
        "# is wrong, then run every month:",
        "#",
        "#   reportgen run --config THIS_FILE --period YYYY-MM -o output/YYYY-MM",
        "",
        f"input = {json.dumps(where)}",
        'input_kind = "orders"',
        *(
            f"{role} = {json.dumps(column)}"
            for role, column in plan.roles.used().items()
            if role not in ("document", "level")  # found again from the values on every run
        ),
        "",
        '# date_format = "%d/%m/%Y"  # only when the day/month order cannot be decided',
        '# as_of = "YYYY-MM-DD"      # the reference date; default: the day after the last date',
        "# exclude_items = []        # item codes that are not products (postage, fees)",
    ]
    return "\n".join(lines) + "\n"
