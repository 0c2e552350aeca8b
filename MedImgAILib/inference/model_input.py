"""Turn the user's images into the tensor a model expects, and know how to map results back.

Every input is normalised on its own grid, then resampled by physical coordinates onto the model grid,
derived from the first (reference) input; channels are stacked in the order the model declares. A model that
declares ``normalize_on: model_input`` has each input resampled first and normalised on the array it will see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.geometry import fields_of_view_intersect
from MedImgAILib.inference.model_grid import axis_order, model_grid, resample_onto, with_reversed_axes
from MedImgAILib.inference.normalization import normalization_steps, normalize
from MedImgAILib.models.model_spec import ModelSpec

__all__ = ["ModelInput", "check_inputs", "default_model_grid", "prepare_model_input"]


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


def _normalized_array(name: str, values: np.ndarray, normalization) -> np.ndarray:
    array = normalize(values, normalization)
    if not np.isfinite(array).all():
        kinds = "+".join(step["type"] for step in normalization_steps(normalization))
        raise InputError(name, f"input's intensities ({np.max(values):g} at most) overflow the model's {kinds} "
                               f"normalisation: is it a {name} image?")
    return array


def _normalized_image(name: str, image: sitk.Image, normalization) -> sitk.Image:
    normalized = sitk.GetImageFromArray(_normalized_array(name, sitk.GetArrayViewFromImage(image), normalization))
    normalized.CopyInformation(image)
    return normalized


_INTERPOLATORS = {"linear": sitk.sitkLinear, "nearest": sitk.sitkNearestNeighbor}
_TIE_BREAK = 1e-4  # of a model voxel


def _sampling_transform(grid: sitk.Image, interpolation: str,
                        transform: sitk.Transform | None) -> sitk.Transform | None:
    """For nearest-neighbour sampling, a shift of a ten-thousandth of a model voxel along the model's own axes:
    a model point exactly halfway between two voxels (a model grid of half the image's size) then takes the later
    voxel along the model's axes, as torch's 'nearest-exact' resizing does, whichever way the image file stores
    its axes. Linear sampling is left exact."""
    if interpolation != "nearest":
        return transform
    direction = np.array(grid.GetDirection()).reshape(3, 3)
    shift = sitk.TranslationTransform(3, tuple(direction @ (np.array(grid.GetSpacing()) * _TIE_BREAK)))
    return shift if transform is None else sitk.CompositeTransform([transform, shift])  # shift first


def default_model_grid(spec: ModelSpec, reference: sitk.Image) -> sitk.Image:
    """The grid the model runs on over the whole reference: its spacing (sliding windows) or its fixed shape
    (whole volume), with its declared axis order."""
    shape = spec.inference.shape if spec.is_whole_volume else None
    return model_grid(reference, spec.target_spacing_mm, shape, axis_order(reference, spec.orientation))


def prepare_model_input(spec: ModelSpec, images: Mapping[str, sitk.Image],
                        transforms: Mapping[str, sitk.Transform] | None = None, grid: sitk.Image | None = None,
                        interpolation: str | None = None, checked: bool = False) -> ModelInput:
    """transforms: {input name: transform mapping reference points to that input's points}, for inputs that
    are not co-registered in physical space (see input_alignment). grid: the model grid (default: the model's
    own over the whole reference, see default_model_grid); interpolation: "linear" or "nearest" (default: the
    model's declared one); checked: check_inputs has passed on these images already."""
    if not checked:
        check_inputs(spec, images)
    transforms = transforms or {}
    reference = images[spec.inputs[0].name]
    for declared in spec.inputs[1:]:
        if declared.name not in transforms and not fields_of_view_intersect(reference, images[declared.name]):
            raise InputError(declared.name, f"does not overlap the reference input {spec.inputs[0].name} at all in "
                                            "physical space, so it is not registered to it: register it first "
                                            f"(medimgai segment --register-inputs {declared.name}; in the panel, "
                                            "Register inputs first)")
    grid = grid if grid is not None else default_model_grid(spec, reference)
    interpolation = interpolation or spec.inference.interpolation
    interpolator = _INTERPOLATORS[interpolation]
    ijk_grid = with_reversed_axes(grid)  # resampled arrays come out indexed [i, j, k], no transposed copy
    channels = []
    for declared in spec.inputs:
        image = images[declared.name]
        transform = _sampling_transform(grid, interpolation, transforms.get(declared.name))
        if spec.normalize_on == "model_input":
            source = image if interpolation == "nearest" else sitk.Cast(image, sitk.sitkFloat32)  # nearest: exact
            resampled = resample_onto(source, ijk_grid, interpolator, transform=transform)
            channel = _normalized_array(declared.name, sitk.GetArrayViewFromImage(resampled), declared.normalization)
        else:
            normalized = _normalized_image(declared.name, image, declared.normalization)
            channel = sitk.GetArrayFromImage(resample_onto(normalized, ijk_grid, interpolator, transform=transform))
        channels.append(channel)
    array = channels[0][None] if len(channels) == 1 else np.stack(channels)
    return ModelInput(array=np.ascontiguousarray(array, dtype=np.float32), grid=grid, reference=reference)
