"""``medimgai train``: train, evaluate and package a soft-tissue-sarcoma GTV model (run by hand, not in tests).

    medimgai train --variant ct-pet-mr --data ../shared/data/sts-multimodal --output Resources/Models/sts-gtv-ct-pet-mr
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


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("train", help="train a tumour segmentation model on sts-multimodal (CPU, about 15-20 min per variant)")
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="ct-pet-mr", help="input channels")
    parser.add_argument("--data", type=Path, required=True, help="the sts-multimodal folder (STS_xxx/...)")
    parser.add_argument("--output", type=Path, required=True, help="bundle folder to write")
    parser.add_argument("--work", type=Path, help="checkpoint folder (default: <output>.work)")
    parser.add_argument("--stage", choices=sorted(STAGES), default="final",
                        help="tuning: train on 18 development patients and choose the decision threshold on the other "
                             "6; final: train on all 24 development patients, evaluate once on the 12 test patients")
    parser.add_argument("--iterations", type=int, help="override the recipe's iteration count")
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint in --work")
    parser.add_argument("--compare", type=Path, nargs="*", default=[],
                        help="validation.json files of other variants, for the model card's comparison table")
    parser.add_argument("--evaluate-only", action="store_true", help="re-evaluate an existing bundle and rewrite its card")
    parser.add_argument("--threads", type=thread_count, metavar="N", help="CPU threads for training, as medimgai --threads")
    return parser


def run(arguments: argparse.Namespace) -> int:
    from MedImgAILib.models.model_loader import load_model_path
    from MedImgAILib.training.bundle_writer import write_bundle
    from MedImgAILib.training.evaluation import evaluate_model
    from MedImgAILib.training.model_card import render_model_card

    if arguments.threads:
        limit_cpu_threads(arguments.threads)
    recipe = VARIANTS[arguments.variant]
    if not arguments.data.is_dir():
        raise InputError(arguments.data, "data folder not found")
    progress = ConsoleProgress()
    card_path = arguments.output / "docs" / "README.md"
    history_path = arguments.output / "docs" / "training.json"
    if arguments.evaluate_only:
        training = json.loads(history_path.read_text())
    else:
        started = time.perf_counter()
        network, history = recipe_training(recipe, arguments, progress)
        minutes = (time.perf_counter() - started) / 60
        training = {"history": history, "minutes": minutes, "iterations": arguments.iterations or recipe.iterations,
                    "command": "medimgai " + " ".join(shlex.quote(a) for a in sys.argv[1:])}
        write_bundle(arguments.output, network, network_def(len(recipe.inputs)), recipe.declaration(),
                     f"{recipe.model_id}: GTV of soft-tissue sarcoma from {' + '.join(recipe.inputs)}", "1.0.0",
                     {"docs/training.json": json.dumps(training, indent=1), "docs/README.md": "pending evaluation\n",
                      "LICENSE": "Weights: Creative Commons Attribution 3.0 Unported (CC BY 3.0), derived from the "
                                 "TCIA Soft-tissue-Sarcoma collection; see docs/README.md for the attribution.\n"})
    model = load_model_path(arguments.output)
    print(f"evaluating {model.spec.id} on the validation patients", file=sys.stderr)
    evaluation = evaluate_model(model, arguments.data, STAGES[arguments.stage].evaluated_patients, progress)
    (arguments.output / "docs" / "validation.json").write_text(json.dumps(evaluation, indent=1) + "\n")
    comparisons = {}
    for path in arguments.compare:
        other = json.loads(path.read_text())
        comparisons[other["model_id"]] = other
    history = {**training["history"], "iterations": training["iterations"]}
    card_path.write_text(render_model_card(recipe, evaluation, comparisons, history, training["minutes"],
                                           training["command"]))
    print(f"validation Dice mean {evaluation['mean']:.3f} (median {evaluation['median']:.3f}): "
          + ", ".join(f"{p} {d:.3f}" for p, d in evaluation["per_patient"].items()))
    print(f"wrote {arguments.output}")
    return 0


def recipe_training(recipe, arguments, progress):
    from MedImgAILib.training.trainer import train

    work = arguments.work or arguments.output.with_name(arguments.output.name + ".work")
    stage = STAGES[arguments.stage]
    network, history = train(recipe, arguments.data, work, stage.train_patients, stage.watched_patients,
                             arguments.iterations, arguments.resume, progress)
    return network, history
