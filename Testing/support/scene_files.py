"""Reading scenes back the way Slicer does, to check what our code wrote (needs slicer-core)."""

from pathlib import Path

import slicer

__all__ = ["read_scene_bundle"]


def read_scene_bundle(path: Path, cache_folder: Path):
    """A new scene loaded from a .mrb file with Slicer's own reader."""
    cache_folder.mkdir(parents=True, exist_ok=True)
    cache = slicer.vtkCacheManager()
    cache.SetRemoteCacheDirectory(str(cache_folder))
    io_manager = slicer.vtkDataIOManager()
    io_manager.SetCacheManager(cache)
    scene = slicer.vtkMRMLScene()
    # In Slicer the Colors module registers the color legend node class; a bare slicer-core scene needs it too.
    scene.RegisterNodeClass(slicer.vtkMRMLColorLegendDisplayNode())
    scene.SetDataIOManager(io_manager)
    scene.SetCacheManager(cache)
    if not scene.ReadFromMRB(str(path)):
        raise AssertionError(f"Slicer could not read {path}")
    return scene
