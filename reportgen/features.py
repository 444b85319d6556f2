"""Stage 3: the clustering features as a standardized matrix."""

from __future__ import annotations

from reportgen.errors import DataError
from reportgen.model import CleanTable, FeatureMatrix


def prepare_features(clean: CleanTable) -> FeatureMatrix:
    """Standardize the feature columns to mean 0 and standard deviation 1.

    Without this, a feature measured in thousands would outweigh one measured from
    1 to 100 in every distance K-Means computes.

    Raises:
        DataError: a feature has the same value for every customer.
    """
    columns = clean.feature_columns
    values = clean.frame[list(columns)].to_numpy(dtype=float)
    means = values.mean(axis=0)
    scales = values.std(axis=0)
    for column, scale in zip(columns, scales, strict=True):
        if scale == 0:
            raise DataError(
                f"Feature {column!r} has the same value for every customer, so it cannot "
                "separate segments; leave it out of the features."
            )
    return FeatureMatrix(
        columns=columns,
        values=values,
        scaled=(values - means) / scales,
        means=means,
        scales=scales,
    )
