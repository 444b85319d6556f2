"""Shared fixtures: small tables made in code, and one full sample run reused by many tests."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reportgen.config import SAMPLE_CONFIG
from reportgen.pipeline import RunResult, run
from reportgen.settings import Settings, resolve_settings


def write_csv(path: Path, frame: pd.DataFrame, sep: str = ",") -> Path:
    """Write ``frame`` as a CSV file and return its path."""
    frame.to_csv(path, index=False, sep=sep)
    return path


def blobs(k: int, per_blob: int = 60, *, spread: float = 0.6, seed: int = 0) -> pd.DataFrame:
    """Customers in ``k`` well-separated groups on two measures, with an ID column."""
    rng = np.random.default_rng(seed)
    angles = np.linspace(0, 2 * np.pi, k, endpoint=False)
    centers = np.column_stack([np.cos(angles), np.sin(angles)]) * 10 + 50
    points = np.vstack([rng.normal(center, spread * 2, (per_blob, 2)) for center in centers])
    return pd.DataFrame(
        {
            "CustomerID": np.arange(1, len(points) + 1),
            "Income": points[:, 0].round(2),
            "Spending": points[:, 1].round(2),
        }
    )


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Build Settings for a table in tmp_path, writing into tmp_path/out."""

    def build(input_path: Path, **values: object) -> Settings:
        values.setdefault("output_dir", tmp_path / "out")
        return Settings(input_path=input_path, **values)  # type: ignore[arg-type]

    return build


@dataclass(frozen=True)
class SampleRun:
    """One run of the bundled sample with its PDF, and what WeasyPrint logged."""

    result: RunResult
    output_dir: Path
    weasyprint_problems: list[str]


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> SampleRun:
    """Run the bundled sample end to end once (PDF included) for all tests that read it."""
    output_dir = tmp_path_factory.mktemp("sample-report")
    settings = resolve_settings(None, SAMPLE_CONFIG, {"output_dir": output_dir})
    recorder = _Recorder()
    logging.getLogger("weasyprint").addHandler(recorder)
    try:
        result = run(settings)
    finally:
        logging.getLogger("weasyprint").removeHandler(recorder)
    return SampleRun(result, output_dir, recorder.messages)
