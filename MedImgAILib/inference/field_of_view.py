"""Is the input much larger than what the model was trained on? Models trained on crops around a tumour find
tumour-like uptake anywhere in a whole-body PET/CT (bladder, brain, heart), so a much larger input gets a warning
that asks for a region of interest."""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

from MedImgAILib.geometry.field_of_view import physical_extent_mm
from MedImgAILib.models.model_spec import ModelSpec

__all__ = ["MUCH_LARGER", "field_of_view_warning"]

MUCH_LARGER = 1.5  # an input extent above this multiple of the largest training extent, along any axis, warns


def field_of_view_warning(spec: ModelSpec, reference: sitk.Image) -> str | None:
    """A sentence when reference (the first input, as the model will see it) is much larger than the largest
    training image along some axis; None when it is not, or the model declares no training field of view."""
    if spec.training_field_of_view_mm is None:
        return None
    extent = physical_extent_mm(reference)
    trained = np.asarray(spec.training_field_of_view_mm, float)
    if not np.any(extent > MUCH_LARGER * trained):
        return None
    return (f"the {spec.input_names[0]} covers {_mm(extent)}, much more than the largest image {spec.id} was "
            f"trained on ({_mm(trained)}): it may find its target in the wrong place. Give a region of interest "
            f"around the target")


def _mm(extent) -> str:
    return " x ".join(f"{value:.0f}" for value in extent) + " mm"
