"""MedImgAI Explain: saliency, uncertainty and per-modality attribution for a segment made by a MedImgAI model.

Thin widget over MedImgAILogic.ExplainLogic; the explanation runs in a background thread with progress,
Cancel and a cost estimate; the maps (shown over the image) and a table are added when it succeeds.
"""

import json

import qt
import slicer
from slicer.parameterNodeWrapper import parameterNodeWrapper
from slicer.ScriptedLoadableModule import (
    ScriptedLoadableModule,
    ScriptedLoadableModuleLogic,
    ScriptedLoadableModuleTest,
    ScriptedLoadableModuleWidget,
)
from slicer.util import VTKObservationMixin

from slicer import vtkMRMLScalarVolumeNode, vtkMRMLSegmentationNode, vtkMRMLTableNode

DATA_CITATION = (
    "The bundled model was trained on the IBSI soft-tissue-sarcoma set derived from the TCIA Soft-tissue-Sarcoma "
    "collection (Vallieres et al. 2015, DOI 10.7937/K9/TCIA.2015.7GO2GSKS; Clark et al. 2013, "
    "DOI 10.1007/s10278-013-9622-7), CC BY 3.0."
)


class MedImgAIExplain(ScriptedLoadableModule):
    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = "MedImgAI Explain"
        self.parent.categories = ["MedImgAI"]
        self.parent.dependencies = []
        self.parent.contributors = ["MedImgAI founding engineers (MedImgAI)"]
        self.parent.helpText = (
            "Explain a segment made by a MedImgAI model: Grad-CAM, gradients, integrated gradients, occlusion, "
            "test-time-augmentation and MC-dropout uncertainty, and which modality mattered. Maps line up with "
            "the image and are shown over it; jump to the most uncertain regions. " + DATA_CITATION
        )
        self.parent.acknowledgementText = "Built on MONAI, PyTorch and 3D Slicer. " + DATA_CITATION


@parameterNodeWrapper
class MedImgAIExplainParameterNode:
    segmentation: vtkMRMLSegmentationNode
    segmentId: str = ""
    method: str = "gradcam"
    input1: vtkMRMLScalarVolumeNode
    input2: vtkMRMLScalarVolumeNode
    input3: vtkMRMLScalarVolumeNode
    outputTable: vtkMRMLTableNode


class MedImgAIExplainWidget(ScriptedLoadableModuleWidget, VTKObservationMixin):
    POLL_MS = 100

    def __init__(self, parent=None):
        ScriptedLoadableModuleWidget.__init__(self, parent)
        VTKObservationMixin.__init__(self)
        self.logic = None
        self._parameterNode = None
        self._parameterNodeGuiTag = None
        self._task = None
        self._points = []
        self._timer = qt.QTimer()
        self._timer.setInterval(self.POLL_MS)
        self._timer.connect("timeout()", self._pollTask)

    def setup(self):
        ScriptedLoadableModuleWidget.setup(self)
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/MedImgAIExplain.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)
        self.logic = MedImgAIExplainLogic()
        self.ui.methodComboBox.addItems(self.logic.methods())
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.StartCloseEvent, self.onSceneStartClose)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndCloseEvent, self.onSceneEndClose)
        self.ui.applyButton.connect("clicked(bool)", self.onApplyButton)
        self.ui.estimateButton.connect("clicked(bool)", self.onEstimateButton)
        self.ui.nextUncertainButton.connect("clicked(bool)", self.onNextUncertain)
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

    def _request(self):
        p = self._parameterNode
        return self.logic.request(p.segmentation, p.segmentId, [p.input1, p.input2, p.input3])

    def onEstimateButton(self):
        with slicer.util.tryWithErrorDisplay("Could not estimate the cost.", waitCursor=True):
            inputs, model, label = self._request()
            self.ui.statusLabel.text = f"Estimated: {self.logic.estimate(inputs, model, self._parameterNode.method)}"

    def onApplyButton(self):
        if self._task is not None:
            self._task.cancel()
            self.ui.statusLabel.text = "Cancelling..."
            return
        with slicer.util.tryWithErrorDisplay("Explanation could not start.", waitCursor=True):
            self._inputs, model, label = self._request()
            self._task = self.logic.startExplanation(self._inputs, model, self._parameterNode.method, label)
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
        with slicer.util.tryWithErrorDisplay("Explanation failed.", waitCursor=True):
            try:
                result = task.result()
            except Exception as error:
                self.ui.statusLabel.text = str(error)
                raise
            outcome = self.logic.apply(result, next(iter(self._inputs.values())))
            self._parameterNode.outputTable = outcome.table_node
            self._points = result.table.get("most_uncertain_points_lps", [])
            self.ui.nextUncertainButton.enabled = bool(self._points)
            self.ui.statusLabel.text = f"{result.method} done in {result.runtime_s:.1f} s"

    def onNextUncertain(self):
        """Centre the slice views on the next most uncertain region."""
        if not self._points:
            return
        x, y, z = self._points.pop(0)
        slicer.modules.markups.logic().JumpSlicesToLocation(-x, -y, z, True)
        self.ui.nextUncertainButton.enabled = bool(self._points)


class MedImgAIExplainLogic(ScriptedLoadableModuleLogic):
    """Delegates to MedImgAILogic.ExplainLogic (tested headlessly on slicer-core)."""

    def __init__(self):
        ScriptedLoadableModuleLogic.__init__(self)
        from MedImgAILogic import ExplainLogic

        self.explainer = ExplainLogic()

    def getParameterNode(self):
        return MedImgAIExplainParameterNode(super().getParameterNode())

    @staticmethod
    def methods():
        from MedImgAILib.explain import METHODS

        return list(METHODS)

    def request(self, segmentationNode, segmentId, volumeNodes):
        """({model input: volume node}, model id, target label) for a segment made by a MedImgAI model."""
        from MedImgAILib.errors import InputError
        from MedImgAILogic.segmentation_logic import PROVENANCE_ATTRIBUTE

        if segmentationNode is None:
            raise InputError(None, "choose the segmentation to explain")
        model = self.explainer.model_of(segmentationNode)
        names = json.loads(segmentationNode.GetAttribute(PROVENANCE_ATTRIBUTE))["inputs"]
        segment = segmentationNode.GetSegmentation().GetSegment(segmentId) if segmentId else \
            segmentationNode.GetSegmentation().GetNthSegment(0)
        return dict(zip(names, volumeNodes)), model, segment.GetName() if segment else None

    def estimate(self, inputNodes, model, method):
        from MedImgAILib.explain import estimate_cost
        from MedImgAILib.inference import prepare_model_input
        from MedImgAILib.models import load_model
        from MedImgAILogic import image_from_volume_node

        loaded = load_model(model)
        images = {name: image_from_volume_node(node) for name, node in inputNodes.items()}
        return estimate_cost(loaded, prepare_model_input(loaded.spec, images), method, steps=32, samples=8)

    def startExplanation(self, inputNodes, model, method, label):
        from MedImgAILib.runtime import BackgroundTask

        return BackgroundTask(lambda progress, cancel: self.explainer.compute(
            inputNodes, model, method, label, progress=progress, cancel=cancel)).start()

    def apply(self, result, referenceNode):
        return self.explainer.apply(slicer.mrmlScene, result, referenceNode)


class MedImgAIExplainTest(ScriptedLoadableModuleTest):
    """Runs inside Slicer: Grad-CAM of the sample case's tumour."""

    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        self.setUp()
        self.test_gradcam_of_the_sample_tumour_adds_a_map_over_the_ct()

    def test_gradcam_of_the_sample_tumour_adds_a_map_over_the_ct(self):
        from MedImgAILib.sample_case import find_case
        from MedImgAILogic import SegmentationLogic

        case = find_case()
        nodes = {name: slicer.util.loadVolume(str(case.images[key])) for name, key in
                 (("CT", "CT"), ("PET", "PET"), ("MR", "MR_T1"))}
        segmentation = SegmentationLogic().segment(slicer.mrmlScene, nodes, "sts-gtv-ct-pet-mr").segmentation_node
        logic = MedImgAIExplainLogic()
        inputs, model, label = logic.request(segmentation, "", list(nodes.values()))
        outcome = logic.explainer.explain(slicer.mrmlScene, inputs, model, "gradcam", target_label=label)
        self.assertEqual(outcome.map_nodes[0].GetImageData().GetDimensions(), nodes["CT"].GetImageData().GetDimensions())
        self.delayDisplay("Explanation of the sample case passed")
