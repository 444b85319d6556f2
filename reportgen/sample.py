"""The bundled sample: a seeded, synthetic customer table with five known groups.

It is generated, not copied from any public dataset: five groups in the classic
income x spending picture, each with its own age and gender mix, plus a few missing
values and duplicated rows so that the data-quality section has something to say.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SAMPLE_SEED = 2
SAMPLE_COLUMNS = ("CustomerID", "Gender", "Age", "Annual Income (k$)", "Spending Score (1-100)")


@dataclass(frozen=True)
class Group:
    """One planted customer group: means and spreads of income, spending and age."""

    name: str
    share: float
    income: tuple[float, float]
    spending: tuple[float, float]
    age: tuple[float, float]
    female_share: float


GROUPS = (
    Group("low income, low spending", 0.12, (25, 6), (20, 7), (45, 11), 0.57),
    Group("low income, high spending", 0.11, (25, 6), (80, 7), (25, 5), 0.59),
    Group("moderate income, average spending", 0.40, (55, 8), (50, 6), (42, 14), 0.58),
    Group("high income, low spending", 0.18, (88, 10), (17, 7), (41, 10), 0.46),
    Group("high income, high spending", 0.19, (86, 10), (82, 7), (33, 4), 0.54),
)


def make_customers(n: int = 200, *, seed: int = SAMPLE_SEED) -> pd.DataFrame:
    """Return ``n`` synthetic customers (plus a few duplicate rows) drawn from GROUPS."""
    rng = np.random.default_rng(seed)
    sizes = rng.multinomial(n, [group.share for group in GROUPS])
    parts = [_draw(group, size, rng) for group, size in zip(GROUPS, sizes, strict=True)]
    frame = pd.concat(parts, ignore_index=True).sample(frac=1, random_state=seed)
    frame.insert(0, "CustomerID", np.arange(1, n + 1))
    frame = frame.reset_index(drop=True)
    _blank_some_values(frame, rng, n)
    duplicates = frame.sample(n=max(1, n // 60), random_state=seed)
    return (
        pd.concat([frame, duplicates])
        .sort_values("CustomerID", kind="stable")
        .reset_index(drop=True)
    )


def _draw(group: Group, size: int, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Gender": np.where(rng.random(size) < group.female_share, "Female", "Male"),
            "Age": np.clip(rng.normal(*group.age, size), 18, 75).round().astype(int),
            "Annual Income (k$)": np.clip(rng.normal(*group.income, size), 12, 140)
            .round()
            .astype(int),
            "Spending Score (1-100)": np.clip(rng.normal(*group.spending, size), 1, 99)
            .round()
            .astype(int),
        }
    )


def _blank_some_values(frame: pd.DataFrame, rng: np.random.Generator, n: int) -> None:
    """Blank about 1% of ages, genders and incomes, as a real export would have."""
    for column in ("Gender", "Age", "Annual Income (k$)"):
        rows = rng.choice(n, size=max(1, n // 100), replace=False)
        frame[column] = frame[column].astype(object)
        frame.loc[rows, column] = None
