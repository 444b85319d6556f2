"""Stage 10: the machine-readable results, and writing every output file safely.

The report folder is replaced as a whole (see reportgen.swap): the new folder is built
beside the old one and the two are exchanged in one step, so after a failure or a
kill at any instant the folder holds exactly the earlier report or exactly the new one.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np
import pandas as pd

from reportgen.contract import (
    Changes,
    CleanTable,
    KChoice,
    KScore,
    Report,
    RfmSummary,
    Segmentation,
)
from reportgen.errors import OutputError
from reportgen.spreadsheet import neutralize_formula
from reportgen.swap import claim_output_dir, replace_folder

if TYPE_CHECKING:
    import pyarrow as pa

log = logging.getLogger(__name__)

SUMMARY_FORMAT = "reportgen-summary/1"
# Rows of segments.csv formatted at a time: about 65 MB of text, whatever the table's size.
CSV_BATCH_ROWS = 1 << 20


@dataclass(frozen=True)
class Directory:
    """An output that is a folder (the Spark engine's Parquet table): ``write`` fills it.

    ``write`` is given the folder's path in the staging folder, which does not exist yet.
    """

    write: Callable[[Path], None]


# An output file's content, or a function that writes it into the open file, or a folder.
Content = bytes | memoryview | Callable[[BinaryIO], None] | Directory


def segments_csv(clean: CleanTable, segmentation: Segmentation, names: list[str]) -> bytes:
    """Return one CSV row per customer kept: customer_id, segment, segment_name."""
    sink = io.BytesIO()
    write_segments_csv(sink, clean, segmentation, names)
    return sink.getvalue()


def not_segmented_csv(table: pd.DataFrame) -> bytes:
    """The customers of an order-line run that were not segmented, and why, as CSV.

    Customer IDs are data: one a spreadsheet would run as a formula is neutralized, as in
    segments.csv.
    """
    safe = table.assign(customer_id=table["customer_id"].astype(str).map(neutralize_formula))
    return safe.to_csv(index=False).encode("utf-8")


def write_segments_csv(
    file: BinaryIO,
    clean: CleanTable,
    segmentation: Segmentation,
    names: list[str],
    *,
    batch_rows: int = CSV_BATCH_ROWS,
    extra: pd.DataFrame | None = None,
) -> None:
    """Write one CSV row per customer kept into ``file``: customer_id, segment, segment_name.

    Written with pyarrow's CSV writer (for ten million customers pandas' to_csv takes
    several times as long), a batch of rows at a time straight into the file: the whole
    CSV (650 MB for ten million customers) is never held in memory, and the bytes are
    the same as one write of the whole table (tested). ``extra`` holds more columns,
    one row per customer in the same order (order-line runs: recency, frequency,
    monetary value, RFM score and group).
    """
    write_assignments_csv(
        file,
        clean.customer_ids,
        segmentation.labels,
        segmentation.numbers,
        names,
        batch_rows=batch_rows,
        extra=extra,
    )


def write_assignments_csv(
    file: BinaryIO,
    customer_ids: pd.Series,
    labels: np.ndarray,
    segment_numbers: tuple[int, ...],
    names: list[str],
    *,
    batch_rows: int = CSV_BATCH_ROWS,
    extra: pd.DataFrame | None = None,
) -> None:
    """``write_segments_csv`` from the customer IDs and their segment positions."""
    import pyarrow as pa
    from pyarrow import csv as arrow_csv

    names = [neutralize_formula(name) for name in names]
    numbers = np.asarray(segment_numbers)
    options = arrow_csv.WriteOptions(quoting_style="needed")
    writer = None
    for start in range(0, max(len(customer_ids), 1), batch_rows):
        rows = slice(start, start + batch_rows)
        batch = _segments_table(customer_ids[rows], labels[rows], numbers, names)
        if extra is not None:
            for column in extra.columns:
                values = pa.Array.from_pandas(extra[column].iloc[rows])  # NA -> empty cell
                batch = batch.append_column(str(column), values)
        if writer is None:
            writer = arrow_csv.CSVWriter(file, batch.schema, write_options=options)
        writer.write_table(batch)
    if writer is not None:
        writer.close()


def _segments_table(
    ids: pd.Series, labels: np.ndarray, numbers: np.ndarray, names: list[str]
) -> pa.Table:
    import pyarrow as pa

    if ids.dtype == object or pd.api.types.is_string_dtype(ids):
        ids = ids.astype(str).map(neutralize_formula)
    # The names as a dictionary column: a few strings and an index per customer, not a
    # copy of the strings per customer.
    segment_names = pa.DictionaryArray.from_arrays(
        pa.array(labels.astype(np.int32)), pa.array(names, type=pa.string())
    )
    return pa.table(
        {
            "customer_id": pa.array(ids.to_numpy()),
            "segment": pa.array(numbers[labels]),
            "segment_name": segment_names,
        }
    )


def summary_json(report: Report) -> bytes:
    """Return the run's results and provenance as JSON, for the CRM and next month's run."""
    rfm_rows = {row.number: row for row in report.rfm.segments} if report.rfm else {}
    summary = {
        "format": SUMMARY_FORMAT,
        "generated_at": report.generated_at.isoformat(timespec="seconds"),
        "title": report.title,
        "period": report.period,
        "input": {
            "file": report.source_name,
            "sha256": report.input_sha256,
            "rows_read": report.quality.rows_read,
            "duplicate_rows": report.quality.duplicate_rows,
            "rows_kept": report.quality.rows_kept,
            # Customers left out because they never bought (not_segmented.csv).
            "never_bought": report.quality.never_bought,
            "missing_values_filled": {
                column.name: column.missing for column in report.quality.columns if column.missing
            },
        },
        "features": list(report.feature_columns),
        "profile_columns": list(report.profile_columns),
        "k": _k_summary(report.k_choice),
        "segments": [
            {
                "number": segment.number,
                "name": segment.name,
                "description": segment.description,
                "size": segment.size,
                "share": segment.share,
                "color": segment.color,
                "stability": segment.stability,
                "stability_reading": segment.stability_reading or None,
                "feature_means": {level.column: level.segment_mean for level in segment.features},
                "feature_levels": {level.column: level.level for level in segment.features},
                # Categorical features: the share of each of the segment's top categories.
                "category_shares": {
                    item.column: {share.category: share.share for share in item.shares}
                    for item in segment.categories
                },
                "profile": {item.column: item.summary for item in segment.demographics},
                # Order lines: the share of the segment's customers in each RFM group.
                "rfm_groups": (
                    {share.name: share.share for share in rfm_rows[segment.number].mix}
                    if segment.number in rfm_rows
                    else None
                ),
                "recommendations": {
                    "rule": segment.recommendation.rule,
                    "action": segment.recommendation.action,
                    "campaign": segment.recommendation.campaign,
                    "retention": segment.recommendation.retention,
                    "products": segment.recommendation.products,
                    # A segment without a majority RFM group: the action for each part.
                    "parts": [
                        {
                            "rfm_group": part.group,
                            "share": part.share,
                            "customers": part.customers,
                            "action": part.action,
                        }
                        for part in segment.recommendation.parts
                    ],
                },
            }
            for segment in report.segments
        ],
        "purchase_behaviour": _rfm_summary(report.rfm),
        "population_means": {
            level.column: level.population_mean for level in report.segments[0].features
        },
        "changes": _changes_summary(report.changes),
        "outcomes": [item.to_summary() for item in report.outcomes],
        "settings": report.settings.to_summary(),
        "versions": dict(report.versions),
    }
    return (json.dumps(summary, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _rfm_summary(rfm: RfmSummary | None) -> dict[str, Any] | None:
    """Page 1's purchase-behaviour figures, and each segment's RFM row (order lines only)."""
    if rfm is None:
        return None
    return {
        "reference_date": rfm.reference_date.isoformat(),
        "at_risk_groups": list(rfm.risk_groups),
        "customers_at_risk": rfm.customers_at_risk,
        "overdue_customers_at_risk": rfm.overdue_at_risk,
        # The days between purchases second-time buyers are held to (rfm.store_interval).
        "usual_days_between_purchases": rfm.usual_interval,
        "revenue_at_risk_last_12_months": rfm.revenue_at_risk,
        "lifetime_revenue_at_risk": rfm.lifetime_at_risk,
        "headline": rfm.at_risk_basis,
        # Days the purchases cover; under rfm.MIN_HISTORY_DAYS nothing is at risk.
        "history_days": rfm.history_days,
        "short_history": rfm.short_history,
        "top_10_percent_revenue_share": rfm.top10_share,
        "top_20_percent_revenue_share": rfm.top20_share,
        "net_revenue": rfm.total_revenue,
        "segments": [
            {
                "number": row.number,
                "revenue": row.revenue,
                "revenue_share": row.revenue_share,
                "average_order_value": row.average_order_value,
                "median_recency_days": row.median_recency,
                "median_frequency": row.median_frequency,
                "median_monetary": row.median_monetary,
                "returned_share": row.returned_share,
                "last_12_months": row.last_12_months,
                "overdue_share": row.overdue_share,
                "usual_interval_days": row.usual_interval,
            }
            for row in rfm.segments
        ],
    }


def _k_summary(choice: KChoice | None) -> dict[str, Any] | None:
    if choice is None:
        return None
    return {
        "chosen": choice.chosen_k,
        "forced": choice.forced,
        "reason": choice.reason,
        "elbow_k": choice.elbow_k,
        "silhouette_k": choice.silhouette_k,
        "methods_agree": choice.methods_agree,
        "evidence_sample_size": choice.sample_size,
        "silhouette_sample_size": choice.silhouette_sample_size,
        "stability_resamples": choice.resamples,
        "scores": [
            {"k": s.k, "inertia": s.inertia, "silhouette": s.silhouette, "stability": s.stability}
            | _k_evidence(s)
            for s in choice.scores
        ],
    } | _k_rule(choice)


def _k_rule(choice: KChoice) -> dict[str, Any]:
    """The rule that chose k (issue 13): the range, the thresholds and what it found."""
    return {
        "k_min": choice.k_min,
        "k_max": choice.k_max,
        "rule_k": choice.rule_k,
        "sharp_groups": choice.sharp,
        "structure_note": choice.structure_note,
        "previous_k": choice.previous_k,
        "k_change": choice.k_change,
        "prediction_strength_splits": choice.splits,
        "prediction_strength_half_size": choice.split_sample_size,
        "thresholds": {
            "prediction_strength": choice.prediction_strength_threshold,
            "segment_stability": choice.stability_threshold,
            "smallest_segment_share": choice.min_segment_share,
        },
    }


def _k_evidence(score: KScore) -> dict[str, Any]:
    """One k's evidence beyond the elbow and the silhouette ("stability" is the weakest)."""
    return {
        "prediction_strength": score.prediction_strength,
        "segment_stability": list(score.segment_stability),
        "segment_shares": list(score.segment_shares),
        "calinski_harabasz": score.calinski_harabasz,
        "davies_bouldin": score.davies_bouldin,
        "passes": score.passes,
        "failures": list(score.failures),
    }


def _changes_summary(changes: Changes | None) -> dict[str, Any] | None:
    if changes is None:
        return None
    return {
        "previous_period": changes.previous_period,
        "mode": changes.mode,
        "match_threshold": changes.match_threshold,
        "customers_in_both": changes.customers_in_both,
        "new_customers": changes.new_customers,
        "lost_customers": changes.lost_customers,
        "k_change": changes.k_change,
        "highlights": list(changes.highlights),
        "warnings": list(changes.warnings),
        "segments": [
            {
                "number": c.number,
                "name": c.name,
                "status": c.status,
                "previous_size": c.previous_size,
                "size": c.size,
                "centre_distance": c.distance,
                "drift": {
                    column: {"before": before, "now": now} for column, before, now in c.drift
                },
            }
            for c in changes.segments
        ],
        "migration": {
            str(source): {str(target): int(count) for target, count in row.items()}
            for source, row in changes.migration.iterrows()
        },
    }


def write_atomically(
    output_dir: Path, files: Mapping[str, Content], stale: tuple[str, ...] = ()
) -> list[Path]:
    """Write ``files`` (name -> content) into ``output_dir``, all or nothing.

    The new folder is built beside ``output_dir`` and then exchanged with it in one
    step; other runs writing to the same folder wait for this one (a lock).

    Args:
        output_dir: created if needed; files already there that are not named here
            are kept (carried over into the new folder).
        files: the outputs of this run, as bytes or as a function that writes them into
            the open file (a large file is then streamed, never held in memory). A name
            may lead into a subfolder (``email/message.html``); the subfolder is created
            as needed. Names are relative POSIX paths that stay inside ``output_dir``.
        stale: names of earlier outputs that this run replaces with nothing (a PDF
            from an earlier run when this one made none); left out of the new folder,
            so no file contradicts the others.

    Returns:
        The paths written, in the order given.
    """
    for name in files:
        _check_name(name)

    def build(staging: Path) -> None:
        for name, content in files.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Directory):
                content.write(staging / name)
                continue
            with (staging / name).open("wb") as file:
                if callable(content):
                    content(file)
                else:
                    file.write(content)

    with claim_output_dir(output_dir):
        try:
            replaced = replace_folder(output_dir, build, keep_out=(*files, *stale))
        except OSError as error:
            raise OutputError(
                f"Cannot write the report to {output_dir}: {error.strerror or error}"
                f"{f' ({error.filename})' if error.filename else ''}. Nothing was written; "
                "any earlier report there is unchanged. Free some space or choose another "
                "folder with -o."
            ) from None
    for name in stale:
        if name in replaced:
            log.info("removed %s from an earlier run: this run made none", output_dir / name)
    return [output_dir / name for name in files]


def _check_name(name: str) -> None:
    path = PurePosixPath(name)
    if path.is_absolute() or not path.parts or ".." in path.parts or "\\" in name:
        raise ValueError(f"Output name {name!r} must be a relative path inside the output folder.")
