"""Segmentation on the scene: input volume nodes in, a segmentation node (names, colours, terminology,
provenance) out. compute() touches no node and can run on a worker thread; apply() changes the scene and
must run on the main thread; segment() does both."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable, Mapping

from MedImgAILib.errors import InputError
from MedImgAILib.inference import PostProcessing, SegmentationResult, Segmenter
from MedImgAILib.models import LoadedModel, load_model
from MedImgAILib.runtime import CancelToken, ProgressCallback, no_progress
from MedImgAILogic.scene_transaction import scene_transaction
from MedImgAILogic.segmentation_nodes import SegmentInfo, add_segmentation_node_from_labelmap
from MedImgAILogic.subject_hierarchy import place_beside
from MedImgAILogic.terminology import terminology_entry
from MedImgAILogic.volume_nodes import add_volume_node_from_image, image_from_volume_node

__all__ = ["PROVENANCE_ATTRIBUTE", "SegmentationLogic", "SegmentationOutcome"]

PROVENANCE_ATTRIBUTE = "MedImgAI.Provenance"  # JSON: model id, version, weights SHA-256, parameters, device, runtime


@dataclass
class SegmentationOutcome:
    segmentation_node: object
    probability_node: object | None
    result: SegmentationResult


class SegmentationLogic:
    """Collaborators are injected so tests and the GUI can share one instance (SlicerNNUnet's pattern)."""

    def __init__(self, model_loader: Callable[..., LoadedModel] = load_model):
        self._load_model = model_loader

    def compute(self, input_nodes: Mapping[str, object], model: str | LoadedModel, device: str = "auto",
                postprocessing: PostProcessing | None = None, probabilities: bool = False,
                progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> SegmentationResult:
        """Run the model on the nodes' images (read in world coordinates); changes nothing in the scene."""
        loaded = model if isinstance(model, LoadedModel) else self._load_model(model, progress=progress, cancel=cancel)
        missing = [name for name in loaded.spec.input_names if input_nodes.get(name) is None]
        if missing:
            raise InputError(None, f"model '{loaded.spec.id}' needs a volume for {', '.join(missing)} "
                                   f"(inputs: {', '.join(loaded.spec.input_names)})")
        images = {name: image_from_volume_node(node) for name, node in input_nodes.items()}
        return Segmenter(loaded, device, postprocessing)(images, probabilities, progress, cancel)

    def apply(self, scene, result: SegmentationResult, reference_node, name: str | None = None) -> SegmentationOutcome:
        """Add the result to the scene (main thread): all nodes or none."""
        name = name or f"{reference_node.GetName()} {result.provenance.get('model_id', 'segmentation')}"
        segments = [SegmentInfo(label.value, label.name, label.color, terminology_entry(label)) for label in result.labels]
        # The labelmap is in world coordinates; a transformed reference's own grid would not match it.
        geometry_node = reference_node if reference_node.GetParentTransformNode() is None else None
        with scene_transaction(scene):
            segmentation = add_segmentation_node_from_labelmap(scene, result.labelmap, segments, name, geometry_node)
            segmentation.SetAttribute(PROVENANCE_ATTRIBUTE, json.dumps(result.provenance, sort_keys=True))
            place_beside(scene, segmentation, reference_node)
            probability_node = None
            if result.probabilities is not None:
                probability_node = add_volume_node_from_image(scene, result.probabilities, f"{name} probability")
                place_beside(scene, probability_node, reference_node)
        return SegmentationOutcome(segmentation, probability_node, result)

    def segment(self, scene, input_nodes: Mapping[str, object], model: str | LoadedModel, **options) -> SegmentationOutcome:
        """compute() then apply(), for the Python console and headless use."""
        name = options.pop("name", None)
        result = self.compute(input_nodes, model, **options)
        reference = input_nodes[next(iter(result.provenance["inputs"]))]
        if reference is None:
            raise InputError(None, "no reference volume node")
        return self.apply(scene, result, reference, name)
