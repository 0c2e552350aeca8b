"""Clean a predicted labelmap: keep the largest component, fill holes, drop small islands (per label); and the
foreground probability threshold the model recommends for deciding the labels in the first place."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

__all__ = ["PostProcessing", "postprocess_labels"]


@dataclass(frozen=True)
class PostProcessing:
    keep_largest_component: bool = False
    fill_holes: bool = False
    minimum_island_ml: float = 0.0
    # Not a clean-up but the decision before it: a voxel is foreground when 1 - P(background) reaches this
    # (None: the most probable class). Models choose it on validation data to correct over- or under-segmentation.
    foreground_threshold: float | None = None

    @property
    def is_noop(self) -> bool:
        """Whether the labels are left as decided (the foreground threshold acts before, in the decision)."""
        return not (self.keep_largest_component or self.fill_holes or self.minimum_island_ml > 0)


def _box_around(labels: np.ndarray) -> tuple[slice, ...] | None:
    """The labels' bounding box grown by one voxel (clipped to the array): holes and components are the same
    inside it as in the whole array, since everything outside it is background connected to the outside."""
    where = np.nonzero(labels.any(axis=(1, 2)))[0], np.nonzero(labels.any(axis=(0, 2)))[0], \
        np.nonzero(labels.any(axis=(0, 1)))[0]
    if any(w.size == 0 for w in where):
        return None
    return tuple(slice(max(int(w[0]) - 1, 0), min(int(w[-1]) + 2, n)) for w, n in zip(where, labels.shape))


def _fill_holes(mask: np.ndarray, structure: np.ndarray) -> np.ndarray:
    """ndimage.binary_fill_holes in one labelling pass: background not connected (through faces) to the array's
    border is a hole. binary_fill_holes grows the outside by repeated dilation, one voxel per pass."""
    background, count = ndimage.label(~mask, structure)
    if count == 0:
        return mask
    faces = [background[index] for index in _faces(mask.ndim)]
    outside = np.zeros(count + 1, dtype=bool)
    outside[np.concatenate([face.ravel() for face in faces])] = True
    outside[0] = True  # the mask itself
    return ~outside[background] | mask


def _faces(ndim: int) -> list[tuple]:
    return [tuple(edge if a == axis else slice(None) for a in range(ndim)) for axis in range(ndim) for edge in (0, -1)]


def postprocess_labels(labels: np.ndarray, voxel_volume_ml: float, options: PostProcessing) -> np.ndarray:
    """Apply options to each non-zero label of a [k, j, i] labelmap; returns a new array."""
    if options.is_noop:
        return labels
    box = _box_around(labels)
    result = np.zeros_like(labels)
    if box is not None:
        result[box] = _postprocess(labels[box], voxel_volume_ml, options)
    return result


def _postprocess(labels: np.ndarray, voxel_volume_ml: float, options: PostProcessing) -> np.ndarray:
    result = np.zeros_like(labels)
    structure = ndimage.generate_binary_structure(3, 1)
    for value in np.unique(labels):
        if value == 0:
            continue
        mask = labels == value
        components, count = ndimage.label(mask, structure)
        if count:
            sizes = np.bincount(components.ravel())[1:]
            keep = np.ones(count, dtype=bool)
            if options.keep_largest_component:
                keep[:] = False
                keep[int(np.argmax(sizes))] = True
            if options.minimum_island_ml > 0:
                keep &= sizes * voxel_volume_ml >= options.minimum_island_ml
            mask = np.isin(components, np.flatnonzero(keep) + 1)
        if options.fill_holes:
            mask = _fill_holes(mask, structure)
        result[mask & (result == 0)] = value
    return result
