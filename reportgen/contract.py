"""The data objects passed between the pipeline's stages: the project's contract.

Every stage takes some of these and returns one. They are frozen: a stage never
changes what an earlier stage produced. Arrays and frames inside them are treated
as read-only by convention.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from reportgen.config import OTHER_CATEGORY, RARE_SHARE
from reportgen.settings import Settings
from reportgen.wide import MAX_CHART_PANELS, MAX_EXPLORED_MEASURES, MAX_QUALITY_ROWS

# Two category columns whose leading categories hold the same counts in a segment of at
# least this many customers say the same thing (SegmentProfile.described_demographics).
SAME_FACT_MIN_SIZE = 30

ColumnKind = Literal["numeric", "categorical", "code", "date", "unread"]
# How far a segment's mean is from everyone's, in words (profiling.level_of).
Level = Literal["very low", "low", "average", "high", "very high"]
Transform = Literal["none", "log1p"]


def transform_values(values: np.ndarray, transforms: tuple[Transform, ...]) -> np.ndarray:
    """Apply each column's transform before standardizing (log1p tames skewed amounts)."""
    result = np.asarray(values, dtype=float).copy()
    for index, transform in enumerate(transforms):
        if transform == "log1p":
            result[:, index] = np.log1p(result[:, index])
    return result


ColumnRole = Literal["id", "feature", "profile", "ignored", "outcome", "source"]
OutcomePolarity = Literal["bad", "good", "neutral"]


def category_text(values: pd.Series) -> pd.Series:
    """Categories as text, the same whatever type pandas read: 1.0 and 1 are both "1"."""
    present = values.dropna()
    if pd.api.types.is_float_dtype(values) and bool((present % 1 == 0).all()):
        return values.astype("Int64").astype(str)
    return values.astype(str)


def common_categories(values: pd.Series, limit: int) -> tuple[tuple[str, ...], str | None]:
    """Return the categories to show by name, most common first, and the one the rest join.

    The one rule for rare categories, wherever categories are encoded or drawn: those
    held by fewer than RARE_SHARE of the values, and any beyond the first ``limit - 1``
    when there are more than ``limit``, are grouped as OTHER_CATEGORY (then the last
    category, and returned second; None when every category is kept). A flag keeps
    both its values, however rare one of them is. Ties go alphabetically.
    """
    return categories_by_count(category_text(values).value_counts(), len(values), limit)


def categories_by_count(
    counts: pd.Series, total: int, limit: int
) -> tuple[tuple[str, ...], str | None]:
    """``common_categories`` from each category's count out of ``total`` values."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
    rare_count = RARE_SHARE * total if len(ranked) > 2 else 0
    common = [str(name) for name, count in ranked if count >= rare_count]
    if len(common) < len(ranked) or len(common) > limit:
        kept = [name for name in common[: limit - 1] if name != OTHER_CATEGORY]
        return (*kept, OTHER_CATEGORY), OTHER_CATEGORY
    return tuple(common), None


@dataclass(frozen=True)
class Table:
    """A customer table exactly as read from disk."""

    frame: pd.DataFrame
    path: Path
    sha256: str
    description: str
    # What reading changed, for the data-quality notes (unnamed leftover columns dropped).
    notes: tuple[str, ...] = ()
    # Units the file itself wrote: the one currency sign of a column of formatted money.
    units: Mapping[str, str] = field(default_factory=dict)
    # A workbook's sheet names, in order, and the one read (empty and None for other
    # formats): for messages that point at another sheet.
    sheets: tuple[str, ...] = ()
    sheet: str | None = None


@dataclass(frozen=True)
class ColumnReport:
    """What cleaning found in one column and what it did about it."""

    name: str
    kind: ColumnKind
    role: ColumnRole
    missing: int
    note: str | None


@dataclass(frozen=True)
class DataQuality:
    """Row and column counts before and after cleaning, for the data-quality section."""

    rows_read: int
    duplicate_rows: int
    rows_kept: int
    columns: tuple[ColumnReport, ...]
    notes: tuple[str, ...]
    source: str = ""
    ignored: tuple[str, ...] = ()
    # Customer tables: the customers left out because they never bought (0 in every
    # column of purchase_history_columns), and those columns.
    never_bought: int = 0
    never_bought_columns: tuple[str, ...] = ()
    # Those of never_bought_columns where a blank, not a 0, means no purchase
    # (cleaning.blank_means_no_purchase).
    never_bought_blank: tuple[str, ...] = ()

    listed_limit: ClassVar[int] = MAX_QUALITY_ROWS

    @property
    def missing_values(self) -> int:
        """Total missing cells that were filled in."""
        return sum(column.missing for column in self.columns)

    @property
    def listed(self) -> tuple[ColumnReport, ...]:
        """The columns the report's table lists: all of them, or on a wide table the ID and
        the features, then the columns with a note, up to ``listed_limit``."""
        if len(self.columns) <= self.listed_limit:
            return self.columns
        used = [column for column in self.columns if column.role in ("id", "feature")]
        noted = [
            column
            for column in self.columns
            if column.role not in ("id", "feature") and column.note
        ]
        return tuple([*used, *noted][: self.listed_limit])


@dataclass(frozen=True)
class Outcome:
    """A result the business wants to explain (churn, response): never a feature.

    ``positive`` is the value that counts as the event ("Yes", "Attrited Customer");
    ``polarity`` says whether more of it is bad news (churn), good news (response) or
    neither.
    """

    column: str
    positive: str
    label: str
    polarity: OutcomePolarity


@dataclass(frozen=True)
class DateReading:
    """How a column's values are read as dates, as cleaning decided from them.

    Decided once (cleaning._parse_dates) and applied by both engines: cleaning.read_dates
    in pandas, spark_engine.date_value in Spark SQL.

    ``format`` is None for values that are dates already (a workbook's or a Parquet
    file's); otherwise the strftime format of the stripped text, or of its date part
    (``part``: cleaning._DATE_PART, any time of day dropped), whose separators "/" and
    "." are made "-" first when ``dashed``. With ``mixed``, a part in year-month-day
    (ISO) or compact (YYYYMMDD) form is read as such and only the others with ``format``.
    """

    format: str | None
    part: bool = False
    dashed: bool = False
    mixed: bool = False


@dataclass(frozen=True)
class DerivedMeasure:
    """A measure cleaning made from a column, with what it took to make it.

    ``column`` ('Dt_Customer (days)', 'Age (from Year_Birth)') is made from ``source``:
    with ``latest``, the days from each date to that one (the latest date of the
    column); otherwise the age in ``year`` of a birth year (``reading`` None) or of a
    birth date's year, None where the year is implausible. The Spark engine makes it
    again over every customer (spark_engine.derived_columns).
    """

    column: str
    source: str
    reading: DateReading | None
    latest: pd.Timestamp | None = None
    year: int | None = None


@dataclass(frozen=True)
class CleanTable:
    """The cleaned customers: one row per customer kept, no missing values."""

    frame: pd.DataFrame
    customer_ids: pd.Series
    id_column: str | None
    feature_columns: tuple[str, ...]
    profile_columns: tuple[str, ...]
    short_names: Mapping[str, str]
    quality: DataQuality
    kinds: Mapping[str, ColumnKind] = field(default_factory=dict)
    display_names: Mapping[str, str] = field(default_factory=dict)
    outcomes: tuple[Outcome, ...] = ()
    # Features whose extreme values were capped for clustering: their values before the
    # cap (missing ones filled), so that describing the data shows the data.
    uncapped: Mapping[str, pd.Series] = field(default_factory=dict)
    # The customers left out of the segments, with the reason (customer_id, reason):
    # those who never bought. None when there are none.
    not_segmented: pd.DataFrame | None = None
    # The measures derived from dates and birth years, in the order they were made.
    derived: tuple[DerivedMeasure, ...] = ()

    def display(self, column: str) -> str:
        """The column's name as charts and tables show it (with its unit, if configured)."""
        return self.display_names.get(column, column)

    def is_measure(self, column: str) -> bool:
        """Whether a column holds measures (means make sense) rather than categories."""
        kind = self.kinds.get(column)
        if kind is None:
            return pd.api.types.is_numeric_dtype(self.frame[column])
        return kind == "numeric"


@dataclass(frozen=True)
class CategoryEncoding:
    """How one categorical clustering feature is one-hot encoded.

    Each category becomes a column that is ``weight`` for the customers in it and 0
    for the others. ``other`` (when set) is the category that rare and unseen values
    fall into; a value matching no category gets zeros everywhere.
    """

    column: str
    categories: tuple[str, ...]
    weight: float
    other: str | None = None

    def encode(self, values: pd.Series) -> np.ndarray:
        """Return the weighted one-hot columns of ``values`` (one row per customer)."""
        text = category_text(values)
        if self.other is not None:
            text = text.where(text.isin(self.categories), self.other)
        codes = pd.Index(self.categories).get_indexer(text)
        encoded = np.zeros((len(values), len(self.categories)))
        known = codes >= 0
        encoded[np.flatnonzero(known), codes[known]] = self.weight
        return encoded


@dataclass(frozen=True)
class FeatureMatrix:
    """The clustering features in original units, and transformed then standardized.

    ``columns`` are the measures: ``values`` holds them in original units, and
    ``means`` and ``scales`` are those of their transformed values. ``scaled`` holds
    the standardized measures first, then the one-hot columns of each categorical
    feature in ``categorical``: it is what K-Means measures distances on.
    """

    columns: tuple[str, ...]
    values: np.ndarray
    scaled: np.ndarray
    means: np.ndarray
    scales: np.ndarray
    transforms: tuple[Transform, ...] = ()
    display_names: tuple[str, ...] = ()
    categorical: tuple[CategoryEncoding, ...] = ()

    def display(self, index: int) -> str:
        """Feature ``index`` as charts show it (with its unit, if configured)."""
        return self.display_names[index] if self.display_names else self.columns[index]

    @property
    def all_columns(self) -> tuple[str, ...]:
        """Every clustering feature: the measures, then the categorical features."""
        return (*self.columns, *(encoding.column for encoding in self.categorical))


@dataclass(frozen=True)
class NumericSummary:
    """Summary statistics of one numeric column."""

    column: str
    mean: float
    std: float
    minimum: float
    median: float
    maximum: float


@dataclass(frozen=True)
class CategoryCounts:
    """How many customers fall in each category of one column, largest first."""

    column: str
    counts: tuple[tuple[str, int], ...]


def histogram_bins(values: np.ndarray) -> int:
    """The number of bars in a measure's histogram: one per distinct value, 5 to 30."""
    return min(30, max(5, len(pd.unique(values))))


@dataclass(frozen=True)
class Distribution:
    """How one descriptive column's values are spread, as its chart panel shows them.

    A measure is a histogram: ``counts`` customers between consecutive ``edges``.
    Categories are ``counts`` customers in each of ``categories``, most common first,
    rare ones and those past the first few grouped (see ``common_categories``).
    """

    column: str
    display_name: str
    counts: np.ndarray
    edges: np.ndarray | None = None
    categories: tuple[str, ...] = ()

    @property
    def is_measure(self) -> bool:
        """Whether the column is a measure (a histogram) rather than categories."""
        return self.edges is not None


@dataclass(frozen=True)
class Exploration:
    """Descriptive statistics of the cleaned table.

    ``distributions`` are those of the descriptive columns the report charts (the
    first MAX_CHART_PANELS); ``described`` counts every descriptive column.
    """

    numeric: tuple[NumericSummary, ...]
    categorical: tuple[CategoryCounts, ...]
    correlations: pd.DataFrame
    findings: tuple[str, ...]
    distributions: tuple[Distribution, ...] = ()
    described: int = 0

    @property
    def shown(self) -> tuple[NumericSummary, ...]:
        """The measures the report's table shows: the first MAX_EXPLORED_MEASURES."""
        return self.numeric[:MAX_EXPLORED_MEASURES]


@dataclass(frozen=True)
class KScore:
    """The evidence for one candidate number of segments.

    Only ``inertia`` is computed outside the range of k considered. ``stability`` is the
    weakest segment's bootstrap stability; ``segment_stability`` and ``segment_shares``
    give every segment's, largest segment first.
    """

    k: int
    inertia: float
    silhouette: float | None
    stability: float | None
    prediction_strength: float | None = None
    segment_stability: tuple[float, ...] = ()
    segment_shares: tuple[float, ...] = ()
    calinski_harabasz: float | None = None
    davies_bouldin: float | None = None
    passes: bool = False
    failures: tuple[str, ...] = ()

    @property
    def smallest_share(self) -> float | None:
        """The smallest segment's share of the customers, or None when not measured."""
        return min(self.segment_shares, default=None)


@dataclass(frozen=True)
class ResampleFits:
    """What the evidence for one k fitted (choosing_k): the centres of the fit on the
    sample whose segments the tests describe, and what the bootstrap resamples' fits
    predicted, for each resample: the segment of every customer drawn into it; with
    what they were fitted on."""

    k: int
    seed: int
    sample_digest: str
    predictions: tuple[np.ndarray, ...]
    # Standardized, one row per segment; the final fit may fall back on them (clustering).
    centres: np.ndarray | None = None


@dataclass(frozen=True)
class KChoice:
    """The chosen number of segments and the evidence behind it."""

    scores: tuple[KScore, ...]
    elbow_k: int | None
    silhouette_k: int | None
    chosen_k: int
    reason: str
    methods_agree: bool
    forced: bool
    sample_size: int
    resamples: int
    silhouette_sample_size: int = 0
    # The rule (see choosing_k.py): the range searched, what the rule alone chose,
    # whether any k passed, and the thresholds, so the report can show them.
    k_min: int = 0
    k_max: int = 0
    rule_k: int | None = None
    sharp: bool = True
    structure_note: str | None = None
    previous_k: int | None = None
    k_change: str | None = None
    splits: int = 0
    split_sample_size: int = 0
    prediction_strength_threshold: float = 0.8
    stability_threshold: float = 0.75
    min_segment_share: float = 0.02
    # The chosen k's bootstrap fits, which the final segments' stability reuses; not
    # part of the evidence (not compared, shown or saved).
    resample_fits: ResampleFits | None = field(default=None, compare=False, repr=False)

    def score(self, k: int) -> KScore:
        """Return the evidence for ``k``."""
        return next(score for score in self.scores if score.k == k)


@dataclass(frozen=True)
class Segmentation:
    """Customers assigned to segments, the segments in their reported order.

    ``labels`` hold each customer's segment position (0..k-1); ``numbers`` the
    segment number shown to people at each position (1..k for a fresh run; carried
    over from last month when segments are tracked).
    """

    labels: np.ndarray
    centroids: np.ndarray
    centroids_scaled: np.ndarray
    sizes: tuple[int, ...]
    restarts: int
    numbers: tuple[int, ...]

    @property
    def k(self) -> int:
        """The number of segments."""
        return len(self.sizes)


@dataclass(frozen=True)
class Projection:
    """Where the segment map draws the customers and the segment centres.

    ``rows`` are the customers drawn (all of them, or a seeded sample once a scatter
    would be saturated) out of ``customers``. With two measures and no categorical
    feature the map's axes are the two features in original units and ``explained`` is
    None; otherwise they are the first two principal components of the standardized
    features, fitted on the drawn customers, and ``explained`` is each one's share of
    the variance. With a single measure there is nothing to project: ``points`` and
    ``centres`` are None and the map is a histogram.
    """

    rows: np.ndarray
    customers: int
    points: np.ndarray | None = None
    centres: np.ndarray | None = None
    explained: tuple[float, float] | None = None

    @property
    def sampled(self) -> bool:
        """Whether only a sample of the customers is drawn."""
        return len(self.rows) < self.customers


@dataclass(frozen=True)
class CategoryMix:
    """One categorical feature: the share of each category among all customers and in
    each segment.

    ``shares`` has a row for all customers, then one per segment position; a column per
    category, in ``categories`` order (the encoding's, then UNKNOWN_CATEGORY when some
    customers' value was not among the model's categories).
    """

    column: str
    display_name: str
    short_name: str
    categories: tuple[str, ...]
    shares: np.ndarray

    UNKNOWN_CATEGORY: ClassVar[str] = "(not in the model)"


@dataclass(frozen=True)
class FeatureLevel:
    """One clustering feature's segment mean against the whole population."""

    column: str
    short_name: str
    segment_mean: float
    population_mean: float
    z: float
    level: Level
    display: str = ""
    # Its extreme values were capped for clustering (cleaning), so both averages count
    # them at the cap: they differ a little from the exploring section's plain mean.
    capped: bool = False
    # A 0/1 flag (gym Group_visits, bank IsActiveMember): its averages are the shares of
    # customers with the flag, shown as percentages ("100% vs 40%", not "1.0 vs 0.4").
    flag: bool = False


@dataclass(frozen=True)
class CategoryShare:
    """One category's share inside a segment and in the whole population."""

    category: str
    share: float
    population_share: float


@dataclass(frozen=True)
class DemographicProfile:
    """A profiled (not clustered) column described for one segment."""

    column: str
    kind: ColumnKind
    summary: str
    segment_mean: float | None = None
    population_mean: float | None = None
    shares: tuple[CategoryShare, ...] = ()
    short_name: str = ""
    # The column's name as the report shows it ("Days since first purchase").
    display: str = ""
    # How far the segment stands out on this column (a share gap, or a quarter of a z):
    # the one-line description names the most distinctive columns first.
    distinctness: float = 0.0
    # Whether the segment differs enough on this column for its description to say so.
    notable: bool = False

    @property
    def label(self) -> str:
        """The column's name as the report shows it (its display name, or the column)."""
        return self.display or self.column


@dataclass(frozen=True)
class RecommendationPart:
    """The action for one part of a mixed segment: its customers in one RFM group.

    ``share`` is the part's share of the segment's customers, ``customers`` their number.
    """

    group: str
    share: float
    action: str
    customers: int = 0


@dataclass(frozen=True)
class Recommendation:
    """Marketing advice for one segment, from the rules file.

    ``parts`` is set for a segment whose customers fall in several RFM groups with no
    majority: the action for each sizeable group, largest first; ``parts_rest`` then says
    which smaller groups hold the others, if any.
    """

    rule: str
    action: str
    campaign: str
    retention: str
    products: str
    parts: tuple[RecommendationPart, ...] = ()
    parts_rest: str = ""


@dataclass(frozen=True)
class SegmentProfile:
    """Everything the report says about one segment."""

    number: int
    name: str
    description: str
    size: int
    share: float
    color: str
    features: tuple[FeatureLevel, ...]
    demographics: tuple[DemographicProfile, ...]
    recommendation: Recommendation
    categories: tuple[DemographicProfile, ...] = ()
    # Sentences about the outcomes where this segment differs much from all customers.
    outcome_notes: tuple[str, ...] = ()
    # Bootstrap stability (mean Jaccard, Hennig's clusterboot) and its reading in words;
    # None when the segments were not fitted this run (score mode).
    stability: float | None = None
    stability_reading: str = ""
    # Below Hennig's 0.6: the segment does not come back when customers are resampled.
    untrusted: bool = False

    @property
    def distinct_demographics(self) -> tuple[DemographicProfile, ...]:
        """The descriptive columns on which the segment differs, most distinctive first."""
        notable = [profile for profile in self.demographics if profile.notable]
        return tuple(sorted(notable, key=lambda profile: -abs(profile.distinctness)))

    @property
    def described_demographics(self) -> tuple[DemographicProfile, ...]:
        """distinct_demographics, with columns that say the same thing said once.

        Telco's six internet add-on columns are each "50% No internet service (22% of all
        customers)" in a segment of customers without internet, and InternetService's "No"
        is the same customers: one line naming the seven columns, not seven lines. Columns
        say the same thing when their leading categories hold exactly the same shares of
        the segment and of all customers (the same counts), in a segment of at least
        SAME_FACT_MIN_SIZE customers, where that is no coincidence.
        """
        merged: dict[object, list[DemographicProfile]] = {}
        for profile in self.distinct_demographics:
            key: object = ("column", profile.column)
            if profile.kind == "categorical" and profile.shares:
                top = profile.shares[0]
                same_counts = self.size >= SAME_FACT_MIN_SIZE
                key = (top.share, top.population_share) if same_counts else profile.summary
            merged.setdefault(key, []).append(profile)
        return tuple(
            same[0]
            if len(same) == 1
            else replace(
                same[0],
                display=", ".join(profile.label for profile in same),
                shares=same[0].shares if len({p.shares for p in same}) == 1 else (),
            )
            for same in merged.values()
        )

    @property
    def shown_demographics(self) -> tuple[DemographicProfile, ...]:
        """What a segment card lists: the first MAX_CHART_PANELS described_demographics."""
        return self.described_demographics[:MAX_CHART_PANELS]

    @property
    def typical_demographics(self) -> tuple[DemographicProfile, ...]:
        """The descriptive columns on which the segment is like all customers."""
        return tuple(profile for profile in self.demographics if not profile.notable)

    @property
    def stability_label(self) -> str:
        """The stability as the HTML cards head it ("Stability 0.93"), or "" if not measured."""
        return "" if self.stability is None else f"Stability {self.stability:.2f}"

    @property
    def stability_sentence(self) -> str:
        """The stability and its reading as one sentence, or "" when it was not measured."""
        return f"{self.stability_label} — {self.stability_reading}." if self.stability_label else ""


@dataclass(frozen=True)
class SegmentRate:
    """An outcome's rate in one segment."""

    number: int
    rate: float
    customers: int
    notable: Literal["higher", "lower", ""] = ""


@dataclass(frozen=True)
class OutcomeRates:
    """An outcome's rate among all customers and in each segment (in report order)."""

    outcome: Outcome
    overall: float
    customers: int
    segments: tuple[SegmentRate, ...]
    summary: str

    def rate(self, number: int) -> SegmentRate:
        """Return the rate in segment ``number``."""
        return next(rate for rate in self.segments if rate.number == number)

    def to_summary(self) -> dict[str, Any]:
        """Return the rates as JSON-ready values, for summary.json."""
        return {
            "column": self.outcome.column,
            "positive_value": self.outcome.positive,
            "label": self.outcome.label,
            "polarity": self.outcome.polarity,
            "overall_rate": self.overall,
            "customers": self.customers,
            "segments": [
                {
                    "number": rate.number,
                    "rate": None if np.isnan(rate.rate) else rate.rate,
                    "customers": rate.customers,
                    "notable": rate.notable or None,
                }
                for rate in self.segments
            ],
            "summary": self.summary,
        }


@dataclass(frozen=True)
class SavedSegment:
    """One segment as remembered for next month."""

    number: int
    name: str
    size: int
    # The segment's centre twice: in the columns' own units, and standardized.
    centre_in_units: tuple[float, ...]
    centre_standardized: tuple[float, ...]
    radius: float


@dataclass(frozen=True)
class SavedModel:
    """A run's fitted segmentation, as stored in model.json (see history.py)."""

    period: str
    features: tuple[str, ...]
    short_names: Mapping[str, str]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    transforms: tuple[Transform, ...]
    segments: tuple[SavedSegment, ...]
    id_column: str | None
    input_sha256: str
    settings: Mapping[str, Any]
    reportgen_version: str
    categorical: tuple[CategoryEncoding, ...] = ()

    def scaled_centroids(self) -> np.ndarray:
        """The segment centres in this model's standardized units."""
        return np.array([segment.centre_standardized for segment in self.segments], dtype=float)

    def feature_kinds(self) -> dict[str, ColumnKind]:
        """What kind each feature was: next month's table is read the same way."""
        kinds: dict[str, ColumnKind] = {column: "numeric" for column in self.features}
        kinds.update({encoding.column: "categorical" for encoding in self.categorical})
        return kinds

    def standardize(self, features: FeatureMatrix) -> np.ndarray:
        """Put this month's features into this model's standardized units.

        The categorical features must have been encoded with this model's categories
        (``prepare_features`` does so when given the model's encodings).
        """
        transformed = transform_values(features.values, self.transforms)
        measures = (transformed - np.array(self.means)) / np.array(self.scales)
        return np.hstack([measures, features.scaled[:, len(self.features) :]])


@dataclass(frozen=True)
class PreviousRun:
    """An earlier run read back from its output directory."""

    model: SavedModel
    assignments: pd.Series


@dataclass(frozen=True)
class SegmentChange:
    """How one segment changed since the previous run."""

    number: int
    name: str
    color: str
    status: Literal["kept", "new", "gone"]
    previous_size: int
    size: int
    previous_share: float
    share: float
    drift: tuple[tuple[str, float, float], ...]
    distance: float | None


@dataclass(frozen=True)
class Changes:
    """What changed since the previous run: the "What changed" section."""

    previous_period: str
    mode: Literal["refit", "score"]
    match_threshold: float
    segments: tuple[SegmentChange, ...]
    migration: pd.DataFrame
    customers_in_both: int
    new_customers: int
    lost_customers: int
    highlights: tuple[str, ...]
    warnings: tuple[str, ...]
    # The number of segments changed since last month: why, with the evidence.
    k_change: str | None = None


@dataclass(frozen=True)
class Chart:
    """A rendered figure, ready to embed."""

    key: str
    title: str
    caption: str
    png: bytes

    @property
    def data_uri(self) -> str:
        """The PNG as a ``data:`` URI, so reports need no external files."""
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")

    def _repr_png_(self) -> bytes:
        """Show the chart inline in Jupyter."""
        return self.png


@dataclass(frozen=True)
class Charts:
    """The report's figures, one field per figure; None where a figure does not apply.

    ``outcomes`` has one chart per outcome, in ``Report.outcomes`` order.
    """

    segment_map: Chart
    segment_sizes: Chart
    feature_boxplots: Chart
    behaviour: Chart
    category_mix: Chart | None = None
    demographics: Chart | None = None
    correlations: Chart | None = None
    k_evidence: Chart | None = None
    migration: Chart | None = None
    outcomes: tuple[Chart, ...] = ()
    # Order-line input only.
    rfm_grid: Chart | None = None
    concentration: Chart | None = None

    def all(self) -> tuple[Chart, ...]:
        """Every chart the report has, in a fixed order (the Python API lists them so)."""
        listed = (
            self.segment_map,
            self.segment_sizes,
            self.feature_boxplots,
            self.category_mix,
            self.demographics,
            self.behaviour,
            self.correlations,
            self.k_evidence,
            self.migration,
            *self.outcomes,
            self.rfm_grid,
            self.concentration,
        )
        return tuple(chart for chart in listed if chart is not None)


@dataclass(frozen=True)
class EmailBody:
    """The report as an email body, ready to become a MIME message.

    ``html`` references each image as ``cid:<content id>``; ``images`` maps those
    content IDs to PNG bytes.
    """

    subject: str
    html: str
    text: str
    images: Mapping[str, bytes]


@dataclass(frozen=True)
class Report:
    """The whole report: the one object the templates receive."""

    title: str
    generated_at: datetime
    source_name: str
    input_sha256: str
    seed: int
    restarts: int
    rules_source: str
    settings: Settings
    versions: Mapping[str, str]
    quality: DataQuality
    exploration: Exploration
    k_choice: KChoice | None
    feature_columns: tuple[str, ...]
    profile_columns: tuple[str, ...]
    segments: tuple[SegmentProfile, ...]
    charts: Charts
    customers: int
    period: str
    changes: Changes | None = None
    display_names: Mapping[str, str] = field(default_factory=dict)
    categorical_features: tuple[CategoryEncoding, ...] = ()
    log_scaled_columns: tuple[str, ...] = ()
    outcomes: tuple[OutcomeRates, ...] = ()
    # Order-line input (issue 14): RFM grid, revenue at risk, how the lines were read.
    rfm: RfmSummary | None = None

    def display(self, column: str) -> str:
        """The column's name as the report shows it (with its unit, if configured)."""
        return self.display_names.get(column, column)

    @property
    def measure_columns(self) -> tuple[str, ...]:
        """The features that are measures (the others are categorical features)."""
        categorical = {encoding.column for encoding in self.categorical_features}
        return tuple(column for column in self.feature_columns if column not in categorical)

    @property
    def features_by_separation(self) -> tuple[str, ...]:
        """The features, those that tell the segments apart most first: categorical
        features (chosen by hand), then measures by the size-weighted mean of the
        segments' squared standardized differences from all customers; ties in file order."""
        chosen = {encoding.column for encoding in self.categorical_features}
        spread = {column: 0.0 for column in self.feature_columns if column not in chosen}
        for segment in self.segments:
            for level in segment.features:
                if level.column in spread:
                    spread[level.column] += segment.share * level.z**2
        categorical = [c for c in self.feature_columns if c not in spread]
        return (*categorical, *sorted(spread, key=lambda column: -spread[column]))


@dataclass(frozen=True)
class SuspectItem:
    """An item code that looks unlike the rest (postage, fees, manual adjustments), or a
    gift card (its sale is not spend on products)."""

    code: str
    lines: int
    value: float
    gift_card: bool = False


@dataclass(frozen=True)
class OrderSummary:
    """How order lines became customers: what was read, left out and how dates were read."""

    lines_read: int
    duplicate_lines: int
    customers: int
    roles: tuple[tuple[str, str], ...]
    reason: str
    date_interpretation: str
    first_date: date | None
    last_date: date | None
    reference_date: date
    as_of_given: bool
    no_customer_lines: int
    no_customer_value: float
    no_date_lines: int
    bad_price_lines: int
    zero_value_lines: int
    excluded_lines: int
    excluded_items: tuple[str, ...]
    return_lines: int
    returned_value: float
    after_reference_lines: int
    not_positive_customers: int
    suspect_items: tuple[SuspectItem, ...]
    has_money: bool
    has_orders: bool
    other_customer_columns: tuple[str, ...] = ()
    source_description: str = ""
    # Of not_positive_customers: those with no purchase (returns only) and those whose
    # purchases are all worth 0; the rest returned as much as they bought, or more.
    returns_only_customers: int = 0
    zero_spend_customers: int = 0
    # Every column of the export, in its order (most are not read: see roles).
    source_columns: tuple[str, ...] = ()
    # The columns that hold one category per customer (transactions.customer_attributes).
    attributes: tuple[str, ...] = ()
    # The column that numbers the lines, if any (transactions.line_id_column).
    line_id: str | None = None
    # Lines whose status says the sale did not happen, their value, and the statuses
    # seen that say so (transactions.VOID_STATUS).
    void_lines: int = 0
    void_value: float = 0.0
    void_statuses: tuple[str, ...] = ()
    # The currency the export writes its money in ("$"), when it says so.
    currency: str = ""
    # Lines with fewer fields than the header (a separator missing, so every later value
    # would shift into the next column): left out; and the first few (line number, text).
    ragged_lines: int = 0
    ragged_examples: tuple[tuple[int, str], ...] = ()
    # Customers with lines but none kept (all cancelled, excluded, undated or too late):
    # in no table of the report.
    unkept_customers: int = 0
    # A currency column with two or more codes: its name, then the codes, most lines first.
    currencies: tuple[str, ...] = ()
    # Placeholder customers ('0', 'GUEST') whose lines count as without a customer.
    placeholder_customers: tuple[str, ...] = ()
    # The status is an event log's event type: only purchase events are purchases.
    events: bool = False
    # The status is a document type: credit notes' lines are returns.
    credit_notes: bool = False
    # The amount is already in one currency (transactions.OrderPlan.converted).
    amount_converted: bool = False
    # The status is a sales pipeline's stage: only won deals are sales.
    pipeline: bool = False
    # The status column's values in the first status_sample_lines lines: (value, lines,
    # counted as a sale), most lines first.
    status_values: tuple[tuple[str, int, bool], ...] = ()
    status_sample_lines: int = 0
    # Columns named as a status that were not read, each with why.
    unused_statuses: tuple[tuple[str, str], ...] = ()
    # Lines with neither a customer nor a date: a report's Total and footer lines.
    footer_lines: int = 0
    # Identical lines of one order, each counted (two of the same item in one order).
    repeated_in_order_lines: int = 0
    # Lines of another level of the export's rows (role 'level'), left out: their count,
    # value, the line types dropped (or, with level_children, lines with a parent), and
    # the line types kept.
    level_lines: int = 0
    level_value: float = 0.0
    level_drop: tuple[str, ...] = ()
    level_children: bool = False
    level_kept: tuple[str, ...] = ()
    # A payment export's account holder: its address, the column naming the customer on
    # its lines, and its lines among the first lines (transactions.account_holder).
    account_holder: tuple[str, str, int] | None = None
    # A discount column applied to quantity x price (role 'discount'): how it reads
    # ("rate", "percent", "line", "unit"), what it took off the purchases counted and their
    # list value; or a discount-named column not applied, and why.
    discount_kind: str = ""
    discount_value: float = 0.0
    list_value: float = 0.0
    discount_unread: tuple[str, str] | None = None

    @property
    def mixed_currencies(self) -> bool:
        """Whether the amounts were added up across currencies (no converted amount)."""
        return bool(self.currencies) and not self.amount_converted

    def role(self, name: str) -> str | None:
        """The column that plays ``name`` (customer, date, amount, ...), if any."""
        return dict(self.roles).get(name)

    @property
    def has_returns(self) -> bool:
        """Whether any kept line is a return or cancellation (else net spend = purchases)."""
        return self.return_lines > 0

    @property
    def net_negative_customers(self) -> int:
        """Customers left out because their returns are as large as their purchases, or larger."""
        return self.not_positive_customers - self.returns_only_customers - self.zero_spend_customers


@dataclass(frozen=True)
class RfmCell:
    """One cell of the recency x frequency grid: its name, customers and revenue."""

    r: int
    f: int
    name: str
    customers: int
    revenue: float


@dataclass(frozen=True)
class RfmGroupShare:
    """How many of a segment's customers have their own R x F cell in one grid group."""

    name: str
    customers: int
    share: float
    revenue_share: float | None


@dataclass(frozen=True)
class RfmSegment:
    """What a K-Means segment of customers is on the RFM grid, and what it is worth.

    ``group`` is the grid group that holds the most of the segment's customers (their
    own cells); ``mix`` lists every group present, largest first.
    """

    number: int
    name: str
    group: str
    mix: tuple[RfmGroupShare, ...]
    mixed: bool
    customers: int
    revenue: float
    revenue_share: float
    average_order_value: float | None
    median_recency: float
    median_frequency: float
    median_monetary: float | None
    returned_share: float | None
    last_12_months: float | None
    # The share of its customers past twice their usual interval between purchases, and
    # the median interval in days they are judged against (rfm.judged_intervals); None
    # when none of them is judged.
    overdue_share: float | None = None
    usual_interval: float | None = None
    # The share of its customers with a rhythm of their own who are not overdue.
    steady_share: float | None = None
    # The share of its customers whose last purchase is judged (rfm.judged_intervals):
    # those with a rhythm of their own and the second-time buyers held to the store's.
    rhythm_share: float | None = None
    # The share of its customers who bought twice, held to the store's usual interval.
    second_share: float | None = None


@dataclass(frozen=True)
class RfmSummary:
    """The purchase-behaviour results of an order-line run."""

    orders: OrderSummary
    reference_date: date
    grid: tuple[RfmCell, ...]
    segments: tuple[RfmSegment, ...]
    risk_groups: tuple[str, ...]
    revenue_at_risk: float | None
    customers_at_risk: int
    top10_share: float | None
    top20_share: float | None
    total_revenue: float | None
    # All the net spend of the customers at risk, not only their last 12 months'.
    lifetime_at_risk: float | None = None
    # Which of the two the headline shows: "last_12_months", or "lifetime" when the
    # customers at risk spent (next to) nothing in the last 12 months; "none" when no
    # customer is at risk or there is no money.
    at_risk_basis: Literal["last_12_months", "lifetime", "none"] = "none"
    # How many of the customers at risk are overdue (rfm.overdue); None without a rhythm.
    overdue_at_risk: int | None = None
    # The name given to segments of lapsed groups that mostly still buy in rhythm, and the
    # qualifier of active groups' segments that mostly went quiet; "" where none has it.
    in_rhythm_name: str = ""
    gone_quiet_qualifier: str = ""
    # The median own interval between purchases of the customers who have one, in days
    # (rfm.store_interval), and whether second-time buyers were held to it.
    usual_interval: float | None = None
    second_time_judged: bool = False
    # Every customer has one order: frequency tells nobody apart, and the customer key
    # may be issued per order (Olist's customer_id).
    one_order_each: bool = False
    # The calendar days the purchase dates cover (first to last, both counted), and
    # whether that is under rfm.MIN_HISTORY_DAYS: then recency names no group, nobody is
    # judged gone quiet and no revenue is at risk (rfm.short_history).
    history_days: int | None = None
    short_history: bool = False

    @property
    def anonymous_share(self) -> float:
        """The share of the money in lines without a customer (anonymous or guest
        purchases), which no segment describes; 0 without money."""
        known = self.total_revenue or 0.0
        anonymous = self.orders.no_customer_value
        return anonymous / (anonymous + known) if anonymous > 0 and known > 0 else 0.0

    @property
    def at_risk_figure(self) -> float | None:
        """The revenue figure page 1 shows for the customers at risk (see at_risk_basis)."""
        if self.at_risk_basis == "last_12_months":
            return self.revenue_at_risk
        if self.at_risk_basis == "lifetime":
            return self.lifetime_at_risk
        return None


@dataclass(frozen=True)
class Population:
    """Every customer's figures when the driver analysed a sample (the Spark engine).

    ``sizes``, ``means`` and ``medians`` (one row per segment, one column per measure,
    original units) are in the segmentation's order; ``feature_means`` are every
    customer's means of the measures.
    """

    customers: int
    sizes: tuple[int, ...]
    feature_means: np.ndarray
    means: np.ndarray
    medians: np.ndarray
    quality: DataQuality
    sample_size: int
