"""Explicit, verified model downloads: resumable, SHA-256 checked, cached, cancellable."""

from __future__ import annotations

import hashlib
import shutil
import urllib.error
import urllib.request
from pathlib import Path

from MedImgAILib.errors import InputError
from MedImgAILib.models.catalog import CatalogEntry
from MedImgAILib.runtime import CancelToken, Progress, ProgressCallback, no_progress

__all__ = ["download_file"]

CHUNK = 1 << 16


def _partial_digest(path: Path) -> "hashlib._Hash":
    digest = hashlib.sha256()
    if path.exists():
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest


def download_file(entry: CatalogEntry, destination: Path, progress: ProgressCallback = no_progress,
                  cancel: CancelToken | None = None, timeout_s: float = 60.0) -> Path:
    """Download entry.url to destination, resuming a previous partial download; verify size and SHA-256."""
    partial = destination.with_name(destination.name + ".part")
    partial.parent.mkdir(parents=True, exist_ok=True)
    offset = partial.stat().st_size if partial.exists() else 0
    if offset > entry.size_bytes:
        partial.unlink()
        offset = 0
    request = urllib.request.Request(entry.url, headers={"Range": f"bytes={offset}-"} if offset else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout_s)
    except urllib.error.HTTPError as error:
        if error.code == 416 and offset == entry.size_bytes:  # already complete
            response = None
        else:
            raise InputError(entry.url, f"download failed: HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError) as error:
        raise InputError(entry.url, f"download failed: {getattr(error, 'reason', error)}") from None
    if response is not None:
        with response:
            if offset and response.status != 206:
                offset = 0  # the server ignored the range: start again
            digest = _partial_digest(partial) if offset else hashlib.sha256()
            with open(partial, "ab" if offset else "wb") as handle:
                received = offset
                while True:
                    if cancel is not None:
                        cancel.raise_if_cancelled()
                    chunk = response.read(CHUNK)
                    if not chunk:
                        break
                    handle.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    progress(Progress(min(received / entry.size_bytes, 1.0),
                                      f"downloading {entry.id} {received / 2**20:.1f}/{entry.size_bytes / 2**20:.1f} MiB"))
    else:
        digest = _partial_digest(partial)
    size = partial.stat().st_size
    if size != entry.size_bytes or digest.hexdigest() != entry.sha256:
        partial.unlink(missing_ok=True)
        raise InputError(entry.url, f"checksum mismatch: got {size} bytes with SHA-256 {digest.hexdigest()}, "
                                    f"the catalog declares {entry.size_bytes} bytes with {entry.sha256}; "
                                    "the download was discarded")
    shutil.move(partial, destination)
    return destination
