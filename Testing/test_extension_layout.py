"""The repository keeps the Slicer extension layout, the pinned install and the two README commands."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]


def test_design_card_layout_is_present():
    for name in ("CMakeLists.txt", "README.md", "MedImgAI", "MedImgAILib", "Testing", "Resources", "pyproject.toml",
                 ".ci/run", "benchmarks"):
        assert (REPOSITORY / name).exists(), name


def test_extension_metadata_is_real():
    text = (REPOSITORY / "CMakeLists.txt").read_text()
    for variable in ("EXTENSION_HOMEPAGE", "EXTENSION_CATEGORY", "EXTENSION_CONTRIBUTORS", "EXTENSION_DESCRIPTION",
                     "EXTENSION_ICONURL", "EXTENSION_SCREENSHOTURLS"):
        match = re.search(rf'set\({variable} "([^"]+)"\)', text)
        assert match and "TODO" not in match.group(1) and "example" not in match.group(1).lower(), variable
    assert re.search(r'set\(EXTENSION_DEPENDS "PyTorch"\)', text)
    assert "add_subdirectory(MedImgAILib)" in text and "add_subdirectory(MedImgAI)" in text
    icon = re.search(r'EXTENSION_ICONURL "[^"]*/main/(Resources/Icons/[^"]+)"', text).group(1)
    assert (REPOSITORY / icon).is_file()
    assert "WITH_SUBDIR" in (REPOSITORY / "MedImgAILib" / "CMakeLists.txt").read_text()


def test_pyproject_pins_the_cpu_torch_and_names_the_slicer_core_extra():
    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]
    assert project["name"] == "medimgai"
    assert "torch==2.13.0" in project["dependencies"]
    for needed in ("monai", "SimpleITK", "pydicom", "pylibjpeg-libjpeg", "pylibjpeg-openjpeg", "pyjpegls", "numpy"):
        assert any(d.startswith(needed) for d in project["dependencies"]), needed
    assert any(d.startswith("slicer-core") for d in project["optional-dependencies"]["slicer"])
    assert project["scripts"]["medimgai"] == "MedImgAILib.cli.main:main"


def test_ci_runs_exactly_the_readme_test_command():
    readme = (REPOSITORY / "README.md").read_text()
    commands = re.findall(r"```(?:bash|sh)\n(.*?)\n```", readme, flags=re.S)
    setup, tests = commands[0].strip(), commands[1].strip()
    assert "medimgai demo" in setup and ".venv" in (REPOSITORY / ".ci" / "setup-venv").read_text()
    assert tests in (REPOSITORY / ".ci" / "run").read_text()


def test_the_bundled_sample_carries_its_attribution():
    readme = (REPOSITORY / "Resources" / "SampleData" / "README.md").read_text()
    assert "CC" in readme or "Creative Commons" in readme
    assert "10.7937/K9/TCIA.2015.7GO2GSKS" in readme
    for modality in ("CT", "PET", "MR_T1"):
        assert (REPOSITORY / "Resources" / "SampleData" / "STS_002" / f"{modality}_image.nii.gz").is_file()
