"""The layering rule: MedImgAILib never imports slicer/vtk/qt; the logic layer never imports qt/ctk."""

from __future__ import annotations

import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]


def all_modules(package: str, folder: Path) -> list[str]:
    return [package] + [m.name for m in pkgutil.walk_packages([str(folder)], prefix=f"{package}.")]


def imported_after(modules: list[str]) -> set[str]:
    """Top-level module names imported by importing modules, in a fresh interpreter."""
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPOSITORY,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def test_the_core_library_imports_no_slicer_vtk_or_qt():
    modules = all_modules("MedImgAILib", REPOSITORY / "MedImgAILib")
    assert "MedImgAILib.cli.main" in modules and "MedImgAILib.io.slice_stack" in modules
    leaked = imported_after(modules) & {"slicer", "slicer_core", "vtk", "vtkmodules", "qt", "ctk", "PythonQt",
                                        "MedImgAILogic"}
    assert not leaked


def test_the_logic_layer_imports_no_qt_or_ctk():
    pytest.importorskip("slicer")
    modules = all_modules("MedImgAILogic", REPOSITORY / "MedImgAI" / "MedImgAILogic")
    imported = imported_after(modules)
    assert "slicer" in imported
    assert not imported & {"qt", "ctk", "PythonQt", "slicer.ScriptedLoadableModule"}


def test_the_logic_layer_never_reaches_for_slicers_application_globals():
    forbidden = re.compile(r"slicer\.(mrmlScene|app|modules|ScriptedLoadableModule|parameterNodeWrapper)\b")
    offenders = [str(p.relative_to(REPOSITORY)) for p in (REPOSITORY / "MedImgAI" / "MedImgAILogic").rglob("*.py")
                 if forbidden.search(p.read_text())]
    assert offenders == []


def test_what_the_panels_need_before_dependencies_are_installed_imports_without_them():
    """In a fresh Slicer, the panels open and the dependency check runs before torch or MONAI exist."""
    code = (
        "import sys\n"
        "for name in ('torch', 'monai', 'pydicom', 'scipy', 'jsonschema'): sys.modules[name] = None\n"
        "from MedImgAILib.runtime.dependencies import missing_requirements\n"
        "from MedImgAILib.registration.presets import PRESETS\n"  # the parameter nodes' choices
        "from MedImgAILib.explain.methods import METHODS\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPOSITORY, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
