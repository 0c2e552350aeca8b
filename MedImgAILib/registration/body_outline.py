"""The body's outline (skin against air) found in an image, for registering by shape what intensities cannot align.

Why: on the sarcoma PET/CT crops (one hybrid scanner, so the true alignment is the scanner's), mutual information
between CT and PET has its optimum 2-16 mm away from the scanner's alignment (median 5.4 mm; the optimiser finds
that optimum whatever the start, benchmarks/results/registration_truth.md): with the tumour as dense as muscle on
CT and 5.5 mm PET voxels, the joint histogram rewards putting the hot tumour over some CT tissue class. The
outline of the body is the structure both images show sharply enough, and aligning the two outlines lands within
about a PET voxel of the scanner's alignment.
"""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

from MedImgAILib.errors import InputError

__all__ = ["OUTLINE_KINDS", "body_outline"]

OUTLINE_KINDS = ("ct", "emission")
CT_BODY_HU = -400.0  # between air (-1000) and fat (-100)
EMISSION_SMOOTHING_MM = 3.0
# Emission images (PET, SPECT) in any unit: body background is a fraction of the typical body uptake.
EMISSION_FRACTION_OF_UPPER_QUARTILE = 0.25
# Outlines are found on a grid no finer than this: a PET voxel is 4-6 mm, and the registration then samples
# a fraction of the voxels it would on a 1 mm CT grid.
OUTLINE_SPACING_MM = 2.0
# A body covering (nearly) the whole field of view has no outline in it to align.
MOST_OF_THE_FIELD_OF_VIEW = 0.97


def _no_finer_than(image: sitk.Image, spacing_mm: float) -> sitk.Image:
    """The image over the same field of view, its voxels widened to spacing_mm along the axes where they are finer."""
    # Imported here: the inference package needs scipy, and the presets (this package) must import without it.
    from MedImgAILib.inference.model_grid import model_grid, resample_onto

    spacing = [max(s, spacing_mm) for s in image.GetSpacing()]
    if spacing == list(image.GetSpacing()):
        return image
    return resample_onto(image, model_grid(image, spacing), default=float(sitk.GetArrayViewFromImage(image).min()))


def _largest_region(mask: sitk.Image) -> sitk.Image:
    regions = sitk.RelabelComponent(sitk.ConnectedComponent(mask), sortByObjectSize=True)
    return sitk.Cast(regions == 1, sitk.sitkUInt8)


def body_outline(image: sitk.Image, kind: str, role: str = "the image") -> sitk.Image:
    """The body as a binary mask on the image's grid, voxels widened to OUTLINE_SPACING_MM where finer: 'ct' above
    -400 HU; 'emission' (PET) above a quarter of the smoothed image's upper quartile. Holes (lungs, bowel gas) are
    filled; only the largest region is kept."""
    if kind not in OUTLINE_KINDS:
        raise ValueError(f"unknown outline kind {kind!r} (choose from {OUTLINE_KINDS})")
    image = _no_finer_than(sitk.Cast(image, sitk.sitkFloat32), OUTLINE_SPACING_MM)
    if kind == "ct":
        mask = image > CT_BODY_HU
    else:
        smoothed = sitk.SmoothingRecursiveGaussian(image, EMISSION_SMOOTHING_MM)
        threshold = EMISSION_FRACTION_OF_UPPER_QUARTILE * float(np.percentile(sitk.GetArrayViewFromImage(smoothed), 75))
        mask = smoothed > threshold
    mask = sitk.BinaryFillhole(sitk.Cast(mask, sitk.sitkUInt8))
    if not sitk.GetArrayViewFromImage(mask).any():
        raise InputError(role, f"no body found in it ({kind} outline)")
    body = _largest_region(mask)
    if sitk.GetArrayViewFromImage(body).mean() >= MOST_OF_THE_FIELD_OF_VIEW:
        raise InputError(role, "the body fills its whole field of view, so there is no outline to align "
                               "by; if both images come from one PET/CT scanner, its alignment is the best estimate "
                               "(use the images unregistered), otherwise contour one structure on both and use "
                               "structure-guided-rigid")
    return body
