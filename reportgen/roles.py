"""Column roles an analyst decides before segmenting, each with its reason.

Used by cleaning (stage 2). The rules, in the order they are applied:

- identifier: whole numbers or text with a different value in at least 99% of rows
  (20 rows or more) that look like codes (text without spaces; numbers of one length,
  or not named like a measure); exactly 0..n-1 or 1..n; or a name ending in id, num,
  no, number, code, key or uuid with at least 50% distinct values. The first one (an
  ID-like name first) is the customer ID; the others are left out. Never a feature.
  A name that says whose ID it is (Member_number) is an identifier even when its values
  repeat; other ID-like names with under 50% distinct values (Store ID, Plan ID,
  Branch No) name what customers share: categories, described in each segment.
- outcome: a result the business wants to explain: two values (or a small set such
  as "Existing Customer / Attrited Customer") and a name that says so (churn,
  attrition, exited, left, response, converted, subscribed; target, label or outcome
  only as the whole name or before flag/value/yn; or exactly ``y``), and no word such
  as group, time, segment or score ("Target Group" is treatment/control). Never a
  feature; the report shows its rate in each segment.
- outcome by weaker evidence, only when no name above says outcome: two values that
  are an outcome themselves (good/bad, approved/declined, accepted/rejected), or yes/no
  under a name saying an event happened to the customer (Purchase, default, claim,
  fraud, approved, cancelled), not a count, amount, date or consent of it.
- model output or leak: a name such as classifier, naive_bayes, prediction, proba,
  propensity; a score, decile or percentile named by nothing else or by what it
  predicts (score_v3, Storno-Score); an old cluster label (Cluster_2023) or numbered
  segment; a fractional column that sums to 1 on every row with one so named; a
  measure correlated with an outcome at |r| >= 0.9; or one whose AUC for an outcome is
  at least 0.85 (a call's duration once the answer is known). Left out. Two shares
  that sum to 1 with no model name (share_online + share_store) are behaviour: the
  first is a feature, the second is described, not segmented on.
- part of a date: a name made of a date part (Day, Month, Year, Quarter, Week, Weekday,
  "Month Name", "Day of Week", "Signup Month"...) with values in that part's range
  (1-31, 1-12 or month names, 1900-2100, 1-4 or Q1-Q4, 1-53, weekday numbers or
  names). The calendar is not a behaviour: left out, never a feature.
- redundant measure: a candidate feature whose rank correlation with an already kept
  feature is at least 0.9, or that is the sum of two kept features (purchases =
  one-off + instalments) or about their product (a total = months x monthly charge).
  Described, not segmented on, so that K-Means does not count one behaviour twice.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from reportgen.contract import Outcome, OutcomePolarity

MIN_ID_ROWS = 20
_HEAD_ROWS = 10_000
ID_UNIQUE_SHARE = 0.99
NAMED_ID_UNIQUE_SHARE = 0.5
# A named customer ID repeated in more rows than this is not one row per customer.
CUSTOMER_ID_UNIQUE_SHARE = 0.9
MAX_OUTCOME_VALUES = 5
REDUNDANT_CORRELATION = 0.9
LEAK_CORRELATION = 0.9
# A measure that on its own ranks customers with the outcome above those without this
# often (the AUC) nearly determines it, whatever its name: a leftover of the outcome or
# made from it. Measured on the seeded sample, and only with MIN_LEAK_CLASS customers on
# either side.
LEAK_AUC = 0.95
# Decision (review 8, class 8): a strong driver is no leak. The rule was 0.85 for every
# measure, calibrated on Telco (tenure 0.74), and threw out the gym table's Lifetime
# (months as a member, AUC 0.86), the first thing a retention lead segments on. A column
# recorded after or because of the outcome says so in its name: the duration of the call
# that got the answer (bank campaign, AUC 0.86), complaints, the reason or date of
# closing, a refund. Such names are left out from LEAK_HINTED_AUC; other measures only
# from LEAK_AUC; tenure-named measures (known before the outcome, the main retention
# driver, where new members leave) only from LEAK_TENURE_AUC.
LEAK_HINTED_AUC = 0.85
LEAK_TENURE_AUC = 0.97
_POST_OUTCOME_WORDS = frozenset(
    {
        "duration",
        "complain",
        "complaint",
        "complaints",
        "complained",
        "reason",
        "closed",
        "closing",
        "closure",
        "cancel",
        "cancelled",
        "canceled",
        "cancellation",
        "refund",
        "refunded",
        "refunds",
        "exit",
        "exited",
        "termination",
        "terminated",
        "churned",
        "churn",
    }
)
_TENURE_WORDS = frozenset({"tenure", "lifetime", "seniority"})
_TIME_WORDS = frozenset({"months", "month", "years", "year", "days", "weeks", "since", "age"})
_MEMBERSHIP_WORDS = frozenset(
    {"member", "membership", "customer", "client", "account", "subscriber", "subscription"}
)
MIN_LEAK_CLASS = 30
# Unless one side mostly sits at one value: 0 logins for every churned account, 1 seat
# for every free trial. That is the state the outcome leaves them in, which the outcome's
# rate in each segment shows; the measure still tells the other customers apart.
LEAK_ONE_VALUE = 0.5
PRODUCT_CORRELATION = 0.97
SUM_CORRELATION = 0.995
# Correlations are measured on at most this many rows (a seeded sample): enough for
# two decimals, and bounded on ten million customers.
SAMPLE_ROWS = 5_000
MAX_PRODUCT_FEATURES = 20
# Below this many rows a correlation says too little to drop a column for it.
MIN_CORRELATION_ROWS = 30
MAX_PROBABILITY_COLUMNS = 100
SAMPLE_SEED = 0

_ID_SUFFIXES = (
    "id",
    "num",
    "no",
    "nr",
    "number",
    "code",
    "key",
    "uuid",
    "guid",
    "ref",
    "reference",
)
_ID_OWNERS = {
    "customer",
    "cust",
    "client",
    "member",
    "user",
    "account",
    "acct",
    "buyer",
    "shopper",
    "row",
    "record",
    "person",
    "subscriber",
    "contract",
    "card",
}
# Words that say an ID names a customer, in CRM, bank, telecom, retail and SaaS exports.
_CUSTOMER_WORDS = {
    "customer",
    "customers",
    "cust",
    "client",
    "member",
    "account",
    "acct",
    "user",
    "buyer",
    "shopper",
    "subscriber",
    "consumer",
    "patron",
    "guest",
    "contact",
    "household",
    "person",
}
_STRONG_ID_WORDS = {"id", "uuid", "guid"}
# The product lines of the wholesale table (UCI Wholesale customers): spend on each.
_PRODUCT_LINE_WORDS = ("fresh", "grocery", "milk", "frozen", "detergent", "deli", "delicassen")
# Words that name an amount of money, in CRM, bank, telecom, retail and wholesale exports
# (the wholesale table's spending per product group: Fresh, Milk, Grocery...). The one
# list: negative money is noted in cleaning, and `reportgen init` suggests a unit for it.
MONEY_WORDS = frozenset(
    {
        "income",
        "spend",
        "spending",
        "spent",
        "amount",
        "amt",
        "mnt",
        "price",
        "balance",
        "purchase",
        "sales",
        "revenue",
        "payment",
        "salary",
        "limit",
        "charge",
        "cost",
        "fee",
        "bill",
        "value",
        "turnover",
        "profit",
        "margin",
        "credit",
        "debt",
        "loan",
        # An insurance premium, a membership contribution (Beitrag).
        "premium",
        "beitrag",
        *_PRODUCT_LINE_WORDS,
    }
)
# Words that name a measure. Matched against a name's words, not inside them: "count"
# is not in "account", "age" not in "page" or "message", "sum" not in "consumer".
MEASURE_WORDS = MONEY_WORDS | {
    "total",
    "sum",
    "avg",
    "average",
    "mean",
    "count",
    "score",
    "points",
    "cents",
    "age",
    "tenure",
    "days",
    "months",
    "years",
    "weight",
    "height",
    "visits",
    "minutes",
    "calls",
    "usage",
    "bytes",
    "quantity",
    "qty",
    "orders",
    "transactions",
}
_MODEL_WORDS = {
    "classifier",
    "naive",
    "bayes",
    "prediction",
    "predictions",
    "predicted",
    "predict",
    "pred",
    "proba",
    "prob",
    "probability",
    "probabilities",
    "logit",
    "propensity",
}
# A score, decile or percentile is a model's output when the name says nothing else
# ("score_v3", "Decile") or says what it predicts ("Storno-Score", "churn_score",
# "Risk Score"); "Spending Score (1-100)" or "Credit Score" measure the customer.
_RANK_WORDS = {"score", "scores", "decile", "deciles", "percentile", "percentiles", "quantile"}
_PREDICTED_WORDS = {
    "churn",
    "attrition",
    "storno",
    "lapse",
    "cancel",
    "cancellation",
    "default",
    "risk",
    "fraud",
    "response",
    "conversion",
    "purchase",
    "buy",
    "upsell",
    "uplift",
    "lead",
    "model",
    "predictive",
    "ml",
    "ai",
}
# A cluster label, or a numbered segment, left by an earlier segmentation ("Cluster_2023").
_CLUSTER_WORDS = {"cluster", "clusters", "kmeans"}
_SEGMENT_WORDS = {"segment", "seg", "segmentation"}
# Outcome words, by whether more of the outcome is bad news, good news or neither.
_OUTCOME_STEMS: tuple[tuple[str, OutcomePolarity], ...] = (
    ("churn", "bad"),
    ("attrit", "bad"),
    ("exited", "bad"),
    ("left", "bad"),
    ("respon", "good"),
    ("converted", "good"),
    ("subscribed", "good"),
    # Review 9: a cancellation or termination flag, and satisfaction or a would-recommend
    # answer, are what a retention lead reads per segment.
    ("cancel", "bad"),
    ("terminat", "bad"),
    ("satisf", "good"),
    ("recommend", "good"),
    ("target", "neutral"),
    ("label", "neutral"),
    ("outcome", "neutral"),
)
_GENERIC_OUTCOME_STEMS = {"target", "label", "outcome"}
# Stems that name an event: an outcome only when the name is not a count or date of it.
_EVENT_STEMS = {"cancel", "terminat"}
_COUNTED_WORDS = {"orders", "order", "items", "bookings", "calls", "times", "cnt", "n"}
# Events that happen to a customer, for a yes/no column under a name no stem above
# knows ("Purchase" of the caravan policy, "default", "fraud", "approved"). Weaker
# evidence than the stems above: used only when none of those names an outcome, so that
# a bank-marketing table's "default" (credit in default) stays a description beside y.
_EVENT_WORDS: dict[str, OutcomePolarity] = {
    "purchase": "good",
    "purchased": "good",
    "bought": "good",
    "default": "bad",
    "defaulted": "bad",
    "claim": "bad",
    "claimed": "bad",
    "fraud": "bad",
    "fraudulent": "bad",
    "approved": "good",
    "accepted": "good",
    "rejected": "bad",
    "declined": "bad",
    "denied": "bad",
    "cancelled": "bad",
    "canceled": "bad",
    "lapsed": "bad",
    "storniert": "bad",
    "renewed": "good",
}
# Words that make such a name a count, an amount, a date or a place, not an event.
_NOT_EVENT_WORDS = {
    "num",
    "number",
    "count",
    "total",
    "sum",
    "amount",
    "amt",
    "value",
    "days",
    "date",
    "time",
    "rate",
    "avg",
    "mean",
    "qty",
    "quantity",
    "last",
    "first",
    "previous",
    "prev",
    "address",
    "method",
    "channel",
    # consent, not an event: "Accepts Email Marketing", "Opt-in accepted"
    "accepts",
    "opt",
    "optin",
    "consent",
    "marketing",
    "email",
    "sms",
    "newsletter",
}
# Two values that are themselves an outcome, under any name ("Status": good/bad), with
# the value that is the event.
_OUTCOME_VALUE_PAIRS: tuple[tuple[frozenset[str], str, OutcomePolarity], ...] = (
    (frozenset({"good", "bad"}), "bad", "bad"),
    (frozenset({"approved", "declined"}), "approved", "good"),
    (frozenset({"approved", "rejected"}), "approved", "good"),
    (frozenset({"approved", "denied"}), "approved", "good"),
    (frozenset({"accepted", "rejected"}), "accepted", "good"),
    (frozenset({"accepted", "declined"}), "accepted", "good"),
)
_FLAG_WORDS = {"flag", "value", "yn", "ind"}
_RESPONSE_WORDS = {"response", "responded", "responder"}
# A name with one of these is about an outcome, not the outcome itself.
_NOT_OUTCOME_WORDS = {"group", "time", "segment", "score", "reason", "date", "type", "category"}
_YES = {"yes", "y", "true", "t", "1", "1.0"}
_NO = {"no", "n", "false", "f", "0", "0.0"}


# A date part, the words that name it (alone, or after one qualifier such as "Signup"),
# and the numbers it takes.
_DATE_PARTS: tuple[tuple[str, tuple[tuple[str, ...], ...], tuple[int, int]], ...] = (
    ("a day of the month", (("day",), ("day", "of", "month"), ("dom",), ("dd",)), (1, 31)),
    ("a day of the week", (("weekday",), ("day", "of", "week"), ("dow",), ("wday",)), (0, 7)),
    ("a day of the year", (("day", "of", "year"), ("doy",)), (1, 366)),
    ("a week of the year", (("week",), ("week", "of", "year"), ("wk",)), (1, 53)),
    (
        "a month",
        (("month",), ("month", "name"), ("mon",), ("mm",), ("month", "of", "year")),
        (1, 12),
    ),
    ("a quarter", (("quarter",), ("qtr",)), (1, 4)),
    ("a year", (("year",), ("yyyy",), ("yr",)), (1900, 2100)),
    ("an hour of the day", (("hour",), ("hour", "of", "day")), (0, 23)),
)
_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_WEEKDAY_NAMES = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
# Words that make a name a quantity ("Months", "NumWebVisitsMonth"), not a date part.
_NOT_DATE_PART_WORDS = {"num", "number", "count", "per", "avg", "average", "total", "since"}


@dataclass(frozen=True)
class Identifier:
    """A column that names customers (or something else) rather than measuring them."""

    column: str
    reason: str
    named: bool
    unique: bool
    distinct_share: float


def words(name: str) -> list[str]:
    """Split a column name into lower-case words: 'CustomerID' -> ['customer', 'id']."""
    return [word.lower() for word in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", name)]


def names_a_measure(name: str) -> bool:
    """Whether a word of the name is a measure word ('MonthlyCharges', 'total_amount').

    Plurals count ("charges"), and so do measure words run together ("totalcharges");
    a word that merely contains one does not ("account", "page", "consumer").
    """
    return any(_is_word_of(word, MEASURE_WORDS) for word in words(name))


def names_money(name: str) -> bool:
    """Whether a word of the name says money ('MonthlyCharges', 'Annual Income', 'MntWines')."""
    return any(_is_word_of(word, MONEY_WORDS) for word in words(name))


def _is_word_of(word: str, vocabulary: frozenset[str]) -> bool:
    """Whether ``word`` is in ``vocabulary``, as a plural, or after other measure words."""
    if word in vocabulary or word.removesuffix("s") in vocabulary:
        return True
    return any(
        word.startswith(first) and _is_word_of(word[len(first) :], vocabulary)
        for first in MEASURE_WORDS
        if len(word) > len(first)
    )


# A customer-table column that counts purchases or totals what a customer bought, over
# their whole history: a customer with 0 in every such column has never bought. Words
# that make a column a rate, a score or a time window do not count: 0 orders in the last
# 30 days is a lapsed customer, not a prospect.
_PURCHASE_COUNT_WORDS = frozenset({"order", "purchase", "transaction", "booking", "invoice"})
_SPEND_WORDS = frozenset({"spent", "spend", "revenue", "sales", "ltv", "clv", "monetary"})
_NOT_LIFETIME_WORDS = {
    "last",
    "recent",
    "days",
    "day",
    "week",
    "weeks",
    "month",
    "months",
    "monthly",
    "year",
    "years",
    "yearly",
    "annual",
    "ytd",
    "mtd",
    "score",
    "rate",
    "ratio",
    "share",
    "pct",
    "percent",
    "avg",
    "average",
    "mean",
    "per",
    "since",
    "change",
    "chg",
    "first",
    "size",
    "value",
    # Not what was bought: returns, cancellations, open orders, their parts and targets.
    "return",
    "returned",
    "returns",
    "refund",
    "refunded",
    "cancel",
    "cancelled",
    "canceled",
    "pending",
    "open",
    "abandoned",
    "discount",
    "fee",
    "fees",
    "intent",
    "probability",
    "limit",
    "max",
    "min",
    "growth",
    "rep",
    "call",
    "calls",
    "dispute",
    "disputes",
    "lead",
    "time",
    "predicted",
    "forecast",
    "target",
}


def purchase_history_columns(names: Iterable[str]) -> list[str]:
    """The columns that count a customer's purchases or total their spend over all time
    ('Total Orders', 'total_spent', 'NumWebPurchases'), by name.

    A customer with 0 in all of them has never bought: a prospect, not a spend tier.
    """
    found = []
    for name in names:
        parts = words(name)
        if any(part in _NOT_LIFETIME_WORDS for part in parts) or is_id_name(name):
            continue
        if any(
            part.removesuffix("s") in _PURCHASE_COUNT_WORDS or part in _SPEND_WORDS
            for part in parts
        ):
            found.append(name)
    return found


# Words that name what customers spend on one line of products (MntWines, Fresh,
# Grocery, fish_spend): where a segment buys little of one line, the line is the gap.
_PRODUCT_SPEND_WORDS = frozenset({"mnt", "spend", "spent", *_PRODUCT_LINE_WORDS})
_TOTAL_SPEND_WORDS = {"total", "all", "overall", "lifetime", "annual", "monthly", "score"}


def names_product_spend(name: str) -> bool:
    """Whether a column is the spend on one product line ('MntWines', 'Grocery',
    'fish_spend'), not a total ('Total Spent', 'Spending Score')."""
    parts = words(name)
    return not any(part in _TOTAL_SPEND_WORDS for part in parts) and any(
        part in _PRODUCT_SPEND_WORDS or part.removesuffix("s") in _PRODUCT_SPEND_WORDS
        for part in parts
    )


# Counts of use, not of money: a SaaS 'Logins (30d)', an app's 'Sessions', a gym's 'Visits'.
_ENGAGEMENT_WORDS = frozenset(
    {
        "login",
        "logins",
        "session",
        "sessions",
        "visit",
        "visits",
        "usage",
        "checkins",
        "checkin",
        "opens",
        "clicks",
        "pageviews",
        "views",
        "streams",
        "plays",
        "bookings",
    }
)
# Words that make such a name a date, a duration or a spend rather than a count of use.
_NOT_ENGAGEMENT_WORDS = frozenset({"last", "first", "since", "date", "days", "ago", "spend"})


def names_engagement(name: str) -> bool:
    """Whether a column counts how much customers use the product or service ('Logins
    (30d)', 'Sessions per week', 'Visits'), not when they last did ('Last Visit')."""
    parts = set(words(name))
    return bool(parts & _ENGAGEMENT_WORDS) and not parts & _NOT_ENGAGEMENT_WORDS


def is_id_name(name: str) -> bool:
    """Whether a name ends in id/num/no/number/code/key/uuid ('CLIENTNUM', 'cust_no')."""
    parts = words(name)
    if not parts:
        return False
    last = parts[-1]
    if last in _ID_SUFFIXES:
        # "no", "number" and "code" alone are often answers or counts; not so "CustNo".
        return last not in ("no", "nr", "code", "num", "number") or len(parts) > 1
    # One run-together word: CLIENTNUM, custid, memberno.
    return any(
        last.endswith(suffix) and last[: -len(suffix)] in _ID_OWNERS for suffix in _ID_SUFFIXES
    )


# A column named as one order's number ('Transaction', 'Invoice', 'Bon', 'Receipt No'),
# never a count of them ('Orders', 'Total Transactions').
_ORDER_NOUNS = frozenset(
    {"order", "transaction", "invoice", "receipt", "basket", "ticket", "bon", "voucher"}
)


def names_an_order_number(name: str) -> bool:
    """Whether a name says its values number orders, receipts or tickets: the order noun
    alone or before an ID suffix ('Transaction', 'Invoice No', 'ticket_number')."""
    parts = words(name)
    while parts and parts[-1] in _ID_SUFFIXES:
        parts = parts[:-1]
    return len(parts) == 1 and parts[0] in _ORDER_NOUNS


_CODE_WORDS = {"code", "zip", "zipcode", "postal", "postcode", "postcodes", "plz", "cep", "phone"}


def is_code_name(name: str) -> bool:
    """Whether a name says its numbers are codes ('Postal Code', 'ZIP', 'Area code')."""
    return bool(_CODE_WORDS & set(words(name))) or name.strip().lower() in _CODE_WORDS


# Names of columns that say who a person is or how to reach them, not what they are like.
_PERSON_NAME_WORDS = {"first", "last", "given", "family", "full", "middle", "billing", "shipping"}
# Whose name: 'Customer Name', 'Guest Name', 'Member Name'.
_PERSON_WORDS = {
    "customer",
    "contact",
    "guest",
    "member",
    "client",
    "buyer",
    "patient",
    "passenger",
}
_CONTACT_WORDS = {"email", "mail", "phone", "mobile", "telephone", "tel", "fax", "street"}
# 'Accepts Email Marketing', 'Phone verified': a yes/no about the customer, not the contact.
_FLAG_NAME_WORDS = {"accepts", "accept", "opt", "optin", "consent", "marketing", "verified"}


def is_personal_data(name: str) -> bool:
    """Whether a column's name says it holds personal data: a person's name, an e-mail,
    a phone or a street address ('First Name', 'Address1'); not a city, region, country or
    postal code, which can describe a segment (a postal area is a category: see
    is_code_name)."""
    return is_person_name(name) or is_contact(name)


def is_person_name(name: str) -> bool:
    """Whether a column's name says it holds a person's name ('First Name', 'Surname')."""
    parts = words(name)
    if not parts or _FLAG_NAME_WORDS & set(parts):
        return False
    joined = "".join(parts)
    if joined in ("name", "names", "surname", "lastname", "firstname", "fullname", "customername"):
        return True
    if "name" in parts and (_PERSON_NAME_WORDS & set(parts) or parts[0] in _PERSON_WORDS):
        return True
    return "surname" in parts


def is_contact(name: str) -> bool:
    """Whether a column's name says it holds how to reach a person: an e-mail, a phone or
    a street address ('Address1', 'Address Line 2'; not 'Address City')."""
    parts = words(name)
    if not parts or _FLAG_NAME_WORDS & set(parts):
        return False
    if _CONTACT_WORDS & set(parts):
        return True
    places = {"city", "country", "province", "state", "region", "zip", "postal", "code"}
    return "address" in parts and not places & set(parts)


def is_shared_code(name: str, values: pd.Series) -> bool:
    """Whether numbers with an ID-like name repeat: the store, plan or branch customers share.

    Such a column ("Store ID", "Plan ID", "Branch No" with a dozen values) is neither an
    identifier nor a measure: a category to describe segments by.
    """
    if not is_id_name(name) or names_a_customer(name):
        return False
    present = values.dropna()
    return len(present) > 0 and present.nunique() < NAMED_ID_UNIQUE_SHARE * len(present)


# What customers share, as an ID-like name that repeats ("Store ID", "Plan No", "Agent
# Code"): a category. Any other repeating ID ("FFP Number", "household_id", "id") names
# whose rows these are: a customer's bookings or shopping trips.
_SHARED_WORDS = frozenset(
    {
        "store",
        "shop",
        "branch",
        "plan",
        "region",
        "area",
        "zone",
        "location",
        "site",
        "outlet",
        "warehouse",
        "depot",
        "product",
        "sku",
        "item",
        "article",
        "campaign",
        "promo",
        "promotion",
        "offer",
        "agent",
        "rep",
        "salesperson",
        "seller",
        "owner",
        "team",
        "department",
        "dept",
        "channel",
        "category",
        "segment",
        "tier",
        "group",
        "class",
        "type",
        "country",
        "state",
        "city",
        "zip",
        "postal",
        "postcode",
        "vendor",
        "supplier",
        "brand",
        "company",
        "employer",
        "org",
        "organisation",
        "organization",
        "route",
        "territory",
        "district",
        "market",
        "program",
        "programme",
        "course",
        "tariff",
        "package",
        "bundle",
        "device",
        "model",
        "source",
        "batch",
        "version",
        "language",
        "currency",
        "office",
        "franchise",
        "dealer",
        "partner",
        "broker",
        "advisor",
        "adviser",
        "vermittler",
        "filiale",
        "bank",
        "school",
        "practice",
        "clinic",
        "doctor",
        "manager",
        "staff",
        "employee",
        "cashier",
        "terminal",
        "register",
        "pos",
        "machine",
        "plant",
        "facility",
        "hotel",
        "property",
        "restaurant",
        "venue",
    }
)
# Rows that repeat an ID this many times on average are occasions of it, not customers.
MIN_ROWS_PER_OWNER = 1.15
# ...and it has at least this many values: fewer are groups, not people.
MIN_OWNERS = 20
# Words of columns that describe one stay, trip or booking, not a customer's history
# ("arrival_date", "lead_time", "reserved_room_type", "Departure Date", "Ticket Status").
_OCCASION_WORDS = frozenset(
    {
        "arrival",
        "arrive",
        "checkin",
        "checkout",
        "departure",
        "depart",
        "lead",
        "reserved",
        "reservation",
        "booking",
        "booked",
        "ticket",
        "flight",
        "pnr",
        "itinerary",
        "boarding",
    }
)
# ... unless the name sums up many of them ("Last Arrival", "Number of bookings").
_HISTORY_WORDS = frozenset(
    {
        "first",
        "last",
        "latest",
        "total",
        "num",
        "number",
        "count",
        "avg",
        "average",
        "mean",
        "previous",
        "prev",
        "lifetime",
        "sum",
        "bookings",
        "reservations",
        "tickets",
        "flights",
    }
)
MIN_OCCASION_COLUMNS = 2
_DATE_WORDS = frozenset({"date", "time", "day", "week", "month", "year", "quarter"})


def names_a_shared_thing(name: str) -> bool:
    """Whether an ID-like name says what customers share: a store, plan, branch, agent."""
    return bool(_SHARED_WORDS & set(words(name)))


def repeating_owner(name: str, values: pd.Series) -> tuple[int, int, int] | None:
    """Whether an ID-like column names whose occasions the rows are; None if not.

    Its values repeat (MIN_ROWS_PER_OWNER rows each on average, MIN_OWNERS values or
    more) and its name is not a thing customers share (names_a_shared_thing).

    Returns:
        The number of values, of rows, and the most rows of one value.
    """
    if not is_id_name(name) or names_a_shared_thing(name) or _DATE_WORDS & set(words(name)):
        return None
    present = values.dropna()
    if pd.api.types.is_bool_dtype(values) or (
        pd.api.types.is_float_dtype(values) and not bool((present % 1 == 0).all())
    ):
        return None  # fractions are measures ("arrival_date_num" 2016.5), not IDs
    distinct = int(present.nunique())
    if distinct < MIN_OWNERS or len(present) < MIN_ROWS_PER_OWNER * distinct:
        return None
    return distinct, len(present), int(present.value_counts().iloc[0])


def occasion_columns(names: Iterable[str]) -> list[str]:
    """Columns named like one stay, trip or booking ('arrival_date', 'lead_time')."""
    found = []
    for name in names:
        parts = set(words(name))
        occasion = parts & _OCCASION_WORDS
        if occasion == {"lead"} and "time" not in parts:
            continue  # "Lead Status", "Lead Source": a CRM lead, not a booking's lead time
        if occasion and not parts & _HISTORY_WORDS:
            found.append(name)
    return found


def find_identifiers(frame: pd.DataFrame, skip: Iterable[str] = ()) -> list[Identifier]:
    """Return the columns that identify rows, in table order, each with its reason."""
    skipped = set(skip)
    found = []
    for column in frame.columns:
        if column in skipped:
            continue
        identifier = _identifier(str(column), frame[column])
        if identifier is not None:
            found.append(identifier)
    return found


def choose_customer_id(identifiers: Sequence[Identifier]) -> Identifier | None:
    """Pick the customer ID among the identifiers that could be one.

    Ranked: a name that says whose ID it is (CustomerID, client_no, AccountNumber)
    first; then a name ending in id/uuid/guid; then no/number/code/key; unique before
    nearly unique; then table order. So a unique "Phone Number" never wins over
    "CustomerID". A column identified by its values alone comes after every ID-like name.
    """
    eligible = [
        (position, i)
        for position, i in enumerate(identifiers)
        if i.unique or (i.named and i.distinct_share >= CUSTOMER_ID_UNIQUE_SHARE)
    ]
    if not eligible:
        return None

    def rank(item: tuple[int, Identifier]) -> tuple[bool, bool, bool, bool, int]:
        position, identifier = item
        parts = words(identifier.column)
        return (
            not identifier.named,
            not names_a_customer(identifier.column),
            not (parts and parts[-1] in _STRONG_ID_WORDS),
            not identifier.unique,
            position,
        )

    return min(eligible, key=rank)[1]


def names_a_customer(name: str) -> bool:
    """Whether a name says whose ID it is: 'CustomerID', 'client_no', 'CLIENTNUM', 'custid'."""
    return any(
        word in _CUSTOMER_WORDS
        or any(
            word.startswith(owner) and word[len(owner) :] in _ID_SUFFIXES
            for owner in _CUSTOMER_WORDS
        )
        for word in words(name)
    )


def _identifier(column: str, values: pd.Series) -> Identifier | None:
    if pd.api.types.is_bool_dtype(values):
        return None
    named = is_id_name(column)
    if not named:
        # Repeats among the first rows already rule out a column that is 99% unique,
        # without hashing the millions of values of every measure.
        head = values.head(_HEAD_ROWS).dropna()
        if len(head) >= MIN_ID_ROWS and head.nunique() < ID_UNIQUE_SHARE * len(head):
            return None
    present = values.dropna()
    rows = len(present)
    if rows == 0:
        return None
    numeric = pd.api.types.is_numeric_dtype(values)
    if numeric and not bool((present % 1 == 0).all()):
        return None
    distinct = rows if increasing(present) else int(present.nunique())
    share = distinct / rows
    unique = distinct == rows
    measure_name = names_a_measure(column) and not named
    if numeric and unique and rows >= MIN_ID_ROWS and not measure_name:
        low, high = present.min(), present.max()
        if low in (0, 1) and high - low == rows - 1:
            return Identifier(
                column, f"row numbers ({int(low)} to {int(high)})", named, unique, share
            )
    if named and share >= NAMED_ID_UNIQUE_SHARE:
        what = (
            "a different value in every row"
            if unique
            else f"{distinct:,} distinct values in {rows:,} rows"
        )
        return Identifier(column, f"an ID-like name and {what}", named, unique, share)
    if named and names_a_customer(column):
        # Member numbers repeated on each purchase: still a name for someone, not a
        # measure, though the rows are not one per customer. A repeated Store ID or
        # Plan ID is not: it names what customers share, a category (see is_shared_code).
        return Identifier(
            column,
            f"an ID-like name; values repeat ({distinct:,} distinct in {rows:,} rows), so rows "
            "are not one per customer",
            named,
            unique,
            share,
        )
    if rows < MIN_ID_ROWS or share < ID_UNIQUE_SHARE:
        return None
    if numeric:
        if measure_name or not _one_length(present):
            return None
        return Identifier(
            column, f"whole numbers of one length, {share:.0%} distinct", named, unique, share
        )
    text = present.astype(str)
    if text.str.contains(r"\s", regex=True).mean() > 1 - ID_UNIQUE_SHARE:
        if unique and (is_person_name(column) or is_contact(column)):
            # With no ID, a name or an e-mail that differs in every row is what a CRM can
            # match segments.csv on; row numbers are not (agency churn's "Names").
            return Identifier(column, "a person's name, different in every row", named, True, 1.0)
        return None  # names and notes: free text, not codes
    return Identifier(column, f"codes with {share:.0%} distinct values", named, unique, share)


def increasing(values: pd.Series) -> bool:
    """Return whether numbers strictly increase (IDs of a sorted export): unique without hashing."""
    array = values.to_numpy()
    return array.dtype.kind in "iuf" and len(array) > 1 and bool((array[1:] > array[:-1]).all())


def _one_length(values: pd.Series) -> bool:
    """Whether whole numbers have the same number of digits (9-digit client numbers)."""
    digits = np.floor(np.log10(np.abs(values.to_numpy(dtype=float)) + 1)).astype(int)
    return bool((digits == np.bincount(digits).argmax()).mean() >= ID_UNIQUE_SHARE)


def date_part(column: str, values: pd.Series) -> str | None:
    """Name the part of a date a column holds ('a month'), or None.

    The name must be a date part's words, alone or after one qualifier ("Month",
    "Month Name", "signup_month", "Day of Week"), and every value must be in the part's
    range: whole numbers, or for months and weekdays their names or abbreviations, for
    quarters Q1-Q4. "Months" (a duration) and "NumWebVisitsMonth" (a count per month)
    are not date parts.
    """
    parts = words(column)
    if not parts or _NOT_DATE_PART_WORDS & set(parts) or names_a_measure(column):
        return None
    present = values.dropna()
    if present.empty:
        return None
    for part, names, (low, high) in _DATE_PARTS:
        if not any(parts == list(name) or parts[1:] == list(name) for name in names):
            continue
        if pd.api.types.is_bool_dtype(values):
            return None
        if pd.api.types.is_numeric_dtype(values):
            whole = bool((present % 1 == 0).all())
            return part if whole and bool(present.between(low, high).all()) else None
        text = present.astype(str).str.strip().str.lower()
        if part == "a month":
            known = {*_MONTH_NAMES, *(name[:3] for name in _MONTH_NAMES), "sept"}
        elif part == "a day of the week":
            known = {*_WEEKDAY_NAMES, *(name[:3] for name in _WEEKDAY_NAMES)}
        elif part == "a quarter":
            known = {f"q{quarter}" for quarter in range(1, 5)}
        else:
            known = set()
        numbers = pd.to_numeric(text, errors="coerce")
        in_range = text.isin(known) | (numbers.between(low, high) & (numbers % 1 == 0))
        return part if bool(in_range.all()) else None
    return None


def outcome_polarity(column: str) -> OutcomePolarity | None:
    """Return whether a name says 'outcome' (and whether more of it is bad), or None."""
    if column.strip().lower() == "y":
        return "good"  # the bank marketing tables' "y": subscribed
    parts = words(column)
    if _NOT_OUTCOME_WORDS & set(parts):
        return None  # "Target Group", "Response Time", "Churn Score": about an outcome
    for word in parts:
        for stem, polarity in _OUTCOME_STEMS:
            if word.startswith(stem) and _names_outcome(stem, word, parts):
                return polarity
    return None


def _names_outcome(stem: str, word: str, parts: list[str]) -> bool:
    """Whether ``word``, which starts with an outcome stem, makes ``parts`` an outcome.

    Generic words say so only as the whole name or before flag/value/yn ("Target",
    "label_flag", not "Private Label"); "respon..." only as response, responded or
    responder (not "Responsibility"); "left" alone or first ("Left", not "Days left").
    """
    if stem == "left":
        return parts[0] == "left" or parts[-2:] in (["has", "left"], ["customer", "left"])
    if stem == "respon":
        return word in _RESPONSE_WORDS
    if stem in _EVENT_STEMS:
        # "Cancelled", "is_cancelled", "Terminated": not "Cancelled Orders" or
        # "Cancellation Count", a count of them.
        return not (_NOT_EVENT_WORDS | _COUNTED_WORDS) & set(parts)
    if stem in _GENERIC_OUTCOME_STEMS:
        return word == stem and (
            len(parts) == 1 or (len(parts) == 2 and parts[0] == stem and parts[1] in _FLAG_WORDS)
        )
    return True


def outcome_of(
    column: str, values: pd.Series, polarity: OutcomePolarity | None = None
) -> Outcome | None:
    """Describe ``values`` as an outcome, or None when it is not two or a few values.

    Args:
        polarity: for a configured outcome whose name says nothing ("default").
    """
    polarity = polarity or outcome_polarity(column)
    if polarity is None:
        return None
    counts = _category_counts(values)
    if not 2 <= len(counts) <= MAX_OUTCOME_VALUES:
        return None
    positive = _positive_value(column, counts)
    if positive is None:
        return None
    label = _label(column, positive, list(counts.index))
    return Outcome(column=column, positive=positive, label=label, polarity=polarity)


def event_outcome(column: str, values: pd.Series) -> Outcome | None:
    """Describe a two-valued column as an outcome by weaker evidence, or None.

    Either its two values are an outcome themselves (good/bad, approved/declined,
    accepted/rejected), whatever the name; or they are yes/no (true/false, 1/0) and the
    name says an event happened to the customer (Purchase, default, claim, fraud,
    approved, cancelled, renewed) and is not a count, an amount or a date of it. Ordinary
    yes/no attributes (PhoneService, Partner, Dependents, HasCrCard) name no event.
    Used only when no column's name says outcome (outcome_of).
    """
    parts = words(column)
    if not parts or _NOT_OUTCOME_WORDS & set(parts):
        return None
    named = bool(set(parts) & _EVENT_WORDS.keys()) and not _NOT_EVENT_WORDS & set(parts)
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if numeric and not named:
        return None  # outcome pairs are words; a number needs an event name
    # Two values among the first rows first: most columns are ruled out without
    # counting (or writing as text) millions of values.
    if values.head(_HEAD_ROWS).nunique() > 2 or values.nunique() != 2:
        return None
    counts = _category_counts(values)
    names = [str(value) for value in counts.index]
    lowered = frozenset(name.lower() for name in names)
    for pair, event, polarity in _OUTCOME_VALUE_PAIRS:
        if lowered == pair:
            positive = next(name for name in names if name.lower() == event)
            return Outcome(column, positive, f"{column} = {positive}", polarity)
    if not named or not lowered <= _YES | _NO:
        return None
    for word in parts:
        if (happened := _EVENT_WORDS.get(word)) is not None:
            yes = [name for name in names if name.lower() in _YES]
            if len(yes) != 1:
                return None
            return Outcome(column, yes[0], _label(column, yes[0], names), happened)
    return None


def configured_outcome(column: str, values: pd.Series) -> Outcome:
    """An outcome the config names: its positive value guessed, else the rarer value."""
    detected = outcome_of(column, values, outcome_polarity(column) or "neutral")
    if detected is not None:
        return detected
    counts = _category_counts(values)
    positive = str(counts.sort_values(kind="stable").index[0]) if len(counts) else ""
    label = _label(column, positive, list(counts.index))
    return Outcome(column, positive, label, outcome_polarity(column) or "neutral")


def is_positive(values: pd.Series, outcome: Outcome) -> pd.Series:
    """1.0 where a row has the outcome's positive value, 0.0 where not, NaN where missing."""
    text = _as_text(values)
    return (text == outcome.positive).astype(float).where(values.notna())


def same_outcome(
    frame: pd.DataFrame, first: Outcome, second: Outcome
) -> Literal["same", "reverse"] | None:
    """Whether two outcomes mark the same customers on every row ("same": Churn 0/1 and
    its text twin "Churn label" Yes/No), exactly the others ("reverse": Churned and
    Stayed), or neither. Rows missing one must miss the other."""
    a = is_positive(frame[first.column], first)
    b = is_positive(frame[second.column], second)
    if not a.isna().equals(b.isna()) or a.notna().sum() == 0:
        return None
    a, b = a.dropna(), b.dropna()
    if (a == b).all():
        return "same"
    if (a == 1 - b).all():
        return "reverse"
    return None


def _category_counts(values: pd.Series) -> pd.Series:
    return _as_text(values.dropna()).value_counts()


def _as_text(values: pd.Series) -> pd.Series:
    present = values.dropna()
    if pd.api.types.is_float_dtype(values) and bool((present % 1 == 0).all()):
        return values.astype("Int64").astype(str)
    return values.astype(str).str.strip()


def _positive_value(column: str, counts: pd.Series) -> str | None:
    names = [str(value) for value in counts.index]
    yes = [name for name in names if name.lower() in _YES]
    if len(yes) == 1 and all(name.lower() in _YES | _NO for name in names):
        return yes[0]
    stems = [stem for word in words(column) for stem, _ in _OUTCOME_STEMS if word.startswith(stem)]
    # A value with a word that starts with the stem: "satisfied", not "neutral or
    # dissatisfied"; "Attrited Customer".
    by_stem = [name for name in names if any(word.startswith(tuple(stems)) for word in words(name))]
    if len(by_stem) == 1:
        return by_stem[0]
    if len(names) == 2:
        # Neither says which: the rarer value is the event (churners are the minority).
        return str(counts.sort_values(kind="stable").index[0])
    return None


def _label(column: str, positive: str, values: Sequence[str]) -> str:
    """Name the outcome: 'Churn' for Churn = Yes; 'Attrited' for 'Attrited Customer'."""
    if positive.lower() in _YES:
        name = " ".join(words(column)) or column
        return name[0].upper() + name[1:] if len(name) > 2 else f"{column} = {positive}"
    # Words every value shares ("Customer" in "Existing/Attrited Customer") say nothing.
    shared = set.intersection(*(set(str(value).lower().split()) for value in values))
    kept = [word for word in positive.split() if word.lower() not in shared] or [positive]
    label = " ".join(kept)
    label = label.capitalize() if label.isupper() else label
    return label[0].upper() + label[1:] if label else column


def model_output_by_name(column: str, values: pd.Series | None = None) -> bool:
    """Whether a name says a model made the column (see model_output)."""
    return model_output(column, values) is not None


def model_output(column: str, values: pd.Series | None = None) -> str | None:
    """Say why a column is a model's output, by its name, or None.

    A name with classifier, prediction, proba, propensity...; a score, decile or
    percentile named by nothing else or by what it predicts ("score_v3", "decile",
    "Storno-Score", "churn_score"; not "Spending Score (1-100)" or "Credit Score"); an
    earlier segmentation's label: any "cluster", or a "segment" whose values are numbers
    ("Cluster_2023", "Segment" 1-5; not "Segment" Consumer/Corporate).
    """
    parts = words(column)
    if _CLUSTER_WORDS & set(parts):
        return "named like an earlier segmentation's cluster label"
    if _MODEL_WORDS & set(parts):
        return "named like a model's output (classifier, prediction, probability, propensity)"
    if _RANK_WORDS & set(parts):
        others = [
            part
            for part in parts
            if part not in _RANK_WORDS and part not in ("v", "version") and not part.isdigit()
        ]
        if all(part in _PREDICTED_WORDS for part in others):
            what = "by what it predicts" if others else "by nothing else"
            return (
                f"named like a model's score or rank (a score, decile or percentile named {what})"
            )
    if (
        _SEGMENT_WORDS & set(parts)
        and values is not None
        and pd.api.types.is_numeric_dtype(values)
        and not pd.api.types.is_bool_dtype(values)
    ):
        return "a numbered segment: an earlier segmentation's label"
    return None


def probability_pairs(frame: pd.DataFrame, columns: Sequence[str]) -> dict[str, str]:
    """Return columns that, with another, sum to 1 on every row, each mapped to its pair.

    Only columns of fractions between 0 and 1 are compared: two 0/1 columns that sum to
    1 are one-hot categories (male / female), not a model's two probabilities.
    """
    fractions = []
    for column in columns:
        values = frame[column]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        if not values.head(_HEAD_ROWS).dropna().between(0, 1).all():
            continue  # most measures: ruled out by their first rows
        present = values.dropna()
        if len(present) and present.between(0, 1).all() and not (present % 1 == 0).all():
            fractions.append(column)
    fractions = fractions[:MAX_PROBABILITY_COLUMNS]
    pairs: dict[str, str] = {}
    for first, second in itertools.combinations(fractions, 2):
        total = frame[first].to_numpy(dtype=float) + frame[second].to_numpy(dtype=float)
        present = ~np.isnan(total)
        if present.any() and np.allclose(total[present], 1.0, atol=1e-4):
            pairs.setdefault(first, second)
            pairs.setdefault(second, first)
    return pairs


def sample_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """A seeded sample of at most SAMPLE_ROWS rows, for correlations."""
    if len(frame) <= SAMPLE_ROWS:
        return frame
    # Positions first, then only those rows: no shuffle or copy of millions of rows.
    rng = np.random.default_rng(SAMPLE_SEED)
    return frame.take(np.sort(rng.choice(len(frame), SAMPLE_ROWS, replace=False)))


def leaks(
    frame: pd.DataFrame, columns: Sequence[str], outcomes: Sequence[Outcome]
) -> dict[str, str]:
    """Return measures that predict an outcome almost perfectly, with the reason."""
    found: dict[str, str] = {}
    if not outcomes or not columns or len(frame) < MIN_CORRELATION_ROWS:
        return found
    sample = sample_rows(frame)
    for outcome in outcomes:
        target = is_positive(sample[outcome.column], outcome)
        for column in columns:
            if column in found:
                continue
            r = _correlation(sample[column], target)
            if r is not None and abs(r) >= LEAK_CORRELATION:
                found[column] = (
                    f"left out: predicts the outcome {outcome.column} almost perfectly "
                    f"(correlation {r:+.2f}), so it is a leftover of the outcome or a model, "
                    "not a behaviour"
                )
                continue
            auc = separation(sample[column], target)
            if auc is not None and auc >= leak_threshold(column):
                how = "almost perfectly" if auc >= LEAK_AUC else "strongly"
                found[column] = (
                    f"left out: on its own it tells apart customers with {outcome.label} "
                    f"from the others {how} (AUC {auc:.2f}, where 0.5 is chance and 1 "
                    "tells them apart completely)"
                    + (
                        ", and its name says it is recorded with or after the outcome"
                        if auc < LEAK_AUC
                        else ", so it is likely known only after the outcome, or made from it"
                    )
                    + "; segments on it would restate the outcome"
                )
    return found


def leak_threshold(column: str) -> float:
    """The AUC from which a measure counts as a leak of an outcome (see LEAK_AUC)."""
    parts = set(words(column))
    if parts & _TENURE_WORDS or (parts & _TIME_WORDS and parts & _MEMBERSHIP_WORDS):
        return LEAK_TENURE_AUC
    if parts & _POST_OUTCOME_WORDS:
        return LEAK_HINTED_AUC
    return LEAK_AUC


def separation(values: pd.Series, target: pd.Series) -> float | None:
    """How well a measure alone tells a 1 from a 0 of ``target``: the AUC, 0.5 to 1.

    The chance that a random customer with the outcome ranks above (or, for a measure
    that falls with it, below) one without; ties count half. None with fewer than
    MIN_LEAK_CLASS customers on either side: too few to tell a leak from chance.
    """
    both = pd.concat([values.astype(float), target.astype(float)], axis=1).dropna()
    positives = int(both.iloc[:, 1].sum())
    negatives = len(both) - positives
    if min(positives, negatives) < MIN_LEAK_CLASS:
        return None
    for _, side in both.groupby(both.columns[1]):
        if side.iloc[:, 0].value_counts(normalize=True).iloc[0] >= LEAK_ONE_VALUE:
            return None
    ranks = both.iloc[:, 0].rank().to_numpy()
    hits = both.iloc[:, 1].to_numpy() == 1
    auc = (ranks[hits].sum() - positives * (positives + 1) / 2) / (positives * negatives)
    return float(max(auc, 1 - auc))


def redundant(frame: pd.DataFrame, columns: Sequence[str]) -> dict[str, str]:
    """Return candidate features that repeat a kept one, with the reason naming the twin.

    Features are kept in table order; a later one whose rank correlation with a kept
    one is at least REDUNDANT_CORRELATION is left out. Then a kept measure that is the
    sum of two other kept ones (purchases = one-off + instalment purchases) or about
    their product (total = months x monthly charge) is left out too, as long as two
    measures remain.
    """
    if len(frame) < MIN_CORRELATION_ROWS:
        return {}
    sample = sample_rows(frame[list(columns)]).astype(float)
    sample = sample.fillna(sample.median())
    ranks = sample.rank().to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        matrix = np.corrcoef(ranks, rowvar=False) if len(columns) > 1 else np.ones((1, 1))
    matrix = np.atleast_2d(matrix)
    found: dict[str, str] = {}
    kept: list[int] = []
    for index, column in enumerate(columns):
        twins = [(abs(matrix[index, k]), k) for k in kept if np.isfinite(matrix[index, k])]
        best = max(twins, default=(0.0, -1))
        if best[0] >= REDUNDANT_CORRELATION:
            twin = columns[best[1]]
            found[column] = (
                f"not a feature: measures much the same as {twin} (rank correlation "
                f"{matrix[index, best[1]]:+.2f}), which is kept; described in each segment"
            )
        else:
            kept.append(index)
    kept_columns = [columns[k] for k in kept][:MAX_PRODUCT_FEATURES]
    found.update(_derived(sample, kept_columns))
    return found


def _derived(sample: pd.DataFrame, columns: Sequence[str]) -> dict[str, str]:
    """Kept measures that are the sum or about the product of two other kept ones."""
    if len(columns) < 3:
        return {}
    raw = sample[list(columns)].to_numpy(dtype=float)
    positive = (raw > 0).all(axis=1)
    logs = np.log(raw[positive]) if positive.sum() >= MIN_CORRELATION_ROWS else None
    found: dict[str, str] = {}
    for index, column in enumerate(columns):
        if len(columns) - len(found) <= 2:
            break
        others = [k for k, other in enumerate(columns) if k != index and other not in found]
        best: tuple[float, str] | None = None
        for first, second in itertools.combinations(others, 2):
            a, b = columns[first], columns[second]
            r = _r(raw[:, index], raw[:, first] + raw[:, second])
            if r >= SUM_CORRELATION and (best is None or r > best[0]):
                best = (r, f"the sum of {a} and {b} (correlation {r:.3f})")
                continue
            if logs is None:
                continue
            r = _r(logs[:, index], logs[:, first] + logs[:, second])
            if r >= PRODUCT_CORRELATION and (best is None or r > best[0]):
                best = (r, f"about {a} × {b} (correlation of their logarithms {r:.2f})")
        if best is not None:
            found[column] = f"not a feature: {best[1]}, which are kept; described in each segment"
    return found


def _r(first: np.ndarray, second: np.ndarray) -> float:
    """The correlation of two complete arrays; 0 when either is constant."""
    if first.std() == 0 or second.std() == 0:
        return 0.0
    return float(np.corrcoef(first, second)[0, 1])


def _correlation(first: pd.Series, second: pd.Series) -> float | None:
    both = pd.concat([first.astype(float), second.astype(float)], axis=1).dropna()
    if len(both) < 3:
        return None
    a, b = both.iloc[:, 0].to_numpy(), both.iloc[:, 1].to_numpy()
    if a.std() == 0 or b.std() == 0:
        return None
    return float(np.corrcoef(a, b)[0, 1])
