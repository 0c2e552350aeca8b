"""Explainability for segmentation models: Grad-CAM(++), gradients, SmoothGrad, integrated gradients,
uncertainty (test-time augmentation, MC dropout) and per-modality attribution, on the reference grid.

The engine needs torch and MONAI; it is imported on first use.
"""

from importlib import import_module

from MedImgAILib.explain.methods import METHODS

_LAZY = {name: "MedImgAILib.explain.explain_engine" for name in ("CostEstimate", "ExplanationResult", "estimate_cost",
                                                                   "explain")}

__all__ = ["METHODS", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
