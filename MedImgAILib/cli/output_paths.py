"""Outputs must never overwrite inputs: checked before anything is read or computed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from MedImgAILib.errors import InputError

__all__ = ["refuse_outputs_over_inputs"]


def _same(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return os.path.samefile(a, b)  # also through links and different spellings
    return a.resolve() == b.resolve()


def refuse_outputs_over_inputs(inputs: Iterable[str | os.PathLike | None],
                               outputs: Iterable[str | os.PathLike | None]) -> None:
    """Raise InputError naming the first output that is one of the inputs (None entries are ignored)."""
    given = [Path(path) for path in inputs if path]
    for output in (Path(path) for path in outputs if path):
        if any(_same(output, source) for source in given):
            raise InputError(output, "is also an input: writing it would overwrite the input; choose another path")
