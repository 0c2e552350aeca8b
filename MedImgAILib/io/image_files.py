"""Single-file images (NIfTI, NRRD, MetaImage) through SimpleITK, with clear errors and atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.io.atomic_write import atomic_output_path

__all__ = ["IMAGE_FILE_SUFFIXES", "is_image_file", "read_image_file", "write_image_file"]

IMAGE_FILE_SUFFIXES = (".nii.gz", ".nii", ".nrrd", ".nhdr", ".mha", ".mhd")


def is_image_file(path: str | os.PathLike) -> bool:
    return str(path).lower().endswith(IMAGE_FILE_SUFFIXES)


def _require_suffix(path: Path) -> None:
    if not is_image_file(path):
        supported = ", ".join(IMAGE_FILE_SUFFIXES)
        raise InputError(path, f"unsupported file type (supported: {supported}, or a DICOM folder)")


def read_image_file(path: str | os.PathLike) -> sitk.Image:
    """Read a 3D image file; raise InputError naming the file for anything unreadable or not 3D."""
    path = Path(path)
    _require_suffix(path)
    if not path.is_file():
        raise InputError(path, "no such file")
    try:
        image = sitk.ReadImage(str(path))
    except RuntimeError as error:
        first_line = str(error).strip().splitlines()[-1] if str(error).strip() else "unreadable"
        raise InputError(path, f"cannot be read as an image ({first_line})") from None
    if image.GetDimension() != 3:
        raise InputError(path, f"is a {image.GetDimension()}D image; a 3D image is needed")
    if image.GetNumberOfComponentsPerPixel() != 1:
        raise InputError(path, "has vector pixels; a scalar 3D image is needed")
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
