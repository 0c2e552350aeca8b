"""The behaviour every MedImgAI panel shares: a parameter node bound to its .ui, and one background task.

While a task runs, Apply reads Cancel, a Qt timer polls the task's progress into the progress bar and status
line, and when it ends the result is handed to the subclass on the main thread (errors go to a dialog).
Subclasses set UI_FILE and FAILURE_MESSAGE and implement createLogic(), startTask() and onTaskFinished().
"""

import qt
import slicer
from slicer.ScriptedLoadableModule import ScriptedLoadableModuleWidget
from slicer.util import VTKObservationMixin

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
        self._timer = qt.QTimer()
        self._timer.setInterval(self.POLL_MS)
        self._timer.connect("timeout()", self._pollTask)

    # --- to implement -------------------------------------------------------
    def createLogic(self):
        raise NotImplementedError

    def setupPanel(self):
        """Fill combo boxes and connect the panel's own buttons (after the .ui is loaded)."""

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
        self.setupPanel()
        self.initializeParameterNode()

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
            self.onParameterNodeSet()

    def onApplyButton(self):
        if self._task is not None:  # Apply reads Cancel while a task runs
            self._task.cancel()
            self.ui.statusLabel.text = "Cancelling..."
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
