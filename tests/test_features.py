from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reportgen.contract import CategoryEncoding, CleanTable, DataQuality, transform_values
from reportgen.errors import DataError
from reportgen.features import prepare_features


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


def with_kinds(frame: pd.DataFrame, **kinds: str) -> CleanTable:
    clean = clean_table(frame)
    return CleanTable(
        clean.frame,
        clean.customer_ids,
        None,
        clean.feature_columns,
        (),
        {},
        clean.quality,
        kinds={column: kinds.get(column, "numeric") for column in frame.columns},  # type: ignore[misc]
    )


def test_categories_are_one_hot_encoded_so_a_different_category_is_one_apart() -> None:
    frame = pd.DataFrame({"income": [1.0, 2.0, 3.0, 4.0], "channel": [1, 2, 1, 3]})
    features = prepare_features(with_kinds(frame, channel="code"))
    assert features.columns == ("income",) and features.all_columns == ("income", "channel")
    (encoding,) = features.categorical
    assert encoding.categories == ("1", "2", "3") and encoding.other is None
    assert features.scaled.shape == (4, 4)
    one_hot = features.scaled[:, 1:]
    np.testing.assert_allclose(one_hot.sum(axis=1), encoding.weight)
    # Customers 0 and 2 share channel 1; 0 and 1 do not: exactly 1 apart on that feature.
    assert np.linalg.norm(one_hot[0] - one_hot[2]) == 0
    assert np.linalg.norm(one_hot[0] - one_hot[1]) == pytest.approx(1.0)
    np.testing.assert_allclose(features.values, frame[["income"]].to_numpy())


def test_rare_and_unseen_categories_fall_into_other() -> None:
    regions = ["North"] * 150 + ["South"] * 148 + ["Atlantis", "Mars"]
    frame = pd.DataFrame({"spend": np.arange(300.0), "region": regions})
    features = prepare_features(with_kinds(frame, region="categorical"))
    (encoding,) = features.categorical
    assert encoding.categories == ("North", "South", "Other") and encoding.other == "Other"
    assert features.scaled[-1, -1] == encoding.weight  # Mars counts as Other
    unseen = encoding.encode(pd.Series(["South", "Venus"]))
    np.testing.assert_allclose(unseen, [[0, encoding.weight, 0], [0, 0, encoding.weight]])


def test_last_months_categories_are_reused_and_values_outside_them_get_zeros() -> None:
    frame = pd.DataFrame({"spend": [1.0, 2.0, 3.0], "channel": ["Web", "Shop", "Phone"]})
    first = prepare_features(with_kinds(frame, channel="categorical"))
    (encoding,) = first.categorical
    assert encoding.categories == ("Phone", "Shop", "Web")  # equal counts: by name
    narrower = CategoryEncoding("channel", ("Shop", "Web"), encoding.weight)
    again = prepare_features(with_kinds(frame, channel="categorical"), [narrower])
    assert again.categorical == (narrower,)
    np.testing.assert_allclose(
        again.scaled[:, 1:], [[0, narrower.weight], [narrower.weight, 0], [0, 0]]
    )


def test_a_category_shared_by_every_customer_is_refused() -> None:
    frame = pd.DataFrame({"spend": [1.0, 2.0, 3.0], "channel": ["Web"] * 3})
    with pytest.raises(DataError, match="'channel' has the same value for every customer"):
        prepare_features(with_kinds(frame, channel="categorical"))


def test_a_flag_keeps_its_rare_value_instead_of_folding_it_into_other() -> None:
    frame = pd.DataFrame({"spend": np.arange(300.0), "complained": ["0"] * 298 + ["1"] * 2})
    (encoding,) = prepare_features(with_kinds(frame, complained="categorical")).categorical
    assert encoding.categories == ("0", "1") and encoding.other is None


def test_shares_between_0_and_1_are_never_log_transformed() -> None:
    rng = np.random.default_rng(1)
    share = np.clip(rng.exponential(0.05, 500), 0, 1)  # skewed, but a bounded rate
    assert prepare_features(clean_table(pd.DataFrame({"share": share}))).transforms == ("none",)
