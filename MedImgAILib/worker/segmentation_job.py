"""Segmentation in a worker process: submit_segmentation() in the panel, run() in the child."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Mapping, Sequence

import SimpleITK as sitk

from MedImgAILib.inference.postprocessing import PostProcessing
from MedImgAILib.models.model_spec import CodedConcept, LabelSpec
from MedImgAILib.runtime import CancelToken, ProgressCallback
from MedImgAILib.worker.hand_over import read_image, read_images, read_json, write_image, write_images, write_json
from MedImgAILib.worker.registration_job import read_registration_result, write_registration_result
from MedImgAILib.worker.worker_process import RESULT, WorkerProcess

__all__ = ["read_segmentation_result", "run", "submit_segmentation"]


def submit_segmentation(images: Mapping[str, sitk.Image], model: str, device: str = "auto",
                        probabilities: bool = False, align: Sequence[str] = (),
                        postprocessing: PostProcessing | None = None, trust: bool = False,
                        worker: WorkerProcess | None = None, roi=None) -> WorkerProcess:
    """Start segmenting {input name: image} with model (catalog id or path) in a worker process."""
    worker = worker or WorkerProcess()
    folder = worker.folder
    job = {"kind": "segment", "model": str(model), "device": device, "probabilities": probabilities,
           "align": list(align), "trust": trust,
           "postprocessing": None if postprocessing is None else dataclasses.asdict(postprocessing),
           "inputs": write_images(images, folder), "roi": None if roi is None else roi.as_dict()}
    return worker.submit(job, read_segmentation_result)


def run(job: dict, folder: Path, progress: ProgressCallback, cancel: CancelToken) -> None:
    from MedImgAILib.inference import Segmenter
    from MedImgAILib.inference.region_of_interest import RegionOfInterest
    from MedImgAILib.models import load_model

    images = read_images(job["inputs"], folder)
    model = load_model(job["model"], trust=job["trust"], progress=progress, cancel=cancel)
    postprocessing = None if job["postprocessing"] is None else PostProcessing(**job["postprocessing"])
    result = Segmenter(model, job["device"], postprocessing)(images, job["probabilities"], progress, cancel,
                                                              align=job["align"],
                                                              roi=job["roi"] and RegionOfInterest.from_dict(job["roi"]))
    write_segmentation_result(result, folder / RESULT)


def write_segmentation_result(result, folder: Path) -> None:
    write_image(result.labelmap, folder, "labelmap")
    if result.probabilities is not None:
        write_image(result.probabilities, folder, "probabilities")
    for name, alignment in result.alignments.items():
        (folder / f"alignment-{name}").mkdir()
        write_registration_result(alignment.result, folder / f"alignment-{name}")
    write_json({"labels": [dataclasses.asdict(label) for label in result.labels], "provenance": result.provenance,
                "alignments": {name: alignment.preset for name, alignment in result.alignments.items()},
                "probabilities": result.probabilities is not None}, folder / "segmentation.json")


def _label(data: dict) -> LabelSpec:
    concepts = {key: CodedConcept(**data[key]) if data[key] else None
                for key in ("category", "type", "anatomic_region")}
    return LabelSpec(data["value"], data["name"], tuple(data["color"]), **concepts)


def read_segmentation_result(folder: Path):
    from MedImgAILib.inference import SegmentationResult
    from MedImgAILib.inference.input_alignment import InputAlignment

    description = read_json(folder / "segmentation.json")
    alignments = {name: InputAlignment(name, preset, read_registration_result(folder / f"alignment-{name}"))
                  for name, preset in description["alignments"].items()}
    return SegmentationResult(read_image(folder, "labelmap"), tuple(_label(data) for data in description["labels"]),
                              read_image(folder, "probabilities") if description["probabilities"] else None,
                              description["provenance"], alignments, description["provenance"].get("warnings", []))
