"""Where a two-stage model runs: a coarse localizer network on the whole image, and the box around what it finds.

A model may declare a ``localizer`` (e.g. deepbet's bounding-box network): it sees the whole reference image
resized to a small fixed shape, its foreground (the largest connected part, if declared) is boxed, planes of the
box that hold too little foreground are trimmed, the box grows by a margin on each side, and the model then runs
on that box of the reference's voxels only. The box is computed in the model's axis order and snapped to whole
reference voxels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import SimpleITK as sitk
import torch
from scipy import ndimage

from MedImgAILib.errors import InputError
from MedImgAILib.inference.model_grid import IndexBox, axis_order, model_grid
from MedImgAILib.inference.model_input import prepare_model_input
from MedImgAILib.inference.whole_volume import run_whole_volume
from MedImgAILib.models.model_spec import ModelSpec
from MedImgAILib.runtime import CancelToken

__all__ = ["LocatedRegion", "foreground_box", "locate_region"]


@dataclass(frozen=True)
class LocatedRegion:
    box: IndexBox  # voxels of the reference image
    foreground_voxels: int  # the localizer's foreground, on its own grid

    def as_dict(self, reference: sitk.Image) -> dict:
        corners = [reference.TransformContinuousIndexToPhysicalPoint([float(v) - 0.5 for v in corner])
                   for corner in (self.box.start, self.box.stop)]
        return {"index_start": list(self.box.start), "index_stop": list(self.box.stop),
                "corners_lps_mm": [[round(c, 2) for c in corner] for corner in corners],
                "localizer_foreground_voxels": self.foreground_voxels}


def _largest_component(mask: np.ndarray) -> np.ndarray:
    components, count = ndimage.label(mask, ndimage.generate_binary_structure(3, 3))
    if count <= 1:
        return mask
    sizes = np.bincount(components.ravel())[1:]
    return components == int(np.argmax(sizes)) + 1


def foreground_box(foreground: np.ndarray, minimum_plane_fraction: float) -> list[tuple[int, int]]:
    """[first, stop) along each axis of the planes of foreground holding more than minimum_plane_fraction of it."""
    ranges = []
    for axis in range(foreground.ndim):
        others = tuple(a for a in range(foreground.ndim) if a != axis)
        hits = np.flatnonzero(foreground.mean(axis=others) > minimum_plane_fraction)
        if hits.size == 0:
            return []
        ranges.append((int(hits[0]), int(hits[-1]) + 1))
    return ranges


def locate_region(spec: ModelSpec, network: torch.nn.Module, images: Mapping[str, sitk.Image],
                  transforms: Mapping[str, sitk.Transform] | None = None, device: torch.device | str = "cpu",
                  cancel: CancelToken | None = None) -> LocatedRegion:
    """The box of the reference's voxels that spec's localizer finds in images (already checked, check_inputs)."""
    localizer = spec.localizer
    reference = images[spec.input_names[0]]
    order = axis_order(reference, spec.orientation)
    grid = model_grid(reference, None, localizer.shape, order)
    prepared = prepare_model_input(spec, images, transforms, grid=grid, interpolation=localizer.interpolation,
                                   checked=True)
    probabilities = run_whole_volume(network, prepared.array, localizer.network.output, None,
                                     localizer.network.file, device, cancel)
    foreground = (1.0 - probabilities[0]) > localizer.threshold
    if localizer.keep_largest_component and foreground.any():
        foreground = _largest_component(foreground)
    ranges = foreground_box(foreground, localizer.minimum_plane_fraction)
    if not ranges:
        raise InputError(spec.input_names[0], f"the localizer of {spec.id} finds nothing to segment in this image "
                                              f"(is it a {spec.inputs[0].modality} image of what the model expects?)")
    size = reference.GetSize()
    start, stop = [0, 0, 0], [0, 0, 0]
    for m, r in enumerate(order.axes):
        scale = size[r] / localizer.shape[m]  # reference voxels per localizer voxel along this axis
        low, high = ranges[m][0] * scale, ranges[m][1] * scale
        centre = np.round((low + high) / 2)
        extent = np.round((high - low) * (1 + 2 * localizer.margin))
        first, last = max(0, int(np.floor(centre - extent / 2))), min(size[r], int(np.floor(centre + extent / 2)))
        if order.flipped[m]:  # the box was found along the model's axis: count back along the reference's
            first, last = size[r] - last, size[r] - first
        start[r], stop[r] = first, last
    if any(b <= a for a, b in zip(start, stop)):
        raise InputError(spec.input_names[0], f"the localizer of {spec.id} finds an empty region in this image")
    return LocatedRegion(IndexBox(tuple(start), tuple(stop)), int(foreground.sum()))
