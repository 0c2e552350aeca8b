"""The extension package holds the bundled models and the sample case where MedImgAILib looks for them.

CMake/MedImgAIBundledResources.cmake is configured and installed with plain CMake (Slicer's directory variables
set as UseSlicer sets them); MedImgAILib is then placed beside the installed Resources/ as the extension's
MedImgAILib/CMakeLists.txt places it, and a fresh interpreter must find every bundled model and the sample case
there, not in this checkout.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
SCRIPTED_MODULES = "lib/Slicer-5.12/qt-scripted-modules"


def _cmake(*arguments, cwd: Path) -> None:
    result = subprocess.run(["cmake", *map(str, arguments)], capture_output=True, text=True, cwd=cwd, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def installed_extension(tmp_path_factory) -> Path:
    if shutil.which("cmake") is None:
        pytest.skip("cmake is not installed")
    root = tmp_path_factory.mktemp("package")
    (root / "project").mkdir()
    (root / "project" / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.16)\nproject(PackagingCheck NONE)\n"
        f"set(Slicer_QTSCRIPTEDMODULES_LIB_DIR {SCRIPTED_MODULES})\n"
        f"set(Slicer_INSTALL_QTSCRIPTEDMODULES_LIB_DIR {SCRIPTED_MODULES})\n"
        f"include({(REPOSITORY / 'CMake' / 'MedImgAIBundledResources.cmake').as_posix()})\n")
    _cmake("-S", root / "project", "-B", root / "build", cwd=root)
    _cmake("--install", root / "build", "--prefix", root / "install", cwd=root)
    assert (root / "build" / SCRIPTED_MODULES / "Resources" / "SampleData" / "STS_002" / "CT_image.nii.gz").is_file()
    scripted = root / "install" / SCRIPTED_MODULES
    shutil.copytree(REPOSITORY / "MedImgAILib", scripted / "MedImgAILib",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return scripted


def test_the_installed_package_finds_every_bundled_model_and_the_sample_case(installed_extension):
    code = (
        "import json, MedImgAILib\n"
        "from MedImgAILib.models.catalog import load_catalog\n"
        "from MedImgAILib.models.model_resolver import ensure_model_folder\n"
        "from MedImgAILib.sample_case import find_case\n"
        "folders = {e.id: str(ensure_model_folder(e)) for e in load_catalog().values() if e.is_bundled}\n"
        "print(json.dumps({'package': MedImgAILib.__file__, 'models': folders,"
        " 'sample': sorted(find_case().images)}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                            cwd=installed_extension.parent, env={"PYTHONPATH": str(installed_extension),
                                                                  "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert Path(found["package"]).is_relative_to(installed_extension)
    assert set(found["models"]) >= {"sts-gtv-ct-pet-mr", "sts-gtv-pet"}
    for folder in found["models"].values():
        assert Path(folder).is_relative_to(installed_extension / "Resources" / "Models")
        assert (Path(folder) / "models" / "model.pt").is_file() and (Path(folder) / "docs" / "README.md").is_file()
    assert found["sample"] == ["CT", "MR_T1", "PET"]
