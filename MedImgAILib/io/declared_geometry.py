"""Check what an image file declares (size, voxel size, axes) before a single voxel is allocated."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from MedImgAILib.errors import InputError

__all__ = ["available_memory_bytes", "check_declared_geometry"]

ORTHOGONALITY_TOLERANCE = 1e-4


def available_memory_bytes() -> int | None:
    """Memory the system can still give (Linux MemAvailable); None where it cannot be told."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def check_declared_geometry(path: Path, reader: sitk.ImageFileReader) -> None:
    """reader has read the file's information (ReadImageInformation); raise InputError naming what is wrong."""
    size, spacing = reader.GetSize(), reader.GetSpacing()
    if not all(math.isfinite(s) and s > 0 for s in spacing):
        raise InputError(path, f"declares voxel sizes {', '.join(f'{s:g}' for s in spacing)} mm; each must be a "
                               "positive number")
    dimension = reader.GetDimension()
    axes = np.array(reader.GetDirection(), dtype=float).reshape(dimension, dimension)
    if not np.isfinite(axes).all() or abs(np.linalg.det(axes)) < 1e-6:
        raise InputError(path, f"declares axes that do not span space (direction matrix {axes.round(4).tolist()} "
                               "is singular: two axes are parallel or one is zero)")
    if not np.allclose(axes.T @ axes, np.eye(dimension), atol=ORTHOGONALITY_TOLERANCE):
        raise InputError(path, f"has sheared axes (direction matrix {axes.round(4).tolist()} is not orthonormal); "
                               "resample it onto an orthogonal grid first")
    needed = math.prod(size) * reader.GetNumberOfComponents() * _voxel_type(reader).itemsize
    available = available_memory_bytes()
    if available is not None and needed > available:
        raise InputError(path, f"declares {'x'.join(map(str, size))} voxels ({needed / 2**30:.1f} GiB), "
                               f"more than the {available / 2**30:.1f} GiB of memory available")


def _voxel_type(reader: sitk.ImageFileReader) -> np.dtype:
    """The numpy type of one voxel component of the declared pixel type."""
    return sitk.GetArrayFromImage(sitk.Image([1] * reader.GetDimension(), reader.GetPixelID())).dtype
