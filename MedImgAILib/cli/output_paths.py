"""Outputs are checked before anything is read or computed: a run never ends in an error it could have seen at the
start (a bad suffix, a folder where a file should go, an unwritable folder) and never overwrites an input."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from MedImgAILib.errors import InputError
from MedImgAILib.io.image_files import IMAGE_FILE_SUFFIXES

__all__ = ["TRANSFORM_SUFFIXES", "check_outputs"]

TRANSFORM_SUFFIXES = (".h5", ".hdf5", ".tfm", ".txt")
WRITTEN_IMAGE_SUFFIXES = tuple(s for s in IMAGE_FILE_SUFFIXES if s not in (".mhd", ".nhdr"))

Paths = Iterable[str | os.PathLike | None]


def _same(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return os.path.samefile(a, b)  # also through links and different spellings
    return a.resolve() == b.resolve()


def _refuse_outputs_over_inputs(inputs: Paths, outputs: Paths) -> None:
    """Raise InputError naming the first output that is one of the inputs (None entries are ignored)."""
    given = [Path(path) for path in inputs if path]
    for output in (Path(path) for path in outputs if path):
        if any(_same(output, source) for source in given):
            raise InputError(output, "is also an input: writing it would overwrite the input; choose another path")


def _check_writable(path: Path) -> None:
    if path.is_dir():
        raise InputError(path, "is a folder; give the name of a file to write")
    folder = path.absolute().parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise InputError(path, f"cannot be written: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(path, f"cannot be written: no permission to write in {folder}")


def check_outputs(inputs: Paths = (), images: Paths = (), transforms: Paths = (), documents: Paths = ()) -> None:
    """Check every output of a command at its start: images need an image suffix MedImgAI writes, transforms an
    ITK transform suffix; each must be writable and none may be an input."""
    images, transforms, documents = ([Path(p) for p in group if p] for group in (images, transforms, documents))
    for path in images:
        if not path.name.lower().endswith(WRITTEN_IMAGE_SUFFIXES):
            raise InputError(path, f"is not an image file name MedImgAI writes ({', '.join(WRITTEN_IMAGE_SUFFIXES)})")
    for path in transforms:
        if not path.name.lower().endswith(TRANSFORM_SUFFIXES):
            raise InputError(path, f"transform files end in {', '.join(TRANSFORM_SUFFIXES)}")
    for path in images + transforms + documents:
        _check_writable(path)
    _refuse_outputs_over_inputs(inputs, images + transforms + documents)
