"""The behaviour every MedImgAI panel shares: a parameter node bound to its .ui, and one background task.

On first use (the panel opens, or Apply while they are missing) the Python dependencies are checked and
offered for installation. While a task runs, Apply reads Cancel, a Qt timer polls the task's progress into the
progress bar and status line, and when it ends the result is handed to the subclass on the main thread (errors
go to a dialog).
Subclasses set UI_FILE and FAILURE_MESSAGE and implement createLogic(), startTask() and onTaskFinished().
"""

import qt
import slicer
from slicer.ScriptedLoadableModule import ScriptedLoadableModuleWidget
from slicer.util import VTKObservationMixin

from MedImgAIWidgets.dependency_installer import ensureDependencies

__all__ = ["TaskPanelWidget"]


class TaskPanelWidget(ScriptedLoadableModuleWidget, VTKObservationMixin):
    UI_FILE = ""
    FAILURE_MESSAGE = "The operation failed."
    POLL_MS = 100

    def __init__(self, parent=None):
        ScriptedLoadableModuleWidget.__init__(self, parent)
        VTKObservationMixin.__init__(self)
        self.logic = None
        self._parameterNode = None
        self._parameterNodeGuiTag = None
        self._task = None
        self._panelReady = False  # setupPanel() ran: the dependencies are installed
        self._timer = qt.QTimer()
        self._timer.setInterval(self.POLL_MS)
        self._timer.connect("timeout()", self._pollTask)

    # --- to implement -------------------------------------------------------
    def createLogic(self):
        raise NotImplementedError

    def setupPanel(self):
        """Fill combo boxes and connect the panel's own buttons (after the .ui is loaded and the dependencies
        are installed: this may import torch and MONAI)."""

    def startTask(self):
        """Return a started MedImgAILib.runtime.BackgroundTask for the current parameters."""
        raise NotImplementedError

    def onTaskFinished(self, result):
        """Apply the result to the scene (main thread); return the status line to show."""
        raise NotImplementedError

    def onParameterNodeSet(self):
        """Called after a parameter node is bound to the GUI."""

    # --- shared behaviour ---------------------------------------------------
    def setup(self):
        ScriptedLoadableModuleWidget.setup(self)
        uiWidget = slicer.util.loadUI(self.resourcePath(f"UI/{self.UI_FILE}"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)
        self.logic = self.createLogic()
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.StartCloseEvent, self.onSceneStartClose)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndCloseEvent, self.onSceneEndClose)
        self.ui.applyButton.connect("clicked(bool)", self.onApplyButton)
        self._preparePanel()
        self.initializeParameterNode()

    def _preparePanel(self):
        """First use: check the dependencies (offering to install them), then set up the panel once."""
        if self._panelReady:
            return True
        with slicer.util.tryWithErrorDisplay("Installing MedImgAI's dependencies failed."):
            if ensureDependencies():
                self.setupPanel()
                self._panelReady = True
        if not self._panelReady:
            self.ui.statusLabel.text = "MedImgAI's Python dependencies are missing: press Apply to install them."
        return self._panelReady

    def cleanup(self):
        self._timer.stop()
        if self._task is not None:
            self._task.cancel()
        self.removeObservers()

    def enter(self):
        self.initializeParameterNode()

    def exit(self):
        if self._parameterNode:
            self._parameterNode.disconnectGui(self._parameterNodeGuiTag)
            self._parameterNodeGuiTag = None

    def onSceneStartClose(self, caller, event):
        self.setParameterNode(None)

    def onSceneEndClose(self, caller, event):
        if self.parent.isEntered:
            self.initializeParameterNode()

    def initializeParameterNode(self):
        self.setParameterNode(self.logic.getParameterNode())

    def setParameterNode(self, parameterNode):
        if self._parameterNode:
            self._parameterNode.disconnectGui(self._parameterNodeGuiTag)
        self._parameterNode = parameterNode
        if self._parameterNode:
            self._parameterNodeGuiTag = self._parameterNode.connectGui(self.ui)
            if self._panelReady:
                self.onParameterNodeSet()

    def onApplyButton(self):
        if self._task is not None:  # Apply reads Cancel while a task runs
            self._task.cancel()
            self.ui.statusLabel.text = "Cancelling..."
            return
        if not self._panelReady:
            if self._preparePanel() and self._parameterNode:
                self.onParameterNodeSet()
            return
        with slicer.util.tryWithErrorDisplay(self.FAILURE_MESSAGE, waitCursor=True):
            self._task = self.startTask()
            self.ui.applyButton.text = "Cancel"
            self.ui.progressBar.value = 0
            self._timer.start()

    def _pollTask(self):
        for report in self._task.poll():
            self.ui.progressBar.value = int(100 * report.fraction)
            self.ui.statusLabel.text = report.stage
        if not self._task.done:
            return
        self._timer.stop()
        task, self._task = self._task, None
        self.ui.applyButton.text = "Apply"
        with slicer.util.tryWithErrorDisplay(self.FAILURE_MESSAGE, waitCursor=True):
            try:
                result = task.result()
            except Exception as error:
                self.ui.statusLabel.text = str(error)
                raise
            self.ui.statusLabel.text = self.onTaskFinished(result)
