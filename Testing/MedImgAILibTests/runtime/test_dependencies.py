"""The first-use dependency check: what is missing, what may be installed, and what must stay Slicer's own."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from MedImgAILib.runtime.dependencies import (
    PROTECTED,
    REQUIREMENTS,
    Requirement,
    installed_version,
    missing_requirements,
    pip_constraints,
    protected_problems,
)

ROOT = Path(__file__).resolve().parents[3]
# Deliberate differences inside Slicer (see the module docstring).
SLICER_MINIMUMS = {"torch": "2.1", "pydicom": "2.4"}


def test_the_requirements_are_those_of_pyproject():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pyproject = {}
    for line in declared:
        name, version = re.match(r"([A-Za-z0-9_.-]+)\s*(?:==|>=)\s*([0-9.]+)", line).groups()
        pyproject[name] = SLICER_MINIMUMS.get(name, version)
    assert {r.distribution: r.minimum for r in REQUIREMENTS} == pyproject


def test_this_environment_has_everything_and_nothing_would_be_installed():
    assert missing_requirements() == []


def test_an_absent_or_too_old_package_is_reported():
    absent = Requirement("medimgai-no-such-package", "1.0", "nothing")
    too_old = Requirement("numpy", "999.0", "arrays")
    assert missing_requirements((absent, REQUIREMENTS[1], too_old)) == [absent, too_old]
    problems = protected_problems([absent, too_old])
    assert len(problems) == 1
    assert problems[0].startswith(f"numpy {installed_version('numpy')}: MedImgAI needs >= 999.0")
    assert "will not replace" in problems[0]


def test_the_constraints_pin_slicers_own_packages_to_what_is_installed():
    constraints = pip_constraints()
    for name in PROTECTED:
        version = installed_version(name)
        assert (f"{name}=={version}" in constraints) == (version is not None)
    assert f"numpy=={installed_version('numpy')}" in constraints and not any("torch" in c for c in constraints)


def test_versions_compare_by_their_numbers_not_as_text():
    assert missing_requirements((Requirement("numpy", "1.9", "arrays"),)) == []  # 1.26+ is newer than 1.9
