"""A model's declaration (its ``ModelSpec``) read from metadata alone: quick enough for the GUI thread.

Panels need a model's input names on every model change and keystroke; ``load_model`` would build the network,
read and verify the weights, and possibly download. This module never does any of that and never imports torch:
it reads the bundle's configs/metadata.json, the .json description, or the ``metadata.json`` stored inside a
TorchScript zip (``<archive>/extra/metadata.json``). Results are cached per metadata file and re-read when the
file's inode, mtime or size change. A catalog model whose files come from a Python package has its declaration
shipped with MedImgAI, so it is read before any download. Any other catalog model that still needs downloading
raises ``ModelNotDownloadedError``, which carries its catalog entry (whose ``inputs`` list still names the
inputs); ``model_input_names`` falls back to that list.
"""

from __future__ import annotations

import json
import os
import threading
import zipfile
from collections import OrderedDict
from importlib import resources
from pathlib import Path
from typing import Any, Callable

from MedImgAILib.errors import InputError
from MedImgAILib.models.catalog import CatalogEntry, declaration_folder, load_catalog, model_folder
from MedImgAILib.models.model_spec import ModelSpec

__all__ = ["ModelNotDownloadedError", "model_input_names", "read_declaration"]

TORCHSCRIPT_SUFFIXES = (".ts", ".pt", ".pth", ".zip")
_MAX_METADATA_BYTES = 16 * 1024 * 1024  # a declaration is a few kB; refuse to inflate anything huge on the GUI thread
_CACHE_SIZE = 64


class ModelNotDownloadedError(InputError):
    """A catalog model that is neither bundled nor downloaded yet: its declaration is not on this machine."""

    def __init__(self, entry: CatalogEntry, folder: Path):
        self.entry = entry
        self.folder = folder
        super().__init__(entry.id, f"the model must be downloaded first (version {entry.version}, into {folder}); "
                                   "its declaration is read after the download")


_lock = threading.Lock()
_cache: OrderedDict[tuple, tuple[tuple, Any]] = OrderedDict()


def _stamp(path: Path) -> tuple:
    status = path.stat()
    return status.st_ino, status.st_mtime_ns, status.st_size


def _cached(kind: str, path: Path, read: Callable[[Path], Any]) -> Any:
    """read(path), reused while path's (inode, mtime, size) stay the same. Failures are not cached."""
    try:
        key, stamp = (kind, str(path.resolve())), _stamp(path)
    except OSError as error:
        raise InputError(path, f"cannot be read ({error.strerror or error})") from None
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] == stamp:
            _cache.move_to_end(key)
            return hit[1]
    value = read(path)
    with _lock:
        _cache[key] = (stamp, value)
        _cache.move_to_end(key)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return value


def _json(text: bytes, source: Path, what: str = "") -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(source, f"{what}is not valid JSON ({error})") from None


def _read_json_file(path: Path) -> Any:
    try:
        text = path.read_bytes()
    except OSError as error:
        raise InputError(path, f"cannot be read ({error.strerror or error})") from None
    return _json(text, path)


def _spec(metadata: Any, source: Path, what: str) -> ModelSpec:
    if not isinstance(metadata, dict):
        raise InputError(source, f"{what} is not a JSON object")
    return ModelSpec.from_metadata(metadata, str(source))


def _bundle_spec(metadata_path: Path) -> ModelSpec:
    return _spec(_read_json_file(metadata_path), metadata_path.parents[1], "configs/metadata.json")


def _description_spec(path: Path) -> ModelSpec:
    description = _read_json_file(path)
    declares_file = isinstance(description, dict) and isinstance(description.get("medimgai"), dict) and \
        "network" in description["medimgai"]
    if not declares_file and (not isinstance(description, dict) or "network_def" not in description
                              or "weights" not in description):
        raise InputError(path, "a model description needs 'medimgai' and either 'network_def' and 'weights' or "
                               "a declared network file (medimgai.network)")
    return ModelSpec.from_metadata(description, str(path))


def _torchscript_spec(path: Path) -> ModelSpec:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            roots = {name.split("/", 1)[0] for name in names if name.endswith("/constants.pkl")}
            if len(roots) != 1 or f"{next(iter(roots))}/data.pkl" not in names:
                raise InputError(path, "is not a TorchScript model (a zip archive without TorchScript's layout)")
            entry = f"{roots.pop()}/extra/metadata.json"
            info = archive.getinfo(entry) if entry in names else None
            if info is not None and info.file_size > _MAX_METADATA_BYTES:
                raise InputError(path, f"embedded metadata.json is implausibly large ({info.file_size} bytes)")
            text = archive.read(info) if info is not None else b""
    except zipfile.BadZipFile as error:
        raise InputError(path, f"is not a TorchScript model (not a readable zip archive: {error})") from None
    except (OSError, NotImplementedError, RuntimeError) as error:
        raise InputError(path, f"is not a TorchScript model ({type(error).__name__}: {error})") from None
    if not text.strip():
        raise InputError(path, "TorchScript model carries no metadata.json declaring its inputs and labels; "
                               "declare it in a .json file beside it (a description with medimgai.network, see "
                               "the README's 'Bring your own model')")
    return _spec(_json(text, path, "embedded metadata.json "), path, "embedded metadata.json")


def _path_declaration(path: Path) -> ModelSpec:
    if path.is_dir():
        metadata = path / "configs" / "metadata.json"
        if not metadata.is_file():
            raise InputError(path, "is a folder but not a MONAI bundle (no configs/metadata.json)")
        return _cached("bundle", metadata, _bundle_spec)
    if not path.is_file():
        raise InputError(path, "no such model file or folder")
    suffix = path.suffix.lower()
    if suffix == ".json":
        return _cached("description", path, _description_spec)
    if suffix in TORCHSCRIPT_SUFFIXES:
        return _cached("torchscript", path, _torchscript_spec)
    raise InputError(path, "unknown model format (expected a MONAI bundle folder, a .json description or a .ts file)")


def _catalog(catalog_path: str | os.PathLike | None) -> dict[str, CatalogEntry]:
    source = Path(catalog_path) if catalog_path else Path(str(resources.files("MedImgAILib.models") / "catalog.json"))
    if not source.is_file():
        return load_catalog(source)  # its own clear error
    return _cached("catalog", source, load_catalog)


def read_declaration(model: str | os.PathLike, catalog_path: str | os.PathLike | None = None,
                     cache: str | os.PathLike | None = None) -> ModelSpec:
    """The declaration of model (a path as load_model_path takes it, or a catalog id), from its metadata only.

    No network is built, no weights are read, nothing is downloaded and torch is not imported. Raises InputError
    naming the file and the problem, or ModelNotDownloadedError for a catalog model that is not on this machine.
    """
    path = Path(model)
    if path.exists():
        return _path_declaration(path)
    catalog = _catalog(catalog_path)
    entry = catalog.get(str(model))
    if entry is None:
        raise InputError(str(model), f"is neither a model file or folder nor a catalog id ({', '.join(sorted(catalog))})")
    folder = model_folder(entry, None if cache is None else Path(cache))
    if (folder / "configs" / "metadata.json").is_file():
        return _path_declaration(folder)
    shipped = declaration_folder(entry)
    if shipped is not None and (shipped / "configs" / "metadata.json").is_file():
        return _path_declaration(shipped)
    if entry.is_bundled:
        raise InputError(folder, f"the bundled model {entry.id} is missing from this installation")
    raise ModelNotDownloadedError(entry, folder)


def model_input_names(model: str | os.PathLike, catalog_path: str | os.PathLike | None = None,
                      cache: str | os.PathLike | None = None) -> tuple[str, ...]:
    """The model's input names in channel order; for a catalog model not downloaded yet, those its catalog entry lists."""
    try:
        return read_declaration(model, catalog_path, cache).input_names
    except ModelNotDownloadedError as error:
        return error.entry.inputs
