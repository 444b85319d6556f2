"""Stage 3: the clustering features as a transformed, standardized matrix.

Strongly skewed amounts (skewness above 1, no negative value: annual spend per
category, balances) are log1p-transformed first, so that a few big spenders do not
stretch every distance; segments are still reported in original units. Then every
feature is standardized to mean 0 and standard deviation 1, so that a feature
measured in thousands does not outweigh one measured from 1 to 100.
"""

from __future__ import annotations

import pandas as pd

from reportgen.errors import DataError
from reportgen.model import CleanTable, FeatureMatrix, Transform, transform_values

SKEW_LIMIT = 1.0


def prepare_features(clean: CleanTable) -> FeatureMatrix:
    """Transform skewed features, then standardize every feature.

    Raises:
        DataError: a feature has the same value for every customer.
    """
    columns = clean.feature_columns
    values = clean.frame[list(columns)].to_numpy(dtype=float)
    transforms = tuple(choose_transform(clean.frame[column]) for column in columns)
    transformed = transform_values(values, transforms)
    means = transformed.mean(axis=0)
    scales = transformed.std(axis=0)
    for column, scale in zip(columns, scales, strict=True):
        if scale == 0:
            raise DataError(
                f"Feature {column!r} has the same value for every customer, so it cannot "
                "separate segments; leave it out of the features."
            )
    return FeatureMatrix(
        columns=columns,
        values=values,
        scaled=(transformed - means) / scales,
        means=means,
        scales=scales,
        transforms=transforms,
        display_names=tuple(clean.display(column) for column in columns),
    )


def choose_transform(values: pd.Series) -> Transform:
    """Return "log1p" for a strongly right-skewed, non-negative feature, else "none"."""
    if (values < 0).any() or values.nunique() < 3:
        return "none"
    return "log1p" if float(values.skew()) > SKEW_LIMIT else "none"
