"""The training loop: MONAI patches, Dice+CE loss, AdamW with cosine decay, checkpoints to resume from."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from monai.data import DataLoader, Dataset
from monai.losses import DiceCELoss
from monai.transforms import (
    Compose,
    RandAffined,
    RandCropByPosNegLabeld,
    RandFlipd,
    RandScaleIntensityd,
    RandShiftIntensityd,
)

from MedImgAILib.inference.sliding_window import run_sliding_window
from MedImgAILib.metrics import dice
from MedImgAILib.models.model_loader import network_from_config
from MedImgAILib.models.model_spec import ModelSpec
from MedImgAILib.runtime import CancelToken, Progress, ProgressCallback, no_progress
from MedImgAILib.training.recipes import Recipe, network_def
from MedImgAILib.training.sts_cases import PreparedCase, prepare_case

__all__ = ["train"]

CHECKPOINT = "checkpoint.pt"


def _seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _augmentation(recipe: Recipe) -> Compose:
    keys = ("image", "label")
    tumour, background = recipe.tumour_to_background_centres
    spatial = []
    crop = recipe.patch_size
    if recipe.spatial_augmentation:
        crop = tuple(int(round(size * 1.25)) for size in recipe.patch_size)
        spatial = [RandAffined(keys, spatial_size=recipe.patch_size, prob=0.8,
                               rotate_range=tuple(np.deg2rad(d) for d in recipe.rotate_degrees),
                               scale_range=(recipe.scale_range,) * 3, mode=("bilinear", "nearest"),
                               padding_mode=("border", "zeros"))]
    return Compose([
        RandCropByPosNegLabeld(keys, "label", crop, pos=tumour, neg=background,
                               num_samples=recipe.samples_per_patient, allow_smaller=True),
        *spatial,
        RandFlipd(keys, prob=0.5, spatial_axis=0),
        RandFlipd(keys, prob=0.5, spatial_axis=1),
        RandFlipd(keys, prob=0.5, spatial_axis=2),
        RandScaleIntensityd("image", factors=0.1, prob=0.5),
        RandShiftIntensityd("image", offsets=0.1, prob=0.5),
    ])


def _batches(cases: Sequence[PreparedCase], recipe: Recipe):
    data = [{"image": c.image, "label": c.label} for c in cases]
    loader = DataLoader(Dataset(data, _augmentation(recipe)), batch_size=recipe.batch_patients, shuffle=True,
                        num_workers=0, drop_last=True)
    while True:
        yield from loader


def _validation_dice(network: torch.nn.Module, cases: Sequence[PreparedCase], recipe: Recipe) -> dict[str, float]:
    network.eval()
    scores = {}
    for case in cases:
        logits = run_sliding_window(network, torch.from_numpy(case.image[None]), recipe.patch_size, recipe.overlap)
        scores[case.patient] = dice(logits[0].argmax(0).numpy() == 1, case.label[0] == 1)
    network.train()
    return scores


def train(recipe: Recipe, data_folder: Path, work_folder: Path, train_patients: Sequence[str],
          validation_patients: Sequence[str], iterations: int | None = None, resume: bool = False,
          progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> tuple[torch.nn.Module, dict]:
    """Train recipe's network; checkpoints go to work_folder. Returns (network, history).

    validation_patients are only watched (Dice on the model grid every recipe.validate_every iterations, never
    used to pick weights); pass none when the held-out patients must not be looked at before the end.
    """
    iterations = iterations or recipe.iterations
    work_folder.mkdir(parents=True, exist_ok=True)
    spec = ModelSpec.from_metadata({"medimgai": recipe.declaration()}, recipe.model_id)
    _seed(recipe.seed)
    progress(Progress(0.0, "preparing cases"))
    train_cases = [prepare_case(data_folder, p, spec) for p in train_patients]
    validation_cases = [prepare_case(data_folder, p, spec) for p in validation_patients]
    network = network_from_config(network_def(len(recipe.inputs)), recipe.model_id)
    optimizer = torch.optim.AdamW(network.parameters(), lr=recipe.learning_rate, weight_decay=recipe.weight_decay)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=iterations)
    loss_function = DiceCELoss(to_onehot_y=True, softmax=True)
    history: dict = {"loss": [], "validation": []}
    start = 0
    checkpoint_path = work_folder / CHECKPOINT
    if resume and checkpoint_path.is_file():
        state = torch.load(checkpoint_path, map_location="cpu", weights_only=True)
        network.load_state_dict(state["network"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        start = int(state["iteration"])
        history = json.loads(state["history"])
        _seed(recipe.seed + start)
    network.train()
    batches = _batches(train_cases, recipe)
    started = time.perf_counter()
    running = []
    for iteration in range(start, iterations):
        if cancel is not None:
            cancel.raise_if_cancelled()
        batch = next(batches)
        optimizer.zero_grad(set_to_none=True)
        loss = loss_function(network(batch["image"]), batch["label"])
        loss.backward()
        optimizer.step()
        scheduler.step()
        running.append(loss.item())
        done = iteration + 1
        if done % 25 == 0 or done == iterations:
            history["loss"].append([done, float(np.mean(running))])
            rate = (done - start) / (time.perf_counter() - started)
            progress(Progress(done / iterations, f"iteration {done}/{iterations} loss {np.mean(running):.3f} "
                                                 f"({rate:.1f} it/s)"))
            running = []
        if done % recipe.validate_every == 0 or done == iterations:
            if validation_cases:
                scores = _validation_dice(network, validation_cases, recipe)
                history["validation"].append([done, float(np.mean(list(scores.values()))), scores])
                progress(Progress(done / iterations, f"iteration {done}: validation Dice on the model grid "
                                                     f"{np.mean(list(scores.values())):.3f}"))
            torch.save({"network": network.state_dict(), "optimizer": optimizer.state_dict(),
                        "scheduler": scheduler.state_dict(), "iteration": done, "history": json.dumps(history)},
                       checkpoint_path)
    network.eval()
    return network, history
