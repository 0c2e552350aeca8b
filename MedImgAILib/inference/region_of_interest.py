"""A region of interest for inference: a box in physical (LPS) space, given directly or as the bounding box of a
labelmap, plus a margin. The model sees only the images cropped to it; its results are put back on the full
reference grid with background outside (for whole-body PET/CT, where bladder, brain and heart take up FDG too).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk

from MedImgAILib.errors import InputError

__all__ = ["RegionOfInterest"]


@dataclass(frozen=True)
class RegionOfInterest:
    lower_lps: tuple[float, float, float]
    upper_lps: tuple[float, float, float]
    margin_mm: float = 0.0

    def __post_init__(self):
        lower, upper = np.asarray(self.lower_lps, float), np.asarray(self.upper_lps, float)
        if lower.shape != (3,) or upper.shape != (3,) or not np.all(np.isfinite([*lower, *upper])):
            raise InputError("roi", "a box needs three finite lower and three finite upper coordinates (LPS, mm)")
        if np.any(upper < lower):
            raise InputError("roi", f"its upper corner {tuple(upper)} lies below its lower corner {tuple(lower)}")
        if not (np.isfinite(self.margin_mm) and self.margin_mm >= 0):
            raise InputError("roi", f"the margin must be a finite number of at least 0 mm, not {self.margin_mm}")

    @classmethod
    def from_text(cls, text: str, margin_mm: float = 0.0) -> "RegionOfInterest":
        """'x0,y0,z0,x1,y1,z1' (LPS, mm; the two corners in any order)."""
        try:
            values = [float(v) for v in text.split(",")]
        except ValueError:
            values = []
        if len(values) != 6:
            raise InputError("roi", f"{text!r} is not a box: give x0,y0,z0,x1,y1,z1 in LPS millimetres")
        corners = np.array(values).reshape(2, 3)
        return cls(tuple(corners.min(axis=0)), tuple(corners.max(axis=0)), margin_mm)

    @classmethod
    def from_labelmap(cls, labelmap: sitk.Image, margin_mm: float = 0.0) -> "RegionOfInterest":
        """The physical bounding box of the labelmap's non-zero voxels (their centres, half a voxel added)."""
        k, j, i = np.nonzero(sitk.GetArrayViewFromImage(labelmap))
        if len(i) == 0:
            raise InputError("roi", "the region-of-interest labelmap is empty (no voxel is set)")
        lows, highs = np.array([i.min(), j.min(), k.min()]) - 0.5, np.array([i.max(), j.max(), k.max()]) + 0.5
        points = np.array([labelmap.TransformContinuousIndexToPhysicalPoint([float(v) for v in corner])
                           for corner in itertools.product(*zip(lows, highs))])
        return cls(tuple(points.min(axis=0)), tuple(points.max(axis=0)), margin_mm)

    def crop(self, image: sitk.Image, name: str = "roi") -> sitk.Image:
        """image cut to the voxels whose centres lie in the box plus the margin (its own grid, not resampled)."""
        lower = np.asarray(self.lower_lps) - self.margin_mm
        upper = np.asarray(self.upper_lps) + self.margin_mm
        corners = np.array([image.TransformPhysicalPointToContinuousIndex([float(v) for v in corner])
                            for corner in itertools.product(*zip(lower, upper))])
        first = np.maximum(np.ceil(corners.min(axis=0) - 1e-6), 0).astype(int)
        last = np.minimum(np.floor(corners.max(axis=0) + 1e-6), np.array(image.GetSize()) - 1).astype(int)
        if np.any(last < first):
            raise InputError(name, "does not overlap the region of interest")
        return sitk.RegionOfInterest(image, [int(v) for v in last - first + 1], [int(v) for v in first])

    @classmethod
    def from_dict(cls, data: dict) -> "RegionOfInterest":
        """The inverse of as_dict() (the worker's job file, a provenance record)."""
        return cls(tuple(data["lower_lps_mm"]), tuple(data["upper_lps_mm"]), data["margin_mm"])

    def as_dict(self) -> dict:
        return {"lower_lps_mm": list(self.lower_lps), "upper_lps_mm": list(self.upper_lps),
                "margin_mm": self.margin_mm}
