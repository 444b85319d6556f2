"""Stage 6b: keep segment identities from one month to the next, and say what changed.

Refit mode: this month's segments are fitted afresh, then matched to last month's by
the distance between their centres, measured in last month's standardized units
(z-scores), with an optimal one-to-one assignment (the Hungarian method). A pair
closer than MATCH_THRESHOLD (one standard deviation) is the same segment: it keeps
its number, name and colour. A segment without a match is new and gets the next
free number; last month's segments without a match are gone.

Score mode: this month's customers are assigned to last month's segments (nearest
centre) without refitting. Customers farther from their nearest centre than 99% of
last month's customers were count as outside the model; more than DRIFT_SHARE of
them means the data has drifted and a refit is advised.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from reportgen.config import segment_color
from reportgen.contract import (
    Changes,
    FeatureMatrix,
    PreviousRun,
    SavedModel,
    Segmentation,
    SegmentChange,
    SegmentProfile,
    Table,
)
from reportgen.errors import DataError, SettingsError
from reportgen.settings import Settings

MATCH_THRESHOLD = 1.0
DRIFT_SHARE = 0.05
HIGHLIGHTS = 3


def check_features(model: SavedModel, table: Table, settings: Settings) -> None:
    """Refuse a table that lacks any of the features last month's model was fitted on."""
    needed = (*model.features, *(encoding.column for encoding in model.categorical))
    missing = [column for column in needed if column not in table.frame.columns]
    if missing:
        raise DataError(
            f"{table.path} lacks {', '.join(repr(c) for c in missing)}, which the model in "
            f"{settings.previous_dir} was built on; export the same columns as last month, or "
            f"run without {settings.named('previous_dir')} to start a new segmentation."
        )


def check_same_features(model: SavedModel, features: FeatureMatrix, settings: Settings) -> None:
    """Refuse to compare segmentations built on different features.

    Raises:
        SettingsError: the features differ from the model's.
    """
    before = (*model.features, *(encoding.column for encoding in model.categorical))
    if features.all_columns != before or features.categorical != model.categorical:
        raise SettingsError(
            f"The features ({', '.join(features.all_columns)}) differ from those of the "
            f"{model.period} model ({', '.join(before)}); segments can only be "
            f"tracked on the same features. Drop {settings.named('features')} or run without "
            f"{settings.named('previous_dir')}."
        )


def track_segments(
    model: SavedModel, segmentation: Segmentation, features: FeatureMatrix
) -> Segmentation:
    """Renumber a fresh segmentation so that segments matching last month's keep their numbers.

    Segments are then ordered by number: tracked ones first, new ones after.
    """
    from scipy.optimize import linear_sum_assignment  # scipy on use: the CLI starts faster

    distances = _centre_distances(model, segmentation, features)
    previous_numbers = [segment.number for segment in model.segments]
    numbers: list[int | None] = [None] * segmentation.k
    for row, column in zip(*linear_sum_assignment(distances), strict=True):
        if distances[row, column] <= MATCH_THRESHOLD:
            numbers[row] = previous_numbers[column]
    next_free = max(previous_numbers, default=0) + 1
    for index, number in enumerate(numbers):
        if number is None:
            numbers[index] = next_free
            next_free += 1
    final = np.array(numbers, dtype=int)
    order = np.argsort(final, kind="stable")
    position = np.empty(segmentation.k, dtype=int)
    position[order] = np.arange(segmentation.k)
    return dataclasses.replace(
        segmentation,
        labels=position[segmentation.labels],
        centroids=segmentation.centroids[order],
        centroids_scaled=segmentation.centroids_scaled[order],
        sizes=tuple(segmentation.sizes[index] for index in order),
        numbers=tuple(int(number) for number in final[order]),
    )


def score_customers(model: SavedModel, features: FeatureMatrix) -> tuple[Segmentation, str | None]:
    """Assign customers to the model's nearest segment centre, without refitting.

    Returns:
        The segmentation (segments that received no customer are left out) and a
        drift warning, or None when the data still fits the model.
    """
    from scipy.spatial.distance import cdist

    distances = cdist(model.standardize(features), model.scaled_centroids())
    nearest = distances.argmin(axis=1)
    radii = np.array([segment.radius for segment in model.segments])
    outside = float((distances[np.arange(len(distances)), nearest] > radii[nearest]).mean())
    used = np.unique(nearest)
    position = np.full(len(model.segments), -1)
    position[used] = np.arange(len(used))
    labels = position[nearest]
    centroids = np.array(
        [features.values[labels == index].mean(axis=0) for index in range(len(used))]
    )
    segmentation = Segmentation(
        labels=labels,
        centroids=centroids,
        centroids_scaled=np.array(
            [features.scaled[labels == index].mean(axis=0) for index in range(len(used))]
        ),
        sizes=tuple(int(size) for size in np.bincount(labels, minlength=len(used))),
        restarts=0,
        numbers=tuple(model.segments[index].number for index in used),
    )
    warning = None
    if outside > DRIFT_SHARE:
        warning = (
            f"{outside:.0%} of customers lie farther from every segment centre than 99% of "
            f"{model.period}'s customers did: the data has drifted from the model. Consider "
            "a refit (run without --score)."
        )
    return segmentation, warning


def rescored_model(
    model: SavedModel, *, period: str, sizes: dict[int, int], sha256: str
) -> SavedModel:
    """Return the unchanged model relabelled for this month (score mode keeps the model)."""
    return dataclasses.replace(
        model,
        period=period,
        input_sha256=sha256,
        segments=tuple(
            dataclasses.replace(segment, size=sizes.get(segment.number, 0))
            for segment in model.segments
        ),
    )


def compare_runs(
    previous: PreviousRun,
    *,
    mode: str,
    segments: Sequence[SegmentProfile],
    segmentation: Segmentation,
    features: FeatureMatrix,
    customer_ids: pd.Series,
    has_ids: bool,
    warnings: Sequence[str] = (),
) -> Changes:
    """Describe what changed since the previous run, for the "What changed" section."""
    model = previous.model
    before = {segment.number: segment for segment in model.segments}
    previous_total = sum(segment.size for segment in model.segments) or 1
    distances = _centre_distances(model, segmentation, features)
    changes = []
    for index, segment in enumerate(segments):
        old = before.get(segment.number)
        column = next((i for i, s in enumerate(model.segments) if s is old), None)
        changes.append(
            SegmentChange(
                number=segment.number,
                name=segment.name,
                color=segment.color,
                status="kept" if old else "new",
                previous_size=old.size if old else 0,
                size=segment.size,
                previous_share=old.size / previous_total if old else 0.0,
                share=segment.share,
                drift=tuple(
                    (level.column, old.centre_in_units[i], level.segment_mean)
                    for i, level in enumerate(segment.features)
                )
                if old
                else (),
                distance=float(distances[index, column]) if column is not None else None,
            )
        )
    current_numbers = {segment.number for segment in segments}
    for old in model.segments:
        if old.number not in current_numbers:
            changes.append(
                SegmentChange(
                    number=old.number,
                    name=old.name,
                    color=segment_color(old.number),
                    status="gone",
                    previous_size=old.size,
                    size=0,
                    previous_share=old.size / previous_total,
                    share=0.0,
                    drift=(),
                    distance=None,
                )
            )
    changes.sort(key=lambda change: change.number)

    current = pd.Series(
        np.asarray(segmentation.numbers)[segmentation.labels],
        index=customer_ids.astype(str).to_numpy(),
    )
    notes = list(warnings)
    if has_ids and model.id_column is not None:
        both = current.index.intersection(previous.assignments.index)
        migration = pd.crosstab(
            pd.Series(previous.assignments[both].to_numpy(), name="previous"),
            pd.Series(current[both].to_numpy(), name="current"),
        )
        numbers = sorted({change.number for change in changes})
        migration = migration.reindex(index=numbers, columns=numbers, fill_value=0)
        new_customers = len(current.index.difference(previous.assignments.index))
        lost_customers = len(previous.assignments.index.difference(current.index))
    else:
        migration, both = pd.DataFrame(), []
        new_customers = lost_customers = 0
        notes.append(
            "The tables have no customer ID column, so individual customers cannot "
            "be followed from one month to the next."
        )
    return Changes(
        previous_period=model.period,
        mode="score" if mode == "score" else "refit",
        match_threshold=MATCH_THRESHOLD,
        segments=tuple(changes),
        migration=migration,
        customers_in_both=len(both),
        new_customers=new_customers,
        lost_customers=lost_customers,
        highlights=_highlights(changes, migration, model.period),
        warnings=tuple(notes),
    )


def _centre_distances(
    model: SavedModel, segmentation: Segmentation, features: FeatureMatrix
) -> np.ndarray:
    """Distances from this month's segment centres to last month's, in last month's units."""
    from scipy.spatial.distance import cdist

    in_model_space = model.standardize(features)
    centres = np.array(
        [
            in_model_space[segmentation.labels == index].mean(axis=0)
            for index in range(segmentation.k)
        ]
    )
    return cdist(centres, model.scaled_centroids())


def _highlights(
    changes: Sequence[SegmentChange], migration: pd.DataFrame, period: str
) -> tuple[str, ...]:
    """The most important movements, weighed by how many customers they concern."""
    by_number = {change.number: change for change in changes}

    def label(number: int) -> str:
        return f"Segment {number} “{by_number[number].name}”"

    candidates: list[tuple[int, str]] = []
    for change in changes:
        if change.status == "new":
            candidates.append(
                (
                    change.size,
                    f"A new segment appeared: {label(change.number)}, "
                    f"{change.share:.0%} of customers.",
                )
            )
        elif change.status == "gone":
            candidates.append(
                (
                    change.previous_size,
                    f"{label(change.number)}, "
                    f"{change.previous_share:.0%} of customers in {period}, "
                    "no longer exists.",
                )
            )
        elif change.size != change.previous_size:
            verb = "grew" if change.size > change.previous_size else "shrank"
            candidates.append(
                (
                    abs(change.size - change.previous_size),
                    f"{label(change.number)} {verb} from {change.previous_size:,} to "
                    f"{change.size:,} customers ({change.previous_share:.0%} → "
                    f"{change.share:.0%}).",
                )
            )
    for source in migration.index:
        staying = int(migration.loc[source].sum())
        for target in migration.columns:
            count = int(migration.loc[source, target])
            if source != target and count:
                candidates.append(
                    (
                        count,
                        f"{count:,} customers moved from {label(source)} to {label(target)} "
                        f"({count / staying:.0%} of Segment {source}).",
                    )
                )
    candidates.sort(key=lambda item: (-item[0], item[1]))
    if not candidates:
        return ("No notable change: the segments, their sizes and their members are stable.",)
    return tuple(text for _, text in candidates[:HIGHLIGHTS])
