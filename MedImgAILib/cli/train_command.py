"""``medimgai train``: train, tune, evaluate and package a soft-tissue-sarcoma GTV model (run by hand, not in tests).

    medimgai train --variant ct-pet-mr --stage tuning --data ../shared/data/sts-multimodal --output build/tuning/sts-gtv-ct-pet-mr
    medimgai train --variant ct-pet-mr --stage final --tuning build/tuning/sts-gtv-ct-pet-mr \\
        --data ../shared/data/sts-multimodal --output Resources/Models/sts-gtv-ct-pet-mr
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

from MedImgAILib.cli.console_progress import ConsoleProgress
from MedImgAILib.cli.input_arguments import thread_count
from MedImgAILib.errors import InputError
from MedImgAILib.runtime.cpu_threads import limit_cpu_threads
from MedImgAILib.training.recipes import VARIANTS, network_def
from MedImgAILib.training.training_stages import STAGES

__all__ = ["add_parser", "run"]

TUNING_FILE = "docs/tuning.json"


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("train", help="train a tumour segmentation model on sts-multimodal (CPU, about 30 min per variant)")
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="ct-pet-mr", help="input channels")
    parser.add_argument("--data", type=Path, required=True, help="the sts-multimodal folder (STS_xxx/...)")
    parser.add_argument("--output", type=Path, required=True, help="bundle folder to write")
    parser.add_argument("--stage", choices=sorted(STAGES), default="final",
                        help="tuning: train on 18 development patients and choose the foreground threshold on the "
                             "other 6; final: train on all 24 development patients, evaluate once on the 12 test "
                             "patients (default)")
    parser.add_argument("--tuning", type=Path, metavar="FOLDER",
                        help="final stage: the tuning stage's bundle, whose chosen foreground threshold the final "
                             "model declares")
    parser.add_argument("--work", type=Path, help="checkpoint folder (default: <output>.work)")
    parser.add_argument("--iterations", type=int, help="override the recipe's iteration count")
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint in --work")
    parser.add_argument("--compare", type=Path, nargs="*", default=[],
                        help="evaluation.json files of other models on the same patients, for the card's table")
    parser.add_argument("--evaluate-only", action="store_true",
                        help="re-declare an existing bundle (threshold, field of view), re-evaluate it, rewrite its card")
    parser.add_argument("--threads", type=thread_count, metavar="N", help="CPU threads for training, as medimgai --threads")
    return parser


def _threshold(arguments: argparse.Namespace) -> float | None:
    if arguments.tuning is None:
        return None
    path = arguments.tuning / TUNING_FILE
    if not path.is_file():
        raise InputError(path, "not found: run the tuning stage first (medimgai train --stage tuning ...)")
    threshold = json.loads(path.read_text())["threshold"]
    return None if threshold is None else float(threshold)


def run(arguments: argparse.Namespace) -> int:
    from MedImgAILib.models.model_loader import load_model_path
    from MedImgAILib.training.bundle_writer import update_declaration, write_bundle
    from MedImgAILib.training.evaluation import evaluate_model
    from MedImgAILib.training.model_card import render_model_card
    from MedImgAILib.training.sts_cases import training_field_of_view_mm
    from MedImgAILib.training.threshold_tuning import choose_foreground_threshold

    if arguments.threads:
        limit_cpu_threads(arguments.threads)
    recipe, stage = VARIANTS[arguments.variant], STAGES[arguments.stage]
    if not arguments.data.is_dir():
        raise InputError(arguments.data, "data folder not found")
    threshold = _threshold(arguments) if stage.name == "final" else None
    declaration = recipe.declaration(threshold, training_field_of_view_mm(arguments.data, stage.train_patients,
                                                                          recipe.inputs[0]))
    progress = ConsoleProgress()
    history_path = arguments.output / "docs" / "training.json"
    if arguments.evaluate_only:
        training = json.loads(history_path.read_text())
        update_declaration(arguments.output, declaration)
    else:
        started = time.perf_counter()
        network, history = recipe_training(recipe, stage, arguments, progress)
        training = {"history": history, "minutes": (time.perf_counter() - started) / 60,
                    "iterations": arguments.iterations or recipe.iterations, "stage": stage.name,
                    "command": "medimgai " + " ".join(shlex.quote(a) for a in sys.argv[1:])}
        write_bundle(arguments.output, network, network_def(len(recipe.inputs)), declaration,
                     f"{recipe.model_id}: GTV of soft-tissue sarcoma from {' + '.join(recipe.inputs)}", "2.0.0",
                     {"docs/training.json": json.dumps(training, indent=1), "docs/README.md": "pending evaluation\n",
                      "LICENSE": "Weights: Creative Commons Attribution 3.0 Unported (CC BY 3.0), derived from the "
                                 "TCIA Soft-tissue-Sarcoma collection; see docs/README.md for the attribution.\n"})
    model = load_model_path(arguments.output)
    if stage.name == "tuning":
        print(f"choosing the foreground threshold of {model.spec.id} on the tuning patients", file=sys.stderr)
        tuning = choose_foreground_threshold(model, arguments.data, stage.evaluated_patients, progress=progress)
        (arguments.output / TUNING_FILE).write_text(json.dumps({**tuning, "command": training["command"],
                                                                "minutes": training["minutes"]}, indent=1) + "\n")
        best = tuning["candidates"][f"{tuning['best']:.2f}"]
        verdict = "declared" if tuning["threshold"] is not None else \
            f"not declared (less than {tuning['minimum_gain']} better than 0.50: the most probable class is kept)"
        print(f"best foreground threshold {tuning['best']:.2f}, {verdict}: tuning Dice mean {best['mean']:.3f} "
              f"(0.50: {tuning['default_mean']:.3f})")
        return 0
    print(f"evaluating {model.spec.id} on the test patients", file=sys.stderr)
    evaluation = evaluate_model(model, arguments.data, stage.evaluated_patients, progress)
    (arguments.output / "docs" / "evaluation.json").write_text(json.dumps(evaluation, indent=1) + "\n")
    comparisons = {}
    for path in arguments.compare:
        other = json.loads(path.read_text())
        comparisons[other["model_id"]] = other
    tuning = json.loads((arguments.tuning / TUNING_FILE).read_text()) if arguments.tuning else None
    card = render_model_card(recipe, declaration, evaluation, comparisons, training, tuning)
    (arguments.output / "docs" / "README.md").write_text(card)
    print(f"test Dice mean {evaluation['mean']:.3f} (median {evaluation['median']:.3f}): "
          + ", ".join(f"{p} {d:.3f}" for p, d in evaluation["per_patient"].items()))
    print(f"wrote {arguments.output}")
    return 0


def recipe_training(recipe, stage, arguments, progress):
    from MedImgAILib.training.trainer import train

    work = arguments.work or arguments.output.with_name(arguments.output.name + ".work")
    return train(recipe, arguments.data, work, stage.train_patients, stage.watched_patients, arguments.iterations,
                 arguments.resume, progress)
