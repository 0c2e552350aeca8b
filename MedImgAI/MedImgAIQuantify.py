"""MedImgAI Quantify: IBSI radiomics features, clinical PET metrics and simple measures for each segment of a
segmentation on each chosen volume, as a table; and the change between two time points.

Thin widget over MedImgAILogic.QuantifyLogic: the measurement runs in a worker process (progress bar, Cancel);
the table is added when it succeeds. The numbers are those of ``medimgai quantify`` on the same images.
"""

import json
from typing import Annotated

import qt
import slicer
from slicer.parameterNodeWrapper import Choice, parameterNodeWrapper
from slicer.ScriptedLoadableModule import (
    ScriptedLoadableModule,
    ScriptedLoadableModuleLogic,
    ScriptedLoadableModuleTest,
)

from MedImgAIWidgets import DATA_CITATION, TaskPanelWidget, lazyLogic, showingErrors  # first: finds MedImgAILib
from MedImgAILib.quantify.settings import PRESETS  # isort: skip
from slicer import vtkMRMLScalarVolumeNode, vtkMRMLSegmentationNode, vtkMRMLTableNode


class MedImgAIQuantify(ScriptedLoadableModule):
    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = "MedImgAI Quantify"
        self.parent.categories = ["MedImgAI"]
        self.parent.dependencies = ["Segmentations", "Tables"]
        self.parent.contributors = ["MedImgAI founding engineers (MedImgAI)"]
        self.parent.helpText = (
            "Measure each segment on each volume: IBSI 1 radiomics features (after the preset's IBSI image "
            "processing), PET metrics for volumes named PET (SUVmax, SUVpeak, MTV, TLG; values in SUV) and simple "
            "measures (volume, intensity statistics, centroid). Compare two time points. " + DATA_CITATION
        )
        self.parent.acknowledgementText = "Feature definitions: the Image Biomarker Standardisation Initiative."


@parameterNodeWrapper
class MedImgAIQuantifyParameterNode:
    """Saved in the scene, so a saved scene reproduces the run."""

    segmentation: vtkMRMLSegmentationNode
    volume1: vtkMRMLScalarVolumeNode
    volume2: vtkMRMLScalarVolumeNode
    volume3: vtkMRMLScalarVolumeNode
    preset: Annotated[str, Choice(list(PRESETS))] = "ibsi-sts"
    radiomics: bool = True
    outputTable: vtkMRMLTableNode
    baselineTable: vtkMRMLTableNode


class MedImgAIQuantifyWidget(TaskPanelWidget):
    UI_FILE = "MedImgAIQuantify.ui"
    FAILURE_MESSAGE = "Quantification failed."

    def createLogic(self):
        return MedImgAIQuantifyLogic()

    def setupPanel(self):
        self.ui.exportButton.connect("clicked(bool)", self.onExportButton)
        self.ui.changeButton.connect("clicked(bool)", self.onChangeButton)
        self.ui.segmentationSelector.connect("currentNodeChanged(vtkMRMLNode*)", self.onSegmentationChanged)

    def onSegmentationChanged(self, node):
        """A segmentation a MedImgAI model made names its input volumes: fill the empty volume slots with them."""
        p = self._parameterNode
        if p is None or node is None or any((p.volume1, p.volume2, p.volume3)):
            return
        for slot, volume in zip(("volume1", "volume2", "volume3"), self.logic.provenanceVolumes(node)):
            setattr(p, slot, volume)

    def setInputs(self, segmentation, volumes):
        """Choose what to measure (the Segmentation panel's "Measure" hands over its result this way)."""
        p = self._parameterNode
        p.segmentation = segmentation
        for slot, volume in zip(("volume1", "volume2", "volume3"), [*volumes, None, None, None]):
            setattr(p, slot, volume)
        self.ui.statusLabel.text = f"Press Apply to measure {segmentation.GetName()}."

    def startTask(self):
        p = self._parameterNode
        self._segmentation = p.segmentation
        volumes = self.logic.volumesByName([p.volume1, p.volume2, p.volume3])
        worker = self.logic.quantifier.start(p.segmentation, volumes, p.preset if p.radiomics else None,
                                             worker=self.takeWorker())
        return worker, [p.segmentation, *volumes.values()]

    def onTaskFinished(self, result):
        table = self.logic.quantifier.apply(slicer.mrmlScene, result, self._segmentation)
        self._parameterNode.outputTable = table
        self.ui.resultTableView.setMRMLTableNode(table)
        warnings = f" ({'; '.join(result.warnings)})" if result.warnings else ""
        return f"{len(result.rows)} values measured in {result.runtime_s:.1f} s{warnings}"

    def onExportButton(self):
        table = self._parameterNode.outputTable if self._parameterNode else None
        with showingErrors("Export failed.", self.ui.statusLabel):
            if table is None:
                raise ValueError("Measure first, or choose a result table.")
            path = qt.QFileDialog.getSaveFileName(self.parent, "Export features", f"{table.GetName()}.csv",
                                                  "CSV files (*.csv)")
            if path:
                self.logic.quantifier.export_csv(table, path)
                self.ui.statusLabel.text = f"Wrote {path}"

    def onChangeButton(self):
        p = self._parameterNode
        with showingErrors("Comparing the time points failed.", self.ui.statusLabel):
            if p.baselineTable is None or p.outputTable is None:
                raise ValueError("Choose the baseline table and the result table to compare.")
            change = self.logic.quantifier.change(slicer.mrmlScene, p.baselineTable, p.outputTable)
            self.ui.resultTableView.setMRMLTableNode(change)
            self.ui.statusLabel.text = f"Change from {p.baselineTable.GetName()} to {p.outputTable.GetName()}"


class MedImgAIQuantifyLogic(ScriptedLoadableModuleLogic):
    """Delegates to MedImgAILogic.QuantifyLogic (tested headlessly on slicer-core)."""

    quantifier = lazyLogic("QuantifyLogic")

    def getParameterNode(self):
        return MedImgAIQuantifyParameterNode(super().getParameterNode())

    @staticmethod
    def volumesByName(volumeNodes):
        """{node name: node} for the chosen volumes; the names label the table's rows (PET names get PET metrics)."""
        from MedImgAILib.errors import InputError

        volumes = {}
        for node in volumeNodes:
            if node is not None:
                if node.GetName() in volumes:
                    raise InputError(node.GetName(), "is chosen twice, or two volumes share this name")
                volumes[node.GetName()] = node
        return volumes

    @staticmethod
    def provenanceVolumes(segmentationNode):
        """The scene's volumes named as the inputs in a MedImgAI segmentation's provenance (CT, PET, MR...)."""
        from MedImgAILogic.segmentation_logic import PROVENANCE_ATTRIBUTE

        provenance = segmentationNode.GetAttribute(PROVENANCE_ATTRIBUTE)
        names = json.loads(provenance).get("inputs", {}) if provenance else {}
        found = [slicer.mrmlScene.GetFirstNodeByName(name) for name in names]
        return [node for node in found if node is not None and node.IsA("vtkMRMLScalarVolumeNode")]


class MedImgAIQuantifyTest(ScriptedLoadableModuleTest):
    """Runs inside Slicer: the sample tumour measured through the logic and through the panel, same numbers."""

    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        self.setUp()
        self.test_the_panel_measures_in_a_worker_like_the_console_and_cancel_changes_nothing()

    def test_the_panel_measures_in_a_worker_like_the_console_and_cancel_changes_nothing(self):
        from MedImgAILogic.quantify_logic import feature_rows_from_table_node
        from MedImgAIWidgets.panel_driver import (
            clickApplyAndCancel,
            clickApplyAndWait,
            loadSampleSegmentation,
            loadSampleVolumes,
            openPanel,
            sceneNodeIds,
        )

        nodes = loadSampleVolumes()
        segmentation = loadSampleSegmentation("CT", "GTV")
        console = MedImgAIQuantifyLogic().quantifier.quantify(slicer.mrmlScene, segmentation, nodes, "ibsi-sts")
        widget = openPanel("MedImgAIQuantify")
        parameters = widget._parameterNode
        widget.setInputs(segmentation, [nodes["CT"], nodes["PET"], nodes["MR"]])  # as Segmentation's "Measure" does
        self.assertEqual((parameters.volume1, parameters.volume3), (nodes["CT"], nodes["MR"]))
        before = sceneNodeIds()
        self.assertIn("Cancelled", clickApplyAndCancel(widget))
        self.assertEqual(sceneNodeIds(), before)
        status = clickApplyAndWait(widget)
        self.assertIsNotNone(parameters.outputTable, status)
        panel = {row.key: row.value for row in feature_rows_from_table_node(parameters.outputTable)}
        expected = {row.key: row.value for row in feature_rows_from_table_node(console)}
        self.assertEqual(panel.keys(), expected.keys())
        differing = [key for key in expected if not (panel[key] == expected[key] or panel[key] != panel[key])]
        self.assertEqual(differing, [], status)
        self.delayDisplay(f"The panel measured the sample tumour like the console: {status}")
