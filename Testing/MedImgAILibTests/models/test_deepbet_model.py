"""A real third-party model through the bring-your-own path: deepbet 1.0.2's two TorchScript networks, declared
beside their files and run by MedImgAI's own loader and engine, agree with the mask deepbet's own pipeline makes
of a multiple-sclerosis T1 image (Testing/references/deepbet, made by benchmarks/deepbet_agreement.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.explain import explain
from MedImgAILib.inference import Segmenter
from MedImgAILib.io import read_image
from MedImgAILib.metrics import dice
from MedImgAILib.models import load_model, load_model_path, model_input_names, read_declaration

REPOSITORY = Path(__file__).resolve().parents[3]
REFERENCE = REPOSITORY / "Testing" / "references" / "deepbet" / "patient01_study2_T1W_deepbet_mask.nii.gz"
MEDIMGAI = Path(sys.executable).with_name("medimgai")
DEEPBET_ID = "brain-extraction-deepbet"


@pytest.fixture(scope="module")
def the_deepbet_model(the_deepbet_folder):
    return load_model(the_deepbet_folder)  # the downloaded folder, given as the user's own model path


@pytest.fixture
def an_ms_t1_image():
    from shared_data import shared_path

    return shared_path("ms-longitudinal", "patient01", "study2_T1W.nii.gz")


def deepbets_own_mask():
    return sitk.GetArrayFromImage(sitk.ReadImage(str(REFERENCE))) > 0


def test_its_declaration_is_read_before_any_download_without_torch_or_weights(tmp_path):
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(REPOSITORY)!r})\n"
        "from MedImgAILib.models import read_declaration\n"
        f"spec = read_declaration({DEEPBET_ID!r}, cache={str(tmp_path / 'empty-cache')!r})\n"
        "label = spec.labels[0]\n"
        "print(spec.input_names, spec.inputs[0].modality, label.name, label.type.value, label.category.value)\n"
        "print(spec.inference.mode, spec.inference.shape, spec.orientation, spec.localizer.shape, spec.normalize_on)\n"
        "print(spec.license.split()[0], 'Fisch' in spec.citation, spec.network.file, spec.localizer.network.file)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'monai'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPOSITORY, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "('T1',) MR Brain 12738006 123037004",
        "whole_volume (256, 256, 256) RAS (128, 128, 128) model_input",
        "MIT True data/models/model.pt data/models/bbox_model.pt",
        "[]",
    ]
    assert not (tmp_path / "empty-cache").exists()
    assert model_input_names(DEEPBET_ID, cache=tmp_path / "empty-cache") == ("T1",)


def test_its_loaded_declaration_is_the_one_read_without_loading(the_deepbet_model, the_deepbet_folder):
    assert the_deepbet_model.format == "torchscript" and the_deepbet_model.localizer is not None
    assert the_deepbet_model.spec == read_declaration(the_deepbet_folder) == read_declaration(DEEPBET_ID)
    assert the_deepbet_model.weights_sha256 == the_deepbet_model.spec.network.sha256
    assert the_deepbet_model.localizer_sha256 == the_deepbet_model.spec.localizer.network.sha256


def test_segmenting_an_ms_t1_image_agrees_with_deepbets_own_mask(the_deepbet_model, an_ms_t1_image):
    image = read_image(an_ms_t1_image)
    result = Segmenter(the_deepbet_model, device="cpu")({"T1": image})
    assert result.labelmap.GetSize() == image.GetSize() and result.labelmap.GetOrigin() == image.GetOrigin()
    assert result.labelmap.GetDirection() == image.GetDirection()
    ours = sitk.GetArrayFromImage(result.labelmap) > 0
    assert dice(ours, deepbets_own_mask()) >= 0.99  # issue 14 asks for 0.97; measured 0.997
    assert abs(int(ours.sum()) / int(deepbets_own_mask().sum()) - 1) < 0.01
    assert result.labels[0].type.meaning == "Brain"
    assert result.provenance["localizer_sha256"] == the_deepbet_model.spec.localizer.network.sha256
    assert result.provenance["localized_region"]["index_stop"][2] == image.GetSize()[2]  # thin slab: all slices


def a_users_own_declaration(folder: Path, the_deepbet_folder: Path) -> Path:
    """What a user writes to bring deepbet: its two TorchScript files and a .json declaration beside them."""
    folder.mkdir()
    for name in ("model.pt", "bbox_model.pt"):
        shutil.copy(the_deepbet_folder / "data" / "models" / name, folder / name)
    declaration = json.loads((the_deepbet_folder / "configs" / "metadata.json").read_text())
    declaration["medimgai"]["network"]["file"] = "model.pt"
    declaration["medimgai"]["localizer"]["network"]["file"] = "bbox_model.pt"
    path = folder / "deepbet.json"
    path.write_text(json.dumps({"version": declaration["version"], "medimgai": declaration["medimgai"]}))
    return path


def test_a_users_own_declaration_beside_the_files_runs_from_the_command_line(tmp_path, the_deepbet_folder,
                                                                            an_ms_t1_image):
    own = a_users_own_declaration(tmp_path / "my-models", the_deepbet_folder)
    result = subprocess.run([str(MEDIMGAI), "segment", "--model", str(own), "--input", f"T1={an_ms_t1_image}",
                             "--output", str(tmp_path / "brain.nii.gz"), "--report", str(tmp_path / "report.json"),
                             "--device", "cpu"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Brain" in result.stdout and " mL" in result.stdout
    ours = sitk.GetArrayFromImage(sitk.ReadImage(str(tmp_path / "brain.nii.gz"))) > 0
    assert dice(ours, deepbets_own_mask()) >= 0.99
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["model_id"] == DEEPBET_ID and report["model_source"] == str(own)


def test_a_declared_file_that_differs_from_its_checksum_is_refused_before_it_is_loaded(tmp_path,
                                                                                      the_deepbet_folder):
    own = a_users_own_declaration(tmp_path / "mine", the_deepbet_folder)
    with open(own.parent / "bbox_model.pt", "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(InputError, match=r"bbox_model.pt: checksum mismatch: SHA-256 is [0-9a-f]{64}, the model "
                                         "declares 39a7b2b5"):
        load_model_path(own)


def test_a_declared_file_outside_the_models_folder_is_refused(tmp_path, the_deepbet_folder):
    own = a_users_own_declaration(tmp_path / "mine", the_deepbet_folder)
    description = json.loads(own.read_text())
    description["medimgai"]["network"]["file"] = "../model.pt"
    own.write_text(json.dumps(description))
    with pytest.raises(InputError, match="invalid model declaration at network/file"):
        load_model_path(own)
    (own.parent / "linked.pt").symlink_to(the_deepbet_folder / "data" / "models" / "model.pt")
    description["medimgai"]["network"]["file"] = "linked.pt"
    own.write_text(json.dumps(description))
    with pytest.raises(InputError, match="network file 'linked.pt' points outside the model's folder"):
        load_model_path(own)


def test_explaining_a_whole_volume_model_is_refused_clearly(the_deepbet_model, an_ms_t1_image):
    with pytest.raises(InputError, match="brain-extraction-deepbet: cannot be explained yet: the explanation "
                                         "methods work with models that run in sliding windows"):
        explain(the_deepbet_model, {"T1": read_image(an_ms_t1_image)}, "gradcam")
