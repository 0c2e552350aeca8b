"""The project's real imaging data, in ../shared/data beside the repository."""

from pathlib import Path

import pytest

__all__ = ["SHARED_DATA", "SHARED_MODELS", "shared_model_path", "shared_path"]

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def shared_path(*parts: str) -> Path:
    """A path under ../shared/data; the test is skipped, with the reason, if it is missing."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


SHARED_MODELS = SHARED_DATA.parent / "models"


def shared_model_path(*parts: str) -> Path:
    """A path under ../shared/models; the test is skipped, with the reason, if it is missing."""
    path = SHARED_MODELS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared models not available: {path}")
    return path
