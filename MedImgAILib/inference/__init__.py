"""Inference: inputs onto the model grid, sliding-window prediction, labelmaps back on the reference grid."""

from MedImgAILib.inference.devices import resolve_device
from MedImgAILib.inference.model_input import ModelInput, prepare_model_input
from MedImgAILib.inference.postprocessing import PostProcessing, postprocess_labels
from MedImgAILib.inference.segmentation_engine import SegmentationResult, Segmenter, segment

__all__ = [
    "ModelInput",
    "PostProcessing",
    "SegmentationResult",
    "Segmenter",
    "postprocess_labels",
    "prepare_model_input",
    "resolve_device",
    "segment",
]
