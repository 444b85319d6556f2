from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reportgen.errors import DataError
from reportgen.features import prepare_features
from reportgen.model import CleanTable, DataQuality


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
    np.testing.assert_allclose(features.scaled * features.scales + features.means, features.values)


def test_constant_feature_is_refused_by_name() -> None:
    with pytest.raises(DataError, match="'b' has the same value for every customer"):
        prepare_features(clean_table(pd.DataFrame({"a": [1.0, 2.0], "b": [5, 5]})))
