"""An image's field of view in physical space: its extent along L, P, S, and whether two fields of view share any
space at all, exactly (no sampling)."""

from __future__ import annotations

import itertools

import numpy as np
import SimpleITK as sitk

__all__ = ["fields_of_view_intersect", "physical_extent_mm"]


def physical_extent_mm(image) -> np.ndarray:
    """The extent (mm) along L, P and S of the box around the image's voxels (their outer faces). image: a
    SimpleITK image, or an ImageFileReader after ReadImageInformation() (only the header is needed)."""
    direction = np.array(image.GetDirection()).reshape(3, 3)
    edges = direction * (np.array(image.GetSpacing()) * np.array(image.GetSize()))  # one column per image axis
    return np.abs(edges).sum(axis=1)


def _corners(image: sitk.Image) -> list[tuple[float, ...]]:
    """Physical corners of the image's field of view (voxel edges, half a voxel beyond the centres)."""
    return [image.TransformContinuousIndexToPhysicalPoint([-0.5 if high == 0 else size - 0.5
                                                           for high, size in zip(choice, image.GetSize())])
            for choice in itertools.product((0, 1), repeat=image.GetDimension())]


def _separated_in_frame_of(image: sitk.Image, other: sitk.Image) -> bool:
    """True when, along one of image's axes, all of other's corners lie outside image's extent on one side."""
    indices = np.array([image.TransformPhysicalPointToContinuousIndex(point) for point in _corners(other)])
    low, high = -0.5, np.array(image.GetSize()) - 0.5
    return bool(np.any(indices.max(axis=0) < low) or np.any(indices.min(axis=0) > high))


def fields_of_view_intersect(a: sitk.Image, b: sitk.Image) -> bool:
    """False when the two (oriented box) fields of view are disjoint in physical space. Separation is tested along
    either image's axes: exact for boxes sharing orientation, and never wrongly reports disjoint boxes as apart."""
    return not (_separated_in_frame_of(a, b) or _separated_in_frame_of(b, a))
