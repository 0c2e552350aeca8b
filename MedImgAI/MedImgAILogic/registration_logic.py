"""Registration on the scene: fixed and moving volume nodes in; a transform node (linear or deformable) that
aligns the moving volume when placed under it, an optional resampled volume, and a fused view out.

compute() reads nodes and touches nothing; start() runs it in a worker process (the panels); apply() changes
the scene (main thread)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.registration import PET_OVERLAY, RegistrationResult, register, resample_to_fixed
from MedImgAILib.runtime import CancelToken, ProgressCallback, no_progress
from MedImgAILib.worker import WorkerProcess, submit_registration
from MedImgAILogic.node_geometry import describe_node
from MedImgAILogic.scene_transaction import scene_transaction
from MedImgAILogic.segmentation_nodes import labelmap_from_segmentation_node
from MedImgAILogic.slice_views import show_in_slice_views
from MedImgAILogic.transform_files import add_transform_node_from_file_transform
from MedImgAILogic.transform_nodes import add_transform_node_from_sitk
from MedImgAILogic.volume_nodes import add_volume_node_from_image, image_from_volume_node

__all__ = ["RegistrationLogic", "RegistrationOutcome", "markups_points_lps"]

PET_COLOR_NODE = "vtkMRMLPETProceduralColorNodePET-Heat"


@dataclass
class RegistrationOutcome:
    transform_node: object
    resampled_node: object | None
    result: RegistrationResult


def markups_points_lps(markups_node) -> np.ndarray:
    """World control points of a markups node, in LPS millimetres."""
    points = []
    for index in range(markups_node.GetNumberOfControlPoints()):
        ras = [0.0, 0.0, 0.0]
        markups_node.GetNthControlPointPositionWorld(index, ras)
        points.append([-ras[0], -ras[1], ras[2]])
    return np.array(points)


def _mask_image(mask_node, reference: sitk.Image) -> sitk.Image | None:
    if mask_node is None:
        return None
    if mask_node.IsA("vtkMRMLSegmentationNode"):
        return labelmap_from_segmentation_node(mask_node, reference)[0]
    mask = image_from_volume_node(mask_node)
    return sitk.Resample(mask, reference, sitk.Transform(), sitk.sitkNearestNeighbor, 0, mask.GetPixelID())


def _structure_image(node) -> sitk.Image | None:
    """A structure on its own grid: a segmentation node (all its segments) or a labelmap volume node."""
    if node is None:
        return None
    if node.IsA("vtkMRMLSegmentationNode"):
        return labelmap_from_segmentation_node(node)[0]
    return image_from_volume_node(node)


def _is_pet(node) -> bool:
    modality = (node.GetAttribute("DICOM.Modality") or "").upper()
    return modality == "PT" or "PET" in node.GetName().upper()


class RegistrationLogic:
    def compute(self, fixed_node, moving_node, preset: str = "generic-rigid", fixed_mask_node=None,
                moving_mask_node=None, fixed_landmarks_node=None, moving_landmarks_node=None,
                initialization: str | None = None, fixed_structure_node=None, moving_structure_node=None,
                progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> RegistrationResult:
        """Register in world coordinates (parent transforms of the inputs included).

        The structure nodes (segmentation or labelmap volume nodes, the same structure on each image) are what
        the structure-guided presets align.
        """
        arguments = self._register_arguments(fixed_node, moving_node, fixed_mask_node, moving_mask_node,
                                             fixed_landmarks_node, moving_landmarks_node, fixed_structure_node,
                                             moving_structure_node)
        return register(preset=preset, initialization=initialization, progress=progress, cancel=cancel, **arguments)

    def start(self, fixed_node, moving_node, preset: str = "generic-rigid", fixed_mask_node=None,
              moving_mask_node=None, fixed_landmarks_node=None, moving_landmarks_node=None,
              initialization: str | None = None, fixed_structure_node=None, moving_structure_node=None,
              worker: WorkerProcess | None = None) -> WorkerProcess:
        """compute() in a worker process, the panels' path: the nodes are read now, on the main thread; poll the
        returned worker and apply() its result() when it is done."""
        arguments = self._register_arguments(fixed_node, moving_node, fixed_mask_node, moving_mask_node,
                                             fixed_landmarks_node, moving_landmarks_node, fixed_structure_node,
                                             moving_structure_node)
        return submit_registration(preset=preset, initialization=initialization, worker=worker, **arguments)

    @staticmethod
    def _register_arguments(fixed_node, moving_node, fixed_mask_node, moving_mask_node, fixed_landmarks_node,
                            moving_landmarks_node, fixed_structure_node, moving_structure_node) -> dict:
        """The images, masks, landmarks and structures of register(), read from the nodes (main thread)."""
        if fixed_node is None or moving_node is None:
            raise InputError(None, "a fixed and a moving volume node are needed")
        if fixed_node is moving_node:
            raise InputError(describe_node(fixed_node), "is both the fixed and the moving volume")
        fixed, moving = image_from_volume_node(fixed_node), image_from_volume_node(moving_node)
        landmarks = None
        if (fixed_landmarks_node is None) != (moving_landmarks_node is None):
            raise InputError(None, "landmarks need both a fixed and a moving markups node")
        if fixed_landmarks_node is not None:
            landmarks = (markups_points_lps(fixed_landmarks_node), markups_points_lps(moving_landmarks_node))
            if len(landmarks[0]) != len(landmarks[1]):
                raise InputError(describe_node(moving_landmarks_node), "has a different number of points than the "
                                                                       "fixed landmarks")
        structures = None
        if fixed_structure_node is not None or moving_structure_node is not None:
            structures = (_structure_image(fixed_structure_node), _structure_image(moving_structure_node))
        return {"fixed": fixed, "moving": moving, "fixed_mask": _mask_image(fixed_mask_node, fixed),
                "moving_mask": _mask_image(moving_mask_node, moving), "landmarks": landmarks,
                "structures": structures}

    def apply(self, scene, result: RegistrationResult, fixed_node, moving_node, resample: bool = False,
              place_moving_under_transform: bool = True, name: str | None = None) -> RegistrationOutcome:
        name = name or f"{moving_node.GetName()} to {fixed_node.GetName()}"
        if moving_node.GetParentTransformNode() is not None and place_moving_under_transform:
            raise InputError(describe_node(moving_node), "already has a parent transform; harden it first or "
                                                         "register without placing it under the result")
        with scene_transaction(scene):
            if result.transform.IsLinear():
                transform_node = add_transform_node_from_sitk(scene, result.transform, name)
            else:
                transform_node = add_transform_node_from_file_transform(scene, result.transform, name)
            resampled_node = None
            if resample:
                resampled = resample_to_fixed(image_from_volume_node(moving_node), image_from_volume_node(fixed_node),
                                              result.transform)
                resampled_node = add_volume_node_from_image(scene, resampled, f"{moving_node.GetName()} registered")
        if place_moving_under_transform:
            moving_node.SetAndObserveTransformNodeID(transform_node.GetID())
        self.show_fused(scene, fixed_node, resampled_node or moving_node)
        return RegistrationOutcome(transform_node, resampled_node, result)

    def register(self, scene, fixed_node, moving_node, preset: str = "generic-rigid", resample: bool = False,
                 **options) -> RegistrationOutcome:
        """compute() then apply(): one call from the Python console."""
        name = options.pop("name", None)
        result = self.compute(fixed_node, moving_node, preset, **options)
        return self.apply(scene, result, fixed_node, moving_node, resample, name=name)

    @staticmethod
    def snapshot(scene, moving_node, path, point_ras=None, pictures=None):
        """A PNG of the fused views before (above: moving_node without its registration transform) and after
        registration (below: as the scene shows it now), through point_ras (default: the first segment's centre,
        else the fixed volume's). pictures: an open ScenePictures to draw with (faster for many pictures)."""
        from MedImgAILogic.scene_pictures import write_before_after  # rendering loads only when used

        return write_before_after(scene, path, moving_node, point_ras, pictures=pictures)

    @staticmethod
    def show_fused(scene, fixed_node, moving_node, opacity: float = 0.5) -> None:
        """Fixed as background, moving as foreground in every slice view; PET gets its colour map and window."""
        show_in_slice_views(scene, fixed_node, moving_node, PET_OVERLAY.opacity if _is_pet(moving_node) else opacity)
        display = moving_node.GetDisplayNode()
        if display is not None and _is_pet(moving_node):
            display.SetAndObserveColorNodeID(PET_COLOR_NODE)
            display.AutoWindowLevelOff()
            display.SetWindowLevelMinMax(*PET_OVERLAY.window)
            display.SetApplyThreshold(True)
            display.SetLowerThreshold(PET_OVERLAY.threshold)
