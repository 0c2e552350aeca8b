"""Explainability for segmentation models: Grad-CAM(++), gradients, SmoothGrad, integrated gradients,
uncertainty (test-time augmentation, MC dropout) and per-modality attribution, on the reference grid."""

from MedImgAILib.explain.explain_engine import METHODS, CostEstimate, ExplanationResult, estimate_cost, explain

__all__ = ["CostEstimate", "ExplanationResult", "METHODS", "estimate_cost", "explain"]
