"""MedImgAI Segmentation: run a catalog or local model on volumes of the scene and get a segmentation.

Thin widget over MedImgAILogic.SegmentationLogic: the model runs in a background thread (progress bar, Cancel),
the scene is changed on the main thread, and only when the run succeeds.
"""

import os
import pathlib
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
from slicer import vtkMRMLScalarVolumeNode, vtkMRMLSegmentationNode



class MedImgAISegmentation(ScriptedLoadableModule):
    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = "MedImgAI Segmentation"
        self.parent.categories = ["MedImgAI"]
        self.parent.dependencies = []
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


class MedImgAISegmentationWidget(TaskPanelWidget):
    UI_FILE = "MedImgAISegmentation.ui"
    FAILURE_MESSAGE = "Segmentation failed."

    def createLogic(self):
        return MedImgAISegmentationLogic()

    def setupPanel(self):
        self.ui.modelComboBox.addItems(self.logic.catalogIds())
        self.ui.deviceComboBox.addItems(["auto", "cpu", "cuda", "mps"])
        self.ui.modelComboBox.connect("currentTextChanged(QString)", lambda _: self._updateInputLabels())
        self.ui.modelPathLineEdit.connect("currentPathChanged(QString)", lambda _: self._updateInputLabels())

    def onParameterNodeSet(self):
        self._updateInputLabels()

    def _model(self):
        return self.logic.resolveModel(self._parameterNode.model, self._parameterNode.modelPath)

    def _updateInputLabels(self):
        """Label the three input selectors with the model's declared inputs, and suggest volumes."""
        if self._parameterNode is None:
            return
        with slicer.util.tryWithErrorDisplay("Could not read the model."):
            self._showInputs(self._model())

    def _showInputs(self, model):
        names = self.logic.inputNames(model)
        labels = [self.ui.input1Label, self.ui.input2Label, self.ui.input3Label]
        selectors = [self.ui.input1Selector, self.ui.input2Selector, self.ui.input3Selector]
        for index, (label, selector) in enumerate(zip(labels, selectors)):
            used = index < len(names)
            label.text = f"{names[index]}:" if used else ""
            label.visible = selector.visible = used
        suggested = self.logic.suggestInputs(model, slicer.mrmlScene)
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
        return self.logic.startSegmentation(self._nodes, model, parameters.device, parameters.probabilities, align)

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
        registered = "".join(f" Registered {name} to the reference ({a.preset})." for name, a in result.alignments.items())
        card = self.logic.modelCardPath(self._model())
        link = f'<a href="{qt.QUrl.fromLocalFile(card).toString()}">model card</a>' if os.path.isfile(card) else card
        return f"Done in {result.provenance['runtime_s']:.1f} s on {result.provenance['device']}.{registered} {link}"


class MedImgAISegmentationLogic(ScriptedLoadableModuleLogic):
    """Delegates to MedImgAILogic.SegmentationLogic, which the headless test suite exercises on slicer-core."""

    segmentation = lazyLogic("SegmentationLogic")

    def getParameterNode(self):
        return MedImgAISegmentationParameterNode(super().getParameterNode())

    @staticmethod
    def catalogIds():
        from MedImgAILib.models import load_catalog

        return list(load_catalog())

    @staticmethod
    def resolveModel(modelId, modelPath=None):
        """The user's own model file or folder when one is given, else the catalog id."""
        return str(modelPath) if modelPath and str(modelPath) not in ("", ".") else modelId

    @staticmethod
    def inputNames(model):
        """The model's input names in order (catalog id, or a path of the user's own)."""
        from MedImgAILib.models import load_catalog, load_model

        entry = load_catalog().get(model)
        if entry is not None:
            return list(entry.inputs)
        return list(load_model(model).spec.input_names) if os.path.exists(model) else []

    @staticmethod
    def modelCardPath(model):
        from MedImgAILib.models import load_catalog
        from MedImgAILib.models.catalog import resources_folder
        from MedImgAILib.models.model_resolver import cached_model_folder

        entry = load_catalog().get(model)
        if entry is None:
            folder = model if os.path.isdir(model) else os.path.dirname(model)
        else:
            folder = os.path.join(str(resources_folder()), entry.bundled) if entry.is_bundled else str(cached_model_folder(entry))
        card = os.path.join(folder, "docs", "README.md")
        return card if os.path.isfile(card) else "(no model card in the model folder)"

    def suggestInputs(self, model, scene):
        """{input name: volume node}, matched by node name and DICOM modality attribute."""
        from MedImgAILib.inference.input_matching import suggest_inputs
        from MedImgAILib.models import load_catalog, load_model

        if load_catalog().get(model) is None and not os.path.exists(model):
            return {}
        if self.needsDownload(model):
            return {}  # reading its inputs would download it; the suggestion waits for Apply
        spec = load_model(model).spec
        volumes = {}
        for index in range(scene.GetNumberOfNodesByClass("vtkMRMLScalarVolumeNode")):
            node = scene.GetNthNodeByClass(index, "vtkMRMLScalarVolumeNode")
            if node.IsA("vtkMRMLLabelMapVolumeNode"):
                continue
            volumes[node.GetAttribute("DICOM.Modality") or node.GetName()] = node
        return suggest_inputs(spec, volumes)

    @staticmethod
    def needsDownload(model):
        """True for a catalog model that is neither bundled nor cached yet (never fetched on the GUI thread)."""
        from MedImgAILib.models import load_catalog
        from MedImgAILib.models.model_resolver import cached_model_folder

        entry = load_catalog().get(model)
        return (entry is not None and not entry.is_bundled
                and not (cached_model_folder(entry) / "configs" / "metadata.json").is_file())

    def poorlyOverlappingInputs(self, inputNodes, model):
        """{secondary input: shared fraction of the field of view} for inputs probably not registered."""
        if self.needsDownload(model):
            return {}  # checking needs the model's inputs; do not download it on the GUI thread
        return self.segmentation.poorly_overlapping_inputs(inputNodes, model)

    def startSegmentation(self, inputNodes, model, device="auto", probabilities=False, align=()):
        """Start compute() in a background thread (downloads a catalog model first, verified, with progress);
        the caller polls the task and calls apply() when done."""
        from MedImgAILib.runtime import BackgroundTask

        return BackgroundTask(lambda progress, cancel: self.segmentation.compute(
            inputNodes, model, device=device, probabilities=probabilities, progress=progress, cancel=cancel,
            align=align)).start()

    def apply(self, scene, result, referenceNode, inputNodes=None):
        return self.segmentation.apply(scene, result, referenceNode, input_nodes=inputNodes)

    def process(self, inputNodes, modelId, **options):
        """The whole run in one call (console and self-test): compute, then apply to slicer.mrmlScene."""
        return self.segmentation.segment(slicer.mrmlScene, inputNodes, modelId, **options)


class MedImgAISegmentationTest(ScriptedLoadableModuleTest):
    """Runs inside Slicer: the real flow on the bundled sample case."""

    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        self.setUp()
        self.test_segmenting_the_sample_case_gives_a_named_tumour_segment()
        self.setUp()
        self.test_a_pet_from_another_frame_is_registered_first()

    def test_segmenting_the_sample_case_gives_a_named_tumour_segment(self):
        from MedImgAILib.sample_case import find_case

        self.delayDisplay("Loading the sample case")
        case = find_case()
        nodes = {name: slicer.util.loadVolume(str(case.images[key])) for name, key in
                 (("CT", "CT"), ("PET", "PET"), ("MR", "MR_T1"))}
        outcome = MedImgAISegmentationLogic().process(nodes, "sts-gtv-ct-pet-mr")
        segment = outcome.segmentation_node.GetSegmentation().GetNthSegment(0)
        self.assertEqual(segment.GetName(), "Gross tumour volume")
        self.assertGreater(outcome.result.provenance["runtime_s"], 0)
        self.delayDisplay("Segmentation of the sample case passed")

    def test_a_pet_from_another_frame_is_registered_first(self):
        from MedImgAILib.sample_case import find_case

        case = find_case()
        nodes = {name: slicer.util.loadVolume(str(case.images[key])) for name, key in
                 (("CT", "CT"), ("PET", "PET"), ("MR", "MR_T1"))}
        origin = nodes["PET"].GetOrigin()
        nodes["PET"].SetOrigin(origin[0] + 150.0, origin[1], origin[2] - 200.0)  # as if from another session
        logic = MedImgAISegmentationLogic()
        self.assertIn("PET", logic.poorlyOverlappingInputs(nodes, "sts-gtv-ct-pet-mr"))
        outcome = logic.process(nodes, "sts-gtv-ct-pet-mr", align=["PET"])
        self.assertIs(nodes["PET"].GetParentTransformNode(), outcome.transform_nodes["PET"])
        self.assertEqual(logic.poorlyOverlappingInputs(nodes, "sts-gtv-ct-pet-mr"), {})
        self.delayDisplay("Registering an input first passed")
