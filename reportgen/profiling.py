"""Stage 7: describe each segment in plain language and recommend what to do with it.

A feature's level in a segment comes from how far the segment's centre lies from the
population mean, in population standard deviations (z), measured as K-Means saw the
feature (after log1p for skewed amounts, so that "low spend" means what the
segmentation found rather than being drowned by a few big spenders):
z <= -1.5 very low, <= -0.5 low, < 0.5 average, < 1.5 high, otherwise very high.
A segment's name lists its features' levels, most distinctive first (all of them when
there are at most three features, otherwise the three that differ most from
average). Names that would repeat are made unique by adding features, then by a
letter.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from reportgen import roles
from reportgen.cleaning import abbreviate
from reportgen.config import segment_color
from reportgen.contract import (
    CategoryMix,
    CategoryShare,
    CleanTable,
    DemographicProfile,
    FeatureLevel,
    FeatureMatrix,
    Level,
    Population,
    Recommendation,
    Segmentation,
    SegmentProfile,
)
from reportgen.errors import SettingsError
from reportgen.formatting import format_number
from reportgen.schema import Choice, ListOf, MapOf, Number, Record, SchemaError, Text, check

NAMED_FEATURES = 3
# A segment high (or low) on at least ACROSS_SHARE of at least ACROSS_MIN measures, and
# the other way on at most ACROSS_OPPOSITE of them, is named by that overall level ("High
# on 4 of 6 measures: milk, grocery"): naming two of five high spends would hide that it
# is the big buyers. With fewer measures, the usual name already names them all; and
# when the most distinctive measure goes the other way, the usual name says so.
ACROSS_SHARE = 0.6
ACROSS_OPPOSITE = 0.2
ACROSS_MIN = 5
# A segment's name fits in a table cell and a chart label: at most this long, leaving
# room for " (A)" or " (new)", which tell repeated names apart (60 characters in all).
MAX_NAME = 54
# A demographic is worth mentioning in the one-line description past these differences.
NOTABLE_Z = 0.35
NOTABLE_SHARE_GAP = 0.10
# A measure one standard deviation from average stands out as much as a category held
# by 25 points more of the segment than of all customers.
NUMERIC_DISTINCTNESS = 0.25
# A segment is "mostly X" in its name when at least this share of it is in category X,
# and that share is this much above X's share among all customers.
DOMINANT_SHARE = 0.6
DOMINANT_GAP = 0.2
_ANSWERS = {"yes", "no", "y", "n", "true", "false", "unknown"}
_FLAG_PAIRS = (("1", "0"), ("1.0", "0.0"), ("yes", "no"), ("y", "n"), ("true", "false"))
SHOWN_CATEGORIES = 5
_LEVELS: tuple[tuple[float, Level], ...] = (
    (-1.5, "very low"),
    (-0.5, "low"),
    (0.5, "average"),
    (1.5, "high"),
)
_RULE_TEXTS = ("action", "campaign", "retention", "products")
# A segment's plain average this many times everyone's (or less than 1/this) is at least
# "high" ("low"), whatever its model-space distance.
PLAIN_RATIO = 2.0
# "low" and "high" in a rule's `when` also match "very low" and "very high"; the "very"
# levels match only themselves (the top of two high segments gets its own advice).
RULE_LEVELS = ("very low", "low", "average", "high", "very high")


# The rules file's declared shape (see reportgen.schema).
RULES_SCHEMA = Record(
    required={},
    optional={
        "rule": ListOf(
            Record(
                required={
                    "name": Text(non_empty=True),
                    **{key: Text() for key in _RULE_TEXTS},
                },
                optional={
                    "when": MapOf(Choice(RULE_LEVELS)),
                    # The segment's average must also be below / above these values.
                    "below": MapOf(Number()),
                    "above": MapOf(Number()),
                },
            ),
            min_items=1,
        )
    },
)


@dataclass(frozen=True)
class Rule:
    """One entry of the recommendations file."""

    name: str
    when: Mapping[str, str]
    texts: Mapping[str, str]
    # Plain bounds on the segment's averages: "younger" is relative to the customers, but
    # advice written for the young needs them to be young ({"age": 35}).
    below: Mapping[str, float] = field(default_factory=dict)
    above: Mapping[str, float] = field(default_factory=dict)


def load_rules(path: Path) -> tuple[Rule, ...]:
    """Read and check the recommendation rules file (see recommendations.toml).

    Raises:
        SettingsError: the file is missing, malformed, or has no catch-all last rule.
    """
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise SettingsError(f"Cannot read the recommendation rules {path}: {error}.") from None
    try:
        check(document, RULES_SCHEMA)
    except SchemaError as error:
        raise SettingsError(
            f"The recommendation rules {path}: {error}. Each rule is a [[rule]] table with "
            "name, when (a table of feature = 'very low', 'low', 'average', 'high' or "
            "'very high'), action, campaign, retention and products."
        ) from None
    entries = document.get("rule", [])
    rules = []
    for number, entry in enumerate(entries, start=1):
        missing = [key for key in ("name", *_RULE_TEXTS) if not isinstance(entry.get(key), str)]
        when = entry.get("when", {})
        if missing:
            raise SettingsError(f"Rule {number} in {path} needs text for: {', '.join(missing)}.")
        if not isinstance(when, dict) or not all(value in RULE_LEVELS for value in when.values()):
            raise SettingsError(
                f"Rule {number} ({entry['name']}) in {path}: 'when' must map features to "
                "'very low', 'low', 'average', 'high' or 'very high'."
            )
        rules.append(
            Rule(
                entry["name"],
                when,
                {key: entry[key] for key in _RULE_TEXTS},
                below=dict(entry.get("below", {})),
                above=dict(entry.get("above", {})),
            )
        )
    if not rules or rules[-1].when:
        raise SettingsError(
            f"The last rule in {path} must have an empty 'when' so that every segment gets "
            "a recommendation."
        )
    return tuple(rules)


def profile_segments(
    clean: CleanTable,
    features: FeatureMatrix,
    segmentation: Segmentation,
    rules: Sequence[Rule],
    known_names: Mapping[int, str] | None = None,
) -> tuple[SegmentProfile, ...]:
    """Build every segment's profile: size, levels, name, demographics and advice.

    Args:
        known_names: names of segments tracked from an earlier run, by number; they
            keep their name. Other segments are named afresh, and marked "(new)" when
            the fresh name was already used last month.
    """
    total = len(segmentation.labels)
    population_mean = features.values.mean(axis=0)
    measures = len(features.columns)
    flags = {column for column in features.columns if is_flag(clean.frame[column])}
    feature_levels = [
        tuple(
            FeatureLevel(
                column=column,
                short_name=clean.short_names[column],
                segment_mean=float(mean),
                population_mean=float(pop_mean),
                z=_agreed_z(z, mean, pop_mean),
                level=level_of(_agreed_z(z, mean, pop_mean)),
                display=features.display(index),
                capped=column in clean.uncapped,
                flag=column in flags,
            )
            for index, (column, mean, pop_mean, z) in enumerate(
                zip(features.columns, centroid, population_mean, centre[:measures], strict=True)
            )
        )
        for centroid, centre in zip(
            segmentation.centroids, segmentation.centroids_scaled, strict=True
        )
    ]
    # Categorical features are described like the profiled columns, by their shares.
    described = (*(encoding.column for encoding in features.categorical), *clean.profile_columns)
    # One pass per column over all customers, not one copy of the table per segment.
    by_column = [
        _profile_column(
            clean.frame[column],
            segmentation.labels,
            segmentation.k,
            clean.short_names[column],
            clean.is_measure(column),
            clean.display(column),
        )
        for column in described
    ]
    categorical_parts = [
        [
            _dominant_category(column_profiles[index])
            for column_profiles in by_column[: len(features.categorical)]
        ]
        for index in range(segmentation.k)
    ]
    fresh_names = unique_names(
        feature_levels, [", ".join(filter(None, parts)) for parts in categorical_parts]
    )
    known = known_names or {}
    taken = set(known.values())
    names = [
        known.get(number) or (name if name not in taken else f"{name} (new)")
        for number, name in zip(segmentation.numbers, fresh_names, strict=True)
    ]
    profiles = []
    for index, (levels, name) in enumerate(zip(feature_levels, names, strict=True)):
        described_here = [column_profiles[index] for column_profiles in by_column]
        categories = tuple(described_here[: len(features.categorical)])
        demographics = tuple(described_here[len(features.categorical) :])
        profiles.append(
            SegmentProfile(
                number=segmentation.numbers[index],
                name=name,
                description=_description(levels, (*categories, *demographics)),
                size=segmentation.sizes[index],
                share=segmentation.sizes[index] / total,
                color=segment_color(segmentation.numbers[index]),
                features=levels,
                categories=categories,
                demographics=demographics,
                recommendation=recommend(levels, rules),
            )
        )
    return tuple(profiles)


def category_mixes(
    clean: CleanTable, features: FeatureMatrix, segmentation: Segmentation
) -> tuple[CategoryMix, ...]:
    """For each categorical feature, the share of each of its categories in every segment.

    Customers are counted in the category the model encodes them in (rare ones in the
    encoding's Other); a value the model does not know (possible with --previous) is
    counted as CategoryMix.UNKNOWN_CATEGORY.
    """
    mixes = []
    for encoding in features.categorical:
        encoded = encoding.encode(clean.frame[encoding.column])
        names = np.array([*encoding.categories, CategoryMix.UNKNOWN_CATEGORY])
        picked = encoded.argmax(axis=1)
        picked[encoded.max(axis=1) == 0] = len(encoding.categories)
        shown = pd.Series(names[picked])
        by_segment = pd.crosstab(segmentation.labels, shown, normalize="index")
        overall = shown.value_counts(normalize=True).to_frame().T
        shares = pd.concat([overall, by_segment]).fillna(0.0)
        shares = shares[[c for c in names if c in shares.columns]]
        mixes.append(
            CategoryMix(
                column=encoding.column,
                display_name=clean.display(encoding.column),
                short_name=clean.short_names.get(encoding.column, encoding.column),
                categories=tuple(str(c) for c in shares.columns),
                shares=shares.to_numpy(dtype=float),
            )
        )
    return tuple(mixes)


def level_of(z: float) -> Level:
    """Name the level of a standardized difference from the population mean."""
    for upper, level in _LEVELS:
        if z <= upper if upper < 0 else z < upper:
            return level
    return "very high"


def unique_names(
    segments: Sequence[Sequence[FeatureLevel]], categories: Sequence[str] = ()
) -> list[str]:
    """Name each segment from its feature levels, making repeated names unique.

    Names use three levels (low, average, high) and list features in their given
    order, followed by the segment's entry in ``categories`` (its dominant categories,
    such as "mostly Retail"), if any. Where two names repeat, they first gain "very",
    then more features, and finally a letter.
    """
    ranked = [sorted(levels, key=lambda level: -abs(level.z)) for levels in segments]
    shown = [_named_count(levels) for levels in ranked]
    precise = [False] * len(segments)

    def name(index: int) -> str:
        across = _across_name(ranked[index], shown[index])
        if across:
            return across
        chosen = ranked[index][: shown[index]]
        in_order = [level for level in segments[index] if level in chosen]
        return _name(in_order, precise[index], categories[index] if categories else "")

    names = [name(index) for index in range(len(segments))]
    while repeated := {text for text, count in Counter(names).items() if count > 1}:
        changed = False
        for index, text in enumerate(names):
            if text not in repeated:
                continue
            if not precise[index]:
                precise[index] = changed = True
            elif shown[index] < len(ranked[index]):
                shown[index] += 1
                changed = True
            names[index] = name(index)
        if not changed:
            break
    counts = Counter(names)
    seen: Counter[str] = Counter()
    for index, text in enumerate(names):
        if counts[text] > 1:
            seen[text] += 1
            names[index] = f"{text} ({chr(ord('A') + seen[text] - 1)})"
    return names


def _across_name(ranked: Sequence[FeatureLevel], shown: int) -> str:
    """'High on 4 of 6 measures: milk, grocery, fresh, frozen' for a segment on one side of
    average on most measures and on few the other way (ACROSS_SHARE, ACROSS_OPPOSITE); ""
    otherwise.

    ``ranked`` is most distinctive first. All those measures are named when they fit in
    MAX_NAME; else "High on 10 of 15 measures, led by wines spend": up to ``shown`` of
    them, as many as fit.
    """
    coarse = [_coarse(level.level) for level in ranked]
    highs, lows = coarse.count("high"), coarse.count("low")
    count, opposite = max(highs, lows), min(highs, lows)
    total = len(ranked)
    if total < ACROSS_MIN or count < ACROSS_SHARE * total or opposite > ACROSS_OPPOSITE * total:
        return ""
    direction = "high" if highs > lows else "low"
    if coarse[0] != direction:  # the most distinctive measure goes the other way: name it
        return ""
    head = f"{direction.capitalize()} on {count} of {len(ranked)} measures"
    named = [level.short_name for level in ranked if _coarse(level.level) == direction]
    if len(f"{head}: {', '.join(named)}") <= MAX_NAME:
        return f"{head}: {', '.join(named)}"
    # Not all fit: the list after a colon would read as all of them (a miscount).
    named = named[: max(shown, 1)]
    while named and len(f"{head}, led by {', '.join(named)}") > MAX_NAME:
        named.pop()
    return f"{head}, led by {', '.join(named)}" if named else head


# Which way a measure says a customer is worth more to the business, for a segment's
# "overall" level: more is better for what customers spend, buy, use and how long they
# stay; less for how long they have been gone and what they complain about or cancel.
# Anything else (age, a price on the shelf, a customer-type code, a 0/1 flag) says
# nothing about worth: averaging every feature as "more is better" called segments with
# many past cancellations, a high customer-type code or a high brand price "valuable"
# and a low code "stop mailing" (review 7: hotel bookings, Caravan, yogurt panel).
_BETTER_WORDS = frozenset(
    {
        "spend", "spending", "spent", "mnt", "amount", "amt", "revenue", "sales", "monetary",
        "ltv", "clv", "value", "income", "salary", "balance", "deposit", "deposits",
        "turnover", "profit", "margin", "payments", "charges", "bill", "purchases",
        "purchase", "orders", "transactions", "trans", "frequency", "tenure", "seniority",
        "loyalty", "points", "rating", "premium", "premiums", "stays", "nights", "trips",
        "flights", "rentals", "miles", "mrr", "arr", "acv", "arpu", "seats", "licenses",
        "licences",
    }
)  # fmt: skip
_WORSE_WORDS = frozenset(
    {
        "recency", "inactive", "inactivity", "complaint", "complaints", "complain",
        "cancellation", "cancellations", "cancelled", "canceled", "returns", "returned",
        "debt", "overdue", "arrears", "delinquency", "delinquencies", "defaults", "claims",
    }
)  # fmt: skip
# Contacts with customer service are trouble, not engagement: 'number_customer_service_calls'.
_SERVICE_WORDS = frozenset({"service", "support", "helpdesk"})


# Cleaning replaces a date column by "<column> (days)": the days from it to the latest
# date. Since a purchase, order or visit, that is recency (fewer is better) whatever
# other words the name has: 'order_purchase_timestamp (days)' once counted as
# "purchase", more is better, and the oldest buyers were "Treat as valuable".
_DAYS_SUFFIX = " (days)"
_EVENT_DATE_WORDS = frozenset(
    {
        "purchase", "purchased", "purchases", "order", "ordered", "orders", "visit",
        "visited", "visits", "transaction", "transactions", "trans", "invoice", "invoiced",
        "booking", "booked", "login", "logon", "activity", "active", "seen", "bought", "buy",
        "payment", "paid", "last", "latest", "recent", "recency", "sale", "sales",
    }
)  # fmt: skip


def _days_since_direction(level: FeatureLevel) -> int:
    """The worth direction of days since a date: tenure for a sign-up or first purchase
    (cleaning names it so), recency for a purchase, order or visit, else nothing."""
    if level.short_name == "tenure":
        return 1
    source = level.column[: -len(_DAYS_SUFFIX)]
    parts = set(roles.words(source)) | set(level.short_name.split())
    return -1 if parts & _EVENT_DATE_WORDS else 0


def worth_direction(level: FeatureLevel) -> int:
    """+1 when more of the measure makes a customer worth more to the business (spend,
    orders, visits, tenure), -1 when less does (days since the last purchase,
    complaints), 0 when it says nothing either way (age, a price, a code)."""
    if level.column.endswith(_DAYS_SUFFIX):
        return _days_since_direction(level)
    parts = set(roles.words(level.column)) | set(level.short_name.split())
    if parts & _WORSE_WORDS or parts & _SERVICE_WORDS:
        return -1
    if (
        parts & _BETTER_WORDS
        or roles.names_product_spend(level.column)
        or roles.names_engagement(level.column)
    ):
        return 1
    return 0


def overall_level(levels: Sequence[FeatureLevel]) -> Level | None:
    """How much the segment is worth to the business on the measures that say so
    (worth_direction), their z-scores averaged the right way round; None when no
    segmenting measure counts what customers are worth (spend, orders, tenure...):
    complaints or cancellations alone call for service, not for "stop mailing"."""
    directed = [(worth_direction(level), level.z) for level in levels]
    if not any(sign > 0 for sign, _ in directed):
        return None
    return level_of(float(np.mean([sign * z for sign, z in directed if sign])))


def recommend(levels: Sequence[FeatureLevel], rules: Sequence[Rule]) -> Recommendation:
    """Return the first rule's advice whose conditions the segment's levels meet."""
    known = _words_of(levels)
    known |= {level.short_name: level.level for level in levels}
    known |= {level.column: level.level for level in levels}
    if (overall := overall_level(levels)) is not None:
        known["overall"] = overall
    strongest = max(levels, key=lambda level: abs(level.z))
    known["strongest"] = strongest.level
    if roles.names_product_spend(strongest.column):
        known["strongest_product_spend"] = known["strongest"]
    if roles.names_engagement(strongest.column):
        known["strongest_engagement"] = known["strongest"]
    means = _means_of(levels)

    def meets(feature: str, wanted: str) -> bool:
        level = known.get(feature)
        return level == wanted or (level is not None and _coarse(level) == wanted)

    rule = next(
        rule
        for rule in rules
        if all(meets(feature, wanted) for feature, wanted in rule.when.items())
        and all(
            feature in means and means[feature] < bound for feature, bound in rule.below.items()
        )
        and all(
            feature in means and means[feature] > bound for feature, bound in rule.above.items()
        )
    )
    # The product line of a spend column: "wines" of "wines spend".
    product = " ".join(
        word for word in strongest.short_name.split() if word not in ("spend", "spent")
    )

    def filled(text: str) -> str:
        return text.replace("{strongest}", strongest.short_name).replace("{product}", product)

    texts = {key: filled(text) for key, text in rule.texts.items()}
    return Recommendation(
        rule=filled(rule.name),
        action=texts["action"],
        campaign=texts["campaign"],
        retention=texts["retention"],
        products=texts["products"],
    )


def _means_of(levels: Sequence[FeatureLevel]) -> dict[str, float]:
    """The segment's average of each feature, by the same names rules use for levels."""
    owners: dict[str, set[str]] = {}
    for level in levels:
        for word in level.short_name.split():
            owners.setdefault(word, set()).add(level.column)
    by_column = {level.column: level.segment_mean for level in levels}
    words = {word: by_column[next(iter(c))] for word, c in owners.items() if len(c) == 1}
    return {**words, **{level.short_name: level.segment_mean for level in levels}, **by_column}


def _words_of(levels: Sequence[FeatureLevel]) -> dict[str, str]:
    """Each word of the features' short names -> its feature's level, where unambiguous.

    A rule about "income" then applies to "annual income" and one about "spending"
    to "spending score"; a word in two features' names applies to neither.
    """
    owners: dict[str, set[str]] = {}
    for level in levels:
        for word in level.short_name.split():
            owners.setdefault(word, set()).add(level.column)
    by_column = {level.column: level.level for level in levels}
    return {
        word: by_column[next(iter(columns))]
        for word, columns in owners.items()
        if len(columns) == 1
    }


def _agreed_z(z: float, mean: float, pop_mean: float) -> float:
    """The model-space z, agreed with the plain averages the card shows beside it.

    On a log scale a segment of mostly small spenders with a few big ones is "low"
    while its plain average is above everyone's; calling it either would contradict
    one of the two numbers the card shows, so it is "average". Otherwise a plain average
    half of everyone's or less (twice or more) is at least "low" ("high"), however little
    it moves on the log scale: "Average x" beside "x 0.3 vs 1.0" reads as a mistake.
    """
    if z * (mean - pop_mean) < 0:
        return 0.0
    if pop_mean > 0 and mean >= 0:
        if mean <= pop_mean / PLAIN_RATIO:
            return min(float(z), _LEVELS[1][0])
        if mean >= pop_mean * PLAIN_RATIO:
            return max(float(z), _LEVELS[2][0])
    return float(z)


def _named_count(ranked: Sequence[FeatureLevel]) -> int:
    if len(ranked) <= NAMED_FEATURES:
        return len(ranked)
    return sum(level.level != "average" for level in ranked[:NAMED_FEATURES])


def _name(levels: Sequence[FeatureLevel], precise: bool, categories: str = "") -> str:
    """Join the levels' phrases (and the categories) in order, within MAX_NAME characters.

    A name too long loses its least distinctive level first (the smallest |z|), never
    the one that tells two similar segments apart; the categories go only when one
    level is left.
    """
    kept = list(levels)

    def parts() -> list[str]:
        phrases = [
            _level_phrase(level.level if precise else _coarse(level.level), level.short_name)
            for level in kept
        ]
        return [*phrases, categories] if categories else phrases

    while len(kept) > 1 and len(", ".join(parts())) > MAX_NAME:
        kept.remove(min(kept, key=lambda level: abs(level.z)))
    joined = parts()
    while len(joined) > 1 and len(", ".join(joined)) > MAX_NAME:
        joined = joined[:-1]
    text = abbreviate(", ".join(joined), MAX_NAME) or "Average on every measure"
    return text[0].upper() + text[1:]


def _level_phrase(level: str, short: str) -> str:
    """'high income'; for age, the words people use: 'younger', 'much older'; for recency
    (days since the last purchase or visit), what its days mean: 'recently active',
    'long inactive' ('high recency' reads as recent to anyone who knows RFM scores)."""
    if level == "average" or short not in ("age", "recency"):
        return f"{level} {short}"
    low = level.endswith("low")
    if short == "recency":
        word = "recently active" if low else "long inactive"
        return f"very {word}" if level.startswith("very") else word
    word = "younger" if low else "older"
    return f"much {word}" if level.startswith("very") else word


def _dominant_category(profile: DemographicProfile) -> str:
    """Say "mostly X" when most of a segment is in a category that is not that common."""
    top = profile.shares[0]
    if top.share < DOMINANT_SHARE or top.share - top.population_share < DOMINANT_GAP:
        return ""
    return f"mostly {_category_label(top.category, profile.short_name)}"


def _flag_positive(categories: pd.Index) -> object | None:
    """The 'yes' of a column with exactly two values that are yes and no (1/0, yes/no,
    true/false, y/n), as it is stored; None for any other column."""
    if len(categories) != 2:
        return None
    by_text = {str(value).strip().lower(): value for value in categories}
    for yes, no in _FLAG_PAIRS:
        if set(by_text) == {yes, no}:
            return by_text[yes]
    return None


# Names of columns whose numbers label a kind (channel 1, region 2); the numbers of other
# columns are counts or answers ("kidhome = 1", "points redeemed = 0").
_CODE_NAME_WORDS = {
    "channel",
    "region",
    "segment",
    "type",
    "class",
    "group",
    "tier",
    "code",
    "level",
    "grade",
    "cluster",
    "zone",
    "area",
    "store",
    "branch",
    "category",
    "plan",
    "status",
    "city",
    "state",
    "country",
    "education",
}


def _category_label(category: str, short: str) -> str:
    # A bare code or answer ("97% 1", "56% no") means nothing without its column:
    # "97% channel 1", "72% kidhome = 1", "56% housing: no".
    if category.replace(".", "").isdigit():
        coded = any(word in _CODE_NAME_WORDS for word in short.split())
        return f"{short} {category}" if coded else f"{short} = {category}"
    return f"{short}: {category}" if category.lower() in _ANSWERS else category


def _coarse(level: str) -> str:
    return level.removeprefix("very ")


def _profile_column(
    values: pd.Series, labels: np.ndarray, k: int, short: str, is_measure: bool, display: str
) -> list[DemographicProfile]:
    """Describe one profiled column in every segment against all customers."""
    column = str(values.name)
    if is_measure:
        pop_mean, pop_std = float(values.mean()), float(values.std())
        means = values.groupby(labels).mean().reindex(range(k))
        return [
            _numeric_profile(column, short, float(mean), pop_mean, pop_std, display)
            for mean in means
        ]
    population = values.value_counts(normalize=True)
    within = values.groupby(labels).value_counts(normalize=True)
    positive = _flag_positive(population.index)
    profiles = []
    for index in range(k):
        shares = within.loc[index].sort_values(ascending=False, kind="stable")
        shown = [
            CategoryShare(str(category), float(share), float(population[category]))
            for category, share in shares.head(SHOWN_CATEGORIES).items()
        ]
        top = shown[0]
        label = _category_label(top.category, short)
        if positive is not None:
            # A yes/no flag says how many have it: "16% accepted cmp5", not "84% ... 0".
            share = float(within.loc[index].get(positive, 0.0))
            top = CategoryShare(str(positive), share, float(population[positive]))
            digits = str(positive).replace(".", "").isdigit()
            label = short if digits else _category_label(str(positive), short)
        profiles.append(
            DemographicProfile(
                column=column,
                kind="categorical",
                summary=f"{top.share:.0%} {label} ({top.population_share:.0%} of all customers)",
                shares=tuple(shown),
                short_name=short,
                display=display,
                distinctness=top.share - top.population_share,
                notable=abs(top.share - top.population_share) >= NOTABLE_SHARE_GAP,
            )
        )
    return profiles


def _numeric_profile(
    column: str, short: str, mean: float, pop_mean: float, pop_std: float, display: str
) -> DemographicProfile:
    z = (mean - pop_mean) / pop_std if pop_std else 0.0
    if abs(z) < NOTABLE_Z:
        phrase = f"typical {short}"
    elif short == "age":
        phrase = "younger" if z < 0 else "older"
    elif short == "recency":
        phrase = "more recently active" if z < 0 else "longer inactive"
    else:
        phrase = f"{'lower' if z < 0 else 'higher'} {short}"
    return DemographicProfile(
        column=column,
        kind="numeric",
        summary=f"{phrase} (average {_number(mean)} vs {_number(pop_mean)})",
        segment_mean=mean,
        population_mean=pop_mean,
        display=display,
        distinctness=abs(z) * NUMERIC_DISTINCTNESS,
        notable=abs(z) >= NOTABLE_Z,
    )


def is_flag(values: pd.Series) -> bool:
    """Whether a measure only ever holds 0 and 1 (both present): a yes/no flag."""
    present = pd.unique(values.dropna())
    return len(present) == 2 and set(present.tolist()) == {0, 1}


def _level_text(level: FeatureLevel, first: bool) -> str:
    """'age 31 vs 29 for all customers'; a flag as shares: '100% group visits (40% of all
    customers)'."""
    if level.flag:
        everyone = "all customers" if first else "all"
        return (
            f"{level.segment_mean:.0%} {level.short_name} "
            f"({level.population_mean:.0%} of {everyone})"
        )
    text = f"{level.short_name} {_number(level.segment_mean)} vs {_number(level.population_mean)}"
    return f"{text} for all customers" if first else text


def _description(levels: Sequence[FeatureLevel], demographics: Sequence[DemographicProfile]) -> str:
    top = sorted(levels, key=lambda level: -abs(level.z))[:NAMED_FEATURES]
    parts = [
        _level_text(level, first=not parts_before)
        for parts_before, level in enumerate(level for level in levels if level in top)
    ]
    notable = sorted((d for d in demographics if d.notable), key=lambda d: -d.distinctness)
    # Six service columns all saying "No internet service" for the same customers are
    # one fact: a figure already given (the same two shares) is not repeated.
    told: set[tuple[float, float]] = set()
    measures = len(parts)
    for demographic in notable:
        first = demographic.shares[0] if demographic.shares else None
        figures = (round(first.share, 3), round(first.population_share, 3)) if first else None
        if figures in told:
            continue
        if figures:
            told.add(figures)
        parts.append(demographic.summary)
        if len(parts) - measures == 2:
            break
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def _number(value: float) -> str:
    return format_number(value, 0 if abs(value) >= 10 else 1)


def with_population(
    segments: Sequence[SegmentProfile], population: Population
) -> tuple[SegmentProfile, ...]:
    """The segments profiled on a sample, with every customer's sizes, shares and means.

    The Spark engine describes segments on the driver's sample; their sizes and shares,
    and the population means the levels are shown against, are those of all customers.
    """
    return tuple(
        dataclasses.replace(
            segment,
            size=size,
            share=size / population.customers,
            features=tuple(
                dataclasses.replace(level, population_mean=float(mean))
                for level, mean in zip(segment.features, population.feature_means, strict=True)
            ),
        )
        for segment, size in zip(segments, population.sizes, strict=True)
    )
