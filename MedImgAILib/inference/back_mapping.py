"""Class probabilities from the model grid back onto an image's grid, by linear interpolation.

Any target grid: SimpleITK resampling by physical position. The reference image itself, for a model grid that is
a box of its voxels at a fixed shape (whole-volume models): the model grid's axes are the reference's, reordered
and reversed, and the box is covered exactly, so the same linear interpolation is a resize of the network's
array to the box's size (torch, on all cores), then the axes put back; outside the box is background.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import SimpleITK as sitk
import torch

from MedImgAILib.inference.model_grid import AxisOrder, IndexBox, resample_onto, with_reversed_axes

__all__ = ["SUMS_TO_ONE", "most_probable", "probabilities_on", "probabilities_on_region"]

SUMS_TO_ONE = 1e-4  # largest deviation of a voxel's class probabilities from a sum of one


def _sum_to_one(probabilities: np.ndarray, chunk: int = 1 << 20) -> bool:
    """Whether every voxel's class probabilities sum to one, a slab at a time (no whole-volume temporary)."""
    flat = probabilities.reshape(len(probabilities), -1)
    for start in range(0, flat.shape[1], chunk):
        total = flat[:, start:start + chunk].sum(axis=0)
        if max(float(total.max()) - 1.0, 1.0 - float(total.min())) >= SUMS_TO_ONE:
            return False
    return True


def probabilities_on(target: sitk.Image, probabilities: np.ndarray, grid: sitk.Image) -> np.ndarray:
    """(channels, i, j, k) on the model grid -> (channels, k, j, i) on target's grid, by linear interpolation.
    Outside the model grid (a model that ran on a region only) every voxel is background. Probabilities that sum
    to one stay so under linear interpolation, so background is then 1 minus the labels (one resampling fewer)."""
    ijk_grid = with_reversed_axes(grid)

    def resampled(values: np.ndarray, outside: float) -> np.ndarray:
        image = sitk.GetImageFromArray(np.ascontiguousarray(values, dtype=np.float32))  # [i, j, k] on ijk_grid
        image.CopyInformation(ijk_grid)
        return sitk.GetArrayFromImage(resample_onto(image, target, default=outside))

    if len(probabilities) > 1 and _sum_to_one(probabilities):
        labels = np.stack([resampled(values, 0.0) for values in probabilities[1:]])
        return np.concatenate([1.0 - labels.sum(axis=0, keepdims=True), labels])
    return np.stack([resampled(values, float(channel == 0)) for channel, values in enumerate(probabilities)])


def probabilities_on_region(probabilities: np.ndarray, order: AxisOrder, region: IndexBox,
                            reference: sitk.Image) -> np.ndarray:
    """(channels, i, j, k) on a model grid made by model_grid(reference, shape=..., order, region) ->
    (channels, k, j, i) on reference's grid. The same linear interpolation as probabilities_on (voxel centres
    mapped through the box, clamped within half a voxel of its faces), done as one resize."""
    box_size = [region.size[axis] for axis in order.axes]  # the box, along the model's axes
    with torch.inference_mode():
        resized = torch.nn.functional.interpolate(torch.from_numpy(np.ascontiguousarray(probabilities))[None],
                                                  size=box_size, mode="trilinear", align_corners=False)[0]
        flipped = [1 + m for m, flip in enumerate(order.flipped) if flip]
        if flipped:
            resized = resized.flip(flipped)
        model_axis_of = [order.axes.index(axis) for axis in (2, 1, 0)]  # reference k, j, i
        box = resized.permute(0, *[1 + m for m in model_axis_of]).contiguous().numpy()
    size_kji = reference.GetSize()[::-1]
    result = np.zeros((len(probabilities), *size_kji), dtype=np.float32)
    result[0] = 1.0  # background outside the box
    where = tuple(slice(region.start[axis], region.stop[axis]) for axis in (2, 1, 0))
    result[(slice(None), *where)] = box
    return result


def most_probable(probabilities: np.ndarray, values: Sequence[int],
                  foreground_threshold: float | None = None) -> np.ndarray:
    """The label value of each voxel's most probable channel (channel 0: background, 0), as np.argmax picks it
    (the first of equals), one channel at a time rather than across the channel axis. With foreground_threshold,
    a voxel is foreground (its most probable label) when 1 - P(background) reaches the threshold instead."""
    labels = np.zeros(probabilities.shape[1:], dtype=np.uint8 if max(values) < 256 else np.uint16)
    if foreground_threshold is None:
        best = probabilities[0]
    else:  # a label wins where the background is unlikely enough; among labels, the most probable
        best = np.where(1.0 - probabilities[0] >= foreground_threshold, -1.0, np.inf).astype(probabilities.dtype)
    for value, channel in zip(values, probabilities[1:]):
        better = channel > best
        labels[better] = value
        best = np.where(better, channel, best) if len(values) > 1 else best
    return labels
