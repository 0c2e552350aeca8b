"""Pictures side by side, written as PNG atomically (a failed or cancelled write leaves no partial file)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
import vtk
from vtkmodules.util.numpy_support import numpy_to_vtk

from MedImgAILib.io.atomic_write import atomic_output_path

__all__ = ["one_above_other", "side_by_side", "write_png"]

GAP_COLOR = (48, 48, 48)


def side_by_side(pictures: Sequence[np.ndarray], gap: int = 4) -> np.ndarray:
    """RGB pictures (rows top to bottom) in one row, top-aligned, separated by a dark gap."""
    height = max(picture.shape[0] for picture in pictures)
    width = sum(picture.shape[1] for picture in pictures) + gap * (len(pictures) - 1)
    canvas = np.empty((height, width, 3), dtype=np.uint8)
    canvas[:] = GAP_COLOR
    column = 0
    for picture in pictures:
        canvas[: picture.shape[0], column: column + picture.shape[1]] = picture[:, :, :3]
        column += picture.shape[1] + gap
    return canvas


def one_above_other(rows: Sequence[np.ndarray], gap: int = 4) -> np.ndarray:
    """RGB pictures stacked top to bottom, left-aligned, separated by a dark gap."""
    rotated = side_by_side([np.ascontiguousarray(row.transpose(1, 0, 2)) for row in rows], gap)
    return np.ascontiguousarray(rotated.transpose(1, 0, 2))


def write_png(pixels: np.ndarray, path: str | os.PathLike) -> Path:
    """Write an RGB array (rows top to bottom) as a PNG file; all or nothing."""
    height, width = pixels.shape[:2]
    image = vtk.vtkImageData()
    image.SetDimensions(width, height, 1)
    flat = np.ascontiguousarray(pixels[::-1, :, :3]).reshape(-1, 3)  # VTK's first row is the bottom one
    image.GetPointData().SetScalars(numpy_to_vtk(flat, deep=True, array_type=vtk.VTK_UNSIGNED_CHAR))
    path = Path(path)
    with atomic_output_path(path) as temporary:
        writer = vtk.vtkPNGWriter()
        writer.SetFileName(str(temporary))
        writer.SetInputData(image)
        writer.Write()
        if writer.GetErrorCode() or not temporary.is_file():
            raise OSError(f"{path}: the PNG could not be written")
    return path
