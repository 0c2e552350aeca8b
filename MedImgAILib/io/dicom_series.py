"""Read one DICOM series (a folder, or a single possibly multi-frame file) into a SimpleITK image."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pydicom
from pydicom.errors import InvalidDicomError
import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.io.dicom_folder import BLANK_SERIES_UID, DicomSeriesSummary, scan_dicom_folder
from MedImgAILib.io.dicom_slices import DicomSlice, slices_from_dataset
from MedImgAILib.io.slice_stack import assemble_volume

__all__ = ["SeriesSelectionError", "list_dicom_series", "read_dicom_series", "select_series"]

#: DICOM attributes copied to the image's metadata dictionary (shown by `medimgai info`).
METADATA_KEYWORDS = ("Modality", "SeriesInstanceUID", "SeriesDescription", "PatientPosition", "Units")


class SeriesSelectionError(InputError):
    """The folder holds several image series (or none matching the request); the message lists them."""


def list_dicom_series(folder: str | os.PathLike) -> list[DicomSeriesSummary]:
    return scan_dicom_folder(folder)


def _listing(series: list[DicomSeriesSummary]) -> str:
    return "\n".join(f"  {s.describe()}" for s in series)


def select_series(folder: Path, series: list[DicomSeriesSummary], series_uid: str | None) -> DicomSeriesSummary:
    """The requested series (UID or unique UID prefix), or the only image series of the folder."""
    if not series:
        raise InputError(folder, "contains no DICOM files")
    if series_uid:
        matches = [s for s in series if s.series_uid == series_uid] or [
            s for s in series if s.series_uid.startswith(series_uid)
        ]
        if len(matches) != 1:
            problem = "no series matches" if not matches else "several series match"
            raise SeriesSelectionError(folder, f"{problem} {series_uid!r}; it holds:\n{_listing(series)}")
        return matches[0]
    images = [s for s in series if s.is_image]
    if len(images) == 1 and images[0].series_uid == BLANK_SERIES_UID:
        warnings.warn(f"{folder}: the files have no SeriesInstanceUID (blanked by an anonymiser?); they are read as "
                      "one series")
    if not images:
        raise InputError(series[0].files[0], f"is not an image series ({series[0].describe()})")
    if len(images) > 1:
        raise SeriesSelectionError(
            folder, f"holds {len(images)} image series; choose one by SeriesInstanceUID:\n{_listing(series)}"
        )
    return images[0]


class _PixelSource:
    """Raw (un-rescaled) pixels of slices, decoding each file once, frames included."""

    def __init__(self, datasets: dict[Path, pydicom.Dataset]):
        self._datasets = datasets
        self._decoded: dict[Path, np.ndarray] = {}

    def __call__(self, dicom_slice: DicomSlice) -> np.ndarray:
        path = dicom_slice.source
        if path not in self._decoded:
            try:
                self._decoded[path] = self._datasets.pop(path).pixel_array
            except Exception as error:  # pydicom raises many types for undecodable pixel data
                raise InputError(path, f"pixel data cannot be decoded ({error})") from None
        array = self._decoded[path]
        return array if dicom_slice.frame is None else array[dicom_slice.frame]


def _read_dataset(path: Path) -> pydicom.Dataset:
    try:
        return pydicom.dcmread(path)
    except InvalidDicomError:
        raise InputError(path, "is neither a DICOM file nor an image file MedImgAI reads (.nii.gz, .nii, .nrrd, .mha, "
                               ".mhd)") from None
    except Exception as error:
        raise InputError(path, f"cannot be read as DICOM ({type(error).__name__}: {error})") from None


def _image_from_files(files: list[Path], source_name: str, parsed: tuple[pydicom.Dataset, ...] = ()) -> sitk.Image:
    """parsed: the files' datasets when the folder scan has already read them (same order as files)."""
    datasets = dict(zip(files, parsed)) if len(parsed) == len(files) else {path: _read_dataset(path) for path in files}
    first = next(iter(datasets.values()))
    slices = [s for path, dataset in datasets.items() for s in slices_from_dataset(dataset, path)]
    image = assemble_volume(slices, _PixelSource(datasets), source_name=source_name)
    for keyword in METADATA_KEYWORDS:
        value = first.get(keyword)
        if value not in (None, ""):
            image.SetMetaData(keyword, str(value))
    return image


def read_dicom_series(path: str | os.PathLike, series_uid: str | None = None) -> sitk.Image:
    """Read a DICOM series from a folder (searched recursively) or from one file (e.g. enhanced multi-frame).

    Returns a SimpleITK image in LPS with rescale slope/intercept applied; metadata keys hold the
    Modality, SeriesInstanceUID, SeriesDescription and PatientPosition.
    """
    path = Path(path)
    if path.is_file():
        return _image_from_files([path], str(path))
    series = select_series(path, scan_dicom_folder(path), series_uid)
    if not series.is_image:
        raise InputError(series.files[0], f"is not an image series ({series.describe()})")
    return _image_from_files(list(series.files), f"{path} (series {series.series_uid})", series.datasets)
