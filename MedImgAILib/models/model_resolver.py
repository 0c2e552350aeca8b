"""From what the user typed (a catalog id or a path) to a loaded model, downloading verified archives (or a
verified package wheel, see package_download) if needed."""

from __future__ import annotations

import os
from pathlib import Path

from MedImgAILib.errors import InputError
from MedImgAILib.models.catalog import CatalogEntry, cached_model_folder, load_catalog, resources_folder
from MedImgAILib.models.download import download_file
from MedImgAILib.models.loaded_model import LoadedModel
from MedImgAILib.models.model_loader import load_model_path
from MedImgAILib.models.package_download import fetch_package_model
from MedImgAILib.models.safe_archive import extract_zip_safely
from MedImgAILib.runtime import CancelToken, ProgressCallback, no_progress

__all__ = ["catalog_origin", "ensure_model_folder", "load_model"]


def ensure_model_folder(entry: CatalogEntry, cache: Path | None = None, progress: ProgressCallback = no_progress,
                        cancel: CancelToken | None = None, find_links: str | os.PathLike | None = None) -> Path:
    """The folder of a catalog model: bundled, already cached, or downloaded and unpacked now.

    find_links: for a model inside a Python package, a local package source (folder or loopback address) that
    pip uses instead of its configured index."""
    if entry.is_bundled:
        folder = resources_folder() / entry.bundled
        if not folder.is_dir():
            raise InputError(folder, f"the bundled model {entry.id} is missing from this installation")
        return folder
    folder = cached_model_folder(entry, cache)
    if (folder / "configs" / "metadata.json").is_file():
        return folder
    if entry.python_package is not None:
        return fetch_package_model(entry, folder, find_links, progress, cancel)
    archive = download_file(entry, folder.with_name(folder.name + ".zip"), progress, cancel)
    try:
        return extract_zip_safely(archive, folder)
    finally:
        archive.unlink(missing_ok=True)


def load_model(model: str | os.PathLike, trust: bool = False, catalog_path: str | None = None,
               cache: Path | None = None, progress: ProgressCallback = no_progress,
               cancel: CancelToken | None = None, find_links: str | os.PathLike | None = None) -> LoadedModel:
    """model: a catalog id (e.g. 'sts-gtv-ct-pet-mr') or the path of a bundle folder / model file."""
    path = Path(model)
    if path.exists():
        loaded = load_model_path(path, trust)
        shipped = path.resolve().is_relative_to(resources_folder().resolve() / "Models")
        loaded.origin = {"kind": "bundled" if shipped else "own", "path": str(path.resolve())}
        return loaded
    catalog = load_catalog(catalog_path)
    entry = catalog.get(str(model))
    if entry is None:
        raise InputError(str(model), f"is neither a model file or folder nor a catalog id ({', '.join(sorted(catalog))})")
    loaded = load_model_path(ensure_model_folder(entry, cache, progress, cancel, find_links), trust)
    loaded.origin = catalog_origin(entry)
    return loaded


def catalog_origin(entry: CatalogEntry) -> dict:
    """Provenance of a catalog model: bundled, or downloaded from where, verified against which SHA-256."""
    if entry.is_bundled:
        return {"kind": "bundled", "catalog_id": entry.id, "version": entry.version}
    if entry.python_package is not None:
        return {"kind": "downloaded", "catalog_id": entry.id, "version": entry.version,
                "package": entry.python_package.requirement, "sha256": entry.python_package.wheel_sha256}
    return {"kind": "downloaded", "catalog_id": entry.id, "version": entry.version, "url": entry.url,
            "sha256": entry.sha256}
