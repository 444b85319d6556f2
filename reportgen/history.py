"""What a run remembers for next month: model.json, and reading an earlier run back.

model.json is plain JSON, readable by a person and safe to load from anywhere (no
pickle): the features and their standardization, each segment's number, name, size,
centre and radius, the settings and the input's hash. Its "format" and "version"
fields guard against files from an incompatible version.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reportgen import __version__
from reportgen.contract import (
    CategoryEncoding,
    FeatureMatrix,
    PreviousRun,
    SavedModel,
    SavedSegment,
    Segmentation,
    SegmentProfile,
    Transform,
)
from reportgen.errors import DataError
from reportgen.schema import (
    Choice,
    ListOf,
    MapOf,
    Maybe,
    Number,
    Record,
    SchemaError,
    Text,
    Whole,
    check,
)
from reportgen.spreadsheet import restore_formula

MODEL_FILE = "model.json"
MODEL_FORMAT = "reportgen-model"
MODEL_VERSION = 2
# Version 1 files (before categorical features) are read as models without them.
READABLE_VERSIONS = (1, 2)
# The radius of a segment: this quantile of its customers' distances to its centre.
RADIUS_QUANTILE = 0.99
# The order-line roles as settings (read next month's export the same way).
_ORDER_ROLE_SETTINGS = (
    "customer_column",
    "date_column",
    "amount_column",
    "quantity_column",
    "price_column",
    "order_column",
    "item_column",
    "status_column",
    "discount_column",
)
# Settings a run with --previous takes over unless given again.
INHERITED_SETTINGS = (
    "features",
    "profile",
    "ignore",
    "id_column",
    "labels",
    "units",
    "k_max",
    "k_min",
    "seed",
    "outcomes",
    # Order-line input: read next month's export the same way.
    "input_kind",
    *_ORDER_ROLE_SETTINGS,
    "date_format",
    "exclude_items",
)


def build_model(
    *,
    period: str,
    features: FeatureMatrix,
    short_names: Mapping[str, str],
    segmentation: Segmentation,
    segments: Sequence[SegmentProfile],
    id_column: str | None,
    input_sha256: str,
    settings: Mapping[str, Any],
) -> SavedModel:
    """Collect what next month's run needs to recognise this month's segments."""
    saved = []
    for index, segment in enumerate(segments):
        members = features.scaled[segmentation.labels == index]
        distances = np.linalg.norm(members - segmentation.centroids_scaled[index], axis=1)
        saved.append(
            SavedSegment(
                number=segment.number,
                name=segment.name,
                size=segment.size,
                centre_in_units=tuple(float(v) for v in segmentation.centroids[index]),
                centre_standardized=tuple(float(v) for v in segmentation.centroids_scaled[index]),
                radius=float(np.quantile(distances, RADIUS_QUANTILE)) if len(distances) else 0.0,
            )
        )
    return SavedModel(
        period=period,
        features=features.columns,
        short_names={column: short_names[column] for column in features.all_columns},
        means=tuple(float(v) for v in features.means),
        scales=tuple(float(v) for v in features.scales),
        transforms=features.transforms or tuple("none" for _ in features.columns),
        segments=tuple(saved),
        id_column=id_column,
        input_sha256=input_sha256,
        settings=dict(settings),
        reportgen_version=__version__,
        categorical=features.categorical,
    )


def model_json(model: SavedModel) -> bytes:
    """Serialize a saved model as indented JSON."""
    document = {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        "written_by": f"reportgen {model.reportgen_version}",
        "period": model.period,
        "input_sha256": model.input_sha256,
        "id_column": model.id_column,
        "features": [
            {
                "column": column,
                "short_name": model.short_names[column],
                "transform": transform,
                "mean": mean,
                "scale": scale,
            }
            for column, transform, mean, scale in zip(
                model.features, model.transforms, model.means, model.scales, strict=True
            )
        ],
        "categorical_features": [
            {
                "column": encoding.column,
                "short_name": model.short_names[encoding.column],
                "categories": list(encoding.categories),
                "other": encoding.other,
                "weight": encoding.weight,
            }
            for encoding in model.categorical
        ],
        "segments": [
            {
                "number": s.number,
                "name": s.name,
                "size": s.size,
                "centroid": dict(zip(model.features, s.centre_in_units, strict=True)),
                "centre_standardized": list(s.centre_standardized),
                "radius": s.radius,
            }
            for s in model.segments
        ],
        "settings": dict(model.settings),
    }
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


_FEATURE = Record(
    required={
        "column": Text(non_empty=True),
        "short_name": Text(),
        "transform": Choice(("none", "log1p")),
        "mean": Number(),
        # A zero scale would divide by zero when customers are standardized.
        "scale": Number(above=0),
    }
)
_CATEGORICAL = Record(
    required={
        "column": Text(non_empty=True),
        "short_name": Text(),
        "categories": ListOf(Text(), min_items=1),
        "other": Maybe(Text()),
        "weight": Number(above=0),
    }
)
_SEGMENT = Record(
    required={
        "number": Whole(1, 1000),
        "name": Text(non_empty=True),
        "size": Whole(0, 2**53),
        "centroid": MapOf(Number()),
        "centre_standardized": ListOf(Number(), min_items=1),
        "radius": Number(low=0),
    }
)
# model.json's declared shape (see reportgen.schema); "settings" is checked for the keys
# a follow-up run takes over.
MODEL_SCHEMA = Record(
    required={
        "format": Choice((MODEL_FORMAT,)),
        "version": Choice(READABLE_VERSIONS),
        "period": Text(non_empty=True),
        "input_sha256": Text(),
        "id_column": Maybe(Text(non_empty=True)),
        "features": ListOf(_FEATURE, min_items=1),
        "segments": ListOf(_SEGMENT, min_items=1),
        "settings": Record(
            required={},
            optional={
                "features": ListOf(Text(non_empty=True)),
                "profile": ListOf(Text(non_empty=True)),
                "ignore": ListOf(Text(non_empty=True)),
                "id_column": Maybe(Text(non_empty=True)),
                "labels": MapOf(Text()),
                "units": MapOf(Text()),
                "k_max": Whole(2, 30),
                "k_min": Whole(2, 30),
                "seed": Whole(0, 2**32 - 1),
                "outcomes": Maybe(ListOf(Text(non_empty=True))),
                "input_kind": Choice(("auto", "orders", "customers")),
                **{key: Maybe(Text(non_empty=True)) for key in _ORDER_ROLE_SETTINGS},
                "date_format": Maybe(Text(non_empty=True)),
                "exclude_items": ListOf(Text(non_empty=True)),
            },
            open=True,
        ),
    },
    optional={
        "written_by": Text(),
        "categorical_features": ListOf(_CATEGORICAL),
    },
)


def read_model(directory: Path, setting: str = "--previous") -> SavedModel:
    """Read model.json from an earlier run's output directory.

    Raises:
        DataError: there is no model, it is not valid JSON, it comes from an
            incompatible version, or a field is missing.
    """
    path = directory / MODEL_FILE
    if not path.is_file():
        raise DataError(
            f"{directory} holds no {MODEL_FILE}; {setting} must name the output directory of "
            "an earlier reportgen run (for example output/2026-10)."
        )
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(f"Cannot read {path}: {error}.") from None
    except RecursionError:
        raise DataError(f"{path} is nested too deeply to be a reportgen model file.") from None
    if not isinstance(document, dict) or document.get("format") != MODEL_FORMAT:
        raise DataError(f"{path} is not a reportgen model file.")
    if document.get("version") not in READABLE_VERSIONS:
        raise DataError(
            f"{path} has model format version {document.get('version')!r}, but this reportgen "
            f"({__version__}) reads versions {READABLE_VERSIONS[0]}-{MODEL_VERSION}; regenerate "
            "that month's report with this version first."
        )
    _check_model(document, path)
    try:
        features = document["features"]
        categorical = document.get("categorical_features", [])
        return SavedModel(
            period=str(document["period"]),
            features=tuple(f["column"] for f in features),
            short_names={f["column"]: f["short_name"] for f in (*features, *categorical)},
            means=tuple(float(f["mean"]) for f in features),
            scales=tuple(float(f["scale"]) for f in features),
            transforms=tuple(_transform(f["transform"]) for f in features),
            segments=tuple(
                SavedSegment(
                    number=int(s["number"]),
                    name=str(s["name"]),
                    size=int(s["size"]),
                    centre_in_units=tuple(float(s["centroid"][f["column"]]) for f in features),
                    centre_standardized=tuple(float(v) for v in s["centre_standardized"]),
                    radius=float(s["radius"]),
                )
                for s in document["segments"]
            ),
            id_column=document["id_column"],
            input_sha256=str(document["input_sha256"]),
            settings=dict(document["settings"]),
            reportgen_version=str(document.get("written_by", "")).removeprefix("reportgen "),
            categorical=tuple(
                CategoryEncoding(
                    column=str(c["column"]),
                    categories=tuple(str(category) for category in c["categories"]),
                    weight=float(c["weight"]),
                    other=None if c["other"] is None else str(c["other"]),
                )
                for c in categorical
            ),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise DataError(
            f"{path} is incomplete or damaged (problem with field {error}); regenerate that "
            "month's report."
        ) from None


def _check_model(document: dict[str, Any], path: Path) -> None:
    """Check model.json against MODEL_SCHEMA and its parts against each other."""
    try:
        check(document, MODEL_SCHEMA)
    except SchemaError as error:
        raise DataError(
            f"{path} is incomplete or damaged ({error}); regenerate that month's report "
            "(without --previous)."
        ) from None
    columns = [f["column"] for f in document["features"]]
    known = {*columns, *(c["column"] for c in document.get("categorical_features", []))}
    problem = None
    if len(set(columns)) != len(columns):
        problem = "key 'features' names a column twice"
    numbers = [s["number"] for s in document["segments"]]
    if len(set(numbers)) != len(numbers):
        problem = "key 'segments' numbers two segments the same"
    for index, segment in enumerate(document["segments"]):
        if set(segment["centroid"]) != set(columns):
            problem = f"key 'segments[{index}].centroid' must give every feature's value"
    unknown = [c for c in document["settings"].get("features", []) if c not in known]
    if unknown:
        problem = f"key 'settings.features' names {unknown[0]!r}, which is not among its features"
    if problem:
        raise DataError(
            f"{path} is incomplete or damaged ({problem}); regenerate that month's report "
            "(without --previous)."
        )


def _transform(name: str) -> Transform:
    if name not in ("none", "log1p"):
        raise ValueError(f"transform {name!r}")
    return name  # type: ignore[return-value]


def read_previous_run(directory: Path, setting: str = "--previous") -> PreviousRun:
    """Read an earlier run's model and its customer -> segment assignments.

    Args:
        setting: how the user named ``directory`` (``Settings.named``), for messages.
    """
    model = read_model(directory, setting)
    path = directory / "segments.csv"
    try:
        table = pd.read_csv(path, dtype={"customer_id": str})
        assignments = pd.Series(
            table["segment"].to_numpy(), index=table["customer_id"].map(restore_formula)
        )
    except (OSError, KeyError, ValueError, pd.errors.ParserError) as error:
        raise DataError(f"Cannot read the earlier assignments in {path}: {error}.") from None
    return PreviousRun(model=model, assignments=assignments)


def inherited_settings(directory: Path, setting: str = "--previous") -> dict[str, Any]:
    """Return the settings an earlier run used that a follow-up run should keep.

    Args:
        setting: how the user named ``directory`` (``Settings.named``), for messages.
    """
    settings = read_model(directory, setting).settings
    values = {key: settings[key] for key in INHERITED_SETTINGS if key in settings}
    for key in ("features", "profile", "ignore", "exclude_items"):
        if key in values:
            values[key] = tuple(values[key])
    if values.get("outcomes") is not None:  # None: found afresh each month
        values["outcomes"] = tuple(values["outcomes"])
    return values
