"""deepbet 1.0.2, the real third-party model in ../shared/models/deepbet, fetched through the catalog once."""

from __future__ import annotations

import pytest
from shared_data import shared_model_path

from MedImgAILib.models import load_catalog
from MedImgAILib.models.model_resolver import ensure_model_folder

DEEPBET_ID = "brain-extraction-deepbet"


@pytest.fixture(scope="session")
def the_deepbet_wheels():
    """The folder holding deepbet's published wheel: a local package source for pip (--find-links)."""
    return shared_model_path("deepbet")


@pytest.fixture(scope="session")
def the_deepbet_folder(the_deepbet_wheels, tmp_path_factory):
    """The catalog model brain-extraction-deepbet, downloaded (pip, no index) and verified into a fresh cache."""
    cache = tmp_path_factory.mktemp("model-cache")
    return ensure_model_folder(load_catalog()[DEEPBET_ID], cache=cache, find_links=the_deepbet_wheels)
