"""Write outputs atomically: into a hidden temporary folder beside the destination, then rename.

An interrupted or failed write never leaves a half-written file under the final name. The temporary file
keeps the destination's own name (some writers, e.g. Slicer's .mrb, derive content from it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

__all__ = ["atomic_output_path"]


@contextlib.contextmanager
def atomic_output_path(destination: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path with the destination's name; move it onto destination if the block succeeds."""
    destination = Path(destination).absolute()
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=destination.parent))
    try:
        temporary = staging / destination.name
        yield temporary
        os.replace(temporary, destination)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
