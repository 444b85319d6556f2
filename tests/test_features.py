from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reportgen.errors import DataError
from reportgen.features import prepare_features
from reportgen.model import CleanTable, DataQuality, transform_values


def clean_table(frame: pd.DataFrame) -> CleanTable:
    return CleanTable(
        frame,
        pd.Series(range(len(frame))),
        None,
        tuple(frame.columns),
        (),
        {},
        DataQuality(len(frame), 0, len(frame), (), ()),
    )


def test_features_are_standardized() -> None:
    features = prepare_features(
        clean_table(pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [10, 20, 60]}))
    )
    np.testing.assert_allclose(features.scaled.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(features.scaled.std(axis=0), 1)
    np.testing.assert_allclose(
        features.scaled * features.scales + features.means,
        transform_values(features.values, features.transforms),
    )


def test_constant_feature_is_refused_by_name() -> None:
    with pytest.raises(DataError, match="'b' has the same value for every customer"):
        prepare_features(clean_table(pd.DataFrame({"a": [1.0, 2.0], "b": [5, 5]})))


def test_skewed_amounts_are_log_transformed_and_symmetric_ones_are_not() -> None:
    rng = np.random.default_rng(0)
    spend = rng.lognormal(6, 1.2, 500)  # annual spend: a long right tail
    frame = pd.DataFrame(
        {
            "spend": spend,
            "score": rng.normal(50, 10, 500),
            "balance": np.append(rng.lognormal(3, 1, 499), -5.0),
        }
    )
    features = prepare_features(clean_table(frame))
    assert features.transforms == ("log1p", "none", "none")  # a negative balance: no log
    np.testing.assert_allclose(features.values[:, 0], spend)  # original units are kept
    assert abs(pd.Series(features.scaled[:, 0]).skew()) < 0.5
