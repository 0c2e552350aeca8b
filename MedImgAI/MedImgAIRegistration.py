"""MedImgAI Registration: align a moving volume to a fixed one, see them fused, combine segmentations.

Thin widget over MedImgAILogic.RegistrationLogic; registration runs in a background thread with progress and
Cancel, the transform node and fused view are created on the main thread when it succeeds.
"""

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

from slicer import vtkMRMLMarkupsFiducialNode, vtkMRMLScalarVolumeNode, vtkMRMLSegmentationNode, vtkMRMLTransformNode

DATA_CITATION = (
    "Sample data: IBSI soft-tissue-sarcoma set derived from the TCIA Soft-tissue-Sarcoma collection "
    "(Vallieres et al. 2015, DOI 10.7937/K9/TCIA.2015.7GO2GSKS; Clark et al. 2013, DOI 10.1007/s10278-013-9622-7), "
    "CC BY 3.0."
)


class MedImgAIRegistration(ScriptedLoadableModule):
    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = "MedImgAI Registration"
        self.parent.categories = ["MedImgAI"]
        self.parent.dependencies = []
        self.parent.contributors = ["MedImgAI founding engineers (MedImgAI)"]
        self.parent.helpText = (
            "Register MR, PET and CT volumes with named presets (rigid, affine, deformable), get a transform node "
            "that aligns the moving volume, a fused view and a quality report with warnings. The fusion section "
            "combines several segmentations by majority vote or STAPLE. " + DATA_CITATION
        )
        self.parent.acknowledgementText = "Built on SimpleITK and 3D Slicer. " + DATA_CITATION


@parameterNodeWrapper
class MedImgAIRegistrationParameterNode:
    fixedVolume: vtkMRMLScalarVolumeNode
    movingVolume: vtkMRMLScalarVolumeNode
    preset: str = "generic-rigid"
    fixedMask: vtkMRMLSegmentationNode
    fixedLandmarks: vtkMRMLMarkupsFiducialNode
    movingLandmarks: vtkMRMLMarkupsFiducialNode
    resample: bool = False
    outputTransform: vtkMRMLTransformNode
    fusionMethod: str = "vote"


class MedImgAIRegistrationWidget(ScriptedLoadableModuleWidget, VTKObservationMixin):
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

    def setup(self):
        ScriptedLoadableModuleWidget.setup(self)
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/MedImgAIRegistration.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)
        self.logic = MedImgAIRegistrationLogic()
        self.ui.presetComboBox.addItems(self.logic.presetNames())
        self.ui.fusionMethodComboBox.addItems(["vote", "staple"])
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.StartCloseEvent, self.onSceneStartClose)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndCloseEvent, self.onSceneEndClose)
        self.ui.applyButton.connect("clicked(bool)", self.onApplyButton)
        self.ui.opacitySlider.connect("valueChanged(double)", self.logic.setForegroundOpacity)
        self.ui.checkerboardButton.connect("clicked(bool)", lambda: self._addDisplayVolume("checkerboard"))
        self.ui.differenceButton.connect("clicked(bool)", lambda: self._addDisplayVolume("difference"))
        self.ui.fuseButton.connect("clicked(bool)", self.onFuseButton)
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

    def onApplyButton(self):
        if self._task is not None:
            self._task.cancel()
            self.ui.statusLabel.text = "Cancelling..."
            return
        p = self._parameterNode
        self._task = self.logic.startRegistration(p.fixedVolume, p.movingVolume, p.preset, p.fixedMask,
                                                  p.fixedLandmarks, p.movingLandmarks)
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
        p = self._parameterNode
        with slicer.util.tryWithErrorDisplay("Registration failed.", waitCursor=True):
            try:
                result = task.result()
            except Exception as error:
                self.ui.statusLabel.text = str(error)
                raise
            outcome = self.logic.apply(result, p.fixedVolume, p.movingVolume, p.resample)
            p.outputTransform = outcome.transform_node
            self.ui.reportLabel.text = result.report.summary()
            self.ui.statusLabel.text = "Done" + (" with warnings" if result.report.warnings else "")

    def _addDisplayVolume(self, kind):
        with slicer.util.tryWithErrorDisplay(f"Could not make the {kind} volume.", waitCursor=True):
            self.logic.addDisplayVolume(kind, self._parameterNode.fixedVolume, self._parameterNode.movingVolume)

    def onFuseButton(self):
        with slicer.util.tryWithErrorDisplay("Fusion failed.", waitCursor=True):
            nodes = self.ui.fusionSegmentationsSelector.checkedNodes()
            fused = self.logic.fuseSegmentations(nodes, self._parameterNode.fusionMethod, self._parameterNode.fixedVolume)
            self.ui.statusLabel.text = f"Fused {len(nodes)} segmentations into '{fused.GetName()}'"


class MedImgAIRegistrationLogic(ScriptedLoadableModuleLogic):
    """Delegates to MedImgAILogic.RegistrationLogic (tested headlessly on slicer-core)."""

    def __init__(self):
        ScriptedLoadableModuleLogic.__init__(self)
        from MedImgAILogic import RegistrationLogic

        self.registration = RegistrationLogic()

    def getParameterNode(self):
        return MedImgAIRegistrationParameterNode(super().getParameterNode())

    @staticmethod
    def presetNames():
        from MedImgAILib.registration import PRESETS

        return list(PRESETS)

    def startRegistration(self, fixed, moving, preset, fixedMask=None, fixedLandmarks=None, movingLandmarks=None):
        from MedImgAILib.runtime import BackgroundTask

        return BackgroundTask(lambda progress, cancel: self.registration.compute(
            fixed, moving, preset, fixed_mask_node=fixedMask, fixed_landmarks_node=fixedLandmarks,
            moving_landmarks_node=movingLandmarks, progress=progress, cancel=cancel)).start()

    def apply(self, result, fixed, moving, resample=False):
        return self.registration.apply(slicer.mrmlScene, result, fixed, moving, resample)

    @staticmethod
    def setForegroundOpacity(opacity):
        for composite in slicer.util.getNodesByClass("vtkMRMLSliceCompositeNode"):
            composite.SetForegroundOpacity(opacity)

    def addDisplayVolume(self, kind, fixed, moving):
        """A checkerboard or absolute-difference volume of fixed and (registered, resampled) moving."""
        from MedImgAILib.registration import absolute_difference, checkerboard, resample_to_fixed
        from MedImgAILogic import add_volume_node_from_image, image_from_volume_node

        fixedImage = image_from_volume_node(fixed)
        movingImage = resample_to_fixed(image_from_volume_node(moving), fixedImage, _identity())
        make = checkerboard if kind == "checkerboard" else absolute_difference
        node = add_volume_node_from_image(slicer.mrmlScene, make(fixedImage, movingImage), f"{moving.GetName()} {kind}")
        slicer.util.setSliceViewerLayers(background=node, foreground=None)
        return node

    def fuseSegmentations(self, segmentationNodes, method, referenceVolume):
        from MedImgAILib.registration import fuse_labelmaps
        from MedImgAILogic import (
            SegmentInfo,
            add_segmentation_node_from_labelmap,
            image_from_volume_node,
            labelmap_from_segmentation_node,
        )

        reference = image_from_volume_node(referenceVolume)
        labelmaps = [labelmap_from_segmentation_node(node, reference)[0] for node in segmentationNodes]
        result = fuse_labelmaps(labelmaps, method)
        return add_segmentation_node_from_labelmap(slicer.mrmlScene, result.labelmap,
                                                   [SegmentInfo(1, f"Fused ({method})", (0.9, 0.8, 0.1))],
                                                   f"Fused ({method})", referenceVolume)


def _identity():
    import SimpleITK as sitk

    return sitk.Transform()


class MedImgAIRegistrationTest(ScriptedLoadableModuleTest):
    """Runs inside Slicer: PET of the sample case onto its CT."""

    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        self.setUp()
        self.test_pet_onto_ct_gives_a_transform_and_a_report()

    def test_pet_onto_ct_gives_a_transform_and_a_report(self):
        from MedImgAILib.sample_case import find_case

        case = find_case()
        ct = slicer.util.loadVolume(str(case.images["CT"]))
        pet = slicer.util.loadVolume(str(case.images["PET"]))
        logic = MedImgAIRegistrationLogic()
        outcome = logic.registration.register(slicer.mrmlScene, ct, pet, "pet-to-ct-rigid")
        self.assertIs(pet.GetParentTransformNode(), outcome.transform_node)
        self.assertLess(outcome.result.report.metric_after, outcome.result.report.metric_before)
        self.delayDisplay("Registration of the sample case passed")
