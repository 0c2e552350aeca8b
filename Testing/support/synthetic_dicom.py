"""Write small DICOM series with known geometry, to reproduce every case the reader must handle or refuse.

A series is described by its voxel array, the in-plane axes, the pixel spacing and one position per slice,
so tests can write regular, oblique, tilted, gapped or duplicated stacks and know the true geometry.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    CTImageStorage,
    EnhancedCTImageStorage,
    ExplicitVRLittleEndian,
    JPEGBaseline8Bit,
    RTStructureSetStorage,
    generate_uid,
)

__all__ = ["SeriesSpec", "regular_positions", "write_enhanced_ct", "write_rtstruct", "write_series"]


def _save_file(dataset: Dataset, path: Path) -> None:
    """Write a conformant DICOM file with pydicom 3 or with 2.4 (the pydicom that Slicer 5.10 and older ship)."""
    try:
        dataset.save_as(path, enforce_file_format=True)
    except TypeError:  # pydicom < 3 names the same option write_like_original=False
        dataset.save_as(path, write_like_original=False)


@dataclass
class SeriesSpec:
    """A stack of slices: voxels [k, j, i] and each slice's ImagePositionPatient (LPS)."""

    voxels: np.ndarray
    positions: np.ndarray  # (k, 3)
    row_direction: Sequence[float] = (1.0, 0.0, 0.0)
    column_direction: Sequence[float] = (0.0, 1.0, 0.0)
    pixel_spacing: tuple[float, float] = (0.8, 0.6)  # (between rows, between columns)
    slopes: Sequence[float] | None = None
    intercepts: Sequence[float] | None = None
    modality: str = "CT"
    patient_position: str = "HFS"
    series_uid: str = field(default_factory=generate_uid)
    study_uid: str = field(default_factory=generate_uid)
    frame_of_reference_uid: str = field(default_factory=generate_uid)
    description: str = "synthetic"

    @property
    def normal(self) -> np.ndarray:
        return np.cross(self.row_direction, self.column_direction)


def regular_positions(origin, row_direction, column_direction, step: float, count: int) -> np.ndarray:
    normal = np.cross(row_direction, column_direction)
    return np.asarray(origin, dtype=float) + step * np.arange(count)[:, None] * normal


def _base_dataset(spec: SeriesSpec, sop_class: str) -> Dataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    dataset = Dataset()
    dataset.file_meta = meta
    dataset.SOPClassUID = sop_class
    dataset.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    dataset.PatientName = "Synthetic^Phantom"
    dataset.PatientID = "SYN001"
    dataset.StudyInstanceUID = spec.study_uid
    dataset.SeriesInstanceUID = spec.series_uid
    dataset.FrameOfReferenceUID = spec.frame_of_reference_uid
    dataset.Modality = spec.modality
    dataset.SeriesDescription = spec.description
    dataset.PatientPosition = spec.patient_position
    return dataset


def _set_pixels(dataset: Dataset, pixels: np.ndarray) -> None:
    dataset.Rows, dataset.Columns = pixels.shape[-2:]
    dataset.SamplesPerPixel = 1
    dataset.PhotometricInterpretation = "MONOCHROME2"
    dataset.BitsAllocated = 16
    dataset.BitsStored = 16
    dataset.HighBit = 15
    dataset.PixelRepresentation = 1 if pixels.dtype == np.int16 else 0
    dataset.PixelData = np.ascontiguousarray(pixels).tobytes()


def _jpeg_baseline(dataset: Dataset, pixels: np.ndarray) -> None:
    """8-bit JPEG baseline, encoded with Pillow (pydicom has no encoder for it)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buffer, format="JPEG", quality=95)
    dataset.BitsAllocated = dataset.BitsStored = 8
    dataset.HighBit = 7
    dataset.PixelRepresentation = 0
    dataset.PixelData = encapsulate([buffer.getvalue()])
    dataset["PixelData"].VR = "OB"
    dataset.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    dataset.LossyImageCompression = "01"


def write_series(
    folder: Path,
    spec: SeriesSpec,
    transfer_syntax: str | None = None,
    shuffle_seed: int | None = 0,
) -> list[Path]:
    """One CT-like file per slice, written in a shuffled order with scrambled InstanceNumbers."""
    folder.mkdir(parents=True, exist_ok=True)
    count = len(spec.positions)
    order = np.random.default_rng(shuffle_seed).permutation(count) if shuffle_seed is not None else np.arange(count)
    paths = []
    for file_index, k in enumerate(order):
        dataset = _base_dataset(spec, CTImageStorage)
        dataset.InstanceNumber = int((k * 7) % count) + 1  # deliberately unrelated to the position
        dataset.ImagePositionPatient = [float(v) for v in spec.positions[k]]
        dataset.ImageOrientationPatient = [float(v) for v in (*spec.row_direction, *spec.column_direction)]
        dataset.PixelSpacing = [float(v) for v in spec.pixel_spacing]
        dataset.SliceThickness = 1.0
        dataset.RescaleSlope = float(spec.slopes[k]) if spec.slopes is not None else 1.0
        dataset.RescaleIntercept = float(spec.intercepts[k]) if spec.intercepts is not None else 0.0
        if transfer_syntax == JPEGBaseline8Bit:
            _set_pixels(dataset, spec.voxels[k])
            _jpeg_baseline(dataset, spec.voxels[k])
        else:
            _set_pixels(dataset, spec.voxels[k])
            if transfer_syntax is not None:
                dataset.compress(transfer_syntax)
        path = folder / f"slice{file_index:03d}.dcm"
        _save_file(dataset, path)
        paths.append(path)
    return paths


def write_enhanced_ct(path: Path, spec: SeriesSpec, shared_orientation: bool = True) -> Path:
    """The same stack as one Enhanced CT multi-frame object, frames in a shuffled order."""
    dataset = _base_dataset(spec, EnhancedCTImageStorage)
    order = np.random.default_rng(1).permutation(len(spec.positions))
    _set_pixels(dataset, spec.voxels[order])
    dataset.NumberOfFrames = len(order)
    orientation = Dataset()
    orientation.ImageOrientationPatient = [float(v) for v in (*spec.row_direction, *spec.column_direction)]
    measures = Dataset()
    measures.PixelSpacing = [float(v) for v in spec.pixel_spacing]
    measures.SliceThickness = 1.0
    shared = Dataset()
    shared.PixelMeasuresSequence = [measures]
    if shared_orientation:
        shared.PlaneOrientationSequence = [orientation]
    dataset.SharedFunctionalGroupsSequence = [shared]
    frames = []
    for k in order:
        frame = Dataset()
        position = Dataset()
        position.ImagePositionPatient = [float(v) for v in spec.positions[k]]
        frame.PlanePositionSequence = [position]
        rescale = Dataset()
        rescale.RescaleSlope = float(spec.slopes[k]) if spec.slopes is not None else 1.0
        rescale.RescaleIntercept = float(spec.intercepts[k]) if spec.intercepts is not None else 0.0
        rescale.RescaleType = "HU"
        frame.PixelValueTransformationSequence = [rescale]
        if not shared_orientation:
            frame.PlaneOrientationSequence = [orientation]
        frames.append(frame)
    dataset.PerFrameFunctionalGroupsSequence = frames
    path.parent.mkdir(parents=True, exist_ok=True)
    _save_file(dataset, path)
    return path


def write_rtstruct(path: Path, spec: SeriesSpec, rois: dict[str, list[np.ndarray]]) -> Path:
    """An RT Structure Set whose ROIs are the given closed planar contours (each (n, 3) LPS points)."""
    dataset = _base_dataset(SeriesSpec(spec.voxels, spec.positions, modality="RTSTRUCT",
                                       study_uid=spec.study_uid), RTStructureSetStorage)
    dataset.StructureSetLabel = "synthetic"
    dataset.StructureSetROISequence = []
    dataset.ROIContourSequence = []
    for number, (name, contours) in enumerate(rois.items(), start=1):
        roi = Dataset()
        roi.ROINumber = number
        roi.ROIName = name
        roi.ReferencedFrameOfReferenceUID = spec.frame_of_reference_uid
        dataset.StructureSetROISequence.append(roi)
        roi_contour = Dataset()
        roi_contour.ReferencedROINumber = number
        roi_contour.ROIDisplayColor = [255, 128, 0]
        roi_contour.ContourSequence = []
        for points in contours:
            contour = Dataset()
            contour.ContourGeometricType = "CLOSED_PLANAR"
            contour.NumberOfContourPoints = len(points)
            contour.ContourData = [float(v) for v in np.asarray(points).ravel()]
            roi_contour.ContourSequence.append(contour)
        dataset.ROIContourSequence.append(roi_contour)
    path.parent.mkdir(parents=True, exist_ok=True)
    _save_file(dataset, path)
    return path
