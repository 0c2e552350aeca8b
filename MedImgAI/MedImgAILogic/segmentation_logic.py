"""Segmentation on the scene: input volume nodes in, a segmentation node (names, colours, terminology,
provenance) out. compute() reads the nodes and runs the model in this process; start() runs it in a worker
process (the panels); apply() changes the scene and must run on the main thread; segment() does both."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

from MedImgAILib.errors import InputError
from MedImgAILib.inference import PostProcessing, SegmentationResult, Segmenter
from MedImgAILib.inference.input_alignment import poorly_overlapping_inputs
from MedImgAILib.inference.model_input import check_inputs
from MedImgAILib.models import LoadedModel, ModelSpec, load_model, read_declaration
from MedImgAILib.runtime import CancelToken, ProgressCallback, no_progress
from MedImgAILib.worker import WorkerProcess, submit_segmentation
from MedImgAILogic.node_geometry import describe_node
from MedImgAILogic.roi_nodes import region_of_interest
from MedImgAILogic.scene_transaction import scene_transaction
from MedImgAILogic.segmentation_nodes import SegmentInfo, add_segmentation_node_from_labelmap
from MedImgAILogic.subject_hierarchy import place_beside
from MedImgAILogic.terminology import terminology_entry
from MedImgAILogic.transform_nodes import add_transform_node_from_sitk
from MedImgAILogic.volume_nodes import add_volume_node_from_image, image_from_volume_node, images_from_volume_nodes

__all__ = ["PROVENANCE_ATTRIBUTE", "SegmentationLogic", "SegmentationOutcome"]

PROVENANCE_ATTRIBUTE = "MedImgAI.Provenance"  # JSON: model id, version, weights SHA-256, parameters, device, runtime


@dataclass
class SegmentationOutcome:
    segmentation_node: object
    probability_node: object | None
    result: SegmentationResult
    transform_nodes: dict = field(default_factory=dict)  # {input name: transform node}, for aligned inputs


def _check_alignable(input_nodes: Mapping[str, object], align: Sequence[str]) -> None:
    for name in align:
        node = input_nodes.get(name)
        if node is not None and node.GetParentTransformNode() is not None:
            raise InputError(describe_node(node), "already has a parent transform; harden it before "
                                                  "registering it to the reference")


class SegmentationLogic:
    """Collaborators are injected so tests and the GUI can share one instance (SlicerNNUnet's pattern)."""

    def __init__(self, model_loader: Callable[..., LoadedModel] = load_model):
        self._load_model = model_loader

    def _loaded(self, model: str | LoadedModel, progress: ProgressCallback = no_progress,
                cancel: CancelToken | None = None) -> LoadedModel:
        return model if isinstance(model, LoadedModel) else self._load_model(model, progress=progress, cancel=cancel)

    @staticmethod
    def _images(input_nodes: Mapping[str, object], spec: ModelSpec) -> dict:
        missing = [name for name in spec.input_names if input_nodes.get(name) is None]
        if missing:
            raise InputError(None, f"model '{spec.id}' needs a volume for {', '.join(missing)} "
                                   f"(inputs: {', '.join(spec.input_names)})")
        return {name: image_from_volume_node(node) for name, node in input_nodes.items()}

    def poorly_overlapping_inputs(self, input_nodes: Mapping[str, object], model: str | LoadedModel) -> dict[str, float]:
        """{secondary input: shared fraction of the fields of view} for inputs that are probably not
        co-registered: the panel offers to register them first (compute(..., align=[...]))."""
        spec = model.spec if isinstance(model, LoadedModel) else read_declaration(model)  # no weights, no download
        images = self._images(input_nodes, spec)
        check_inputs(spec, images)
        return poorly_overlapping_inputs(spec, images)

    def compute(self, input_nodes: Mapping[str, object], model: str | LoadedModel, device: str = "auto",
                postprocessing: PostProcessing | None = None, probabilities: bool = False,
                progress: ProgressCallback = no_progress, cancel: CancelToken | None = None,
                align: Sequence[str] = (), roi=None, roi_margin_mm: float = 10.0) -> SegmentationResult:
        """Run the model on the nodes' images (read in world coordinates); changes nothing in the scene.

        align: secondary inputs to register rigidly to the reference first; apply() then puts each of these
        volume nodes under its new transform node, so they line up in the views as they did for the model.
        roi: a markups ROI node (or a MedImgAILib RegionOfInterest): the model runs only inside it, plus the margin.
        """
        _check_alignable(input_nodes, align)
        loaded = self._loaded(model, progress, cancel)
        images = self._images(input_nodes, loaded.spec)
        return Segmenter(loaded, device, postprocessing)(images, probabilities, progress, cancel, align=align,
                                                         roi=region_of_interest(roi, roi_margin_mm))

    @staticmethod
    def start(input_nodes: Mapping[str, object], model: str, device: str = "auto",
              postprocessing: PostProcessing | None = None, probabilities: bool = False, align: Sequence[str] = (),
              worker: WorkerProcess | None = None, roi=None, roi_margin_mm: float = 10.0) -> WorkerProcess:
        """compute() in a worker process, the panels' path: the nodes' images (world coordinates) are read now,
        on the main thread; poll the returned worker and apply() its result() when it is done."""
        _check_alignable(input_nodes, align)
        return submit_segmentation(images_from_volume_nodes(input_nodes), str(model), device, probabilities, align,
                                   postprocessing, worker=worker, roi=region_of_interest(roi, roi_margin_mm))

    def apply(self, scene, result: SegmentationResult, reference_node, name: str | None = None,
              input_nodes: Mapping[str, object] | None = None) -> SegmentationOutcome:
        """Add the result to the scene (main thread): all nodes or none. input_nodes is needed when the result
        has alignments (compute(..., align=...)): their volume nodes are placed under the new transforms."""
        if result.alignments and not input_nodes:
            raise InputError(None, "the result registered inputs to the reference; pass input_nodes to apply()")
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
            transform_nodes = {input_name: add_transform_node_from_sitk(
                scene, alignment.result.transform, f"{input_nodes[input_name].GetName()} to {reference_node.GetName()}")
                for input_name, alignment in result.alignments.items()}
        for input_name, transform_node in transform_nodes.items():
            input_nodes[input_name].SetAndObserveTransformNodeID(transform_node.GetID())
        return SegmentationOutcome(segmentation, probability_node, result, transform_nodes)

    @staticmethod
    def snapshot(scene, outcome: SegmentationOutcome, reference_node, path, three_d: bool = True, pictures=None):
        """A PNG of the result as Slicer shows it: reference_node in the axial, sagittal and coronal views through
        the segmentation's centre, its outline and fill, and (three_d) the 3D view with its surfaces. pictures: an
        open MedImgAILogic.scene_pictures.ScenePictures to draw with (faster for many pictures)."""
        from MedImgAILogic.scene_pictures import segment_centre, write_snapshot  # rendering loads only when used

        return write_snapshot(scene, path, segment_centre(outcome.segmentation_node), three_d,
                              layers=(reference_node, None), pictures=pictures)

    def segment(self, scene, input_nodes: Mapping[str, object], model: str | LoadedModel, **options) -> SegmentationOutcome:
        """compute() then apply(), for the Python console and headless use."""
        name = options.pop("name", None)
        result = self.compute(input_nodes, model, **options)
        reference = input_nodes[next(iter(result.provenance["inputs"]))]
        if reference is None:
            raise InputError(None, "no reference volume node")
        return self.apply(scene, result, reference, name, input_nodes)
