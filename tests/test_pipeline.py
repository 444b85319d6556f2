from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reportgen import clustering
from reportgen.contract import Table
from reportgen.pipeline import analyse
from reportgen.settings import Settings
from tests.conftest import blobs


def test_the_final_fit_is_given_the_centres_the_evidence_for_k_examined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """So that a final fit with a tiny segment no test saw can fall back on them."""
    given: dict[str, Any] = {}
    fit = clustering.fit_segments

    def spy(*args: Any, **kwargs: Any) -> Any:
        given.update(kwargs)
        return fit(*args, **kwargs)

    monkeypatch.setattr(clustering, "fit_segments", spy)
    table = Table(frame=blobs(3), path=tmp_path / "c.csv", sha256="0", description="test")
    analysis = analyse(Settings(input_path=table.path, make_pdf=False), table=table)
    choice = analysis.report.k_choice
    assert choice is not None and choice.resample_fits is not None
    assert given["examined"] is not None
    np.testing.assert_array_equal(given["examined"], choice.resample_fits.centres)
    assert len(given["examined"]) == choice.chosen_k
