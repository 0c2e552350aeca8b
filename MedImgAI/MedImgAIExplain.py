"""MedImgAI Explain: saliency, uncertainty and per-modality attribution for a segment made by a MedImgAI model.

Thin widget over MedImgAILogic.ExplainLogic; the explanation and its cost estimate run in a worker process with
progress and Cancel; the maps (shown over the image) and a table are added when it succeeds.
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

from MedImgAIWidgets import DATA_CITATION, TaskPanelWidget, lazyLogic, showingErrors  # first: finds MedImgAILib
from MedImgAILib.explain.methods import METHODS  # isort: skip
from slicer import vtkMRMLScalarVolumeNode, vtkMRMLSegmentationNode, vtkMRMLTableNode



class MedImgAIExplain(ScriptedLoadableModule):
    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = "MedImgAI Explain"
        self.parent.categories = ["MedImgAI"]
        self.parent.dependencies = ["Segmentations", "Markups"]
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
        self.ui.estimateButton.connect("clicked(bool)", self.onEstimateButton)
        self.ui.nextUncertainButton.connect("clicked(bool)", self.onNextUncertain)

    def _request(self):
        p = self._parameterNode
        return self.logic.request(p.segmentation, p.segmentId, [p.input1, p.input2, p.input3])

    def onEstimateButton(self):
        """The estimate runs the model once: in a worker, like Apply (which reads Cancel meanwhile)."""
        if self._task is not None:
            return
        with showingErrors("Could not estimate the cost.", self.ui.statusLabel), slicer.util.WaitCursor():
            inputs, model, label = self._request()
            worker = self.logic.explainer.start_cost_estimate(inputs, model, self._parameterNode.method,
                                                              worker=self.takeWorker())
            self.runTask(worker, lambda estimate: f"Estimated: {estimate}", list(inputs.values()))

    def startTask(self):
        self._inputs, model, label = self._request()
        worker = self.logic.explainer.start(self._inputs, model, self._parameterNode.method, label,
                                            worker=self.takeWorker())
        return worker, list(self._inputs.values()) + [self._parameterNode.segmentation]

    def onTaskFinished(self, result):
        outcome = self.logic.apply(result, next(node for node in self._inputs.values() if node is not None))
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

    def apply(self, result, referenceNode):
        return self.explainer.apply(slicer.mrmlScene, result, referenceNode)


class MedImgAIExplainTest(ScriptedLoadableModuleTest):
    """Runs inside Slicer: Grad-CAM of the sample case's tumour, through the logic and through the panel."""

    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        for test in (self.test_gradcam_of_the_sample_tumour_adds_a_map_over_the_ct,
                     self.test_the_panel_explains_in_a_worker_and_cancel_changes_nothing):
            self.setUp()
            test()

    @staticmethod
    def _segmentedSampleCase():
        from MedImgAILogic import SegmentationLogic
        from MedImgAIWidgets.panel_driver import loadSampleVolumes

        nodes = loadSampleVolumes()
        return nodes, SegmentationLogic().segment(slicer.mrmlScene, nodes, "sts-gtv-ct-pet-mr").segmentation_node

    def test_gradcam_of_the_sample_tumour_adds_a_map_over_the_ct(self):
        nodes, segmentation = self._segmentedSampleCase()
        logic = MedImgAIExplainLogic()
        inputs, model, label = logic.request(segmentation, "", list(nodes.values()))
        outcome = logic.explainer.explain(slicer.mrmlScene, inputs, model, "gradcam", target_label=label)
        self.assertEqual(outcome.map_nodes[0].GetImageData().GetDimensions(), nodes["CT"].GetImageData().GetDimensions())
        self.delayDisplay("Explanation of the sample case passed")

    def test_the_panel_explains_in_a_worker_and_cancel_changes_nothing(self):
        from MedImgAIWidgets.panel_driver import clickApplyAndCancel, clickApplyAndWait, openPanel, sceneNodeIds

        nodes, segmentation = self._segmentedSampleCase()
        widget = openPanel("MedImgAIExplain")
        parameters = widget._parameterNode
        parameters.segmentation = segmentation
        parameters.input1, parameters.input2, parameters.input3 = nodes["CT"], nodes["PET"], nodes["MR"]
        parameters.method = "gradcam"
        before = sceneNodeIds()
        self.assertIn("Cancelled", clickApplyAndCancel(widget))
        self.assertEqual(sceneNodeIds(), before)
        status = clickApplyAndWait(widget)
        table = parameters.outputTable
        self.assertIsNotNone(table, status)
        maps = [node for node in slicer.util.getNodesByClass("vtkMRMLScalarVolumeNode")
                if node.GetAttribute("MedImgAI.Explanation")]
        self.assertEqual(len(maps), 1, status)
        self.assertEqual(maps[0].GetImageData().GetDimensions(), nodes["CT"].GetImageData().GetDimensions())
        self.assertGreater(slicer.util.arrayFromVolume(maps[0]).max(), 0)
        self.delayDisplay(f"The panel explained the sample tumour: {status}")
