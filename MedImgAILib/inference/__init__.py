"""Inference: inputs onto the model grid, sliding-window prediction, labelmaps back on the reference grid.

The engine needs torch and MONAI; they are imported on first use, so light helpers stay fast to import.
"""

from importlib import import_module

from MedImgAILib.inference.postprocessing import PostProcessing, postprocess_labels

_LAZY = {
    "ModelInput": "MedImgAILib.inference.model_input",
    "prepare_model_input": "MedImgAILib.inference.model_input",
    "SegmentationResult": "MedImgAILib.inference.segmentation_engine",
    "Segmenter": "MedImgAILib.inference.segmentation_engine",
    "segment": "MedImgAILib.inference.segmentation_engine",
    "resolve_device": "MedImgAILib.runtime.devices",
}

__all__ = ["PostProcessing", "postprocess_labels", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
