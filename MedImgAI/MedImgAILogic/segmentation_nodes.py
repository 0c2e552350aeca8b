"""Labelmap images <-> segmentation nodes, keeping segment names and colours."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import SimpleITK as sitk
import slicer
import vtk
from vtk.util import numpy_support

from MedImgAILib.errors import InputError
from MedImgAILib.geometry import image_from_array_and_matrix, ras_to_lps_matrix
from MedImgAILogic.node_geometry import describe_node, local_to_world_matrix, world_ijk_to_ras_matrix
from MedImgAILogic.scene_transaction import scene_transaction
from MedImgAILogic.segmentation_converters import register_segmentation_converters
from MedImgAILogic.volume_nodes import ijk_to_ras_matrix

__all__ = ["SegmentInfo", "add_segmentation_node_from_labelmap", "labelmap_from_segmentation_node"]

register_segmentation_converters()  # before any segmentation is made here: each copies the rules it finds

TERMINOLOGY_TAG = "TerminologyEntry"  # the segment tag Slicer's terminology widgets read
INTEGER_PIXEL_TYPES = (sitk.sitkUInt8, sitk.sitkInt8, sitk.sitkUInt16, sitk.sitkInt16, sitk.sitkUInt32, sitk.sitkInt32)


@dataclass(frozen=True)
class SegmentInfo:
    """What a label value means: the segment's name and display colour (RGB, 0-1)."""

    label_value: int
    name: str
    color: tuple[float, float, float] = (0.9, 0.3, 0.2)
    terminology: str | None = None  # Slicer's serialised terminology entry (see terminology.py)


def _oriented_image(array_kji: np.ndarray, ijk_to_ras: np.ndarray) -> "slicer.vtkOrientedImageData":
    image = slicer.vtkOrientedImageData()
    image.SetDimensions(array_kji.shape[2], array_kji.shape[1], array_kji.shape[0])
    scalars = numpy_support.numpy_to_vtk(np.ascontiguousarray(array_kji).ravel(), deep=True)
    image.GetPointData().SetScalars(scalars)
    image.SetImageToWorldMatrix(slicer.util.vtkMatrixFromArray(ijk_to_ras))
    return image


def _geometry_only(size_ijk: Sequence[int], ijk_to_ras: np.ndarray) -> "slicer.vtkOrientedImageData":
    geometry = slicer.vtkOrientedImageData()
    geometry.SetDimensions(*[int(n) for n in size_ijk])
    geometry.SetImageToWorldMatrix(slicer.util.vtkMatrixFromArray(ijk_to_ras))
    return geometry


def add_segmentation_node_from_labelmap(
    scene,
    labelmap: sitk.Image,
    segments: Sequence[SegmentInfo],
    name: str = "Segmentation",
    reference_volume_node=None,
):
    """Add a segmentation node with one segment per SegmentInfo (empty segments included).

    Voxels whose value has no SegmentInfo raise InputError. The reference geometry is the reference volume's
    when given, else the labelmap's own grid. The scene is unchanged if this fails.
    """
    if labelmap.GetPixelID() not in INTEGER_PIXEL_TYPES or labelmap.GetDimension() != 3:
        raise InputError(name, f"a 3D integer labelmap is needed, not {labelmap.GetPixelIDTypeAsString()}")
    by_value = {info.label_value: info for info in segments}
    if len(by_value) != len(segments) or 0 in by_value:
        raise InputError(name, "segment label values must be unique and non-zero")
    array = sitk.GetArrayViewFromImage(labelmap)
    present = set(np.unique(array).tolist()) - {0}
    unknown = sorted(present - set(by_value))
    if unknown:
        raise InputError(name, f"the labelmap holds values {unknown} that no segment describes")
    oriented = _oriented_image(array, ijk_to_ras_matrix(labelmap))
    node = slicer.vtkMRMLSegmentationNode()
    node.SetName(name)
    with scene_transaction(scene):
        scene.AddNode(node)
        node.CreateDefaultDisplayNodes()
        if reference_volume_node is not None:
            node.SetReferenceImageGeometryParameterFromVolumeNode(reference_volume_node)
        else:
            converter = slicer.vtkSegmentationConverter
            node.GetSegmentation().SetConversionParameter(
                converter.GetReferenceImageGeometryParameterName(), converter.SerializeImageGeometry(oriented)
            )
        if present and not slicer.vtkSlicerSegmentationsModuleLogic.ImportLabelmapToSegmentationNode(oriented, node):
            raise InputError(name, "Slicer could not import the labelmap")
        segmentation = node.GetSegmentation()
        imported = {segmentation.GetNthSegment(i).GetLabelValue(): segmentation.GetNthSegmentID(i)
                    for i in range(segmentation.GetNumberOfSegments())}
        for info in sorted(segments, key=lambda s: s.label_value):
            if info.label_value in imported:
                segment = segmentation.GetSegment(imported[info.label_value])
                segment.SetName(info.name)
                segment.SetColor(*info.color)
            else:
                segment = segmentation.GetSegment(segmentation.AddEmptySegment("", info.name, list(info.color)))
            if info.terminology:
                segment.SetTag(TERMINOLOGY_TAG, info.terminology)
    return node


def _with_binary_labelmaps(segmentation_node):
    """The node itself when its segments have binary labelmaps; otherwise (an RTSTRUCT or closed-surface import)
    a copy outside the scene, converted with Slicer's conversion rules, so the user's node stays as it was."""
    binary = slicer.vtkSegmentationConverter.GetSegmentationBinaryLabelmapRepresentationName()
    if segmentation_node.GetSegmentation().ContainsRepresentation(binary):
        return segmentation_node
    converted = slicer.vtkMRMLSegmentationNode()
    converted.GetSegmentation().DeepCopy(segmentation_node.GetSegmentation())
    if not converted.GetSegmentation().CreateRepresentation(binary):
        source = segmentation_node.GetSegmentation().GetSourceRepresentationName()
        raise InputError(describe_node(segmentation_node), f"its segments ({source}) cannot be converted to a binary "
                                                           "labelmap (no conversion rule for it)")
    return converted


def labelmap_from_segmentation_node(segmentation_node, reference=None) -> tuple[sitk.Image, list[SegmentInfo]]:
    """Merge all segments into one labelmap on a reference grid, with the legend of label values.

    reference: a volume node or a SimpleITK image (world LPS) whose grid the labelmap takes; None means the
    segmentation's own reference geometry. Linear parent transforms of the segmentation (and of a reference
    volume node) are taken into account, so the labelmap lies where Slicer shows the segments.
    """
    if segmentation_node is None or not segmentation_node.IsA("vtkMRMLSegmentationNode"):
        raise InputError(None if segmentation_node is None else describe_node(segmentation_node),
                         "is not a segmentation node")
    segmentation = segmentation_node.GetSegmentation()
    count = segmentation.GetNumberOfSegments()
    if count == 0:
        raise InputError(describe_node(segmentation_node), "has no segments")
    segment_ids = [segmentation.GetNthSegmentID(i) for i in range(count)]
    values = [segmentation.GetSegment(s).GetLabelValue() for s in segment_ids]
    if len(set(values)) != count or min(values) < 1:
        values = list(range(1, count + 1))  # overlapping layers reuse values: renumber in segment order
    world_from_local = local_to_world_matrix(segmentation_node)
    if reference is None:
        geometry = slicer.vtkOrientedImageData()
        converter = slicer.vtkSegmentationConverter
        geometry_string = segmentation.GetConversionParameter(converter.GetReferenceImageGeometryParameterName())
        if not geometry_string:
            raise InputError(describe_node(segmentation_node), "has no reference geometry; give a reference")
        converter.DeserializeImageGeometry(geometry_string, geometry)
        local_matrix = vtk.vtkMatrix4x4()
        geometry.GetImageToWorldMatrix(local_matrix)
        world_ijk_to_ras = world_from_local @ slicer.util.arrayFromVTKMatrix(local_matrix)
        extent = geometry.GetExtent()
        size = [extent[1] - extent[0] + 1, extent[3] - extent[2] + 1, extent[5] - extent[4] + 1]
        if extent[0] or extent[2] or extent[4]:
            world_ijk_to_ras = world_ijk_to_ras.copy()
            world_ijk_to_ras[:3, 3] = (world_ijk_to_ras @ [extent[0], extent[2], extent[4], 1])[:3]
    elif isinstance(reference, sitk.Image):
        world_ijk_to_ras, size = ijk_to_ras_matrix(reference), reference.GetSize()
    else:
        world_ijk_to_ras = world_ijk_to_ras_matrix(reference)
        size = reference.GetImageData().GetDimensions() if reference.GetImageData() else None
        if not size:
            raise InputError(describe_node(reference), "has no image data to take a grid from")
    local_geometry = _geometry_only(size, np.linalg.inv(world_from_local) @ world_ijk_to_ras)
    merged = slicer.vtkOrientedImageData()
    id_array, value_array = vtk.vtkStringArray(), vtk.vtkIntArray()
    for segment_id, value in zip(segment_ids, values):
        id_array.InsertNextValue(segment_id)
        value_array.InsertNextValue(value)
    if not _with_binary_labelmaps(segmentation_node).GenerateMergedLabelmapForAllSegments(
        merged, slicer.vtkSegmentation.EXTENT_REFERENCE_GEOMETRY, local_geometry, id_array, value_array
    ):
        raise InputError(describe_node(segmentation_node), "its segments could not be merged into a labelmap")
    dimensions = merged.GetDimensions()
    if tuple(dimensions) != tuple(size) or merged.GetExtent()[::2] != (0, 0, 0):
        raise InputError(describe_node(segmentation_node), "merged labelmap does not cover the reference grid")
    array = numpy_support.vtk_to_numpy(merged.GetPointData().GetScalars()).reshape(dimensions[::-1])
    dtype = np.uint8 if max(values) < 256 else np.uint16
    image = image_from_array_and_matrix(array.astype(dtype), ras_to_lps_matrix(world_ijk_to_ras))
    legend = []
    for segment_id, value in zip(segment_ids, values):
        segment = segmentation.GetSegment(segment_id)
        terminology = vtk.reference("")
        found = segment.GetTag(TERMINOLOGY_TAG, terminology)
        legend.append(SegmentInfo(value, segment.GetName(), tuple(segment.GetColor()), str(terminology) if found else None))
    return image, legend
