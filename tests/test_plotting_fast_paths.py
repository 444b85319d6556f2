"""The shortcuts the charts take on large tables give the arrays the plain code gives."""

from __future__ import annotations

import numpy as np

from reportgen.model import Segmentation
from reportgen.plotting import _segment_order


def test_segment_order_splits_values_as_a_mask_per_segment_does() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 1_000)
    labels[labels == 2] = 0  # an empty segment
    values = rng.normal(size=(1_000, 3))
    k = 4
    sizes = tuple(int(n) for n in np.bincount(labels, minlength=k))
    segmentation = Segmentation(labels, np.zeros((k, 3)), np.zeros((k, 3)), sizes, 1, (1, 2, 3, 4))
    order, bounds = _segment_order(segmentation)
    for column in range(3):
        groups = np.split(values[order, column], bounds)
        assert len(groups) == k
        for position, group in enumerate(groups):
            np.testing.assert_array_equal(group, values[labels == position, column])
