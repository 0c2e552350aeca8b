"""The two training stages of the sarcoma models: which patients train, which are watched, which are evaluated.

tuning trains on 18 development patients and is judged on the 6 tuning patients, where decisions (the
foreground probability threshold) are made; final trains the shipped weights on all 24 development patients and
is evaluated once on the 12 test patients, which nothing else looks at.
"""

from __future__ import annotations

from dataclasses import dataclass

from MedImgAILib.training.recipes import DEVELOPMENT_PATIENTS, TEST_PATIENTS, TUNING_PATIENTS, TUNING_TRAIN_PATIENTS

__all__ = ["STAGES", "TrainingStage"]


@dataclass(frozen=True)
class TrainingStage:
    name: str
    train_patients: tuple[str, ...]
    watched_patients: tuple[str, ...]  # Dice followed during training, never used to pick weights
    evaluated_patients: tuple[str, ...]


STAGES = {
    "tuning": TrainingStage("tuning", TUNING_TRAIN_PATIENTS, TUNING_PATIENTS, TUNING_PATIENTS),
    "final": TrainingStage("final", DEVELOPMENT_PATIENTS, (), TEST_PATIENTS),
}
