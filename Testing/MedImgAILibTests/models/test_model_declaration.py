"""A model's declaration is read from its metadata alone (no torch, no weights, no download), cached, and re-read
when the metadata changes; damaged files each get a clear error naming them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch
from range_http_server import serve_folder
from tiny_models import TINY_NETWORK, tiny_declaration, tiny_network, write_tiny_bundle, write_tiny_torchscript

from MedImgAILib.errors import InputError
from MedImgAILib.models import (ModelNotDownloadedError, load_catalog, load_model, load_model_path,
                                model_input_names, read_declaration)
from MedImgAILib.models.catalog import cached_model_folder

REPOSITORY = Path(__file__).resolve().parents[3]


@pytest.fixture
def a_tiny_bundle(tmp_path):
    return write_tiny_bundle(tmp_path / "tiny")


@pytest.fixture
def a_tiny_description(tmp_path, a_tiny_bundle):
    (tmp_path / "weights").mkdir()
    shutil.copy(a_tiny_bundle / "models" / "model.pt", tmp_path / "weights" / "model.pt")
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"version": "0.1.0", "network_def": TINY_NETWORK, "medimgai": tiny_declaration(),
                                "weights": "weights/model.pt"}))
    return path


@pytest.fixture
def a_tiny_torchscript(tmp_path):
    return write_tiny_torchscript(tmp_path / "tiny.ts")


@pytest.fixture
def a_catalog_with_a_downloadable_model(tmp_path):
    """A catalog whose only model lives on a (local) server, and that server, which records every request."""
    served = tmp_path / "served"
    served.mkdir()
    (served / "tiny-0.1.0.zip").write_bytes(b"never fetched")
    with serve_folder(served) as (base_url, requests):
        catalog = tmp_path / "catalog.json"
        catalog.write_text(json.dumps({"models": [{
            "id": "tiny-ct-pet", "version": "0.1.0", "title": "tiny", "inputs": ["CT", "PET"], "labels": ["GTV"],
            "license": "test", "url": f"{base_url}/tiny-0.1.0.zip", "sha256": "0" * 64, "size_bytes": 13}]}))
        yield catalog, requests


def test_a_bundles_declaration_is_the_one_its_loaded_model_has(a_tiny_bundle):
    assert read_declaration(a_tiny_bundle) == load_model_path(a_tiny_bundle).spec


def test_a_description_files_declaration_is_the_one_its_loaded_model_has(a_tiny_description):
    assert read_declaration(a_tiny_description) == load_model_path(a_tiny_description).spec


def test_a_torchscript_files_declaration_is_read_from_inside_the_archive(a_tiny_torchscript):
    assert read_declaration(a_tiny_torchscript) == load_model_path(a_tiny_torchscript).spec
    assert model_input_names(a_tiny_torchscript) == ("CT", "PET")


def test_the_bundled_catalog_models_declare_what_they_load_with():
    bundled = [entry for entry in load_catalog().values() if entry.is_bundled]
    assert bundled
    for entry in bundled:
        declaration = read_declaration(entry.id)
        assert declaration == load_model(entry.id).spec
        assert model_input_names(entry.id) == declaration.input_names == entry.inputs


def test_reading_declarations_imports_neither_torch_nor_monai(a_tiny_bundle, a_tiny_description, a_tiny_torchscript):
    models = [str(a_tiny_bundle), str(a_tiny_description), str(a_tiny_torchscript), "sts-gtv-ct-pet-mr"]
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(REPOSITORY)!r})\n"
        "from MedImgAILib.models import read_declaration\n"
        f"print([read_declaration(m).input_names for m in {models!r}])\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'monai'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPOSITORY, timeout=120)
    assert result.returncode == 0, result.stderr
    names, leaked = result.stdout.splitlines()
    assert names == "[('CT', 'PET'), ('CT', 'PET'), ('CT', 'PET'), ('CT', 'PET', 'MR')]"
    assert leaked == "[]"


def test_a_model_not_downloaded_yet_asks_for_the_download_without_touching_the_network(
        tmp_path, a_catalog_with_a_downloadable_model):
    catalog, requests = a_catalog_with_a_downloadable_model
    cache = tmp_path / "cache"
    with pytest.raises(ModelNotDownloadedError, match="tiny-ct-pet: the model must be downloaded first") as caught:
        read_declaration("tiny-ct-pet", catalog_path=catalog, cache=cache)
    assert isinstance(caught.value, InputError) and caught.value.entry.inputs == ("CT", "PET")
    assert model_input_names("tiny-ct-pet", catalog_path=catalog, cache=cache) == ("CT", "PET")
    assert requests == [] and not cache.exists()


def test_once_downloaded_the_declaration_is_read_from_the_cached_folder(
        tmp_path, a_tiny_bundle, a_catalog_with_a_downloadable_model):
    catalog, requests = a_catalog_with_a_downloadable_model
    cache = tmp_path / "cache"
    shutil.copytree(a_tiny_bundle, cached_model_folder(load_catalog(catalog)["tiny-ct-pet"], cache))
    assert read_declaration("tiny-ct-pet", catalog_path=catalog, cache=cache) == read_declaration(a_tiny_bundle)
    assert requests == []


def test_a_declaration_is_read_once_and_again_after_its_metadata_changes(a_tiny_bundle):
    first = read_declaration(a_tiny_bundle)
    assert read_declaration(a_tiny_bundle) is first
    assert read_declaration(str(a_tiny_bundle) + "/") is first  # the same folder, spelled differently
    metadata_path = a_tiny_bundle / "configs" / "metadata.json"
    metadata = json.loads(metadata_path.read_text())
    metadata["medimgai"]["inputs"] = metadata["medimgai"]["inputs"][1:]
    metadata_path.write_text(json.dumps(metadata))
    changed = read_declaration(a_tiny_bundle)
    assert changed is not first and changed.input_names == ("PET",)
    assert read_declaration(a_tiny_bundle) is changed


def test_a_torchscript_file_replaced_in_place_is_read_again(a_tiny_torchscript):
    first = read_declaration(a_tiny_torchscript)
    assert read_declaration(a_tiny_torchscript) is first
    declaration = {**tiny_declaration(), "id": "tiny-replaced-model"}
    torch.jit.save(torch.jit.script(tiny_network().eval()), str(a_tiny_torchscript),
                   _extra_files={"metadata.json": json.dumps({"version": "0.2.0", "medimgai": declaration})})
    assert read_declaration(a_tiny_torchscript).id == "tiny-replaced-model"


def not_a_zip(tmp_path):
    path = tmp_path / "notes.ts"
    path.write_text("hello")
    return path


def a_zip_that_is_not_torchscript(tmp_path):
    path = tmp_path / "archive.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/extra/metadata.json", json.dumps({"medimgai": tiny_declaration()}))
    return path


def torchscript_without_metadata(tmp_path):
    return write_tiny_torchscript(tmp_path / "bare.pt", with_metadata=False)


def torchscript_with_invalid_json(tmp_path):
    path = tmp_path / "broken.ts"
    torch.jit.save(torch.jit.script(tiny_network().eval()), str(path), _extra_files={"metadata.json": "{not json"})
    return path


def a_bundle_with_invalid_json(tmp_path):
    bundle = write_tiny_bundle(tmp_path / "tiny")
    (bundle / "configs" / "metadata.json").write_text("{\"version\": ")
    return bundle / "configs" / "metadata.json"


def a_bundle_with_an_invalid_declaration(tmp_path):
    bundle = write_tiny_bundle(tmp_path / "tiny")
    metadata = json.loads((bundle / "configs" / "metadata.json").read_text())
    metadata["medimgai"]["inputs"][1]["modality"] = "XRAY"
    (bundle / "configs" / "metadata.json").write_text(json.dumps(metadata))
    return bundle


def a_description_with_invalid_json(tmp_path):
    path = tmp_path / "model.json"
    path.write_text("network_def = 3")
    return path


def a_description_without_a_network(tmp_path):
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"medimgai": tiny_declaration()}))
    return path


def a_folder_that_is_not_a_bundle(tmp_path):
    (tmp_path / "folder").mkdir()
    return tmp_path / "folder"


def a_file_of_unknown_format(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"onnx")
    return path


@pytest.mark.parametrize("make, problem", [
    (not_a_zip, "is not a TorchScript model"),
    (a_zip_that_is_not_torchscript, "is not a TorchScript model"),
    (torchscript_without_metadata, "carries no metadata.json"),
    (torchscript_with_invalid_json, "embedded metadata.json is not valid JSON"),
    (a_bundle_with_invalid_json, "is not valid JSON"),
    (a_bundle_with_an_invalid_declaration, "invalid model declaration at inputs/1/modality"),
    (a_description_with_invalid_json, "is not valid JSON"),
    (a_description_without_a_network, "needs 'medimgai' and either 'network_def' and 'weights' or a declared"),
    (a_folder_that_is_not_a_bundle, "is a folder but not a MONAI bundle"),
    (a_file_of_unknown_format, "unknown model format"),
])
def test_a_damaged_model_gets_the_same_clear_error_as_loading_it(tmp_path, make, problem):
    path = make(tmp_path)
    model = path.parents[1] if path.name == "metadata.json" else path
    with pytest.raises(InputError, match=problem) as caught:
        read_declaration(model)
    assert str(caught.value).startswith(f"{path}: ")
    with pytest.raises(InputError, match=problem) as loading:
        load_model_path(model)
    assert str(loading.value).startswith(f"{path}: ")


def test_a_path_that_does_not_exist_is_named_in_the_error(tmp_path):
    missing = tmp_path / "nowhere" / "model.ts"
    with pytest.raises(InputError, match="is neither a model file or folder nor a catalog id") as caught:
        read_declaration(missing)
    assert str(caught.value).startswith(f"{missing}: ")
