"""The catalog validates against its schema; downloads are resumable, verified and unpacked safely (loopback)."""

from __future__ import annotations

import hashlib
import json
import zipfile

import pytest
from range_http_server import serve_folder
from tiny_models import write_tiny_bundle

from MedImgAILib.errors import CancelledError, InputError
from MedImgAILib.models import load_catalog, load_model
from MedImgAILib.models.catalog import CatalogEntry
from MedImgAILib.models.model_resolver import ensure_model_folder
from MedImgAILib.runtime import CancelToken


@pytest.fixture
def a_model_archive(tmp_path):
    bundle = write_tiny_bundle(tmp_path / "build" / "tiny")
    archive = tmp_path / "served" / "tiny-0.1.0.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as handle:
        for path in sorted(bundle.rglob("*")):
            handle.write(path, path.relative_to(bundle))
    return archive


def entry_for(archive, base_url, **overrides) -> CatalogEntry:
    data = archive.read_bytes()
    fields = dict(id="tiny-ct-pet", version="0.1.0", title="tiny", inputs=("CT", "PET"), labels=("GTV",),
                  license="test", url=f"{base_url}/{archive.name}", sha256=hashlib.sha256(data).hexdigest(),
                  size_bytes=len(data))
    fields.update(overrides)
    return CatalogEntry(**fields)


def test_the_shipped_catalog_is_valid_and_its_bundled_model_is_present():
    catalog = load_catalog()
    assert "sts-gtv-ct-pet-mr" in catalog
    for entry in catalog.values():
        if entry.is_bundled:
            assert load_model(entry.id).spec.id == entry.id


def test_a_catalog_that_breaks_the_schema_is_refused(tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"models": [{"id": "x1", "version": "1.0.0", "title": "t", "inputs": ["CT"],
                                            "labels": ["a"], "license": "l", "url": "ftp://example.org/m.zip"}]}))
    with pytest.raises(InputError, match="invalid catalog at models/0"):
        load_catalog(path)


def test_a_download_is_verified_unpacked_cached_and_then_loaded(tmp_path, a_model_archive):
    with serve_folder(a_model_archive.parent) as (base_url, requests):
        entry = entry_for(a_model_archive, base_url)
        folder = ensure_model_folder(entry, cache=tmp_path / "cache")
        again = ensure_model_folder(entry, cache=tmp_path / "cache")
    assert folder == again and (folder / "configs" / "metadata.json").is_file()
    assert len(requests) == 1  # the second call used the cache
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["tiny-ct-pet-0.1.0"]


def test_an_interrupted_download_resumes_with_a_range_request(tmp_path, a_model_archive):
    cache = tmp_path / "cache"
    cache.mkdir()
    data = a_model_archive.read_bytes()
    (cache / "tiny-ct-pet-0.1.0.zip.part").write_bytes(data[:1000])
    with serve_folder(a_model_archive.parent) as (base_url, requests):
        folder = ensure_model_folder(entry_for(a_model_archive, base_url), cache=cache)
    assert requests == [(f"/{a_model_archive.name}", "bytes=1000-")]
    assert (folder / "models" / "model.pt").is_file()


def test_a_checksum_mismatch_discards_the_download(tmp_path, a_model_archive):
    with serve_folder(a_model_archive.parent) as (base_url, _):
        entry = entry_for(a_model_archive, base_url, sha256="0" * 64)
        with pytest.raises(InputError, match="checksum mismatch.*the download was discarded"):
            ensure_model_folder(entry, cache=tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []


def test_a_missing_file_on_the_server_is_a_clear_error(tmp_path, a_model_archive):
    with serve_folder(a_model_archive.parent) as (base_url, _):
        entry = entry_for(a_model_archive, base_url, url=f"{base_url}/nothing.zip")
        with pytest.raises(InputError, match="download failed: HTTP 404"):
            ensure_model_folder(entry, cache=tmp_path / "cache")


def test_a_cancelled_download_raises_and_keeps_the_partial_file_for_resuming(tmp_path, a_model_archive):
    token = CancelToken()
    token.cancel()
    with serve_folder(a_model_archive.parent) as (base_url, _):
        with pytest.raises(CancelledError):
            ensure_model_folder(entry_for(a_model_archive, base_url), cache=tmp_path / "cache", cancel=token)
    assert not (tmp_path / "cache" / "tiny-ct-pet-0.1.0").exists()


def test_archives_that_escape_their_folder_are_refused(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    archive = served / "evil.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("configs/metadata.json", "{}")
        handle.writestr("../../escaped.txt", "gotcha")
    with serve_folder(served) as (base_url, _):
        with pytest.raises(InputError, match="would be written outside the model folder"):
            ensure_model_folder(entry_for(archive, base_url, id="evil"), cache=tmp_path / "cache")
    assert not (tmp_path / "escaped.txt").exists() and not list(tmp_path.rglob("escaped.txt"))


def test_unknown_model_ids_list_the_catalog():
    with pytest.raises(InputError, match="neither a model file or folder nor a catalog id.*sts-gtv-ct-pet-mr"):
        load_model("no-such-model")
