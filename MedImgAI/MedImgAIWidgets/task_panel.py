"""The behaviour every MedImgAI panel shares: a parameter node bound to its .ui, and one task in a worker process.

- First use (the panel opens, or Apply while they are missing): the Python dependencies are checked and offered
  for installation (never twice at once, never under --testing).
- The parameter node is bound through Slicer's parameterNodeWrapper; values a saved scene holds that are no
  longer among a combo box's choices are reset first, so one stale value cannot leave the panel unbound.
- Work runs in a worker process (MedImgAILib.worker), never in a thread of the application. A worker is started
  ahead, when the panel is entered, so its torch and MONAI imports happen while the user picks inputs.
- While a task runs, Apply reads Cancel; a Qt timer polls progress; the result is applied on the main thread,
  only on success and only to the nodes the task started with (if they are all still in the scene). Closing
  the scene cancels the task.
Subclasses set UI_FILE and FAILURE_MESSAGE and implement createLogic(), startTask() and onTaskFinished().
"""

import sys

import qt
import slicer
from slicer.ScriptedLoadableModule import ScriptedLoadableModuleWidget
from slicer.util import VTKObservationMixin

from MedImgAILib.errors import MedImgAIError
from MedImgAIWidgets.dependency_installer import ensureDependencies
from MedImgAIWidgets.error_display import showingErrors
from MedImgAIWidgets.parameter_choices import resetValuesOutsideChoices

__all__ = ["TaskPanelWidget"]

RELOADED_PACKAGES = ("MedImgAIWidgets", "MedImgAILogic", "MedImgAILib")


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
        self._task = None  # the running MedImgAILib.worker.WorkerProcess
        self._onFinished = None  # what to do with its result (main thread)
        self._taskNodes = []  # the nodes the running task read; its result applies to these
        self._warmWorker = None
        self._panelReady = False  # setupPanel() ran: the dependencies are installed
        self._timer = qt.QTimer()
        self._timer.setInterval(self.POLL_MS)
        self._timer.connect("timeout()", self._pollTask)

    # --- to implement -------------------------------------------------------
    def createLogic(self):
        raise NotImplementedError

    def setupPanel(self):
        """Fill dynamic combo boxes and connect the panel's own buttons (after the .ui is loaded and the
        dependencies are installed)."""

    def startTask(self):
        """Return (worker process, nodes it read) for the current parameters; the worker is started with
        self.takeWorker()."""
        raise NotImplementedError

    def onTaskFinished(self, result):
        """Apply the result to the scene (main thread); return the status line to show."""
        raise NotImplementedError

    def onParameterNodeSet(self):
        """Called after a parameter node is bound to the GUI."""

    # --- set-up and module life -------------------------------------------------
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
        self.ui.applyButton.enabled = False  # no second install while pip pumps events
        try:
            with showingErrors("Installing MedImgAI's dependencies failed.", self.ui.statusLabel):
                if ensureDependencies():
                    self.setupPanel()
                    self._panelReady = True
        finally:
            self.ui.applyButton.enabled = True
        if not self._panelReady and not self.ui.statusLabel.text:
            self.ui.statusLabel.text = "MedImgAI's Python dependencies are missing: press Apply to install them."
        return self._panelReady

    def cleanup(self):
        self._timer.stop()
        self._cancelTask()
        self._releaseWorker()
        self.removeObservers()

    def enter(self):
        self.initializeParameterNode()
        self._prepareWorker()

    def exit(self):
        if self._parameterNode:
            self._parameterNode.disconnectGui(self._parameterNodeGuiTag)
            self._parameterNodeGuiTag = None
        self._releaseWorker()  # a running task goes on; only the idle one is given back

    def onReload(self):
        """Reload the shared packages too, not only the module file (Slicer's Reload does only that)."""
        self.cleanup()
        for name in list(sys.modules):
            if name.split(".")[0] in RELOADED_PACKAGES:
                del sys.modules[name]
        ScriptedLoadableModuleWidget.onReload(self)

    def onSceneStartClose(self, caller, event):
        if self._task is not None:
            self._cancelTask()
            self.ui.statusLabel.text = "Cancelled: the scene was closed."
        self.setParameterNode(None)

    def onSceneEndClose(self, caller, event):
        if self.parent.isEntered:
            self.initializeParameterNode()

    # --- parameter node ---------------------------------------------------------
    def initializeParameterNode(self):
        self.setParameterNode(self.logic.getParameterNode())

    def setParameterNode(self, parameterNode):
        if self._parameterNode:
            self._parameterNode.disconnectGui(self._parameterNodeGuiTag)
            self._parameterNodeGuiTag = None
        self._parameterNode = parameterNode
        if self._parameterNode:
            resetValuesOutsideChoices(self._parameterNode)
            self._parameterNodeGuiTag = self._parameterNode.connectGui(self.ui)
            if self._panelReady:
                self.onParameterNodeSet()

    # --- worker processes -----------------------------------------------------------
    def _prepareWorker(self):
        """Start a worker ahead, so that it has imported torch and MONAI when Apply is pressed."""
        if self._panelReady and self._warmWorker is None and self._task is None:
            from MedImgAILib.worker import WorkerProcess

            self._warmWorker = WorkerProcess()

    def _releaseWorker(self):
        if self._warmWorker is not None:
            self._warmWorker.cancel()
            self._warmWorker = None

    def takeWorker(self):
        """The warm worker for a task (a new one when there is none); the task owns it from then on."""
        from MedImgAILib.worker import WorkerProcess

        worker, self._warmWorker = self._warmWorker, None
        return worker if worker is not None and not worker.done else WorkerProcess()

    # --- tasks ----------------------------------------------------------------------
    @property
    def taskRunning(self):
        return self._task is not None

    def onApplyButton(self):
        if self._task is not None:  # Apply reads Cancel while a task runs
            self._cancelTask()
            self.ui.statusLabel.text = "Cancelled; nothing was changed."
            return
        if not self._panelReady:
            if self._preparePanel() and self._parameterNode:
                self.onParameterNodeSet()
                self._prepareWorker()
            return
        with showingErrors(self.FAILURE_MESSAGE, self.ui.statusLabel), slicer.util.WaitCursor():
            worker, nodes = self.startTask()
            self.runTask(worker, self.onTaskFinished, nodes)

    def runTask(self, worker, onFinished, nodes=()):
        """Poll worker until it ends, then hand its result to onFinished(result) -> status line."""
        self._task, self._onFinished, self._taskNodes = worker, onFinished, [n for n in nodes if n is not None]
        self.ui.applyButton.text = "Cancel"
        self.ui.progressBar.value = 0
        self.ui.statusLabel.text = "Starting..."
        self._timer.start()

    def _endTask(self):
        self._timer.stop()
        task, self._task = self._task, None
        self.ui.applyButton.text = "Apply"
        return task

    def _cancelTask(self):
        if self._task is not None:
            self._endTask().cancel()

    def _pollTask(self):
        if self._task is None:
            self._timer.stop()
            return
        for report in self._task.poll():
            self.ui.progressBar.value = int(100 * report.fraction)
            self.ui.statusLabel.text = report.stage
        if not self._task.done:
            return
        task = self._endTask()
        with showingErrors(self.FAILURE_MESSAGE, self.ui.statusLabel), slicer.util.WaitCursor():
            result = task.result()
            gone = [node.GetName() for node in self._taskNodes if node.GetScene() is not slicer.mrmlScene]
            if gone:
                raise MedImgAIError(f"{', '.join(gone)} left the scene during the run; the result was not added.")
            self.ui.statusLabel.text = self._onFinished(result)
        if self.parent.isEntered:
            self._prepareWorker()
