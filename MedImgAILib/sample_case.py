"""The bundled sample case (Resources/SampleData/STS_002) and any folder laid out like it.

A case folder holds ``<MODALITY>_image.<ext>`` files (CT, PET, MR_T1, ...) and optionally the reference
masks ``<MODALITY>_mask.<ext>``; DICOM sub-folders named after the modality work too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from MedImgAILib.errors import InputError
from MedImgAILib.io.image_files import IMAGE_FILE_SUFFIXES

__all__ = ["SampleCase", "bundled_sample_folder", "find_case"]

MODALITY_ORDER = ("CT", "PET", "MR_T1", "MR_T2", "FLAIR", "MR")


def bundled_sample_folder() -> Path:
    return Path(__file__).resolve().parents[1] / "Resources" / "SampleData" / "STS_002"


@dataclass(frozen=True)
class SampleCase:
    folder: Path
    images: dict[str, Path] = field(default_factory=dict)  # modality -> image file or DICOM folder
    masks: dict[str, Path] = field(default_factory=dict)  # modality -> reference mask


def _strip_suffix(name: str) -> str | None:
    for suffix in IMAGE_FILE_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return None


def _modality_sort_key(modality: str) -> tuple[int, str]:
    return (MODALITY_ORDER.index(modality) if modality in MODALITY_ORDER else len(MODALITY_ORDER), modality)


def find_case(folder: str | os.PathLike | None = None) -> SampleCase:
    """The case in folder (the bundled sample when None), modalities ordered CT, PET, MR..."""
    folder = Path(folder) if folder is not None else bundled_sample_folder()
    if not folder.is_dir():
        raise InputError(folder, "no such case folder (the bundled sample ships in Resources/SampleData)")
    images, masks = {}, {}
    for entry in sorted(folder.iterdir()):
        stem = _strip_suffix(entry.name) if entry.is_file() else entry.name
        if stem is None:
            continue
        if stem.endswith("_image"):
            images[stem[: -len("_image")]] = entry
        elif stem.endswith("_mask"):
            masks[stem[: -len("_mask")]] = entry
        elif entry.is_dir():
            images[stem] = entry
    if not images:
        raise InputError(folder, "holds no <MODALITY>_image files or modality DICOM folders")
    ordered = dict(sorted(images.items(), key=lambda item: _modality_sort_key(item[0])))
    return SampleCase(folder=folder, images=ordered, masks=masks)
