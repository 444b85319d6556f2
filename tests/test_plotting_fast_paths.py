"""The shortcuts the charts take on large tables draw what the plain code would."""

from __future__ import annotations

import numpy as np
from matplotlib import cbook

from reportgen import plotting
from reportgen.contract import Segmentation

from .test_plotting import _matrix


def test_boxes_from_one_sort_are_those_of_a_mask_per_segment() -> None:
    # feature_boxplots splits one stable sort of the labels instead of masking every
    # customer once per segment: each box must still be its own segment's customers.
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 5_000)
    values = rng.lognormal(size=(5_000, 3)) * (1 + labels[:, None])
    k = 4
    sizes = tuple(int(n) for n in np.bincount(labels, minlength=k))
    segmentation = Segmentation(labels, np.zeros((k, 3)), np.zeros((k, 3)), sizes, 1, (1, 2, 3, 4))
    colors = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759"]
    figure = plotting.feature_boxplots(_matrix(values), segmentation, colors).figure()
    panels = [axes for axes in figure.axes if axes.get_visible()]
    assert len(panels) == 3
    for column, axes in enumerate(panels):
        for position, box in enumerate(axes.patches):
            stats = cbook.boxplot_stats(values[labels == position, column])[0]
            extents = box.get_path().get_extents()
            np.testing.assert_allclose([extents.y0, extents.y1], [stats["q1"], stats["q3"]])
