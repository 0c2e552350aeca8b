"""Developer mode: Slicer given the checkout's MedImgAI/ folder finds MedImgAILib one level up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
# The module by itself: its package's __init__ needs Slicer's application (qt, parameterNodeWrapper).
LOAD = ("import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('library_path', "
        f"{str(REPOSITORY / 'MedImgAI' / 'MedImgAIWidgets' / 'library_path.py')!r})\n"
        "library_path = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(library_path)\n")


def run_as_slicer_would(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """Python without site-packages (so not the editable install) and with only the module folder on sys.path,
    which is what Slicer's scripted-module factory adds for a module in developer mode."""
    setup = f"import sys\nsys.path[:] = [{str(REPOSITORY / 'MedImgAI')!r}] + [p for p in sys.path if 'python3' in p]\n"
    return subprocess.run([sys.executable, "-S", "-c", setup + code], capture_output=True, text=True, cwd=tmp_path,
                          timeout=60)


def test_without_the_path_entry_medimgailib_is_not_found(tmp_path):
    result = run_as_slicer_would("import MedImgAILib", tmp_path)
    assert "No module named 'MedImgAILib'" in result.stderr


def test_the_widgets_package_adds_the_checkout_and_medimgailib_imports_from_it(tmp_path):
    result = run_as_slicer_would(
        LOAD + "print(library_path.ensureLibraryImportable())\n"
        "import MedImgAILib\n"
        "print(MedImgAILib.__file__)\n", tmp_path)
    assert result.returncode == 0, result.stderr
    checkout, library = result.stdout.split()
    assert Path(checkout) == REPOSITORY and Path(library) == REPOSITORY / "MedImgAILib" / "__init__.py"


def test_an_installed_medimgailib_is_used_as_it_is(tmp_path):
    result = subprocess.run([sys.executable, "-c", "import sys\nbefore = list(sys.path)\n" + LOAD +
                             "library_path.ensureLibraryImportable()\nprint(sys.path == before)"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert result.stdout.strip() == "True", result.stderr
