"""Write a scene as a Slicer data bundle (.mrb): the scene file plus every node's data, zipped."""

from __future__ import annotations

import os
from pathlib import Path

from MedImgAILib.errors import MedImgAIError
from MedImgAILib.io.atomic_write import atomic_output_path

__all__ = ["write_scene_bundle"]


def write_scene_bundle(scene, path: str | os.PathLike) -> Path:
    """Save scene to path (.mrb) atomically; Slicer opens it with File > Add Data or drag and drop."""
    path = Path(path)
    if path.suffix.lower() != ".mrb":
        raise MedImgAIError(f"{path}: a scene bundle must end in .mrb")
    with atomic_output_path(path) as temporary:
        if not scene.WriteToMRB(str(temporary)):
            raise MedImgAIError(f"{path}: Slicer could not write the scene bundle")
    return path
