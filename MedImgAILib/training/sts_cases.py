"""Training cases from the sts-multimodal folder, prepared by the same code path as inference."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.geometry.field_of_view import physical_extent_mm
from MedImgAILib.inference.model_grid import resample_onto
from MedImgAILib.inference.model_input import prepare_model_input
from MedImgAILib.io import read_image
from MedImgAILib.models.model_spec import ModelSpec
from MedImgAILib.training.recipes import DATA_FILE_PREFIX

__all__ = ["PreparedCase", "case_images", "prepare_case", "training_field_of_view_mm"]


@dataclass(frozen=True)
class PreparedCase:
    patient: str
    image: np.ndarray  # (channels, i, j, k) on the model grid
    label: np.ndarray  # (1, i, j, k) uint8 on the model grid


def case_images(data_folder: Path, patient: str, input_names) -> dict[str, sitk.Image]:
    folder = data_folder / patient
    if not folder.is_dir():
        raise InputError(folder, "patient folder not found")
    return {name: read_image(folder / f"{DATA_FILE_PREFIX[name]}_image.nii.gz") for name in input_names}


def reference_mask(data_folder: Path, patient: str) -> sitk.Image:
    """The CT-grid GTV mask: the reference for every variant, so their Dice values are comparable."""
    return read_image(data_folder / patient / "CT_mask.nii.gz")


def prepare_case(data_folder: Path, patient: str, spec: ModelSpec) -> PreparedCase:
    prepared = prepare_model_input(spec, case_images(data_folder, patient, spec.input_names))
    mask = sitk.Cast(reference_mask(data_folder, patient), sitk.sitkFloat32)
    on_grid = sitk.GetArrayFromImage(resample_onto(mask, prepared.grid)).transpose(2, 1, 0)
    return PreparedCase(patient, prepared.array, (on_grid[None] >= 0.5).astype(np.uint8))


def training_field_of_view_mm(data_folder: Path, patients, input_name: str) -> list[float]:
    """The largest extent (mm, along L, P, S) of input_name's image among the patients: the field of view the
    model was trained on, declared so that much larger inputs get a warning. Only the headers are read."""
    extents = []
    for patient in patients:
        header = sitk.ImageFileReader()
        header.SetFileName(str(Path(data_folder) / patient / f"{DATA_FILE_PREFIX[input_name]}_image.nii.gz"))
        header.ReadImageInformation()
        extents.append(physical_extent_mm(header))
    return [round(float(v), 1) for v in np.max(extents, axis=0)]
