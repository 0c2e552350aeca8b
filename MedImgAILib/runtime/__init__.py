"""Cross-cutting runtime helpers for long operations: progress reporting and cancellation."""

from MedImgAILib.runtime.background_task import BackgroundTask
from MedImgAILib.runtime.cancel_token import CancelToken
from MedImgAILib.runtime.progress import Progress, ProgressCallback, no_progress, scaled_progress

__all__ = ["BackgroundTask", "CancelToken", "Progress", "ProgressCallback", "no_progress", "scaled_progress"]
