"""One entry point for every input the tools accept: an image file, a DICOM file, or a DICOM folder."""

from __future__ import annotations

import os
from pathlib import Path

import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.io.image_files import is_image_file, read_image_file

__all__ = ["read_image"]


def read_image(path: str | os.PathLike, series_uid: str | None = None) -> sitk.Image:
    """Read a 3D scalar image (LPS). DICOM folders are searched recursively; series_uid picks a series."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "no such file or folder")
    if not path.is_file() and not path.is_dir():
        raise InputError(path, "is not a regular file or folder (a named pipe, socket or device)")
    if path.is_dir() or not is_image_file(path):
        from MedImgAILib.io.dicom_series import read_dicom_series  # pydicom: imported only for DICOM input

        return read_dicom_series(path, series_uid)
    if series_uid:
        raise InputError(path, "a series UID only applies to DICOM input")
    return read_image_file(path)
