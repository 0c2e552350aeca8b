"""What MedImgAI needs on top of what 3D Slicer ships, and a pip plan that never touches Slicer's own packages.

Inside Slicer, the panels check this on first use and offer to install what is missing: torch through the
PyTorch extension (it picks the CUDA or CPU build for the machine), the rest with pip, constrained to the
installed versions of the packages Slicer itself is built against, so pip fails rather than replacing them.
Standard library only: this must work before anything is installed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import metadata

__all__ = ["PROTECTED", "REQUIREMENTS", "Requirement", "installed_version", "missing_requirements", "pip_constraints",
           "protected_problems"]


@dataclass(frozen=True)
class Requirement:
    distribution: str  # the name pip installs
    minimum: str  # lowest version that works, e.g. "1.4"
    purpose: str

    @property
    def pip_argument(self) -> str:
        return f"{self.distribution}>={self.minimum}"


#: Everything pyproject.toml requires, with two differences inside Slicer: torch without the command line's CPU
#: pin, and Slicer's own pydicom accepted from 2.4 (Slicer 5.12 ships 3.0.2, 5.10 ships 2.4). Checked with
#: pydicom 2.4.4 first on the path: the io and cli tests pass except the two whose JPEG-LS/JPEG 2000 input
#: only pydicom 3 can encode; files written by pydicom 3 in those syntaxes decode with 2.4.4 too.
REQUIREMENTS = (
    Requirement("torch", "2.1", "runs the models"),
    Requirement("monai", "1.4", "networks, bundles and sliding-window inference"),
    Requirement("SimpleITK", "2.3", "image I/O, resampling and registration"),
    Requirement("pydicom", "2.4", "reading DICOM series"),
    Requirement("pylibjpeg", "2.0", "decoding compressed DICOM"),
    Requirement("pylibjpeg-libjpeg", "2.1", "decoding JPEG DICOM"),
    Requirement("pylibjpeg-openjpeg", "2.3", "decoding JPEG 2000 DICOM"),
    Requirement("pyjpegls", "1.4", "decoding JPEG-LS DICOM"),
    Requirement("numpy", "1.26", "arrays"),
    Requirement("scipy", "1.11", "post-processing"),
    Requirement("jsonschema", "4.18", "validating the model catalog"),
)

#: Slicer's own packages (its DICOM module needs pydicom): never installed, upgraded or replaced from here.
PROTECTED = ("numpy", "SimpleITK", "vtk", "pydicom")


def _version_key(version: str) -> tuple[int, ...]:
    """Numeric release parts of a version ('2.13.0+cpu' -> (2, 13, 0)); enough for '>= minimum' checks."""
    release = re.match(r"\d+(\.\d+)*", version)
    return tuple(int(part) for part in release.group(0).split(".")) if release else ()


def installed_version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _satisfied(requirement: Requirement) -> bool:
    version = installed_version(requirement.distribution)
    return version is not None and _version_key(version) >= _version_key(requirement.minimum)


def missing_requirements(requirements=REQUIREMENTS) -> list[Requirement]:
    """Requirements that are not installed, or installed in a version below the minimum."""
    return [requirement for requirement in requirements if not _satisfied(requirement)]


def protected_problems(missing: list[Requirement]) -> list[str]:
    """Missing requirements MedImgAI must not install itself (Slicer's own packages), as messages."""
    problems = []
    for requirement in missing:
        if requirement.distribution in PROTECTED:
            found = installed_version(requirement.distribution)
            problems.append(f"{requirement.distribution} {found or 'is missing'}: MedImgAI needs "
                            f">= {requirement.minimum}, and will not replace the one this Slicer is built with; "
                            f"use a newer Slicer")
    return problems


def pip_constraints(protected=PROTECTED) -> list[str]:
    """Lines for a pip constraints file pinning the installed protected packages to their current version."""
    return [f"{name}=={version}" for name in protected if (version := installed_version(name)) is not None]
