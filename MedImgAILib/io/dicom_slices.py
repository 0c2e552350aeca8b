"""Per-slice geometry and intensity rescale from DICOM datasets, single-frame and enhanced multi-frame alike.

Everything downstream (sorting, validation, volume assembly) works on DicomSlice records, so the two
encodings of the same information (top-level attributes versus functional groups) meet here only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom

from MedImgAILib.errors import InputError
from MedImgAILib.io.dicom_folder import NON_IMAGE_SOP_CLASSES, is_non_image_sop_class

__all__ = ["DicomSlice", "slices_from_dataset"]


@dataclass(frozen=True)
class DicomSlice:
    """One 2D image plane of a series: where it lies (LPS mm), its grid, and its rescale to real values."""

    source: Path
    frame: int | None  # index into a multi-frame object's frames, None for a single-frame file
    position: np.ndarray  # ImagePositionPatient: centre of the first transmitted pixel
    row_direction: np.ndarray  # direction of increasing column index (along a row)
    column_direction: np.ndarray  # direction of increasing row index (down a column)
    row_spacing: float  # PixelSpacing[0]: distance between rows
    column_spacing: float  # PixelSpacing[1]: distance between columns
    rows: int
    columns: int
    slope: float
    intercept: float

    @property
    def normal(self) -> np.ndarray:
        return np.cross(self.row_direction, self.column_direction)

    @property
    def label(self) -> str:
        return str(self.source) if self.frame is None else f"{self.source} (frame {self.frame + 1})"


def _first_item(dataset: pydicom.Dataset, sequence_keyword: str) -> pydicom.Dataset | None:
    sequence = dataset.get(sequence_keyword)
    return sequence[0] if sequence else None


def _functional_group_value(
    per_frame: pydicom.Dataset | None, shared: pydicom.Dataset | None, sequence_keyword: str, keyword: str
):
    """An attribute of a functional group macro, per-frame first, then shared."""
    for group in (per_frame, shared):
        if group is None:
            continue
        item = _first_item(group, sequence_keyword)
        if item is not None and keyword in item:
            return item.get(keyword)
    return None


def _require(value, path: Path, what: str):
    if value is None:
        raise InputError(path, f"has no {what}; it cannot be placed in space")
    return value


def _numbers(values, path: Path, keyword: str) -> list[float]:
    try:
        return [float(v) for v in values]
    except (TypeError, ValueError):
        raise InputError(path, f"{keyword} {str(values)[:60]!r} is not a list of numbers") from None


def _whole_number(dataset: pydicom.Dataset, keyword: str, path: Path) -> int:
    value = dataset.get(keyword)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InputError(path, f"has no valid {keyword} ({value!r}); the slice's size is unknown") from None
    if number < 1:
        raise InputError(path, f"has {keyword} {number}; the slice's size is unknown")
    return number


def _unit_vectors(orientation, path: Path) -> tuple[np.ndarray, np.ndarray]:
    values = np.asarray(_numbers(orientation, path, "ImageOrientationPatient"), dtype=float)
    if values.shape != (6,):
        raise InputError(path, f"ImageOrientationPatient has {values.size} values instead of 6")
    row, column = values[:3], values[3:]
    norms = np.linalg.norm(row), np.linalg.norm(column)
    if min(norms) < 1e-6 or abs(np.dot(row / norms[0], column / norms[1])) > 1e-3:
        raise InputError(path, f"ImageOrientationPatient {list(values)} is not two orthogonal directions")
    return row / norms[0], column / norms[1]


def _make_slice(path, frame, dataset, position, orientation, spacing, slope, intercept) -> DicomSlice:
    row_direction, column_direction = _unit_vectors(_require(orientation, path, "ImageOrientationPatient"), path)
    position = np.asarray(_numbers(_require(position, path, "ImagePositionPatient"), path, "ImagePositionPatient"),
                          dtype=float)
    if position.shape != (3,):
        raise InputError(path, f"ImagePositionPatient has {position.size} values instead of 3")
    spacing = _numbers(_require(spacing, path, "PixelSpacing"), path, "PixelSpacing")
    if len(spacing) != 2 or min(spacing) <= 0:
        raise InputError(path, f"invalid PixelSpacing {spacing}")
    return DicomSlice(
        source=path,
        frame=frame,
        position=position,
        row_direction=row_direction,
        column_direction=column_direction,
        row_spacing=spacing[0],
        column_spacing=spacing[1],
        rows=_whole_number(dataset, "Rows", path),
        columns=_whole_number(dataset, "Columns", path),
        slope=_numbers([slope if slope is not None else 1.0], path, "RescaleSlope")[0],
        intercept=_numbers([intercept if intercept is not None else 0.0], path, "RescaleIntercept")[0],
    )


def _check_is_volume_image(dataset: pydicom.Dataset, path: Path) -> None:
    sop_class = dataset.get("SOPClassUID")
    if sop_class is not None and not isinstance(sop_class, str):  # a damaged file may hold several values
        raise InputError(path, f"has an invalid SOPClassUID {str(sop_class)[:60]!r}")
    if sop_class is not None and is_non_image_sop_class(sop_class):
        raise InputError(path, f"is a DICOM {NON_IMAGE_SOP_CLASSES.get(sop_class) or sop_class.name} object, "
                               "not an image volume")
    if "PixelData" not in dataset and "FloatPixelData" not in dataset:
        kind = sop_class.name if sop_class is not None else "unknown object"
        raise InputError(path, f"is not an image ({kind}, no pixel data)")
    samples = _whole_number(dataset, "SamplesPerPixel", path) if "SamplesPerPixel" in dataset else 1
    if samples != 1:
        raise InputError(path, "is a colour image; only grayscale volumes are supported")


def slices_from_dataset(dataset: pydicom.Dataset, path: Path) -> list[DicomSlice]:
    """The slice(s) one DICOM file contributes: one for classic images, one per frame for enhanced ones."""
    _check_is_volume_image(dataset, path)
    if "PerFrameFunctionalGroupsSequence" in dataset:
        shared = _first_item(dataset, "SharedFunctionalGroupsSequence")
        slices = []
        for frame, per_frame in enumerate(dataset.PerFrameFunctionalGroupsSequence):
            value = lambda seq, key: _functional_group_value(per_frame, shared, seq, key)  # noqa: E731
            slices.append(
                _make_slice(
                    path,
                    frame,
                    dataset,
                    value("PlanePositionSequence", "ImagePositionPatient"),
                    value("PlaneOrientationSequence", "ImageOrientationPatient"),
                    value("PixelMeasuresSequence", "PixelSpacing"),
                    value("PixelValueTransformationSequence", "RescaleSlope"),
                    value("PixelValueTransformationSequence", "RescaleIntercept"),
                )
            )
        return slices
    if int(dataset.get("NumberOfFrames", 1) or 1) > 1:
        raise InputError(
            path, "is a multi-frame object without per-frame functional groups; its frames cannot be placed in space"
        )
    return [
        _make_slice(
            path,
            None,
            dataset,
            dataset.get("ImagePositionPatient"),
            dataset.get("ImageOrientationPatient"),
            dataset.get("PixelSpacing"),
            dataset.get("RescaleSlope"),
            dataset.get("RescaleIntercept"),
        )
    ]
