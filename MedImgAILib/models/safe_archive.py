"""Unpack a downloaded model archive without letting it write outside its folder."""

from __future__ import annotations

import os
import shutil
import stat
import zipfile
from pathlib import Path

from MedImgAILib.errors import InputError

__all__ = ["extract_zip_safely"]

MAX_UNPACKED_BYTES = 2 * 1024**3


def extract_zip_safely(archive: Path, destination: Path) -> Path:
    """Extract archive into destination (created atomically); refuse absolute paths, '..', links, zip bombs."""
    try:
        bundle = zipfile.ZipFile(archive)
    except zipfile.BadZipFile:
        raise InputError(archive, "is not a zip archive") from None
    with bundle:
        members = bundle.infolist()
        total = 0
        for member in members:
            name = member.filename
            parts = Path(name).parts
            if name.startswith(("/", "\\")) or os.path.isabs(name) or ".." in parts or ":" in name:
                raise InputError(archive, f"refused: member {name!r} would be written outside the model folder")
            if stat.S_ISLNK(member.external_attr >> 16):
                raise InputError(archive, f"refused: member {name!r} is a symbolic link")
            total += member.file_size
        if total > MAX_UNPACKED_BYTES:
            raise InputError(archive, f"refused: unpacks to {total} bytes")
        staging = destination.with_name(f".{destination.name}.partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        try:
            bundle.extractall(staging)
            if destination.exists():
                shutil.rmtree(destination)
            staging.rename(destination)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return destination
