"""Multimodal registration (SimpleITK) and fusion: display fusion, decision fusion (vote, STAPLE).

Feature fusion, stacking co-registered modalities as model channels, lives in MedImgAILib.inference.model_input.
"""

from MedImgAILib.registration.decision_fusion import FusionResult, fuse_labelmaps
from MedImgAILib.registration.display_fusion import PET_OVERLAY, OverlayPreset, absolute_difference, checkerboard
from MedImgAILib.registration.engine import RegistrationResult, register
from MedImgAILib.registration.presets import PRESETS, Preset, get_preset
from MedImgAILib.registration.quality import QualityReport
from MedImgAILib.registration.resampling import resample_to_fixed
from MedImgAILib.registration.stages import Stage

__all__ = [
    "FusionResult",
    "OverlayPreset",
    "PET_OVERLAY",
    "PRESETS",
    "Preset",
    "QualityReport",
    "RegistrationResult",
    "Stage",
    "absolute_difference",
    "checkerboard",
    "fuse_labelmaps",
    "get_preset",
    "register",
    "resample_to_fixed",
]
