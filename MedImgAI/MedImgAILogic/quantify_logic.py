"""Quantification on the scene: a segmentation node and volume nodes in; a table node (one row per segment and
image, one column per feature, with units) out, and the change between two such tables.

compute() reads nodes only; start() runs it in a worker process (the panels); apply() adds the table (main
thread); quantify() does both. The numbers are those of ``medimgai quantify`` on the same images.
"""

from __future__ import annotations

import json
import math
from typing import Mapping

import slicer
import vtk

from MedImgAILib.errors import InputError
from MedImgAILib.quantify.change import feature_changes
from MedImgAILib.quantify.feature_table import FeatureRow, write_feature_table
from MedImgAILib.quantify.quantification import Quantification, is_pet, quantify
from MedImgAILib.runtime import CancelToken, ProgressCallback, no_progress
from MedImgAILib.worker import WorkerProcess, submit_quantification
from MedImgAILogic.node_geometry import describe_node
from MedImgAILogic.scene_transaction import scene_transaction
from MedImgAILogic.segmentation_nodes import labelmap_from_segmentation_node
from MedImgAILogic.subject_hierarchy import place_beside
from MedImgAILogic.volume_nodes import images_from_volume_nodes

__all__ = ["KEY_COLUMNS", "QuantifyLogic", "feature_rows_from_table_node"]

KEY_COLUMNS = ("segment", "label", "image")
SETTINGS_ATTRIBUTE = "MedImgAI.QuantificationSettings"
EXPLANATION_ATTRIBUTE = "MedImgAI.Explanation"  # set on the map nodes ExplainLogic adds


def _segmentation_and_names(segmentation_node):
    """The segmentation as a labelmap on its own grid, and {label value: segment name}."""
    labelmap, legend = labelmap_from_segmentation_node(segmentation_node)
    return labelmap, {info.label_value: info.name for info in legend}


def _table_node(scene, name: str, rows: list[FeatureRow], units: Mapping[str, str]):
    """Wide table: columns segment, label, image, then one column per feature (in first-seen order)."""
    features = list(dict.fromkeys(row.feature for row in rows))
    keys = list(dict.fromkeys((row.segment, row.label, row.image) for row in rows))
    values = {(row.segment, row.label, row.image, row.feature): row.value for row in rows}
    table = vtk.vtkTable()
    for column, array_type in zip(KEY_COLUMNS, (vtk.vtkStringArray, vtk.vtkIntArray, vtk.vtkStringArray)):
        array = array_type()
        array.SetName(column)
        for key in keys:
            array.InsertNextValue(key[KEY_COLUMNS.index(column)])
        table.AddColumn(array)
    for feature in features:
        array = vtk.vtkDoubleArray()
        array.SetName(feature)
        for key in keys:
            array.InsertNextValue(values.get((*key, feature), math.nan))
        table.AddColumn(array)
    node = slicer.vtkMRMLTableNode()
    node.SetName(name)
    node.SetAndObserveTable(table)
    for feature, unit in units.items():
        if feature in features:
            node.SetColumnUnitLabel(feature, unit)
    with scene_transaction(scene):
        scene.AddNode(node)
    return node


def feature_rows_from_table_node(table_node) -> list[FeatureRow]:
    """The long-format rows of a table made by QuantifyLogic.apply()."""
    table = table_node.GetTable() if table_node is not None else None
    names = [table.GetColumnName(i) for i in range(table.GetNumberOfColumns())] if table is not None else []
    if tuple(names[:3]) != KEY_COLUMNS:
        raise InputError(None if table_node is None else describe_node(table_node),
                         "is not a MedImgAI feature table (made by Quantify)")
    rows = []
    for index in range(table.GetNumberOfRows()):
        segment, label, image = (table.GetValue(index, column).ToString() for column in range(3))
        for column in range(3, len(names)):
            value = table.GetValue(index, column).ToDouble()
            if math.isnan(value) and names[column].startswith("pet_") and not is_pet(image):
                continue  # an empty cell: PET metrics exist for PET images only
            rows.append(FeatureRow(segment, int(label), image, names[column], value))
    return rows


class QuantifyLogic:
    def compute(self, segmentation_node, volume_nodes: Mapping[str, object], preset: str | None = "ibsi-sts",
                progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> Quantification:
        """Measure each segment on each volume (read in world coordinates); changes nothing in the scene."""
        labelmap, names = _segmentation_and_names(segmentation_node)
        return quantify(self._images(volume_nodes, preset), labelmap, preset, names, progress, cancel)

    def start(self, segmentation_node, volume_nodes: Mapping[str, object], preset: str | None = "ibsi-sts",
              worker: WorkerProcess | None = None) -> WorkerProcess:
        """compute() in a worker process, the panels' path: the nodes are read now, on the main thread."""
        labelmap, names = _segmentation_and_names(segmentation_node)
        return submit_quantification(self._images(volume_nodes, preset), labelmap, names, preset, worker=worker)

    @staticmethod
    def _images(volume_nodes: Mapping[str, object], preset: str | None) -> dict:
        for node in volume_nodes.values():
            if preset is not None and node is not None and node.GetAttribute(EXPLANATION_ATTRIBUTE):
                raise InputError(describe_node(node), "is an explanation map: the IBSI presets are made for CT, PET "
                                                      "and MR intensities; measure maps without radiomics (preset "
                                                      "None, or Radiomics unchecked in the panel)")
        images = images_from_volume_nodes(volume_nodes)
        if not images:
            raise InputError(None, "choose at least one volume to measure")
        return images

    def apply(self, scene, result: Quantification, segmentation_node, name: str | None = None):
        """Add the table node (main thread), beside the segmentation in the subject hierarchy."""
        name = name or f"{segmentation_node.GetName()} features"
        node = _table_node(scene, name, result.rows, result.units)
        node.SetAttribute(SETTINGS_ATTRIBUTE, json.dumps(result.settings, sort_keys=True))
        place_beside(scene, node, segmentation_node)
        return node

    def quantify(self, scene, segmentation_node, volume_nodes: Mapping[str, object], preset: str | None = "ibsi-sts",
                 **options):
        """compute() then apply(), for the Python console: returns the table node."""
        name = options.pop("name", None)
        return self.apply(scene, self.compute(segmentation_node, volume_nodes, preset, **options), segmentation_node,
                          name)

    @staticmethod
    def change(scene, before_table_node, after_table_node, name: str | None = None):
        """A table node of the change of each feature between two feature tables (two time points)."""
        changes = feature_changes(feature_rows_from_table_node(before_table_node),
                                  feature_rows_from_table_node(after_table_node))
        table = vtk.vtkTable()
        columns = ("segment", "image", "feature", "before", "after", "absolute_change", "relative_change", "category",
                   "rule")
        for column in columns:
            array = vtk.vtkDoubleArray() if column in ("before", "after", "absolute_change", "relative_change") \
                else vtk.vtkStringArray()
            array.SetName(column)
            for row in changes:
                array.InsertNextValue(getattr(row, column))
            table.AddColumn(array)
        node = slicer.vtkMRMLTableNode()
        node.SetName(name or f"{after_table_node.GetName()} change")
        node.SetAndObserveTable(table)
        with scene_transaction(scene):
            scene.AddNode(node)
        return node

    @staticmethod
    def export_csv(table_node, path) -> None:
        """The table as ``medimgai quantify`` writes it (long format: segment,label,image,feature,value)."""
        write_feature_table(feature_rows_from_table_node(table_node), path)
