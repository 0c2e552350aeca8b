"""Registration in a worker process: submit_registration() in the panel, run() in the child."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import SimpleITK as sitk

from MedImgAILib.runtime import CancelToken, ProgressCallback
from MedImgAILib.worker.hand_over import (read_image, read_json, read_transform, write_image, write_json,
                                          write_transform)
from MedImgAILib.worker.worker_process import RESULT, WorkerProcess

__all__ = ["read_registration_result", "run", "submit_registration", "write_registration_result"]

_IMAGES = ("fixed", "moving", "fixed_mask", "moving_mask")


def submit_registration(fixed: sitk.Image, moving: sitk.Image, preset: str = "generic-rigid",
                        fixed_mask: sitk.Image | None = None, moving_mask: sitk.Image | None = None,
                        landmarks: tuple | None = None, initialization: str | None = None,
                        structures: tuple[sitk.Image, sitk.Image] | None = None,
                        worker: WorkerProcess | None = None) -> WorkerProcess:
    """Start MedImgAILib.registration.register with these arguments in a worker process."""
    worker = worker or WorkerProcess()
    folder = worker.folder
    given = {"fixed": fixed, "moving": moving, "fixed_mask": fixed_mask, "moving_mask": moving_mask}
    job = {"kind": "register", "preset": preset, "initialization": initialization,
           "images": {role: write_image(image, folder, role) for role, image in given.items() if image is not None},
           "landmarks": None if landmarks is None else [np.asarray(points).tolist() for points in landmarks],
           "structures": None if structures is None else
           [write_image(image, folder, f"structure-{index}") for index, image in enumerate(structures)]}
    return worker.submit(job, read_registration_result)


def run(job: dict, folder: Path, progress: ProgressCallback, cancel: CancelToken) -> None:
    from MedImgAILib.registration import register

    images = {role: read_image(folder, name) for role, name in job["images"].items()}
    structures = None if job["structures"] is None else tuple(read_image(folder, name) for name in job["structures"])
    landmarks = None if job["landmarks"] is None else tuple(np.array(points) for points in job["landmarks"])
    result = register(images["fixed"], images["moving"], job["preset"], images.get("fixed_mask"),
                      images.get("moving_mask"), landmarks, progress, cancel, job["initialization"], structures)
    write_registration_result(result, folder / RESULT)


def write_registration_result(result, folder: Path) -> None:
    write_transform(result.transform, folder / "transform.h5")
    write_json(result.report.as_dict(), folder / "report.json")


def read_registration_result(folder: Path):
    from MedImgAILib.registration import QualityReport, RegistrationResult

    report = QualityReport(**read_json(folder / "report.json"))
    return RegistrationResult(read_transform(folder / "transform.h5"), report)
