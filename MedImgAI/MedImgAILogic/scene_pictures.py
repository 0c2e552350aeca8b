"""The scene rendered to pictures the way Slicer shows it: the three slice views (axial, sagittal, coronal
through one point) and optionally the 3D view, offscreen, headless.

The views show what the logic set up: the layers of the scene's main slice view (its slice composite node:
background, foreground and label volumes, opacity), each volume's display node (window/level, colour table,
threshold), segmentations with their outline and fill settings, colour legends. The views' own nodes are
added under names of their own (Slicer's views in the application are not touched) and removed on close().

    with ScenePictures(scene) as pictures:
        pictures.snapshot("case.png", three_d=True)
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np

from MedImgAILogic.picture_files import one_above_other, side_by_side, write_png
from MedImgAILogic.slice_view_picture import OffscreenSliceView, SliceViewPicture
from MedImgAILogic.slice_views import PICTURE_VIEW_PREFIX as VIEW_PREFIX, main_composite_node
from MedImgAILogic.threed_view_picture import OffscreenThreeDView
from MedImgAILogic.view_application import ViewApplication

__all__ = ["SLICE_VIEWS", "ScenePictures", "default_point", "segment_centre", "write_before_after", "write_snapshot"]

# Slicer's conventional views: Red axial, Yellow sagittal, Green coronal.
SLICE_VIEWS = (("Red", "Axial"), ("Yellow", "Sagittal"), ("Green", "Coronal"))
_LAYERS = ("BackgroundVolumeID", "ForegroundVolumeID", "LabelVolumeID", "ForegroundOpacity", "LabelOpacity")


def _visible_segmentations(scene) -> list:
    nodes = [scene.GetNthNodeByClass(i, "vtkMRMLSegmentationNode")
             for i in range(scene.GetNumberOfNodesByClass("vtkMRMLSegmentationNode"))]
    return [node for node in nodes if node.GetDisplayNode() is not None and node.GetDisplayNode().GetVisibility()
            and node.GetSegmentation().GetNumberOfSegments() > 0]


def _first_volume(scene):
    for index in range(scene.GetNumberOfNodesByClass("vtkMRMLScalarVolumeNode")):
        node = scene.GetNthNodeByClass(index, "vtkMRMLScalarVolumeNode")
        if not node.IsA("vtkMRMLLabelMapVolumeNode") and node.GetImageData() is not None:
            return node
    return None


@contextlib.contextmanager
def _layer_change(composite_node):
    """Change a view's layers as Slicer's slice controller does: flagged as a layer change, so that the colour
    legend's displayable manager makes and shows the legends of the volumes now in the view."""
    flags = (composite_node.BackgroundVolumeFlag | composite_node.ForegroundVolumeFlag
             | composite_node.LabelVolumeFlag)
    composite_node.SetInteractionFlags(flags)
    try:
        yield composite_node
        composite_node.Modified()
    finally:
        composite_node.SetInteractionFlags(0)


def _let_displayable_managers_find_their_views(scene) -> None:
    """Displayable managers look up their view's slice composite node when the scene ends a batch process
    (the colour legend's manager shows a legend only in views whose layers show its volume)."""
    scene.StartState(scene.BatchProcessState)
    scene.EndState(scene.BatchProcessState)


def segment_centre(segmentation_node) -> np.ndarray | None:
    """The RAS centre of the first non-empty segment of a segmentation node; None if all are empty."""
    segmentation = segmentation_node.GetSegmentation()
    for index in range(segmentation.GetNumberOfSegments()):
        centre = segmentation_node.GetSegmentCenterRAS(segmentation.GetNthSegmentID(index))
        if centre is not None:
            return np.array(centre, dtype=float)
    return None


def default_point(scene, background_node=None) -> np.ndarray:
    """The centre of the first segment of the first visible segmentation; else the background volume's centre."""
    for segmentation in _visible_segmentations(scene):
        centre = segment_centre(segmentation)
        if centre is not None:
            return centre
    node = background_node or _first_volume(scene)
    if node is None:
        return np.zeros(3)
    bounds = [0.0] * 6
    node.GetRASBounds(bounds)
    return np.array([(bounds[0] + bounds[1]) / 2, (bounds[2] + bounds[3]) / 2, (bounds[4] + bounds[5]) / 2])


class ScenePictures:
    """Offscreen slice views (and a 3D view on demand) of one scene; use as a context manager."""

    def __init__(self, scene, size: tuple[int, int] = (384, 384)):
        self.scene = scene
        self.size = size
        self.application = ViewApplication(scene)
        self.slice_views = [OffscreenSliceView(self.application, VIEW_PREFIX + name, orientation, size)
                            for name, orientation in SLICE_VIEWS]
        self._threed_view = None
        _let_displayable_managers_find_their_views(scene)

    def __enter__(self) -> "ScenePictures":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _show_main_layers(self) -> None:
        """Our views show what the scene's main slice view shows; with none, its first volume."""
        main = main_composite_node(self.scene)
        for view in self.slice_views:
            with _layer_change(view.composite_node) as composite:
                if main is not None:
                    for layer in _LAYERS:
                        getattr(composite, f"Set{layer}")(getattr(main, f"Get{layer}")())
                elif composite.GetBackgroundVolumeID() is None:
                    volume = _first_volume(self.scene)
                    composite.SetBackgroundVolumeID(volume.GetID() if volume is not None else None)

    def background_node(self):
        return self.scene.GetNodeByID(self.slice_views[0].composite_node.GetBackgroundVolumeID() or "")

    def render_slices(self, point_ras=None, layers: tuple | None = None) -> list[SliceViewPicture]:
        """The axial, sagittal and coronal views through point_ras (default: default_point()).

        layers=(background node, foreground node or None) shows these instead of the main view's volumes, in
        these pictures only (the scene's own views are left as they are).
        """
        self._show_main_layers()
        if layers is not None:
            background, foreground = layers
            for view in self.slice_views:
                with _layer_change(view.composite_node) as composite:
                    composite.SetBackgroundVolumeID(background.GetID() if background is not None else None)
                    composite.SetForegroundVolumeID(foreground.GetID() if foreground is not None else None)
        point = default_point(self.scene, self.background_node()) if point_ras is None else np.asarray(point_ras)
        return [view.render(point) for view in self.slice_views]

    def render_3d(self) -> np.ndarray:
        """The 3D view: visible segmentations as surfaces, the background volume volume-rendered."""
        self._show_main_layers()
        if self._threed_view is None:
            self._threed_view = OffscreenThreeDView(self.application, VIEW_PREFIX + "1", self.size)
        segmentations = _visible_segmentations(self.scene)
        self._threed_view.show_segments(segmentations)
        background = self.background_node()
        if background is not None:
            self._threed_view.show_volume(background)
        return self._threed_view.render([*segmentations, *([background] if background is not None else [])])

    def snapshot(self, path: str | os.PathLike, point_ras=None, three_d: bool = False,
                 layers: tuple | None = None) -> Path:
        """One PNG: axial, sagittal, coronal (and 3D) side by side; written atomically."""
        pictures = [picture.pixels for picture in self.render_slices(point_ras, layers)]
        if three_d:
            pictures.append(self.render_3d())
        return write_png(side_by_side(pictures), path)

    def close(self) -> None:
        for view in [*self.slice_views, *([self._threed_view] if self._threed_view else [])]:
            view.close()
        self.slice_views, self._threed_view = [], None
        self.application.close()


@contextlib.contextmanager
def _pictures_of(scene, size, pictures: "ScenePictures | None"):
    """The given open ScenePictures (a caller taking many pictures keeps one), else one for this picture only."""
    if pictures is not None:
        yield pictures
    else:
        with ScenePictures(scene, size) as own:
            yield own


def write_snapshot(scene, path: str | os.PathLike, point_ras=None, three_d: bool = False,
                   size: tuple[int, int] = (384, 384), layers: tuple | None = None,
                   pictures: ScenePictures | None = None) -> Path:
    """The scene as one PNG (see ScenePictures.snapshot), for the console and the command line."""
    with _pictures_of(scene, size, pictures) as views:
        return views.snapshot(path, point_ras, three_d, layers)


def write_before_after(scene, path: str | os.PathLike, moving_node, point_ras=None,
                       size: tuple[int, int] = (384, 384), pictures: ScenePictures | None = None) -> Path:
    """Two rows in one PNG: above, the main view's layers with moving_node as it was before registration (its
    parent transform left out) in front; below, the views as the scene shows them now."""
    with _pictures_of(scene, size, pictures) as views:
        after = views.render_slices(point_ras)
        background = views.background_node()
        parent_id = moving_node.GetTransformNodeID()
        moving_node.SetAndObserveTransformNodeID(None)
        try:
            before = views.render_slices(point_ras, layers=(background, moving_node))
        finally:
            moving_node.SetAndObserveTransformNodeID(parent_id)
    rows = [side_by_side([picture.pixels for picture in row]) for row in (before, after)]
    return write_png(one_above_other(rows), path)
