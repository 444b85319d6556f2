from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from reportgen.contract import CategoryEncoding, SavedModel, SavedSegment
from reportgen.errors import DataError
from reportgen.history import build_model, model_json, read_model, read_previous_run


def saved_model(**changes: object) -> SavedModel:
    values: dict[str, object] = {
        "period": "2026-10",
        "features": ("Income", "Spending"),
        "short_names": {"Income": "income", "Spending": "spending"},
        "means": (50.0, 50.0),
        "scales": (10.0, 20.0),
        "transforms": ("none", "none"),
        "segments": (
            SavedSegment(1, "High income, low spending", 40, (70.0, 20.0), (2.0, -1.5), 1.5),
            SavedSegment(2, "Low income, high spending", 30, (30.0, 80.0), (-2.0, 1.5), 1.2),
            SavedSegment(3, "Average income, average spending", 30, (50.0, 50.0), (0, 0), 1.0),
        ),
        "id_column": "CustomerID",
        "input_sha256": "ab" * 32,
        "settings": {"features": ["Income", "Spending"], "seed": 7, "k_max": 8},
        "reportgen_version": "0.1.0",
    }
    values.update(changes)
    return SavedModel(**values)  # type: ignore[arg-type]


def test_model_round_trips_through_readable_json(tmp_path: Path) -> None:
    model = saved_model()
    (tmp_path / "model.json").write_bytes(model_json(model))
    document = json.loads((tmp_path / "model.json").read_text())
    assert document["format"] == "reportgen-model" and document["version"] == 2
    assert document["segments"][0]["centroid"] == {"Income": 70.0, "Spending": 20.0}
    assert read_model(tmp_path) == model


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(version=3), "format version 3"),
        (lambda d: d.update(format="other"), "not a reportgen model file"),
        (lambda d: d.pop("segments"), r"incomplete or damaged .*segments"),
        (lambda d: d["features"][0].pop("scale"), r"incomplete or damaged .*scale"),
        # Order-line settings a follow-up run takes over are checked too (found by
        # test_hostile: a list here was an internal error).
        (
            lambda d: d["settings"].update(customer_column=[]),
            r"incomplete or damaged .*customer_column",
        ),
        (lambda d: d["settings"].update(input_kind="lines"), r"incomplete or damaged .*input_kind"),
        (lambda d: d["settings"].update(exclude_items="POST"), r"damaged .*exclude_items"),
    ],
)
def test_incompatible_or_damaged_model_is_refused(tmp_path: Path, edit, message: str) -> None:
    document = json.loads(model_json(saved_model()))
    edit(document)
    (tmp_path / "model.json").write_text(json.dumps(document))
    with pytest.raises(DataError, match=message):
        read_model(tmp_path)


def test_directory_without_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"holds no model\.json"):
        read_previous_run(tmp_path)


def test_previous_assignments_undo_spreadsheet_protection(tmp_path: Path) -> None:
    (tmp_path / "model.json").write_bytes(model_json(saved_model()))
    (tmp_path / "segments.csv").write_text("customer_id,segment,segment_name\n'-7,1,a\nA1,2,b\n")
    previous = read_previous_run(tmp_path)
    assert previous.assignments.to_dict() == {"-7": 1, "A1": 2}


def test_radius_is_the_99th_percentile_distance() -> None:
    from reportgen.clustering import fit_segments
    from reportgen.contract import Recommendation, SegmentProfile

    from .test_choosing_k import matrix

    rng = np.random.default_rng(0)
    features = matrix(np.vstack([rng.normal(0, 1, (100, 2)), rng.normal(10, 1, (100, 2))]))
    segmentation = fit_segments(features, 2, seed=0)
    advice = Recommendation("r", "a", "c", "r", "p")
    profiles = [SegmentProfile(n, f"S{n}", "", 100, 0.5, "#000", (), (), advice) for n in (1, 2)]
    model = build_model(
        period="2026-01",
        features=features,
        short_names={"a": "a", "b": "b"},
        segmentation=segmentation,
        segments=profiles,
        id_column=None,
        input_sha256="x",
        settings={},
    )
    members = features.scaled[segmentation.labels == 0]
    distances = np.linalg.norm(members - segmentation.centroids_scaled[0], axis=1)
    assert model.segments[0].radius == pytest.approx(np.quantile(distances, 0.99))
    assert model.segments[0].centre_in_units == pytest.approx(tuple(segmentation.centroids[0]))


def test_categorical_features_round_trip_and_version_1_models_still_read(tmp_path: Path) -> None:
    encoding = CategoryEncoding("Channel", ("Web", "Shop", "Other"), 2**-0.5, other="Other")
    model = saved_model(
        categorical=(encoding,),
        short_names={"Income": "income", "Spending": "spending", "Channel": "channel"},
    )
    (tmp_path / "model.json").write_bytes(model_json(model))
    assert read_model(tmp_path) == model

    document = json.loads(model_json(saved_model()))
    document["version"] = 1
    del document["categorical_features"]
    (tmp_path / "model.json").write_text(json.dumps(document))
    assert read_model(tmp_path) == saved_model()
