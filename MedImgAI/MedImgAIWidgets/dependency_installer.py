"""First use inside Slicer: check MedImgAI's Python dependencies and offer to install what is missing.

torch comes from the PyTorch extension (it picks the CUDA or CPU build that fits the machine); everything else
from pip, under a constraints file that pins Slicer's own numpy, SimpleITK, vtk and pydicom, so an install can
fail but never replace them. Nothing is installed without the user's confirmation, nothing at all under
``--testing`` (where Slicer's confirmation dialogs answer themselves), and never twice at once (``pip_install``
processes events, so a second click could otherwise start a second install).
"""

import logging
import os
import tempfile

import slicer

from MedImgAILib.errors import MedImgAIError
from MedImgAILib.runtime.dependencies import missing_requirements, pip_constraints, protected_problems

__all__ = ["DependenciesMissing", "ensureDependencies"]

_checked = False
_installing = False


class DependenciesMissing(MedImgAIError):
    """MedImgAI's Python packages are missing and were not installed."""


def _installTorch(requirement):
    try:
        import PyTorchUtils
    except ImportError:
        raise DependenciesMissing("PyTorch is missing and the PyTorch extension is not installed: install "
                                  "'PyTorch' from the Extensions Manager, restart Slicer and try again.")
    torch = PyTorchUtils.PyTorchUtilsLogic().installTorch(askConfirmation=False,
                                                          torchVersionRequirement=f">={requirement.minimum}")
    if torch is None:
        raise DependenciesMissing("PyTorch was not installed (see the Python console for the PyTorch "
                                  "extension's message).")


def _pipInstall(requirements):
    with tempfile.TemporaryDirectory() as folder:
        constraints = os.path.join(folder, "slicer-constraints.txt")
        with open(constraints, "w") as file:
            file.write("\n".join(pip_constraints()) + "\n")
        slicer.util.pip_install([r.pip_argument for r in requirements] + ["--constraint", constraints])


def ensureDependencies():
    """True when everything is importable, after installing it with the user's consent if needed."""
    global _checked, _installing
    if _checked:
        return True
    if _installing:
        return False  # the install under way finishes first
    missing = missing_requirements()
    if not missing:
        _checked = True
        return True
    problems = protected_problems(missing)
    if problems:
        raise DependenciesMissing("MedImgAI cannot run in this Slicer:\n" + "\n".join(problems))
    listing = "\n".join(f"- {r.pip_argument} ({r.purpose})" for r in missing)
    if slicer.app.testingEnabled():
        raise DependenciesMissing(f"MedImgAI's Python packages are missing:\n{listing}\nSelf-tests install nothing: "
                                  "install them first (open a MedImgAI module and accept the install).")
    if not slicer.util.confirmOkCancelDisplay(
            f"MedImgAI needs these Python packages, which are not installed yet:\n{listing}\n\n"
            "Install them now? This downloads several hundred MB and can take a few minutes; Slicer's own "
            "packages are left as they are.", windowTitle="MedImgAI: install dependencies"):
        return False
    _installing = True
    try:
        with slicer.util.WaitCursor():
            torch = [r for r in missing if r.distribution == "torch"]
            others = [r for r in missing if r.distribution != "torch"]
            if torch:
                _installTorch(torch[0])
            if others:
                _pipInstall(others)
    finally:
        _installing = False
    still = missing_requirements()
    if still:
        raise DependenciesMissing("Still missing after installing: " + ", ".join(r.pip_argument for r in still)
                                  + ". See the Python console for pip's messages.")
    logging.info("MedImgAI: dependencies installed")
    _checked = True
    return True
