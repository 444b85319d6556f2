"""The segment map's coordinates: the features, or a PCA fitted on the drawn customers."""

from __future__ import annotations

import numpy as np

from reportgen.projecting import MAX_POINTS, project

from .test_plotting import fitted


def test_a_saturated_map_draws_the_same_seeded_sample_every_run() -> None:
    features, segmentation = fitted(MAX_POINTS + 1_000, features=3)
    first, again = project(features, segmentation), project(features, segmentation)
    assert first.sampled and len(first.rows) == MAX_POINTS
    np.testing.assert_array_equal(first.rows, again.rows)
    assert (np.diff(first.rows) > 0).all()  # sorted, each customer once
    assert first.points is not None and first.points.shape == (MAX_POINTS, 2)


def test_two_measures_are_their_own_axes_and_centres_stay_in_original_units() -> None:
    features, segmentation = fitted(300)
    projection = project(features, segmentation)
    assert projection.explained is None and not projection.sampled
    np.testing.assert_array_equal(projection.points, features.values)
    np.testing.assert_array_equal(projection.centres, segmentation.centroids)


def test_the_projection_separates_segments_that_differ_on_every_feature() -> None:
    features, segmentation = fitted(400, features=5)
    projection = project(features, segmentation)
    assert projection.points is not None and projection.centres is not None
    assert projection.explained is not None
    assert projection.explained[0] > 0.5  # the two segments differ along one direction above all
    gap = abs(projection.centres[0, 0] - projection.centres[1, 0])
    assert gap > 4 * projection.points[segmentation.labels == 0, 0].std()
