"""MedImgAI Explain: saliency, uncertainty and per-modality attribution for a segment made by a MedImgAI model.

Thin widget over MedImgAILogic.ExplainLogic; the explanation runs in a background thread with progress,
Cancel and a cost estimate; the maps (shown over the image) and a table are added when it succeeds.
"""

import json
from typing import Annotated

import slicer
from slicer.parameterNodeWrapper import Choice, parameterNodeWrapper
from slicer.ScriptedLoadableModule import (
    ScriptedLoadableModule,
    ScriptedLoadableModuleLogic,
    ScriptedLoadableModuleTest,
)

from MedImgAILib.explain.methods import METHODS
from MedImgAIWidgets import DATA_CITATION, TaskPanelWidget, lazyLogic
from slicer import vtkMRMLScalarVolumeNode, vtkMRMLSegmentationNode, vtkMRMLTableNode



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
    method: Annotated[str, Choice(list(METHODS))] = "gradcam"
    input1: vtkMRMLScalarVolumeNode
    input2: vtkMRMLScalarVolumeNode
    input3: vtkMRMLScalarVolumeNode
    outputTable: vtkMRMLTableNode


class MedImgAIExplainWidget(TaskPanelWidget):
    UI_FILE = "MedImgAIExplain.ui"
    FAILURE_MESSAGE = "Explanation failed."

    def __init__(self, parent=None):
        TaskPanelWidget.__init__(self, parent)
        self._points = []

    def createLogic(self):
        return MedImgAIExplainLogic()

    def setupPanel(self):
        self.ui.methodComboBox.addItems(self.logic.methods())
        self.ui.estimateButton.connect("clicked(bool)", self.onEstimateButton)
        self.ui.nextUncertainButton.connect("clicked(bool)", self.onNextUncertain)

    def _request(self):
        p = self._parameterNode
        return self.logic.request(p.segmentation, p.segmentId, [p.input1, p.input2, p.input3])

    def onEstimateButton(self):
        with slicer.util.tryWithErrorDisplay("Could not estimate the cost.", waitCursor=True):
            inputs, model, label = self._request()
            self.ui.statusLabel.text = f"Estimated: {self.logic.estimate(inputs, model, self._parameterNode.method)}"

    def startTask(self):
        self._inputs, model, label = self._request()
        return self.logic.startExplanation(self._inputs, model, self._parameterNode.method, label)

    def onTaskFinished(self, result):
        outcome = self.logic.apply(result, next(iter(self._inputs.values())))
        self._parameterNode.outputTable = outcome.table_node
        self.ui.resultTableView.setMRMLTableNode(outcome.table_node)
        self._points = result.table.get("most_uncertain_points_lps", [])
        self.ui.nextUncertainButton.enabled = bool(self._points)
        return f"{result.method} done in {result.runtime_s:.1f} s"

    def onNextUncertain(self):
        """Centre the slice views on the next most uncertain region."""
        if not self._points:
            return
        x, y, z = self._points.pop(0)
        slicer.modules.markups.logic().JumpSlicesToLocation(-x, -y, z, True)
        self.ui.nextUncertainButton.enabled = bool(self._points)


class MedImgAIExplainLogic(ScriptedLoadableModuleLogic):
    """Delegates to MedImgAILogic.ExplainLogic (tested headlessly on slicer-core)."""

    explainer = lazyLogic("ExplainLogic")

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
