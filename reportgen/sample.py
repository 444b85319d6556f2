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


# Monthly drift: each month this share of customers leaves, this share joins, and this
# share of the "high income, low spending" group starts spending like the
# "high income, high spending" group (a campaign that worked).
MONTHLY_LOSS = 0.06
MONTHLY_GAIN = 0.08
MONTHLY_CONVERTED = 0.30
CONVERTED_FROM, CONVERTED_TO = 3, 4


def make_customers(n: int = 200, *, seed: int = SAMPLE_SEED) -> pd.DataFrame:
    """Return ``n`` synthetic customers (plus a few duplicate rows) drawn from GROUPS."""
    rng = np.random.default_rng(seed)
    frame = _population(n, rng, seed).drop(columns="group")
    _blank_some_values(frame, rng, n)
    duplicates = frame.sample(n=max(1, n // 60), random_state=seed)
    return (
        pd.concat([frame, duplicates])
        .sort_values("CustomerID", kind="stable")
        .reset_index(drop=True)
    )


def make_months(
    n: int = 200, months: int = 3, *, start: str = "2026-01", seed: int = SAMPLE_SEED
) -> list[tuple[str, pd.DataFrame]]:
    """Return consecutive months of customers, as (YYYY-MM, table), with planted drift.

    Every month MONTHLY_LOSS of the customers leave, MONTHLY_GAIN new ones join (with
    new IDs), and MONTHLY_CONVERTED of the "high income, low spending" group move to
    the "high income, high spending" group. Spending scores also wobble a little.
    """
    rng = np.random.default_rng(seed)
    population = _population(n, rng, seed)
    result = []
    for index, period in enumerate(pd.period_range(start=start, periods=months, freq="M")):
        if index:
            population = _next_month(population, rng)
        result.append((str(period), population.drop(columns="group").reset_index(drop=True)))
    return result


def _population(n: int, rng: np.random.Generator, seed: int) -> pd.DataFrame:
    sizes = rng.multinomial(n, [group.share for group in GROUPS])
    parts = [
        _draw(group, size, rng).assign(group=number)
        for number, (group, size) in enumerate(zip(GROUPS, sizes, strict=True))
    ]
    frame = pd.concat(parts, ignore_index=True).sample(frac=1, random_state=seed)
    frame.insert(0, "CustomerID", np.arange(1, n + 1))
    return frame.reset_index(drop=True)


def _next_month(population: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    spending = "Spending Score (1-100)"
    staying = population.loc[rng.random(len(population)) >= MONTHLY_LOSS].copy()
    wobble = rng.normal(0, 2, len(staying)).round().astype(int)
    staying[spending] = np.clip(staying[spending].astype(int) + wobble, 1, 99)
    candidates = staying.index[staying["group"] == CONVERTED_FROM]
    converted = rng.choice(candidates, int(len(candidates) * MONTHLY_CONVERTED), replace=False)
    new_spending = rng.normal(*GROUPS[CONVERTED_TO].spending, len(converted))
    staying.loc[converted, spending] = np.clip(new_spending, 1, 99).round().astype(int)
    staying.loc[converted, "group"] = CONVERTED_TO
    newcomers = _population(int(len(population) * MONTHLY_GAIN), rng, int(rng.integers(2**31)))
    newcomers["CustomerID"] += int(population["CustomerID"].max())
    return pd.concat([staying, newcomers], ignore_index=True)


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
