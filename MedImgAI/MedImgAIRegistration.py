"""MedImgAI Registration: align a moving volume to a fixed one, see them fused, combine segmentations.

Thin widget over MedImgAILogic.RegistrationLogic; registration runs in a worker process with progress and
Cancel, the transform node and fused view are created on the main thread when it succeeds, for the volumes it
ran on.
"""

from typing import Annotated

import slicer
from slicer.parameterNodeWrapper import Choice, parameterNodeWrapper
from slicer.ScriptedLoadableModule import (
    ScriptedLoadableModule,
    ScriptedLoadableModuleLogic,
    ScriptedLoadableModuleTest,
)

from MedImgAIWidgets import DATA_CITATION, TaskPanelWidget, lazyLogic, showingErrors  # first: finds MedImgAILib
from MedImgAILib.registration.presets import PRESETS  # isort: skip
from slicer import vtkMRMLMarkupsFiducialNode, vtkMRMLScalarVolumeNode, vtkMRMLSegmentationNode, vtkMRMLTransformNode



class MedImgAIRegistration(ScriptedLoadableModule):
    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = "MedImgAI Registration"
        self.parent.categories = ["MedImgAI"]
        self.parent.dependencies = ["Segmentations", "Markups"]
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
        self.ui.opacitySlider.connect("valueChanged(double)", self.logic.setForegroundOpacity)
        self.ui.checkerboardButton.connect("clicked(bool)", lambda: self._addDisplayVolume("checkerboard"))
        self.ui.differenceButton.connect("clicked(bool)", lambda: self._addDisplayVolume("difference"))
        self.ui.fuseButton.connect("clicked(bool)", self.onFuseButton)

    def startTask(self):
        p = self._parameterNode
        # The result applies to these, whatever the selectors show when the run ends.
        self._run = (p.fixedVolume, p.movingVolume, p.resample)
        nodes = [p.fixedVolume, p.movingVolume, p.fixedMask, p.fixedLandmarks, p.movingLandmarks, p.fixedStructure,
                 p.movingStructure]
        worker = self.logic.registration.start(
            p.fixedVolume, p.movingVolume, p.preset, fixed_mask_node=p.fixedMask, fixed_landmarks_node=p.fixedLandmarks,
            moving_landmarks_node=p.movingLandmarks, fixed_structure_node=p.fixedStructure,
            moving_structure_node=p.movingStructure, worker=self.takeWorker())
        return worker, nodes

    def onTaskFinished(self, result):
        fixed, moving, resample = self._run
        outcome = self.logic.apply(result, fixed, moving, resample)
        self._parameterNode.outputTransform = outcome.transform_node
        self.ui.reportLabel.text = result.report.summary()
        return "Done" + (" with warnings" if result.report.warnings else "")

    def _addDisplayVolume(self, kind):
        with showingErrors(f"Could not make the {kind} volume.", self.ui.statusLabel), slicer.util.WaitCursor():
            self.logic.addDisplayVolume(kind, self._parameterNode.fixedVolume, self._parameterNode.movingVolume)

    def onFuseButton(self):
        with showingErrors("Fusion failed.", self.ui.statusLabel), slicer.util.WaitCursor():
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
    """Runs inside Slicer: the sample case's PET and MR onto its CT, through the logic and through the panel."""

    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        for test in (self.test_pet_onto_ct_gives_a_transform_and_a_report,
                     self.test_display_volumes_and_decision_fusion,
                     self.test_tumour_contours_guide_mr_onto_ct,
                     self.test_the_panel_registers_in_a_worker_and_cancel_changes_nothing):
            self.setUp()
            test()

    def test_pet_onto_ct_gives_a_transform_and_a_report(self):
        from MedImgAIWidgets.panel_driver import loadSampleVolumes

        nodes = loadSampleVolumes()
        outcome = MedImgAIRegistrationLogic().registration.register(slicer.mrmlScene, nodes["CT"], nodes["PET"],
                                                                    "pet-to-ct-rigid")
        self.assertIs(nodes["PET"].GetParentTransformNode(), outcome.transform_node)
        self.assertLess(outcome.result.report.metric_after, outcome.result.report.metric_before)
        self.delayDisplay("Registration of the sample case passed")

    def test_display_volumes_and_decision_fusion(self):
        from MedImgAIWidgets.panel_driver import loadSampleSegmentation, loadSampleVolumes

        nodes = loadSampleVolumes()
        logic = MedImgAIRegistrationLogic()
        board = logic.addDisplayVolume("checkerboard", nodes["CT"], nodes["MR"])
        self.assertEqual(board.GetImageData().GetDimensions(), nodes["CT"].GetImageData().GetDimensions())
        segmentations = [loadSampleSegmentation(name, f"GTV {name}") for name in ("CT", "MR_T1", "PET")]
        outcome = logic.fuseSegmentations(segmentations, "staple", nodes["CT"])
        self.assertEqual(outcome.segmentation_node.GetSegmentation().GetNumberOfSegments(), 1)
        self.assertGreater(slicer.util.arrayFromVolume(outcome.agreement_node).max(), 0.99)
        self.delayDisplay("Display volumes and decision fusion passed")

    def test_tumour_contours_guide_mr_onto_ct(self):
        from MedImgAIWidgets.panel_driver import loadSampleSegmentation, loadSampleVolumes

        nodes = loadSampleVolumes()
        outcome = MedImgAIRegistrationLogic().registration.register(
            slicer.mrmlScene, nodes["CT"], nodes["MR"], "structure-guided-rigid",
            fixed_structure_node=loadSampleSegmentation("CT", "GTV CT"),
            moving_structure_node=loadSampleSegmentation("MR_T1", "GTV MR"))
        self.assertGreater(outcome.result.report.structure_dice_after, 0.9)
        self.assertIs(nodes["MR"].GetParentTransformNode(), outcome.transform_node)
        self.delayDisplay("Structure-guided registration passed")

    def test_the_panel_registers_in_a_worker_and_cancel_changes_nothing(self):
        """The MR is displaced by a known 8 mm; structure-guided registration through the panel brings its tumour
        back onto the CT's (the applied transform moves the MR tumour's centre to within 2 mm of the CT's)."""
        import numpy as np
        from MedImgAIWidgets.panel_driver import (clickApplyAndCancel, clickApplyAndWait, loadSampleSegmentation,
                                                  loadSampleVolumes, openPanel, sceneNodeIds)

        nodes = loadSampleVolumes()
        ctTumour, mrTumour = loadSampleSegmentation("CT", "GTV CT"), loadSampleSegmentation("MR_T1", "GTV MR")
        centre = np.array(mrTumour.GetSegmentCenterRAS(mrTumour.GetSegmentation().GetNthSegmentID(0)))
        aligned = self._registeredCentre(nodes, ctTumour, mrTumour, centre)
        for node in (nodes["MR"], mrTumour):  # displace MR and its contour together, as another session would
            node.ApplyTransformMatrix(slicer.util.vtkMatrixFromArray(np.array(
                [[1, 0, 0, 8.0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])))
        widget = openPanel("MedImgAIRegistration")
        parameters = widget._parameterNode
        parameters.fixedVolume, parameters.movingVolume = nodes["CT"], nodes["MR"]
        parameters.fixedStructure, parameters.movingStructure = ctTumour, mrTumour
        parameters.preset = "structure-guided-rigid"
        before = sceneNodeIds()
        self.assertIn("Cancelled", clickApplyAndCancel(widget))
        self.assertEqual(sceneNodeIds(), before)
        self.assertIsNone(nodes["MR"].GetParentTransformNode())
        parameters.movingVolume = nodes["PET"]  # changing the selectors during a run must not matter...
        status = clickApplyAndWait(widget)
        self.assertIsNone(nodes["PET"].GetParentTransformNode(), status)  # ...the run started with the MR
        transform = nodes["MR"].GetParentTransformNode()
        self.assertIsNotNone(transform, status)
        moved = np.array(transform.GetTransformToParent().TransformPoint(list(centre + [8.0, 0.0, 0.0])))
        self.assertLess(np.linalg.norm(moved - aligned), 2.0, status)
        self.delayDisplay(f"The panel registered the displaced MR: {status}")

    @staticmethod
    def _registeredCentre(nodes, ctTumour, mrTumour, centre):
        """Where structure-guided registration puts the undisplaced MR tumour's centre (the target for the panel)."""
        import numpy as np

        outcome = MedImgAIRegistrationLogic().registration.register(
            slicer.mrmlScene, nodes["CT"], nodes["MR"], "structure-guided-rigid", fixed_structure_node=ctTumour,
            moving_structure_node=mrTumour)
        aligned = np.array(outcome.transform_node.GetTransformToParent().TransformPoint(list(centre)))
        nodes["MR"].SetAndObserveTransformNodeID(None)
        slicer.mrmlScene.RemoveNode(outcome.transform_node)
        return aligned
