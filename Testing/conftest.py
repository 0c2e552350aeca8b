"""Shared fixtures: the project's real data in ../shared/data, and small images with awkward geometry."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))

from rotations import rotation_matrix  # noqa: E402  (needs the support path)
from shared_data import shared_path  # noqa: E402


@pytest.fixture
def a_sts_dicom_case() -> Path:
    return shared_path("sts-dicom", "STS_002")


@pytest.fixture
def an_sts_nifti_case() -> Path:
    return shared_path("sts-multimodal", "STS_002")


@pytest.fixture
def an_oblique_image() -> sitk.Image:
    """Oblique (rotated about a skew axis), anisotropic, non-zero origin, non-cubic, with unique voxel values."""
    array = np.arange(7 * 9 * 11, dtype=np.float32).reshape(7, 9, 11) * 0.5 - 100.0
    image = sitk.GetImageFromArray(array)
    image.SetSpacing((0.7, 1.3, 2.9))
    image.SetOrigin((-12.5, 33.1, 101.7))
    image.SetDirection(tuple(rotation_matrix((1, 2, 3), 27.0).ravel()))
    return image


@pytest.fixture
def an_oblique_labelmap(an_oblique_image) -> sitk.Image:
    """Three labels (a block, a slab, a single voxel) on the oblique grid."""
    labels = np.zeros((7, 9, 11), dtype=np.uint8)
    labels[1:4, 2:6, 3:8] = 1
    labels[5, :, :] = 2
    labels[0, 0, 10] = 3
    image = sitk.GetImageFromArray(labels)
    image.CopyInformation(an_oblique_image)
    return image
