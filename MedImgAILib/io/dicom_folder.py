"""Find the DICOM files under a folder and group them into series (by SeriesInstanceUID).

Files that are not DICOM are skipped silently; files that claim to be DICOM (the "DICM" marker) but cannot be
read are left out with a warning naming them; files whose SeriesInstanceUID was blanked (by an anonymiser) form
one series of their own, read like any other when its geometry is consistent.
"""

from __future__ import annotations

import os
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from pydicom.errors import InvalidDicomError

from MedImgAILib.errors import InputError

__all__ = ["BLANK_SERIES_UID", "DicomSeriesSummary", "NON_IMAGE_SOP_CLASSES", "is_non_image_sop_class",
           "scan_dicom_folder"]

#: What a series of files without SeriesInstanceUID is listed as (and can be chosen by with --series).
BLANK_SERIES_UID = "(no SeriesInstanceUID)"

#: Elements larger than this (pixel data) are read from the file only when used.
DEFER_SIZE = "64 KB"

#: Storage classes that carry no volume image even when they hold pixel-like data.
NON_IMAGE_SOP_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.481.3": "RT Structure Set",
    "1.2.840.10008.5.1.4.1.1.481.5": "RT Plan",
    "1.2.840.10008.5.1.4.1.1.66.4": "Segmentation",
    "1.2.840.10008.5.1.4.1.1.66": "Raw Data",
    "1.2.840.10008.5.1.4.1.1.67": "Real World Value Mapping",
    "1.2.840.10008.5.1.4.1.1.104.1": "Encapsulated PDF",
}


def is_non_image_sop_class(sop_class_uid: str) -> bool:
    # Structured reports (88.x) and presentation states (11.x) are never images either.
    return (
        sop_class_uid in NON_IMAGE_SOP_CLASSES
        or sop_class_uid.startswith("1.2.840.10008.5.1.4.1.1.88.")
        or sop_class_uid.startswith("1.2.840.10008.5.1.4.1.1.11.")
    )


@dataclass(frozen=True)
class DicomSeriesSummary:
    """One series found in a folder: enough to list it and to pick it."""

    series_uid: str
    modality: str
    description: str
    sop_class_uid: str
    files: tuple[Path, ...]
    # The parsed files, pixel data deferred (read from the file when first used), so reading the series
    # does not parse every header a second time.
    datasets: tuple[pydicom.Dataset, ...] = field(default=(), compare=False, repr=False)

    @property
    def is_image(self) -> bool:
        return not is_non_image_sop_class(self.sop_class_uid)

    def describe(self) -> str:
        kind = "" if self.is_image else f" [{NON_IMAGE_SOP_CLASSES.get(self.sop_class_uid, 'not an image')}]"
        return f"{self.series_uid}  {self.modality or '?'}  {self.description!r}  {len(self.files)} file(s){kind}"


def _candidate_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name.upper() != "DICOMDIR")


def _claims_to_be_dicom(path: Path) -> bool:
    try:
        with open(path, "rb") as file:
            return file.read(132)[128:132] == b"DICM"
    except OSError:
        return False


def scan_dicom_folder(folder: str | os.PathLike) -> list[DicomSeriesSummary]:
    """Group every DICOM file under folder (recursively) by SeriesInstanceUID; non-DICOM files are skipped."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "no such folder")
    groups: dict[str, list[tuple[Path, pydicom.Dataset]]] = defaultdict(list)
    unreadable = []
    for path in _candidate_files(folder):
        try:
            header = pydicom.dcmread(path, defer_size=DEFER_SIZE)
        except (InvalidDicomError, OSError, EOFError, ValueError, TypeError, KeyError):
            if _claims_to_be_dicom(path):
                unreadable.append(path)
            continue
        if "SOPClassUID" not in header:  # parsed only in part: a truncated or damaged file
            unreadable.append(path)
            continue
        groups[str(header.get("SeriesInstanceUID", "") or "").strip() or BLANK_SERIES_UID].append((path, header))
    if unreadable:
        warnings.warn(f"{folder}: {len(unreadable)} file(s) marked as DICOM cannot be read and are left out: "
                      + ", ".join(str(p) for p in unreadable[:3]) + (" ..." if len(unreadable) > 3 else ""))
    summaries = []
    for series_uid, members in groups.items():
        first = members[0][1]
        summaries.append(
            DicomSeriesSummary(
                series_uid=series_uid,
                modality=str(first.get("Modality", "") or ""),
                description=str(first.get("SeriesDescription", "") or ""),
                sop_class_uid=str(first.get("SOPClassUID", "") or ""),
                files=tuple(path for path, _ in members),
                datasets=tuple(dataset for _, dataset in members),
            )
        )
    return sorted(summaries, key=lambda s: (not s.is_image, s.modality, s.series_uid))
