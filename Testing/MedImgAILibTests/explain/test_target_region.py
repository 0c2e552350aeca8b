"""The region an explanation targets: a label's prediction, or one of its connected regions by size."""

from __future__ import annotations

import numpy as np
import pytest

from MedImgAILib.errors import InputError
from MedImgAILib.explain.target import region_of


@pytest.fixture
def a_prediction_with_two_regions() -> np.ndarray:
    prediction = np.zeros((20, 20, 10), dtype=np.int64)
    prediction[1:9, 1:9, 1:9] = 1  # 512 voxels
    prediction[12:15, 12:15, 2:5] = 1  # 27 voxels
    return prediction


def test_components_are_counted_from_the_largest(a_prediction_with_two_regions):
    assert region_of(a_prediction_with_two_regions, 1).sum() == 539
    assert region_of(a_prediction_with_two_regions, 1, component=1).sum() == 512
    assert region_of(a_prediction_with_two_regions, 1, component=2).sum() == 27


def test_a_component_beyond_the_regions_says_how_many_there_are(a_prediction_with_two_regions):
    with pytest.raises(InputError, match="component 99 was asked for, but the prediction has only 2 connected regions"):
        region_of(a_prediction_with_two_regions, 1, component=99)
    with pytest.raises(InputError, match="regions are counted from 1"):
        region_of(a_prediction_with_two_regions, 1, component=0)
