"""Align a model's secondary inputs to its reference input before they are stacked as channels.

A multimodal model assumes its inputs are co-registered in physical space. When they are not (PET from another
session, an MR with its own frame of reference), each secondary input is registered rigidly to the reference
with the preset that fits the modality pair; the transforms are then applied while resampling onto the model
grid, so the images are interpolated once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.models.model_spec import ModelSpec
from MedImgAILib.registration.engine import RegistrationResult, register
from MedImgAILib.registration.quality import overlap_fraction
from MedImgAILib.runtime import CancelToken, ProgressCallback, no_progress, scaled_progress

__all__ = ["ALIGNMENT_PRESETS", "MINIMUM_ALIGNED_OVERLAP", "InputAlignment", "align_inputs", "alignment_preset",
           "poorly_overlapping_inputs"]

#: (reference modality, secondary modality) -> registration preset; every other pair uses generic-rigid.
ALIGNMENT_PRESETS = {("CT", "PT"): "pet-to-ct-rigid", ("CT", "MR"): "mr-to-ct-rigid"}

#: When less than this fraction of the smaller field of view lies inside the larger one, alignment is offered.
MINIMUM_ALIGNED_OVERLAP = 0.5


@dataclass(frozen=True)
class InputAlignment:
    name: str  # the model input that was registered to the reference
    preset: str
    result: RegistrationResult  # transform maps reference points to the input's points (ITK convention)


def alignment_preset(reference_modality: str, modality: str) -> str:
    return ALIGNMENT_PRESETS.get((reference_modality, modality), "generic-rigid")


def poorly_overlapping_inputs(spec: ModelSpec, images: Mapping[str, sitk.Image],
                              minimum: float = MINIMUM_ALIGNED_OVERLAP) -> dict[str, float]:
    """{secondary input: shared fraction of the two fields of view} for inputs below minimum.

    The fraction is that of the smaller field of view lying inside the larger one, so an MR cropped closer than
    the CT still counts as overlapping. Images from different frames of reference (another scanner or session)
    typically share little; a misregistration of a few millimetres is not detected this way.
    """
    reference = images[spec.inputs[0].name]
    identity = sitk.Transform()
    fractions = {name: max(overlap_fraction(reference, images[name], identity),
                           overlap_fraction(images[name], reference, identity))
                 for name in spec.input_names[1:] if name in images}
    return {name: fraction for name, fraction in fractions.items() if fraction < minimum}


def align_inputs(spec: ModelSpec, images: Mapping[str, sitk.Image], names: Sequence[str],
                 progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> dict[str, InputAlignment]:
    """Register each named secondary input to the reference input; {name: alignment}."""
    reference_input = spec.inputs[0]
    by_name = {declared.name: declared for declared in spec.inputs}
    for name in names:
        if name not in by_name or name == reference_input.name:
            raise InputError(name, f"cannot be aligned: secondary inputs of '{spec.id}' are "
                                   f"{', '.join(spec.input_names[1:]) or 'none'}")
    alignments = {}
    for position, name in enumerate(names):
        preset = alignment_preset(reference_input.modality, by_name[name].modality)
        step = scaled_progress(progress, position / len(names), (position + 1) / len(names), f"registering {name}: ")
        result = register(images[reference_input.name], images[name], preset, progress=step, cancel=cancel)
        alignments[name] = InputAlignment(name, preset, result)
    return alignments
