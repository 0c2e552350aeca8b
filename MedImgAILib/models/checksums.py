"""SHA-256 of files, streamed so large weights never sit in memory twice."""

from __future__ import annotations

import hashlib
import os

__all__ = ["sha256_of_file"]


def sha256_of_file(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()
