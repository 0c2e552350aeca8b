"""Single-file images (NIfTI, NRRD, MetaImage) through SimpleITK, with clear errors and atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.io.atomic_write import atomic_output_path
from MedImgAILib.io.declared_geometry import check_declared_geometry
from MedImgAILib.io.nifti_payload import check_nifti_payload

__all__ = ["IMAGE_FILE_SUFFIXES", "is_image_file", "read_image_file", "write_image_file"]

IMAGE_FILE_SUFFIXES = (".nii.gz", ".nii", ".nrrd", ".nhdr", ".mha", ".mhd")


def is_image_file(path: str | os.PathLike) -> bool:
    return str(path).lower().endswith(IMAGE_FILE_SUFFIXES)


def _require_suffix(path: Path) -> None:
    if not is_image_file(path):
        supported = ", ".join(IMAGE_FILE_SUFFIXES)
        raise InputError(path, f"unsupported file type (supported: {supported}, or a DICOM folder)")


def read_image_file(path: str | os.PathLike) -> sitk.Image:
    """Read a 3D scalar image file; raise InputError naming the file for anything unreadable, not 3D, damaged
    (shorter than its header declares, NaN or infinite values), with impossible geometry (voxel sizes that are not
    positive, singular or sheared axes) or larger than the memory available, before allocating it."""
    path = Path(path)
    _require_suffix(path)
    if not path.is_file():
        raise InputError(path, "no such file")
    if not os.access(path, os.R_OK):
        raise InputError(path, "cannot be read: permission denied")
    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    nifti = path.name.lower().endswith((".nii", ".nii.gz"))
    if nifti:
        check_nifti_payload(path)  # first: ITK would read it as whole, or fail with an unclear message; NaN too
    try:
        reader.ReadImageInformation()
        if reader.GetDimension() != 3:
            raise InputError(path, f"is a {reader.GetDimension()}D image; a 3D image is needed")
        if reader.GetNumberOfComponents() != 1:
            raise InputError(path, "has vector pixels; a scalar 3D image is needed")
        check_declared_geometry(path, reader)
        image = reader.Execute()
    except RuntimeError as error:
        first_line = str(error).strip().splitlines()[-1] if str(error).strip() else "unreadable"
        raise InputError(path, f"cannot be read as an image ({first_line})") from None
    if not nifti and image.GetPixelID() in (sitk.sitkFloat32, sitk.sitkFloat64):
        values = sitk.GetArrayViewFromImage(image)
        non_finite = int(values.size - np.count_nonzero(np.isfinite(values)))
        if non_finite:
            raise InputError(path, f"holds {non_finite} NaN or infinite voxel values; replace them (e.g. with the "
                                   "background value) before using the image")
    return image


def write_image_file(image: sitk.Image, path: str | os.PathLike, compress: bool = True) -> Path:
    """Write image to path (format from the suffix) atomically; returns the path."""
    path = Path(path)
    _require_suffix(path)
    if path.suffix.lower() in (".mhd", ".nhdr"):
        raise InputError(path, "detached-header formats are not written; use .mha, .nrrd or .nii.gz")
    with atomic_output_path(path) as temporary:
        sitk.WriteImage(image, str(temporary), useCompression=compress)
    return path
