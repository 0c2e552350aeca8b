"""Models load from every format, and every kind of bad or hostile model file gets its own clear error."""

from __future__ import annotations

import json
import os
import pickle

import pytest
import torch
import tiny_models
from tiny_models import TINY_NETWORK, tiny_declaration, write_tiny_bundle, write_tiny_torchscript

from MedImgAILib.errors import InputError
from MedImgAILib.models import load_model_path
from MedImgAILib.models.checksums import sha256_of_file
from MedImgAILib.models.model_loader import network_from_config


@pytest.fixture
def a_tiny_bundle(tmp_path):
    return write_tiny_bundle(tmp_path / "tiny")


def set_declared_checksum(bundle) -> None:
    metadata_path = bundle / "configs" / "metadata.json"
    metadata = json.loads(metadata_path.read_text())
    metadata["medimgai"]["weights_sha256"] = sha256_of_file(bundle / "models" / "model.pt")
    metadata_path.write_text(json.dumps(metadata))


def test_a_bundle_loads_with_its_declaration_and_verified_weights(a_tiny_bundle):
    model = load_model_path(a_tiny_bundle)
    assert model.spec.id == "tiny-ct-pet" and model.spec.input_names == ("CT", "PET")
    assert model.spec.labels[0].type.value == "108369006"
    assert model.weights_sha256 == sha256_of_file(a_tiny_bundle / "models" / "model.pt")
    assert not model.network.training
    assert model.network(torch.zeros(1, 2, 16, 16, 8)).shape == (1, 2, 16, 16, 8)


def test_a_description_file_and_a_torchscript_file_load_too(tmp_path, a_tiny_bundle):
    description = {"version": "0.1.0", "network_def": TINY_NETWORK, "medimgai": tiny_declaration(),
                   "weights": "weights/model.pt"}
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / "model.pt").write_bytes((a_tiny_bundle / "models" / "model.pt").read_bytes())
    (tmp_path / "model.json").write_text(json.dumps(description))
    assert load_model_path(tmp_path / "model.json").format == "state-dict"
    scripted = load_model_path(write_tiny_torchscript(tmp_path / "tiny.ts"))
    assert scripted.format == "torchscript" and scripted.spec.input_names == ("CT", "PET")


def test_a_checksum_mismatch_is_refused(a_tiny_bundle):
    weights = a_tiny_bundle / "models" / "model.pt"
    state = torch.load(weights, weights_only=True)
    next(iter(state.values())).add_(1.0)
    torch.save(state, weights)
    with pytest.raises(InputError, match="checksum mismatch: SHA-256 is [0-9a-f]{64}, the model declares"):
        load_model_path(a_tiny_bundle)


class RunsCode:
    def __reduce__(self):
        return (os.system, (f"touch {os.environ['MARKER']}",))


def test_a_pickle_with_code_in_it_is_refused_without_running_it(tmp_path, a_tiny_bundle, monkeypatch):
    marker = tmp_path / "code-ran"
    monkeypatch.setenv("MARKER", str(marker))
    with open(a_tiny_bundle / "models" / "model.pt", "wb") as handle:
        pickle.dump({"weight": RunsCode()}, handle)
    set_declared_checksum(a_tiny_bundle)
    with pytest.raises(InputError, match="refused: the file is not plain weights; loading it would import and call "
                                         "(posix|os).system"):
        load_model_path(a_tiny_bundle)
    assert not marker.exists()


def test_files_that_are_not_models_are_refused(tmp_path, a_tiny_bundle):
    (a_tiny_bundle / "models" / "model.pt").write_bytes(b"\x00not a checkpoint at all")
    set_declared_checksum(a_tiny_bundle)
    with pytest.raises(InputError, match="is not a PyTorch weights file"):
        load_model_path(a_tiny_bundle)
    text = tmp_path / "notes.ts"
    text.write_text("hello")
    with pytest.raises(InputError, match="is not a TorchScript model"):
        load_model_path(text)
    with pytest.raises(InputError, match="not a MONAI bundle"):
        load_model_path(tmp_path)
    with pytest.raises(InputError, match="carries no metadata.json"):
        load_model_path(write_tiny_torchscript(tmp_path / "bare.ts", with_metadata=False))


def test_weights_that_do_not_fit_the_network_are_refused(a_tiny_bundle):
    torch.save({"unexpected.weight": torch.zeros(3)}, a_tiny_bundle / "models" / "model.pt")
    set_declared_checksum(a_tiny_bundle)
    with pytest.raises(InputError, match="weights do not fit the declared network"):
        load_model_path(a_tiny_bundle)


@pytest.mark.parametrize("network_def, fragment", [
    ({"_target_": "os.system", "command": "true"}, "instantiates 'os.system'"),
    ({**TINY_NETWORK, "channels": "$__import__('os').system('true')"}, "evaluates Python code"),
    ({**TINY_NETWORK, "_requires_": "$print('x')"}, "_requires_"),
])
def test_configs_that_would_run_code_are_refused_unless_trusted(a_tiny_bundle, network_def, fragment):
    (a_tiny_bundle / "configs" / "inference.json").write_text(json.dumps({"network_def": network_def}))
    with pytest.raises(InputError, match=fragment):
        load_model_path(a_tiny_bundle)


def test_trust_lifts_the_allow_list():
    identity = {"_target_": "torch.nn.Identity"}
    with pytest.raises(InputError, match="not an allowed network"):
        network_from_config(identity, "config")
    assert isinstance(network_from_config(identity, "config", trust=True), torch.nn.Identity)


def test_an_invalid_declaration_names_the_field(a_tiny_bundle):
    metadata_path = a_tiny_bundle / "configs" / "metadata.json"
    metadata = json.loads(metadata_path.read_text())
    metadata["medimgai"]["inputs"][1]["modality"] = "XRAY"
    metadata_path.write_text(json.dumps(metadata))
    with pytest.raises(InputError, match="invalid model declaration at inputs/1/modality"):
        load_model_path(a_tiny_bundle)


def test_a_description_cannot_point_its_weights_outside_its_folder(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.json").write_text(json.dumps({"network_def": TINY_NETWORK, "medimgai": tiny_declaration(),
                                                    "weights": "../../etc/passwd"}))
    with pytest.raises(InputError, match="points outside the model's folder"):
        load_model_path(folder / "model.json")


def with_declaration_changes(bundle, **changes):
    metadata_path = bundle / "configs" / "metadata.json"
    metadata = json.loads(metadata_path.read_text())
    metadata["medimgai"].update(changes)
    metadata_path.write_text(json.dumps(metadata))
    return bundle


def test_a_declaration_that_contradicts_the_network_is_refused_at_load_time(a_tiny_bundle):
    labels = tiny_declaration()["labels"]
    extra = [{**labels[0], "value": 2, "name": "Oedema"}, {**labels[0], "value": 3, "name": "Necrosis"}]
    with_declaration_changes(a_tiny_bundle, labels=labels + extra)
    with pytest.raises(InputError, match="the network has out_channels=2 but the declaration needs 4 for 3 labels "
                                         "plus background"):
        load_model_path(a_tiny_bundle)
    inputs = tiny_declaration()["inputs"]
    with_declaration_changes(a_tiny_bundle, labels=labels, inputs=inputs + [{**inputs[0], "name": "MR",
                                                                              "modality": "MR"}])
    with pytest.raises(InputError, match=r"the network has in_channels=2 but the declaration needs 3 for 3 inputs "
                                         r"\(CT, PET, MR\)"):
        load_model_path(a_tiny_bundle)


def test_torchscript_metadata_that_contradicts_the_network_is_refused(tmp_path):
    scripted = torch.jit.script(tiny_models.tiny_network().eval())
    declaration = tiny_declaration()
    declaration["inputs"] = declaration["inputs"] + [{**declaration["inputs"][0], "name": "MR", "modality": "MR"}]
    torch.jit.save(scripted, str(tmp_path / "three.ts"),
                   _extra_files={"metadata.json": json.dumps({"version": "0.1.0", "medimgai": declaration})})
    with pytest.raises(InputError, match=r"the network does not take 3 input channels of \(16, 16, 8\) voxels"):
        load_model_path(tmp_path / "three.ts")
    declaration = tiny_declaration()
    declaration["labels"] = declaration["labels"] * 1 + [{**declaration["labels"][0], "value": 2, "name": "Oedema"}]
    torch.jit.save(scripted, str(tmp_path / "labels.ts"),
                   _extra_files={"metadata.json": json.dumps({"version": "0.1.0", "medimgai": declaration})})
    with pytest.raises(InputError, match=r"output \(1, 2, 16, 16, 8\) does not have the 3 channels"):
        load_model_path(tmp_path / "labels.ts")


@pytest.mark.parametrize("changes, fragment", [
    ({"patch_size": [4096, 4096, 4096]}, r"at patch_size/\d: 4096 is greater than the maximum of 512"),
    ({"target_spacing_mm": [0.001, 0.001, 0.001]}, r"at target_spacing_mm/\d: 0.001 is less than the minimum of 0.05"),
])
def test_implausible_grids_in_a_declaration_are_refused(a_tiny_bundle, changes, fragment):
    with pytest.raises(InputError, match=fragment):
        load_model_path(with_declaration_changes(a_tiny_bundle, **changes))


def test_an_image_whose_model_grid_would_not_fit_in_memory_is_refused():
    from MedImgAILib.inference.model_grid import model_grid

    import SimpleITK as sitk

    image = sitk.Image(100, 100, 50, sitk.sitkInt16)
    image.SetSpacing((1e4, 1e4, 1e4))
    with pytest.raises(InputError, match=r"the model's grid would be 666667x666667x166667 voxels at 1.5, 1.5, 3 mm "
                                         r"\(the image has 10000, 10000, 10000 mm voxels\)"):
        model_grid(image, (1.5, 1.5, 3.0))
