"""Checkerboard and absolute-difference volumes of a fixed volume and a registered moving volume."""

from __future__ import annotations

import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.registration import absolute_difference, checkerboard, resample_to_fixed
from MedImgAILogic.scene_transaction import scene_transaction
from MedImgAILogic.slice_views import show_alone
from MedImgAILogic.volume_nodes import add_volume_node_from_image, image_from_volume_node

__all__ = ["DISPLAY_KINDS", "add_display_volume"]

DISPLAY_KINDS = {"checkerboard": checkerboard, "difference": absolute_difference}


def add_display_volume(scene, kind: str, fixed_node, moving_node):
    """A new volume node on the fixed grid, shown alone in the slice views.

    Both volumes are read in world coordinates, so the moving one is seen through its registration transform
    (the transform node it was placed under): the volume shows how well the registration lines them up.
    """
    if kind not in DISPLAY_KINDS:
        raise InputError(None, f"unknown display volume {kind!r}; choose {' or '.join(DISPLAY_KINDS)}")
    if fixed_node is None or moving_node is None:
        raise InputError(None, "a fixed and a moving volume node are needed")
    fixed = image_from_volume_node(fixed_node)
    moving = resample_to_fixed(image_from_volume_node(moving_node), fixed, sitk.Transform())
    image = DISPLAY_KINDS[kind](fixed, moving)
    with scene_transaction(scene):
        node = add_volume_node_from_image(scene, image, f"{moving_node.GetName()} {kind}")
    show_alone(scene, node)
    return node
