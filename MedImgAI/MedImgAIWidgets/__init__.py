"""Qt helpers shared by the MedImgAI module widgets (widget layer: runs only inside Slicer)."""

from MedImgAIWidgets.library_path import ensureLibraryImportable

ensureLibraryImportable()  # developer mode: before anything imports MedImgAILib

from MedImgAIWidgets.data_citation import DATA_CITATION  # noqa: E402
from MedImgAIWidgets.dependency_installer import ensureDependencies  # noqa: E402
from MedImgAIWidgets.error_display import showingErrors  # noqa: E402
from MedImgAIWidgets.lazy_logic import lazyLogic  # noqa: E402
from MedImgAIWidgets.parameter_choices import resetValuesOutsideChoices  # noqa: E402
from MedImgAIWidgets.task_panel import TaskPanelWidget  # noqa: E402

__all__ = ["DATA_CITATION", "TaskPanelWidget", "ensureDependencies", "ensureLibraryImportable", "lazyLogic",
           "resetValuesOutsideChoices", "showingErrors"]
