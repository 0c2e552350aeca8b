"""MedImgAI Registration: align a moving volume to a fixed one, see them fused, combine segmentations.

Thin widget over MedImgAILogic.RegistrationLogic; registration runs in a background thread with progress and
Cancel, the transform node and fused view are created on the main thread when it succeeds.
"""

from typing import Annotated

import slicer
from slicer.parameterNodeWrapper import Choice, parameterNodeWrapper
from slicer.ScriptedLoadableModule import (
    ScriptedLoadableModule,
    ScriptedLoadableModuleLogic,
    ScriptedLoadableModuleTest,
)

from MedImgAILib.registration.presets import PRESETS
from MedImgAIWidgets import DATA_CITATION, TaskPanelWidget, lazyLogic
from slicer import vtkMRMLMarkupsFiducialNode, vtkMRMLScalarVolumeNode, vtkMRMLSegmentationNode, vtkMRMLTransformNode



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
    preset: Annotated[str, Choice(list(PRESETS))] = "generic-rigid"
    fixedMask: vtkMRMLSegmentationNode
    fixedStructure: vtkMRMLSegmentationNode
    movingStructure: vtkMRMLSegmentationNode
    fixedLandmarks: vtkMRMLMarkupsFiducialNode
    movingLandmarks: vtkMRMLMarkupsFiducialNode
    resample: bool = False
    outputTransform: vtkMRMLTransformNode
    fusionMethod: Annotated[str, Choice(["vote", "staple"])] = "vote"


class MedImgAIRegistrationWidget(TaskPanelWidget):
    UI_FILE = "MedImgAIRegistration.ui"
    FAILURE_MESSAGE = "Registration failed."

    def createLogic(self):
        return MedImgAIRegistrationLogic()

    def setupPanel(self):
        self.ui.presetComboBox.addItems(self.logic.presetNames())
        self.ui.fusionMethodComboBox.addItems(["vote", "staple"])
        self.ui.opacitySlider.connect("valueChanged(double)", self.logic.setForegroundOpacity)
        self.ui.checkerboardButton.connect("clicked(bool)", lambda: self._addDisplayVolume("checkerboard"))
        self.ui.differenceButton.connect("clicked(bool)", lambda: self._addDisplayVolume("difference"))
        self.ui.fuseButton.connect("clicked(bool)", self.onFuseButton)

    def startTask(self):
        p = self._parameterNode
        return self.logic.startRegistration(p.fixedVolume, p.movingVolume, p.preset, p.fixedMask,
                                            p.fixedLandmarks, p.movingLandmarks, p.fixedStructure, p.movingStructure)

    def onTaskFinished(self, result):
        p = self._parameterNode
        outcome = self.logic.apply(result, p.fixedVolume, p.movingVolume, p.resample)
        p.outputTransform = outcome.transform_node
        self.ui.reportLabel.text = result.report.summary()
        return "Done" + (" with warnings" if result.report.warnings else "")

    def _addDisplayVolume(self, kind):
        with slicer.util.tryWithErrorDisplay(f"Could not make the {kind} volume.", waitCursor=True):
            self.logic.addDisplayVolume(kind, self._parameterNode.fixedVolume, self._parameterNode.movingVolume)

    def onFuseButton(self):
        with slicer.util.tryWithErrorDisplay("Fusion failed.", waitCursor=True):
            nodes = self.ui.fusionSegmentationsSelector.checkedNodes()
            outcome = self.logic.fuseSegmentations(nodes, self._parameterNode.fusionMethod,
                                                   self._parameterNode.fixedVolume)
            self.ui.statusLabel.text = (f"Fused {len(nodes)} segmentations into "
                                        f"'{outcome.segmentation_node.GetName()}' (agreement map: "
                                        f"'{outcome.agreement_node.GetName()}')")


class MedImgAIRegistrationLogic(ScriptedLoadableModuleLogic):
    """Delegates to MedImgAILogic.RegistrationLogic (tested headlessly on slicer-core)."""

    registration = lazyLogic("RegistrationLogic")

    def getParameterNode(self):
        return MedImgAIRegistrationParameterNode(super().getParameterNode())

    @staticmethod
    def presetNames():
        from MedImgAILib.registration import PRESETS

        return list(PRESETS)

    def startRegistration(self, fixed, moving, preset, fixedMask=None, fixedLandmarks=None, movingLandmarks=None,
                          fixedStructure=None, movingStructure=None):
        from MedImgAILib.runtime import BackgroundTask

        return BackgroundTask(lambda progress, cancel: self.registration.compute(
            fixed, moving, preset, fixed_mask_node=fixedMask, fixed_landmarks_node=fixedLandmarks,
            moving_landmarks_node=movingLandmarks, fixed_structure_node=fixedStructure,
            moving_structure_node=movingStructure, progress=progress, cancel=cancel)).start()

    def apply(self, result, fixed, moving, resample=False):
        return self.registration.apply(slicer.mrmlScene, result, fixed, moving, resample)

    @staticmethod
    def setForegroundOpacity(opacity):
        from MedImgAILogic import set_foreground_opacity

        set_foreground_opacity(slicer.mrmlScene, opacity)

    @staticmethod
    def addDisplayVolume(kind, fixed, moving):
        """A checkerboard or absolute-difference volume of fixed and moving (seen through its registration)."""
        from MedImgAILogic import add_display_volume

        return add_display_volume(slicer.mrmlScene, kind, fixed, moving)

    @staticmethod
    def fuseSegmentations(segmentationNodes, method, referenceVolume):
        """Vote or STAPLE over segmentations on the reference grid: FusionOutcome (segmentation, agreement)."""
        from MedImgAILogic import fuse_segmentation_nodes

        return fuse_segmentation_nodes(slicer.mrmlScene, segmentationNodes, method, referenceVolume)


class MedImgAIRegistrationTest(ScriptedLoadableModuleTest):
    """Runs inside Slicer: PET of the sample case onto its CT."""

    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        self.setUp()
        self.test_pet_onto_ct_gives_a_transform_and_a_report()
        self.setUp()
        self.test_display_volumes_and_decision_fusion()
        self.setUp()
        self.test_tumour_contours_guide_mr_onto_ct()

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

    def test_display_volumes_and_decision_fusion(self):
        from MedImgAILib.sample_case import find_case

        case = find_case()
        ct = slicer.util.loadVolume(str(case.images["CT"]))
        mr = slicer.util.loadVolume(str(case.images["MR_T1"]))
        logic = MedImgAIRegistrationLogic()
        board = logic.addDisplayVolume("checkerboard", ct, mr)
        self.assertEqual(board.GetImageData().GetDimensions(), ct.GetImageData().GetDimensions())
        segmentations = [_loadSegmentation(case.masks[name], f"GTV {name}") for name in ("CT", "MR_T1", "PET")]
        outcome = logic.fuseSegmentations(segmentations, "staple", ct)
        self.assertEqual(outcome.segmentation_node.GetSegmentation().GetNumberOfSegments(), 1)
        self.assertGreater(slicer.util.arrayFromVolume(outcome.agreement_node).max(), 0.99)
        self.delayDisplay("Display volumes and decision fusion passed")

    def test_tumour_contours_guide_mr_onto_ct(self):
        from MedImgAILib.sample_case import find_case

        case = find_case()
        ct = slicer.util.loadVolume(str(case.images["CT"]))
        mr = slicer.util.loadVolume(str(case.images["MR_T1"]))
        ctTumour = _loadSegmentation(case.masks["CT"], "GTV CT")
        mrTumour = _loadSegmentation(case.masks["MR_T1"], "GTV MR")
        outcome = MedImgAIRegistrationLogic().registration.register(
            slicer.mrmlScene, ct, mr, "structure-guided-rigid", fixed_structure_node=ctTumour,
            moving_structure_node=mrTumour)
        self.assertGreater(outcome.result.report.structure_dice_after, 0.9)
        self.assertIs(mr.GetParentTransformNode(), outcome.transform_node)
        self.delayDisplay("Structure-guided registration passed")


def _loadSegmentation(path, name):
    """A labelmap file as a segmentation node (the labelmap volume it came from is removed)."""
    labelmap = slicer.util.loadLabelVolume(str(path))
    segmentation = slicer.mrmlScene.AddNewNodeByClass("vtkMRMLSegmentationNode", name)
    slicer.modules.segmentations.logic().ImportLabelmapToSegmentationNode(labelmap, segmentation)
    slicer.mrmlScene.RemoveNode(labelmap)
    return segmentation
