"""RTSTRUCT contours to a labelmap on a given reference grid.

Each closed planar contour is mapped into the reference grid's voxel coordinates and filled on the slice it
lies in: a voxel belongs to the ROI when its centre is inside the polygon. Several contours of one ROI on
the same slice combine by the even-odd rule, so a contour inside another cuts a hole. Where ROIs overlap,
the later ROI wins in the labelmap.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pydicom
import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.geometry import ijk_to_lps_matrix

__all__ = ["RoiContours", "read_rtstruct", "rtstruct_to_labelmap"]

RTSTRUCT_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.481.3"
PLANE_TOLERANCE_VOXELS = 0.1  # how far a contour's points may stray from one slice of the reference grid


@dataclass(frozen=True)
class RoiContours:
    number: int
    name: str
    color: tuple[int, int, int] | None
    contours: tuple[np.ndarray, ...]  # each (n, 3), LPS millimetres


def read_rtstruct(path: str | os.PathLike) -> list[RoiContours]:
    """The ROIs of an RT Structure Set with their closed planar contours."""
    path = Path(path)
    try:
        dataset = pydicom.dcmread(path)
    except Exception as error:
        raise InputError(path, f"cannot be read as DICOM ({error})") from None
    if str(dataset.get("SOPClassUID", "")) != RTSTRUCT_SOP_CLASS:
        raise InputError(path, "is not an RT Structure Set")
    names = {int(roi.ROINumber): str(roi.ROIName) for roi in dataset.get("StructureSetROISequence", [])}
    rois = []
    for roi in dataset.get("ROIContourSequence", []):
        number = int(roi.ReferencedROINumber)
        color = tuple(int(c) for c in roi.ROIDisplayColor) if "ROIDisplayColor" in roi else None
        contours = []
        for contour in roi.get("ContourSequence", []):
            if str(contour.get("ContourGeometricType", "CLOSED_PLANAR")) != "CLOSED_PLANAR":
                continue
            points = np.asarray([float(v) for v in contour.ContourData], dtype=float)
            if points.size < 9 or points.size % 3:
                raise InputError(path, f"ROI {names.get(number, number)} has a contour with malformed ContourData")
            contours.append(points.reshape(-1, 3))
        rois.append(RoiContours(number, names.get(number, f"ROI {number}"), color, tuple(contours)))
    return rois


def _polygon_mask(polygon_ij: np.ndarray, shape_ji: tuple[int, int]) -> tuple[np.ndarray, tuple[slice, slice]]:
    """Even-odd fill of voxel centres inside a polygon; returns the mask of its bounding box and the box."""
    low = np.maximum(np.floor(polygon_ij.min(axis=0)).astype(int), 0)
    high = np.minimum(np.ceil(polygon_ij.max(axis=0)).astype(int) + 1, [shape_ji[1], shape_ji[0]])
    box = (slice(low[1], high[1]), slice(low[0], high[0]))
    if np.any(high <= low):
        return np.zeros((0, 0), dtype=bool), box
    j, i = np.mgrid[box]
    inside = np.zeros(j.shape, dtype=bool)
    x, y = polygon_ij[:, 0], polygon_ij[:, 1]
    x_next, y_next = np.roll(x, -1), np.roll(y, -1)
    for x1, y1, x2, y2 in zip(x, y, x_next, y_next):
        if y1 == y2:
            continue
        crosses = (y1 > j) != (y2 > j)
        crossing_x = x1 + (j - y1) * (x2 - x1) / (y2 - y1)
        inside ^= crosses & (i < crossing_x)
    return inside, box


def rtstruct_to_labelmap(
    path: str | os.PathLike, reference: sitk.Image, roi_names: Sequence[str] | None = None
) -> tuple[sitk.Image, list[tuple[int, str, tuple[int, int, int] | None]]]:
    """Rasterise ROIs (all, or those named) onto reference's grid.

    Returns (labelmap with values 1..N, [(label value, ROI name, display colour)]).
    """
    path = Path(path)
    rois = read_rtstruct(path)
    if roi_names is not None:
        by_name = {roi.name: roi for roi in rois}
        missing = [name for name in roi_names if name not in by_name]
        if missing:
            raise InputError(path, f"has no ROI named {missing}; it has {sorted(by_name)}")
        rois = [by_name[name] for name in roi_names]
    lps_to_ijk = np.linalg.inv(ijk_to_lps_matrix(reference))
    size_i, size_j, size_k = reference.GetSize()
    labels = np.zeros((size_k, size_j, size_i), dtype=np.uint16 if len(rois) > 255 else np.uint8)
    legend = []
    for value, roi in enumerate(rois, start=1):
        roi_mask = np.zeros(labels.shape, dtype=bool)
        for contour in roi.contours:
            ijk = (lps_to_ijk @ np.c_[contour, np.ones(len(contour))].T).T[:, :3]
            k = float(np.round(ijk[:, 2].mean()))
            if np.abs(ijk[:, 2] - k).max() > PLANE_TOLERANCE_VOXELS:
                raise InputError(
                    path,
                    f"a contour of ROI {roi.name!r} does not lie in a slice plane of the reference grid; "
                    "resample the reference to the contoured image's orientation first",
                )
            if not 0 <= k < size_k:
                continue
            inside, box = _polygon_mask(ijk[:, :2], (size_j, size_i))
            roi_mask[int(k)][box] ^= inside
        labels[roi_mask] = value
        legend.append((value, roi.name, roi.color))
    image = sitk.GetImageFromArray(labels)
    image.CopyInformation(reference)
    return image, legend
