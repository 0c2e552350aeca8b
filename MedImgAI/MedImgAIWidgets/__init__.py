"""Qt helpers shared by the MedImgAI module widgets (widget layer: runs only inside Slicer)."""

from MedImgAIWidgets.task_panel import TaskPanelWidget

__all__ = ["TaskPanelWidget"]
