"""MedImgAI Segmentation: run a catalog or local model on volumes of the scene and get a segmentation.

Thin widget over MedImgAILogic.SegmentationLogic: the model runs in a worker process (progress bar, Cancel), the
scene is changed on the main thread, and only when the run succeeds.
"""

import os
from typing import Annotated

import qt
import slicer
from slicer.parameterNodeWrapper import Choice, parameterNodeWrapper
from slicer.ScriptedLoadableModule import (
    ScriptedLoadableModule,
    ScriptedLoadableModuleLogic,
    ScriptedLoadableModuleTest,
)

from MedImgAIWidgets import DATA_CITATION, TaskPanelWidget, lazyLogic
from slicer import vtkMRMLMarkupsROINode, vtkMRMLScalarVolumeNode, vtkMRMLSegmentationNode



class MedImgAISegmentation(ScriptedLoadableModule):
    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = "MedImgAI Segmentation"
        self.parent.categories = ["MedImgAI"]
        self.parent.dependencies = ["Segmentations"]
        self.parent.contributors = ["MedImgAI founding engineers (MedImgAI)"]
        self.parent.helpText = (
            "Segment CT, PET and MR volumes with MONAI models from the MedImgAI catalog or your own bundle. "
            "Map each model input to a volume, press Apply; the segmentation gets the model's segment names, "
            "colours and terminology. Research use only. " + DATA_CITATION
        )
        self.parent.acknowledgementText = "Built on MONAI, SimpleITK, pydicom and 3D Slicer. " + DATA_CITATION


@parameterNodeWrapper
class MedImgAISegmentationParameterNode:
    """Saved in the scene, so a saved scene reproduces the run."""

    # model and modelPath have no SlicerParameterName in the .ui: the widget syncs them itself, because the catalog
    # ids can change (a Choice would refuse a scene naming a model this version no longer has) and a pathlib.Path
    # would show an empty path as ".".
    model: str = "sts-gtv-ct-pet-mr"
    modelPath: str = ""  # a model of the user's own; when set, used instead of the catalog model
    input1: vtkMRMLScalarVolumeNode
    input2: vtkMRMLScalarVolumeNode
    input3: vtkMRMLScalarVolumeNode
    registerInputs: bool = False
    device: Annotated[str, Choice(["auto", "cpu", "cuda", "mps"])] = "auto"
    probabilities: bool = False
    outputSegmentation: vtkMRMLSegmentationNode
    roi: vtkMRMLMarkupsROINode  # optional: the model runs only inside this box
    roiMarginMm: float = 10.0


class MedImgAISegmentationWidget(TaskPanelWidget):
    UI_FILE = "MedImgAISegmentation.ui"
    FAILURE_MESSAGE = "Segmentation failed."

    def __init__(self, parent=None):
        TaskPanelWidget.__init__(self, parent)
        self._measured = (None, [])  # the last result and its input volumes, for "Measure"

    def createLogic(self):
        return MedImgAISegmentationLogic()

    def setupPanel(self):
        self.ui.measureButton.connect("clicked(bool)", self.onMeasureButton)
        self.ui.modelComboBox.addItems(self.logic.catalogIds())
        self.ui.modelComboBox.connect("currentIndexChanged(int)", self.onModelChosen)
        # currentPathChanged fires on every keystroke: act quietly then, and say what is wrong on editing finished
        self.ui.modelPathLineEdit.connect("currentPathChanged(QString)", lambda _: self.onModelPathEdited(False))
        for lineEdit in slicer.util.findChildren(self.ui.modelPathLineEdit, className="QLineEdit"):
            lineEdit.connect("editingFinished()", lambda: self.onModelPathEdited(True))

    def onParameterNodeSet(self):
        """model and modelPath are synced by hand (the catalog can change; an empty path is not ".")."""
        parameters = self._parameterNode
        ids = self.logic.catalogIds()
        if parameters.model not in ids and ids:
            parameters.model = ids[0]
        self.ui.modelComboBox.blockSignals(True)
        self.ui.modelComboBox.currentIndex = ids.index(parameters.model) if parameters.model in ids else -1
        self.ui.modelComboBox.blockSignals(False)
        self.ui.modelPathLineEdit.blockSignals(True)
        self.ui.modelPathLineEdit.currentPath = parameters.modelPath
        self.ui.modelPathLineEdit.blockSignals(False)
        self._updateInputs(explain=False)

    def onModelChosen(self, index):
        if self._parameterNode is not None and index >= 0:
            self._parameterNode.model = self.ui.modelComboBox.itemText(index)
            self._updateInputs(explain=True)

    def onModelPathEdited(self, finished):
        """Reads the widget (the handler may run before any binding would have updated the parameter node)."""
        if self._parameterNode is None:
            return
        path = self.ui.modelPathLineEdit.currentPath.strip()
        if not finished and path and not self.logic.looksLikeModel(path):
            return  # still being typed
        self._parameterNode.modelPath = path
        self._updateInputs(explain=finished)

    def _model(self):
        return self.logic.resolveModel(self._parameterNode.model, self._parameterNode.modelPath)

    def _updateInputs(self, explain):
        """Label the three input selectors with the model's declared inputs (metadata only) and suggest volumes;
        a problem goes to the status line, never to a dialog, and only when explain (e.g. editing finished)."""
        from MedImgAILib.errors import MedImgAIError

        try:
            names = self.logic.inputNames(self._model())
        except MedImgAIError as error:
            if explain:
                self.ui.statusLabel.text = f"Not a usable model: {error}"
            return
        self.ui.statusLabel.text = ""
        labels = [self.ui.input1Label, self.ui.input2Label, self.ui.input3Label]
        selectors = [self.ui.input1Selector, self.ui.input2Selector, self.ui.input3Selector]
        for index, (label, selector) in enumerate(zip(labels, selectors)):
            used = index < len(names)
            label.text = f"{names[index]}:" if used else ""
            label.visible = selector.visible = used
        suggested = self.logic.suggestInputs(self._model(), slicer.mrmlScene) if names else {}
        for index, name in enumerate(names[:3]):
            if selectors[index].currentNode() is None and suggested.get(name) is not None:
                selectors[index].setCurrentNode(suggested[name])

    def startTask(self):
        parameters = self._parameterNode
        model = self._model()
        names = self.logic.inputNames(model)
        self._nodes = dict(zip(names, [parameters.input1, parameters.input2, parameters.input3]))
        self._reference = self._nodes.get(names[0]) if names else None
        align = names[1:] if parameters.registerInputs else self._offerRegistration(model, names)
        worker = self.logic.segmentation.start(self._nodes, model, parameters.device,
                                               probabilities=parameters.probabilities, align=align,
                                               worker=self.takeWorker(), roi=parameters.roi,
                                               roi_margin_mm=parameters.roiMarginMm)
        self._modelRun = model
        return worker, list(self._nodes.values())

    def _offerRegistration(self, model, names):
        """Secondary inputs the user agrees to register first, when they barely overlap the reference."""
        poor = self.logic.poorlyOverlappingInputs(self._nodes, model)
        if not poor:
            return []
        listing = ", ".join(f"{name} ({fraction:.0%})" for name, fraction in poor.items())
        question = (f"These inputs share little of their field of view with the reference input {names[0]}: "
                    f"{listing}. They are probably not registered to it.\n\nRegister them to {names[0]} (rigid) "
                    "before segmenting? Each gets a transform node and is placed under it.")
        return list(poor) if slicer.util.confirmYesNoDisplay(question, windowTitle="MedImgAI Segmentation") else []

    def onTaskFinished(self, result):
        outcome = self.logic.apply(slicer.mrmlScene, result, self._reference, self._nodes)
        self._parameterNode.outputSegmentation = outcome.segmentation_node
        self._measured = (outcome.segmentation_node, [node for node in self._nodes.values() if node is not None])
        self.ui.measureButton.enabled = True
        registered = "".join(f" Registered {name} to the reference ({alignment.preset})."
                             for name, alignment in result.alignments.items())
        card = self.logic.modelCardPath(self._modelRun)
        link = f'<a href="{qt.QUrl.fromLocalFile(card).toString()}">model card</a>' if os.path.isfile(card) else card
        warned = "".join(f" Warning: {warning}: choose or draw a box in Region of interest." for warning in result.warnings)
        return (f"Done in {result.provenance['runtime_s']:.1f} s on {result.provenance['device']}.{registered}"
                f"{warned} {link}")


    def onMeasureButton(self):
        """Hand the last segmentation and its inputs to MedImgAI Quantify (the user presses Apply there)."""
        segmentation, volumes = self._measured
        if segmentation is None or segmentation.GetScene() is not slicer.mrmlScene:
            self.ui.statusLabel.text = "Segment first: the segmentation to measure is gone."
            self.ui.measureButton.enabled = False
            return
        slicer.util.selectModule("MedImgAIQuantify")
        slicer.modules.medimgaiquantify.widgetRepresentation().self().setInputs(segmentation, volumes)


class MedImgAISegmentationLogic(ScriptedLoadableModuleLogic):
    """Delegates to MedImgAILogic.SegmentationLogic, which the headless test suite exercises on slicer-core.
    Nothing here loads a model: declarations are read from metadata (MedImgAILib.models.read_declaration)."""

    segmentation = lazyLogic("SegmentationLogic")

    def getParameterNode(self):
        return MedImgAISegmentationParameterNode(super().getParameterNode())

    @staticmethod
    def catalogIds():
        from MedImgAILib.models import load_catalog

        return list(load_catalog())

    @staticmethod
    def resolveModel(modelId, modelPath=""):
        """The user's own model file or folder when one is given, else the catalog id."""
        return str(modelPath) if modelPath and str(modelPath).strip() not in ("", ".") else modelId

    @staticmethod
    def looksLikeModel(path):
        """A path that could be a whole model (a bundle folder or a model file), not a prefix still being typed."""
        if os.path.isdir(path):
            return os.path.isfile(os.path.join(path, "configs", "metadata.json"))
        return os.path.isfile(path) and path.lower().endswith((".json", ".ts", ".pt", ".pth", ".zip"))

    @staticmethod
    def inputNames(model):
        """The model's input names in order, from its metadata (a catalog model not downloaded yet: the catalog's)."""
        from MedImgAILib.models import model_input_names

        return list(model_input_names(model))

    @staticmethod
    def modelCardPath(model):
        from MedImgAILib.models import load_catalog
        from MedImgAILib.models.catalog import declaration_folder, model_folder

        entry = load_catalog().get(model)
        if entry is None:
            folder = model if os.path.isdir(model) else os.path.dirname(model)
        else:
            folder = str(model_folder(entry))
        card = os.path.join(folder, "docs", "README.md")
        if not os.path.isfile(card) and entry is not None and declaration_folder(entry) is not None:
            card = os.path.join(str(declaration_folder(entry)), "docs", "README.md")  # shipped before download
        return card if os.path.isfile(card) else "(no model card in the model folder)"

    def suggestInputs(self, model, scene):
        """{input name: volume node}, matched by node name and DICOM modality attribute ({} until downloaded)."""
        from MedImgAILib.inference.input_matching import suggest_inputs
        from MedImgAILib.models import ModelNotDownloadedError, read_declaration

        try:
            spec = read_declaration(model)
        except ModelNotDownloadedError:
            return {}
        volumes = {}
        for index in range(scene.GetNumberOfNodesByClass("vtkMRMLScalarVolumeNode")):
            node = scene.GetNthNodeByClass(index, "vtkMRMLScalarVolumeNode")
            if node.IsA("vtkMRMLLabelMapVolumeNode"):
                continue
            volumes[node.GetAttribute("DICOM.Modality") or node.GetName()] = node
        return suggest_inputs(spec, volumes)

    def poorlyOverlappingInputs(self, inputNodes, model):
        """{secondary input: shared fraction of the field of view} for inputs probably not registered
        ({} for a catalog model not downloaded yet: the worker downloads it, with progress)."""
        from MedImgAILib.models import ModelNotDownloadedError

        try:
            return self.segmentation.poorly_overlapping_inputs(inputNodes, model)
        except ModelNotDownloadedError:
            return {}

    def apply(self, scene, result, referenceNode, inputNodes=None):
        return self.segmentation.apply(scene, result, referenceNode, input_nodes=inputNodes)

    def process(self, inputNodes, modelId, **options):
        """The whole run in one call, in this process (console and self-test): compute, then apply to
        slicer.mrmlScene."""
        return self.segmentation.segment(slicer.mrmlScene, inputNodes, modelId, **options)


class MedImgAISegmentationTest(ScriptedLoadableModuleTest):
    """Runs inside Slicer: the real flow on the bundled sample case, through the logic and through the panel."""

    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        for test in (self.test_segmenting_the_sample_case_gives_a_named_tumour_segment,
                     self.test_a_pet_from_another_frame_is_registered_first,
                     self.test_the_panel_segments_in_a_worker_and_cancel_changes_nothing):
            self.setUp()
            test()

    def test_segmenting_the_sample_case_gives_a_named_tumour_segment(self):
        from MedImgAIWidgets.panel_driver import loadSampleVolumes

        self.delayDisplay("Loading the sample case")
        nodes = loadSampleVolumes()
        outcome = MedImgAISegmentationLogic().process(nodes, "sts-gtv-ct-pet-mr")
        segment = outcome.segmentation_node.GetSegmentation().GetNthSegment(0)
        self.assertEqual(segment.GetName(), "Gross tumour volume")
        self.assertGreater(outcome.result.provenance["runtime_s"], 0)
        self.delayDisplay("Segmentation of the sample case passed")

    def test_a_pet_from_another_frame_is_registered_first(self):
        from MedImgAIWidgets.panel_driver import loadSampleVolumes

        nodes = loadSampleVolumes()
        origin = nodes["PET"].GetOrigin()
        nodes["PET"].SetOrigin(origin[0] + 150.0, origin[1], origin[2] - 200.0)  # as if from another session
        logic = MedImgAISegmentationLogic()
        self.assertIn("PET", logic.poorlyOverlappingInputs(nodes, "sts-gtv-ct-pet-mr"))
        outcome = logic.process(nodes, "sts-gtv-ct-pet-mr", align=["PET"])
        self.assertIs(nodes["PET"].GetParentTransformNode(), outcome.transform_nodes["PET"])
        self.assertEqual(logic.poorlyOverlappingInputs(nodes, "sts-gtv-ct-pet-mr"), {})
        self.delayDisplay("Registering an input first passed")

    def test_the_panel_segments_in_a_worker_and_cancel_changes_nothing(self):
        import SimpleITK as sitk
        from MedImgAILib.metrics import dice
        from MedImgAILib.sample_case import find_case
        from MedImgAILogic import labelmap_from_segmentation_node
        from MedImgAIWidgets.panel_driver import (clickApplyAndCancel, clickApplyAndWait, loadSampleVolumes, openPanel,
                                                  sceneNodeIds)

        nodes = loadSampleVolumes()
        widget = openPanel("MedImgAISegmentation")
        widget.ui.modelComboBox.currentIndex = widget.ui.modelComboBox.findText("sts-gtv-ct-pet-mr")
        widget.ui.modelPathLineEdit.currentPath = ""
        for selector, name in ((widget.ui.input1Selector, "CT"), (widget.ui.input2Selector, "PET"),
                               (widget.ui.input3Selector, "MR")):
            selector.setCurrentNode(nodes[name])
        before = sceneNodeIds()
        self.assertIn("Cancelled", clickApplyAndCancel(widget))
        self.assertEqual(sceneNodeIds(), before)
        self.delayDisplay("Cancel left the scene as it was")
        status = clickApplyAndWait(widget)
        segmentation = widget._parameterNode.outputSegmentation
        self.assertIsNotNone(segmentation, status)
        result, _ = labelmap_from_segmentation_node(segmentation, nodes["CT"])
        reference = sitk.ReadImage(str(find_case().masks["CT"]))
        self.assertGreater(dice(sitk.GetArrayFromImage(result), sitk.GetArrayFromImage(reference)), 0.75)
        self.delayDisplay(f"The panel segmented the sample case: {status}")
