"""The module logics reach the logic layer through lazyLogic: one instance each, made on first use only."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import MedImgAILogic

LAZY_LOGIC = Path(__file__).resolve().parents[2] / "MedImgAI" / "MedImgAIWidgets" / "lazy_logic.py"


def _lazy_logic():
    # Loaded as a file: the MedImgAIWidgets package itself imports qt, which only exists inside Slicer.
    spec = importlib.util.spec_from_file_location("lazy_logic_under_test", LAZY_LOGIC)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lazyLogic


def test_each_module_logic_gets_its_own_instance_made_on_first_access():
    lazyLogic = _lazy_logic()

    class ModuleLogic:
        segmentation = lazyLogic("SegmentationLogic")
        registration = lazyLogic("RegistrationLogic")

    first, second = ModuleLogic(), ModuleLogic()
    assert "_lazySegmentationLogic" not in vars(first)
    assert isinstance(first.segmentation, MedImgAILogic.SegmentationLogic)
    assert first.segmentation is first.segmentation and first.segmentation is not second.segmentation
    assert isinstance(first.registration, MedImgAILogic.RegistrationLogic)
