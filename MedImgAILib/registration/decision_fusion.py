"""Combine several segmentations of the same structure: majority vote or STAPLE, plus an agreement map."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.geometry import same_geometry

__all__ = ["FusionResult", "fuse_labelmaps"]

METHODS = ("vote", "staple")


@dataclass
class FusionResult:
    labelmap: sitk.Image  # uint8/uint16 on the first labelmap's grid
    agreement: sitk.Image  # float32: fraction of inputs that agree with the fused label at each voxel
    sensitivity: list[float] | None = None  # STAPLE: per input, for the foreground
    specificity: list[float] | None = None


MAX_LABELS = 255  # distinct non-zero values a labelmap may hold: more means an image was given as a labelmap


def _check(labelmaps: Sequence[sitk.Image], names: Sequence[str]) -> None:
    if len(labelmaps) < 2:
        raise InputError(None, "fusion needs at least two labelmaps")
    reference = labelmaps[0]
    for name, labelmap in zip(names, labelmaps):
        if labelmap.GetDimension() != 3:
            raise InputError(name, f"must be 3D, got {labelmap.GetDimension()}D")
        if not same_geometry(labelmap, reference):
            raise InputError(name, f"is not on the grid of the first labelmap ({names[0]}); resample it first")
        values = np.unique(sitk.GetArrayViewFromImage(labelmap))
        if not np.array_equal(values, np.round(values)):
            raise InputError(name, "holds non-integer values; a labelmap is needed")
        if len(values) > MAX_LABELS + 1:
            raise InputError(name, f"holds {len(values)} distinct values, not the few labels of a labelmap (at most "
                                   f"{MAX_LABELS}); is it an image?")
        if values[0] < 0 or values[-1] > 65535:
            raise InputError(name, f"holds the label {values[0] if values[0] < 0 else values[-1]:g}; labels are "
                                   "whole numbers from 0 to 65535")


def fuse_labelmaps(labelmaps: Sequence[sitk.Image], method: str = "vote",
                   names: Sequence[str] | None = None) -> FusionResult:
    """Majority vote (ties -> background) over any labels, or binary STAPLE on the foreground (label > 0).

    names: what to call each labelmap in errors (e.g. its file); default "labelmap 1", "labelmap 2", ...
    """
    if method not in METHODS:
        raise InputError(None, f"unknown fusion method {method!r}; choose {' or '.join(METHODS)}")
    _check(labelmaps, names or [f"labelmap {index + 1}" for index in range(len(labelmaps))])
    arrays = np.stack([sitk.GetArrayViewFromImage(l).astype(np.int64) for l in labelmaps])
    if method == "vote":
        labels = np.unique(arrays)
        counts = np.stack([(arrays == value).sum(axis=0) for value in labels])
        best = counts.argmax(axis=0)
        winner_counts = counts.max(axis=0)
        ties = (counts == winner_counts).sum(axis=0) > 1
        fused = np.where(ties, 0, labels[best])
        sensitivity = specificity = None
    else:
        staple = sitk.STAPLEImageFilter()
        staple.SetForegroundValue(1)
        probability = staple.Execute([sitk.Cast(l > 0, sitk.sitkUInt8) for l in labelmaps])
        fused = (sitk.GetArrayViewFromImage(probability) >= 0.5).astype(np.int64)
        sensitivity, specificity = list(staple.GetSensitivity()), list(staple.GetSpecificity())
        arrays = (arrays > 0).astype(np.int64)
    agreement = (arrays == fused[None]).mean(axis=0).astype(np.float32)
    dtype = np.uint8 if fused.max() < 256 else np.uint16
    fused_image = sitk.GetImageFromArray(fused.astype(dtype))
    fused_image.CopyInformation(labelmaps[0])
    agreement_image = sitk.GetImageFromArray(agreement)
    agreement_image.CopyInformation(labelmaps[0])
    return FusionResult(fused_image, agreement_image, sensitivity, specificity)
