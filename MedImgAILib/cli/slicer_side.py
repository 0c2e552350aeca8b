"""What some commands need from the Slicer side (MedImgAILogic on the slicer-core wheel): the scene written as
a .mrb, and --snapshot pictures of it. Imported only when asked for, so the rest of the command line runs
without slicer-core."""

from __future__ import annotations

import argparse

from MedImgAILib.errors import InputError, MedImgAIError

__all__ = ["add_snapshot_argument", "check_snapshot", "scene_logic"]


def scene_logic():
    """(slicer, MedImgAILogic), or a clear error saying how to install them."""
    try:
        import MedImgAILogic
        import slicer
    except ImportError as error:
        raise MedImgAIError(
            f"this needs the Slicer scene from the slicer-core wheel ({error}); install with: "
            "pip install 'medimgai[slicer]'"
        ) from None
    return slicer, MedImgAILogic


def add_snapshot_argument(parser: argparse.ArgumentParser, shows: str) -> None:
    parser.add_argument("--snapshot", metavar="FILE.png",
                        help=f"also write a picture of the result as 3D Slicer shows it: {shows}")


def check_snapshot(path: str | None) -> None:
    """At a command's start: the snapshot can be made (a .png name, slicer-core, offscreen rendering)."""
    if not path:
        return
    if not path.lower().endswith(".png"):
        raise InputError(path, "snapshots are PNG pictures; give a file name ending in .png")
    scene_logic()
    from MedImgAILogic.offscreen_view import check_offscreen_rendering

    check_offscreen_rendering()
