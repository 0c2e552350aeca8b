"""Explanations on the scene: maps as volume nodes shown over the image, numbers as a table node.

compute() reads nodes only; start() runs it in a worker process (the panels); apply() adds nodes (main thread);
explain() does both.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np
import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.models import LoadedModel, load_model
from MedImgAILib.runtime import CancelToken, ProgressCallback, no_progress
from MedImgAILib.worker import WorkerProcess, submit_cost_estimate, submit_explanation
from MedImgAILogic.node_geometry import describe_node
from MedImgAILogic.scene_transaction import scene_transaction
from MedImgAILogic.color_legend import add_color_legend
from MedImgAILogic.perceptual_colors import add_perceptual_color_nodes, color_node_id
from MedImgAILogic.segmentation_logic import PROVENANCE_ATTRIBUTE
from MedImgAILogic.slice_views import main_composite_node, show_in_slice_views
from MedImgAILogic.subject_hierarchy import place_beside
from MedImgAILogic.table_nodes import add_table_node
from MedImgAILogic.volume_nodes import add_volume_node_from_image, images_from_volume_nodes

__all__ = ["ExplainLogic", "ExplainOutcome"]

# Perceptually uniform: brighter means more (Rainbow, Slicer's default for such maps, puts its maximum in purple).
SALIENCY_COLORS = color_node_id("Inferno")
UNCERTAINTY_COLORS = color_node_id("Viridis")
MAP_OPACITY = 0.5


@dataclass
class ExplainOutcome:
    map_nodes: list
    table_node: object
    result: object  # MedImgAILib.explain.ExplanationResult


def _table_rows(result) -> list[tuple[str, float]]:
    rows = [("runtime (s)", result.runtime_s)]
    for name, effect in result.table.get("modality_ablation", {}).items():
        rows.append((f"evidence lost without {name}", effect["evidence_drop"]))
        rows.append((f"Dice to the full prediction without {name}", effect["dice_to_full"]))
    rows += [(f"share of the prediction change {name}", share) for name, share in result.table.get("modality_shares", {}).items()]
    rows += [(f"confidence region {r['region']} ({r['voxels']} voxels)", r["confidence"])
             for r in result.table.get("segment_confidence", [])]
    completeness = result.table.get("completeness")
    if completeness:
        rows.append(("sum of attributions", completeness["sum_of_attributions"]))
        rows.append(("score minus baseline score", completeness["score"] - completeness["baseline_score"]))
        rows.append(("integration steps per window (mean)", completeness["mean_steps_per_window"]))
    return rows


def _maximum_ras(image: sitk.Image) -> np.ndarray:
    """Where an image is largest, in RAS millimetres."""
    k, j, i = np.unravel_index(int(np.argmax(sitk.GetArrayViewFromImage(image))), image.GetSize()[::-1])
    x, y, z = image.TransformIndexToPhysicalPoint((int(i), int(j), int(k)))
    return np.array([-x, -y, z])


@contextlib.contextmanager
def _shown_as_foreground(scene, node):
    """node in front in the scene's main slice view for a moment (a picture), then the view as it was."""
    composite = main_composite_node(scene)
    previous = composite.GetForegroundVolumeID() if composite is not None else None
    if composite is not None:
        composite.SetForegroundVolumeID(node.GetID())
    try:
        yield
    finally:
        if composite is not None:
            composite.SetForegroundVolumeID(previous)


class ExplainLogic:
    def __init__(self, model_loader: Callable[..., LoadedModel] = load_model):
        self._load_model = model_loader

    def model_of(self, segmentation_node) -> str:
        """The model id a segmentation node was made with (from its provenance attribute)."""
        provenance = segmentation_node.GetAttribute(PROVENANCE_ATTRIBUTE) if segmentation_node else None
        if not provenance:
            raise InputError(describe_node(segmentation_node) if segmentation_node else None,
                             "has no MedImgAI provenance; choose the model explicitly")
        return json.loads(provenance)["model_id"]

    def compute(self, input_nodes: Mapping[str, object], model: str | LoadedModel, method: str,
                target_label=None, component: int | None = None, progress: ProgressCallback = no_progress,
                cancel: CancelToken | None = None, **options):
        from MedImgAILib.explain import explain

        loaded = model if isinstance(model, LoadedModel) else self._load_model(model, progress=progress, cancel=cancel)
        return explain(loaded, images_from_volume_nodes(input_nodes), method, target_label, component,
                       progress=progress, cancel=cancel, **options)

    @staticmethod
    def start(input_nodes: Mapping[str, object], model: str, method: str, target_label=None,
              component: int | None = None, worker: WorkerProcess | None = None, **options) -> WorkerProcess:
        """compute() in a worker process, the panels' path: the nodes are read now, on the main thread; poll the
        returned worker and apply() its result() when it is done."""
        return submit_explanation(images_from_volume_nodes(input_nodes), str(model), method, target_label, component,
                                  worker=worker, **options)

    @staticmethod
    def start_cost_estimate(input_nodes: Mapping[str, object], model: str, method: str,
                            worker: WorkerProcess | None = None, **options) -> WorkerProcess:
        """What explaining would cost (a CostEstimate), estimated in a worker process: it runs the model once."""
        return submit_cost_estimate(images_from_volume_nodes(input_nodes), str(model), method, worker=worker, **options)

    def apply(self, scene, result, reference_node, name: str | None = None) -> ExplainOutcome:
        name = name or f"{reference_node.GetName()} {result.method}"
        with scene_transaction(scene):
            add_perceptual_color_nodes(scene)
            map_nodes = []
            for map_name, image in result.maps.items():
                node = add_volume_node_from_image(scene, image, f"{name} {map_name}" if len(result.maps) > 1 else name)
                node.SetAttribute("MedImgAI.Explanation", json.dumps({"method": result.method, "map": map_name,
                                                                      "target_label": result.target_label}))
                self._style(node, image, uncertainty=result.method in ("tta", "mcdropout"))
                add_color_legend(scene, node, map_name)
                place_beside(scene, node, reference_node)
                map_nodes.append(node)
            table = add_table_node(scene, f"{name} table", _table_rows(result))
            place_beside(scene, table, reference_node)
        show_in_slice_views(scene, reference_node, map_nodes[0], MAP_OPACITY)
        return ExplainOutcome(map_nodes, table, result)

    def explain(self, scene, input_nodes: Mapping[str, object], model: str | LoadedModel | None, method: str,
                target_segment=None, **options) -> ExplainOutcome:
        """One call from the console. target_segment=(segmentation node, segment id) picks model and label."""
        target_label = options.pop("target_label", None)
        if target_segment is not None:
            segmentation_node, segment_id = target_segment
            if segmentation_node is None or not segmentation_node.IsA("vtkMRMLSegmentationNode"):
                raise InputError(None, "target_segment needs a segmentation node and a segment ID")
            segment = segmentation_node.GetSegmentation().GetSegment(segment_id)
            if segment is None:
                raise InputError(describe_node(segmentation_node), f"has no segment {segment_id!r}")
            target_label = segment.GetName()
            model = model or self.model_of(segmentation_node)
        if model is None:
            raise InputError(None, "give a model or a target segment made by a MedImgAI model")
        name = options.pop("name", None)
        result = self.compute(input_nodes, model, method, target_label, **options)
        reference = next(node for node in input_nodes.values() if node is not None)
        return self.apply(scene, result, reference, name)

    @staticmethod
    def snapshot(scene, outcome: ExplainOutcome, path, pictures=None):
        """A PNG of the main map over the image, with its colour legend, through the map's maximum: for
        per-modality attribution the map of the modality that mattered most, otherwise the first map. pictures: an
        open ScenePictures to draw with (faster for many pictures)."""
        from MedImgAILogic.scene_pictures import write_snapshot  # rendering loads only when used

        main = ExplainLogic.main_map_index(outcome)
        with _shown_as_foreground(scene, outcome.map_nodes[main]):
            return write_snapshot(scene, path, _maximum_ras(list(outcome.result.maps.values())[main]),
                                  pictures=pictures)

    @staticmethod
    def main_map_index(outcome: ExplainOutcome) -> int:
        """Which map pictures show: for per-modality attribution the modality with the largest share, else the
        first."""
        shares = outcome.result.table.get("modality_shares") or {}
        names = list(outcome.result.maps)
        if shares and len(names) == len(outcome.map_nodes):
            top = max(shares, key=shares.get)
            for index, name in enumerate(names):
                if name == top or name.endswith(f" {top}"):
                    return index
        return 0

    @staticmethod
    def _style(node, image: sitk.Image, uncertainty: bool) -> None:
        display = node.GetDisplayNode()
        values = sitk.GetArrayViewFromImage(image)
        low, high = float(np.percentile(values, 1)), float(values.max())
        if high <= low:
            high = low + 1.0
        display.SetAndObserveColorNodeID(UNCERTAINTY_COLORS if uncertainty else SALIENCY_COLORS)
        display.AutoWindowLevelOff()
        display.SetWindowLevelMinMax(low, high)
        display.SetApplyThreshold(True)
        display.SetLowerThreshold(low + 0.15 * (high - low))  # the faint rest would veil the image
