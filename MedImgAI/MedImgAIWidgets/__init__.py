"""Qt helpers shared by the MedImgAI module widgets (widget layer: runs only inside Slicer)."""

from MedImgAIWidgets.data_citation import DATA_CITATION
from MedImgAIWidgets.dependency_installer import ensureDependencies
from MedImgAIWidgets.lazy_logic import lazyLogic
from MedImgAIWidgets.parameter_choices import resetValuesOutsideChoices
from MedImgAIWidgets.task_panel import TaskPanelWidget

__all__ = ["DATA_CITATION", "TaskPanelWidget", "ensureDependencies", "lazyLogic", "resetValuesOutsideChoices"]
