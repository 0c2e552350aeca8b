"""Turn the user's images into the tensor a model expects, and know how to map results back.

Every input is normalised on its own grid, then resampled by physical coordinates onto the model grid,
derived from the first (reference) input; channels are stacked in the order the model declares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.geometry import fields_of_view_intersect
from MedImgAILib.inference.model_grid import model_grid, resample_onto
from MedImgAILib.inference.normalization import normalize
from MedImgAILib.models.model_spec import ModelSpec

__all__ = ["ModelInput", "check_inputs", "prepare_model_input"]


@dataclass(frozen=True)
class ModelInput:
    array: np.ndarray  # (channels, i, j, k) float32 on the model grid
    grid: sitk.Image  # geometry of the model grid (voxels unused)
    reference: sitk.Image  # the first input: results are returned on its exact grid


def _expected(spec: ModelSpec) -> str:
    return ", ".join(f"{i.name} ({i.modality})" for i in spec.inputs)


def check_inputs(spec: ModelSpec, images: Mapping[str, sitk.Image]) -> None:
    """Refuse missing, unexpected, non-3D, non-scalar or non-finite inputs with a message listing what is expected."""
    missing = [name for name in spec.input_names if name not in images]
    unexpected = [name for name in images if name not in spec.input_names]
    if missing or unexpected:
        details = "; ".join(part for part in (
            f"missing: {', '.join(missing)}" if missing else "",
            f"unexpected: {', '.join(unexpected)}" if unexpected else "",
        ) if part)
        raise InputError(None, f"model '{spec.id}' expects the inputs {_expected(spec)}; {details}")
    for name in spec.input_names:
        image = images[name]
        if image.GetDimension() != 3 or image.GetNumberOfComponentsPerPixel() != 1:
            raise InputError(name, f"input must be a 3D scalar image, got {image.GetDimension()}D with "
                                   f"{image.GetNumberOfComponentsPerPixel()} component(s)")
        if min(image.GetSize()) < 2:
            raise InputError(name, f"input is too small ({image.GetSize()}): a volume is needed")
        values = sitk.GetArrayViewFromImage(image)
        if not np.isfinite(values).all():
            raise InputError(name, "input contains NaN or infinite values")
        _check_plausible(name, values, spec.inputs[spec.input_names.index(name)].modality)


MASK_SAMPLE = 1_000_000  # voxels looked at to tell a mask from an image


def _check_plausible(name: str, values: np.ndarray, modality: str) -> None:
    """Refuse what is surely not a scan: a constant volume (blank, all zero) or one holding two values (a mask)."""
    low, high = values.min(), values.max()
    if low == high:
        raise InputError(name, f"input is constant (every voxel is {low:g}): a blank image cannot be segmented")
    sample = values.ravel()[:: max(1, values.size // MASK_SAMPLE)]
    distinct = np.unique(sample)
    if len(distinct) <= 2:
        raise InputError(name, f"input holds only the values {distinct[0]:g} and {distinct[-1]:g}: it looks like a "
                               f"mask or labelmap, not a {modality} image")


def _normalized_image(name: str, image: sitk.Image, normalization) -> sitk.Image:
    array = normalize(sitk.GetArrayViewFromImage(image), normalization)
    if not np.isfinite(array).all():
        raise InputError(name, f"input's intensities ({sitk.GetArrayViewFromImage(image).max():g} at most) overflow "
                               f"the model's {normalization['type']} normalisation: is it a {name} image?")
    normalized = sitk.GetImageFromArray(array)
    normalized.CopyInformation(image)
    return normalized


def prepare_model_input(spec: ModelSpec, images: Mapping[str, sitk.Image],
                        transforms: Mapping[str, sitk.Transform] | None = None) -> ModelInput:
    """transforms: {input name: transform mapping reference points to that input's points}, for inputs that
    are not co-registered in physical space (see input_alignment)."""
    check_inputs(spec, images)
    transforms = transforms or {}
    reference = images[spec.inputs[0].name]
    for declared in spec.inputs[1:]:
        if declared.name not in transforms and not fields_of_view_intersect(reference, images[declared.name]):
            raise InputError(declared.name, f"does not overlap the reference input {spec.inputs[0].name} at all in "
                                            "physical space, so it is not registered to it: register it first "
                                            f"(medimgai segment --register-inputs {declared.name}; in the panel, "
                                            "Register inputs first)")
    grid = model_grid(reference, spec.target_spacing_mm)
    channels = []
    for declared in spec.inputs:
        normalized = _normalized_image(declared.name, images[declared.name], declared.normalization)
        resampled = resample_onto(normalized, grid, transform=transforms.get(declared.name))
        channels.append(sitk.GetArrayFromImage(resampled).transpose(2, 1, 0))
    return ModelInput(array=np.ascontiguousarray(np.stack(channels), dtype=np.float32), grid=grid, reference=reference)
