"""Cross-cutting runtime helpers for long operations: progress reporting and cancellation."""

from MedImgAILib.runtime.cancel_token import CancelToken
from MedImgAILib.runtime.progress import Progress, ProgressCallback, no_progress, scaled_progress

__all__ = ["CancelToken", "Progress", "ProgressCallback", "no_progress", "scaled_progress"]
