"""Write outputs atomically: to a temporary file in the destination folder, then rename over the target.

An interrupted or failed write never leaves a half-written file under the final name.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

__all__ = ["atomic_output_path"]


@contextlib.contextmanager
def atomic_output_path(destination: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path with the destination's suffixes; move it onto destination on success."""
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    suffix = "".join(destination.suffixes) or ".tmp"
    handle, temporary = tempfile.mkstemp(prefix=f".{destination.stem}.", suffix=suffix, dir=destination.parent)
    os.close(handle)
    temporary_path = Path(temporary)
    try:
        yield temporary_path
        os.replace(temporary_path, destination)
    finally:
        temporary_path.unlink(missing_ok=True)
