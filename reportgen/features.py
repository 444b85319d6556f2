"""Stage 3: the clustering features as a transformed, standardized matrix.

Measures: strongly skewed amounts (skewness above 1, no negative value: annual spend
per category, balances) are log1p-transformed first, so that a few big spenders do
not stretch every distance; segments are still reported in original units. Then every
measure is standardized to mean 0 and standard deviation 1, so that a feature
measured in thousands does not outweigh one measured from 1 to 100.

Categories asked for as features (channel, region, education) are never treated as
numbers: each is one-hot encoded, one column per category, weighted 1/sqrt(2). Two
customers in different categories are then exactly 1 apart, as far as two customers
one standard deviation apart on one measure; on average a categorical feature pulls
at most half as hard as a measure, so it informs the segments without dominating
them. Categories held by fewer than 1% of customers, and any beyond the 11 most
common, are grouped as "Other".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NoReturn

import numpy as np
import pandas as pd

from reportgen.contract import (
    CategoryEncoding,
    CleanTable,
    FeatureMatrix,
    Transform,
    categories_by_count,
    category_text,
    transform_values,
)
from reportgen.errors import DataError

SKEW_LIMIT = 1.0
CATEGORY_WEIGHT = 1 / math.sqrt(2)
MAX_CATEGORIES = 12


def prepare_features(
    clean: CleanTable, encodings: Sequence[CategoryEncoding] | None = None
) -> FeatureMatrix:
    """Transform skewed measures, standardize them, and one-hot encode categories.

    Args:
        encodings: the categorical features' encodings of an earlier model, so that
            this month's customers are encoded with last month's categories; by
            default each categorical feature's categories are found in the data.

    Raises:
        DataError: a feature has the same value for every customer.
    """
    columns = tuple(c for c in clean.feature_columns if clean.is_measure(c))
    values = clean.frame[list(columns)].to_numpy(dtype=float)
    transforms = tuple(choose_transform(clean.frame[column]) for column in columns)
    transformed = transform_values(values, transforms)
    means = transformed.mean(axis=0)
    scales = transformed.std(axis=0)
    for column, scale in zip(columns, scales, strict=True):
        if scale == 0:
            _refuse_constant(column)
    given = {encoding.column: encoding for encoding in encodings or ()}
    categorical = tuple(
        given.get(column) or choose_categories(clean.frame[column])
        for column in clean.feature_columns
        if column not in columns
    )
    return FeatureMatrix(
        columns=columns,
        values=values,
        scaled=np.hstack(
            [(transformed - means) / scales]
            + [encoding.encode(clean.frame[encoding.column]) for encoding in categorical]
        ),
        means=means,
        scales=scales,
        transforms=transforms,
        display_names=tuple(clean.display(column) for column in columns),
        categorical=categorical,
    )


def choose_transform(values: pd.Series) -> Transform:
    """Return "log1p" for a strongly right-skewed amount, else "none".

    Negative values rule it out, and so do shares and rates between 0 and 1: their
    range is bounded, so a log would only distort them.
    """
    if (values < 0).any() or values.max() <= 1 or values.nunique() < 3:
        return "none"
    return "log1p" if float(values.skew()) > SKEW_LIMIT else "none"


def choose_categories(values: pd.Series) -> CategoryEncoding:
    """Choose the one-hot columns of a categorical feature, most common category first.

    Raises:
        DataError: every customer is in the same category.
    """
    return categories_from_counts(
        str(values.name), category_text(values).value_counts(), len(values)
    )


def categories_from_counts(column: str, counts: pd.Series, total: int) -> CategoryEncoding:
    """``choose_categories`` from each category's count (the Spark engine counts them).

    Raises:
        DataError: every customer is in the same category.
    """
    categories, other = categories_by_count(counts, total, MAX_CATEGORIES)
    if len(categories) < 2:
        _refuse_constant(column)
    return CategoryEncoding(
        column=column, categories=categories, weight=CATEGORY_WEIGHT, other=other
    )


def _refuse_constant(column: str) -> NoReturn:
    raise DataError(
        f"Feature {column!r} has the same value for every customer, so it cannot "
        "separate segments; leave it out of the features."
    )
