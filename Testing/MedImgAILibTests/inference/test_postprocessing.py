"""Post-processing keeps the largest component, fills holes and drops small islands, per label."""

from __future__ import annotations

import numpy as np

from MedImgAILib.inference import PostProcessing, postprocess_labels


def a_labelmap() -> np.ndarray:
    labels = np.zeros((10, 20, 20), dtype=np.uint8)
    labels[2:8, 2:12, 2:12] = 1  # big blob (600 voxels) ...
    labels[5, 6, 6] = 0  # ... with a hole
    labels[1, 16:18, 16:18] = 1  # small island (4 voxels)
    labels[8, 15:19, 2:6] = 2  # another label
    return labels


def test_nothing_changes_without_options():
    labels = a_labelmap()
    assert postprocess_labels(labels, 0.001, PostProcessing()) is labels


def test_keep_largest_component_and_fill_holes_per_label():
    result = postprocess_labels(a_labelmap(), 0.001, PostProcessing(keep_largest_component=True, fill_holes=True))
    assert (result == 1).sum() == 600 and result[5, 6, 6] == 1 and result[1, 16, 16] == 0
    assert (result == 2).sum() == 16


def test_islands_below_the_minimum_volume_are_dropped():
    result = postprocess_labels(a_labelmap(), 0.001, PostProcessing(minimum_island_ml=0.01))  # 10 voxels
    assert result[1, 16, 16] == 0 and (result == 1).sum() == 599 and (result == 2).sum() == 16
