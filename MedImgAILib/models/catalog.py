"""The model catalog, validated by its schema. Three kinds of source:

- bundled: a bundle folder shipped in Resources/Models;
- url: a zipped bundle downloaded from an address (size and SHA-256 verified);
- python_package: a model published only inside a Python package (e.g. deepbet). pip downloads the wheel by
  name and version; the wheel and each named member file are verified by SHA-256 and only those members are
  unpacked, beside MedImgAI's own declaration and card for the model (shipped in Resources, ``declaration``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jsonschema

from MedImgAILib.errors import InputError

__all__ = ["CatalogEntry", "PackageMember", "PythonPackageSource", "cached_model_folder", "declaration_folder",
           "default_cache_folder", "load_catalog", "model_folder", "resources_folder"]


@dataclass(frozen=True)
class PackageMember:
    path: str  # inside the wheel, '/'-separated
    sha256: str


@dataclass(frozen=True)
class PythonPackageSource:
    name: str
    version: str
    wheel_sha256: str
    members: tuple[PackageMember, ...]
    size_bytes: int | None = None

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"

    @classmethod
    def from_item(cls, item: dict) -> "PythonPackageSource":
        return cls(item["name"], item["version"], item["wheel_sha256"],
                   tuple(PackageMember(m["path"], m["sha256"]) for m in item["members"]), item.get("size_bytes"))


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    version: str
    title: str
    inputs: tuple[str, ...]
    labels: tuple[str, ...]
    license: str
    bundled: str | None = None
    url: str | None = None
    sha256: str | None = None
    size_bytes: int | None = None
    declaration: str | None = None  # Resources-relative folder with MedImgAI's declaration of a packaged model
    python_package: PythonPackageSource | None = None

    @property
    def is_bundled(self) -> bool:
        return self.bundled is not None

    @property
    def download_bytes(self) -> int | None:
        return self.python_package.size_bytes if self.python_package is not None else self.size_bytes


def resources_folder() -> Path:
    """The repository's (or installed extension's) Resources folder, which holds bundled models."""
    return Path(os.environ.get("MEDIMGAI_RESOURCES", Path(__file__).resolve().parents[2] / "Resources"))


def default_cache_folder() -> Path:
    """Where downloaded models live: $MEDIMGAI_CACHE, else the user cache folder."""
    if "MEDIMGAI_CACHE" in os.environ:
        return Path(os.environ["MEDIMGAI_CACHE"])
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "medimgai" / "models"


def cached_model_folder(entry: CatalogEntry, cache: Path | None = None) -> Path:
    """Where a downloadable model is unpacked (it may not be there yet)."""
    return Path(cache or default_cache_folder()) / f"{entry.id}-{entry.version}"


def declaration_folder(entry: CatalogEntry) -> Path | None:
    """MedImgAI's own declaration and card of a model whose files come from elsewhere (None for others)."""
    return resources_folder() / entry.declaration if entry.declaration else None


def model_folder(entry: CatalogEntry, cache: Path | None = None) -> Path:
    """The folder of a catalog model: bundled with MedImgAI, or where its download is (or will be) unpacked."""
    return resources_folder() / entry.bundled if entry.is_bundled else cached_model_folder(entry, cache)


def load_catalog(path: str | os.PathLike | None = None) -> dict[str, CatalogEntry]:
    """Entries by id from path (default: the catalog shipped with MedImgAILib), validated against the schema."""
    source = Path(path) if path else Path(str(resources.files("MedImgAILib.models").joinpath("catalog.json")))
    try:
        document = json.loads(source.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise InputError(source, f"cannot read the model catalog ({error})") from None
    schema = json.loads(resources.files("MedImgAILib.models").joinpath("catalog.schema.json").read_text())
    try:
        jsonschema.validate(document, schema)
    except jsonschema.ValidationError as error:
        where = "/".join(str(p) for p in error.absolute_path)
        raise InputError(source, f"invalid catalog at {where}: {error.message}") from None
    entries = {}
    for item in document["models"]:
        if item["id"] in entries:
            raise InputError(source, f"model id {item['id']!r} appears twice")
        package = PythonPackageSource.from_item(item["python_package"]) if "python_package" in item else None
        entries[item["id"]] = CatalogEntry(**{**item, "inputs": tuple(item["inputs"]), "labels": tuple(item["labels"]),
                                              "python_package": package})
    return entries
