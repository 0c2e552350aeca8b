"""Files that carry images, transforms and JSON between the panel and a worker process, exactly.

Images travel as a raw .npy array plus their geometry in JSON (Python's float repr round-trips exactly), so
the worker sees bit-for-bit what the in-process call would; transforms as ITK .h5 files (binary doubles).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import SimpleITK as sitk

__all__ = ["read_image", "read_images", "read_json", "read_transform", "write_image", "write_images", "write_json",
           "write_transform"]


def _plain(value: Any) -> Any:
    """numpy scalars and arrays as plain Python, for json.dumps."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} cannot be handed over as JSON")


def write_json(data: Any, path: Path) -> None:
    path.write_text(json.dumps(data, default=_plain))


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())


def write_image(image: sitk.Image, folder: Path, name: str) -> str:
    """Write image as folder/name.npy + folder/name.json; returns name (what a job file refers to)."""
    np.save(folder / f"{name}.npy", sitk.GetArrayFromImage(image), allow_pickle=False)
    write_json({"spacing": image.GetSpacing(), "origin": image.GetOrigin(), "direction": image.GetDirection(),
                "components": image.GetNumberOfComponentsPerPixel()}, folder / f"{name}.json")
    return name


def read_image(folder: Path, name: str) -> sitk.Image:
    geometry = read_json(folder / f"{name}.json")
    array = np.load(folder / f"{name}.npy", allow_pickle=False)
    image = sitk.GetImageFromArray(array, isVector=geometry["components"] > 1)
    image.SetSpacing(geometry["spacing"])
    image.SetOrigin(geometry["origin"])
    image.SetDirection(geometry["direction"])
    return image


def write_images(images: Mapping[str, sitk.Image], folder: Path) -> dict[str, str]:
    """{input name: image} written as files; returns {input name: file name} for the job description."""
    return {name: write_image(image, folder, f"input-{index}") for index, (name, image) in enumerate(images.items())}


def read_images(files: Mapping[str, str], folder: Path) -> dict[str, sitk.Image]:
    return {name: read_image(folder, file) for name, file in files.items()}


def write_transform(transform: sitk.Transform, path: Path) -> None:
    sitk.WriteTransform(transform, str(path))


def read_transform(path: Path) -> sitk.Transform:
    return sitk.ReadTransform(str(path)).Downcast()
