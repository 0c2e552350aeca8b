"""The shipped multimodal model and the sample case it is checked on."""

from __future__ import annotations

import pytest

from MedImgAILib.io import read_image
from MedImgAILib.models import load_model

MODEL_ID = "sts-gtv-ct-pet-mr"


@pytest.fixture(scope="module")
def the_shipped_model():
    return load_model(MODEL_ID)


@pytest.fixture
def the_sample_case(an_sts_nifti_case):
    """({input name: image}, CT-grid tumour mask) of STS_002."""
    images = {name: read_image(an_sts_nifti_case / f"{prefix}_image.nii.gz")
              for name, prefix in (("CT", "CT"), ("PET", "PET"), ("MR", "MR_T1"))}
    return images, read_image(an_sts_nifti_case / "CT_mask.nii.gz")
