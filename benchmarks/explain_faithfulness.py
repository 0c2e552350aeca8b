"""Faithfulness of the explanation methods on the shipped model and the test patients.

Run by hand:  .venv/bin/python benchmarks/explain_faithfulness.py [--patients N] [--methods ig,ig-uniform16,...]
              .venv/bin/python benchmarks/explain_faithfulness.py --modality [--with-ig] [--output FILE.md]

Per patient and method (maps on the model grid, target = tumour logit margin over the predicted tumour):
- pointing game: the map's maximum lies inside the reference tumour mask or within 5 mm of it;
- deletion: the target score after setting the most-attributed voxels of the box around the target to 0 in
  every normalised channel (CT -200 HU, PET SUV 0, MR its mean), for 2/5/10/20/30 % of the box; area under that curve (normalised to the unperturbed score)
  against the same count of random voxels (lower is more faithful);
- model randomisation (Grad-CAM and gradient): Spearman correlation between the maps of the trained model and
  of the same network re-initialised (Adebayo et al. 2018: should be well below 1);
- integrated-gradients completeness: sum of attributions / (f(x) - f(baseline)), with the explain command's rule
  (4 Gauss-Legendre nodes per window, doubled where completeness misses by more than 5 %, at most 32) and the
  mean nodes per window;
- cost: Grad-CAM time / one inference pass, measured in the same run.

--modality: "which modality mattered" on every patient of sts-multimodal. Reference: the Dice (against the expert
contour) lost when one input image is replaced by a constant image equal to its median, through `medimgai
segment`'s path (issue 19's measurement). Against it: the ablation shares with each replacement (mean, blur,
shuffle; --replacements) and on each basis (the evidence lost; how much of the prediction changes), and, with
--with-ig, the integrated-gradient shares the explain command reported before; per method the fraction of
patients whose top modality is the reference's, the mean Spearman correlation of the shares with the reference
drops, and the mean share of inputs whose removal changes the Dice by less than 0.01.
"""

from __future__ import annotations

import argparse
import copy
import time
from pathlib import Path

import numpy as np
import SimpleITK as sitk
import torch
from scipy import ndimage, stats

from MedImgAILib.explain.gradcam import grad_cam
from MedImgAILib.explain.gradient_attribution import smoothgrad, target_score, vanilla_gradient
from MedImgAILib.explain.integrated_gradients import integrated_gradients
from MedImgAILib.explain.explain_engine import IG_FIRST_STEPS
from MedImgAILib.explain.modality_ablation import REPLACEMENTS, SHARE_BASES, ablate_modalities, ablation_shares
from MedImgAILib.explain.occlusion import occlusion_sensitivity
from MedImgAILib.explain.target import Target, region_of
from MedImgAILib.inference import Segmenter
from MedImgAILib.metrics import dice
from MedImgAILib.inference.model_grid import resample_onto
from MedImgAILib.inference.model_input import prepare_model_input
from MedImgAILib.inference.sliding_window import run_sliding_window
from MedImgAILib.models import load_model
from MedImgAILib.training.recipes import TEST_PATIENTS
from MedImgAILib.training.sts_cases import case_images, reference_mask

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "sts-multimodal"
FRACTIONS = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3)


def _ig_map(network, volume, target, roi, overlap, first_steps=IG_FIRST_STEPS, steps=32) -> tuple[np.ndarray, dict]:
    """Integrated gradients (by default the explain command's node rule) and how complete they came out."""
    result = integrated_gradients(network, volume, target, roi, overlap, first_steps=first_steps, steps=steps)
    return np.abs(result.attribution).sum(0), {"ig_completeness": result.completeness, "ig_steps": result.mean_steps}


def maps_for(network, volume, target, roi, overlap):
    """method -> callable returning (map on the model grid, extra figures)."""
    return {
        "gradcam": lambda: (grad_cam(network, volume, target, roi, overlap), {}),
        "gradcampp": lambda: (grad_cam(network, volume, target, roi, overlap, plus_plus=True), {}),
        "gradient": lambda: (np.abs(vanilla_gradient(network, volume, target, roi, overlap)).sum(0), {}),
        "smoothgrad": lambda: (np.abs(smoothgrad(network, volume, target, roi, overlap, samples=4)).sum(0), {}),
        "ig": lambda: _ig_map(network, volume, target, roi, overlap),
        "ig-uniform16": lambda: _ig_map(network, volume, target, roi, overlap, 16, 16),  # the previous rule
        "occlusion": lambda: (occlusion_sensitivity(network, volume, target, roi, overlap), {}),
    }


def deletion_auc(network, volume, baseline, target, roi, overlap, ranking: np.ndarray, box) -> float:
    reference = target_score(network, volume, target, roi, overlap)
    in_box = np.zeros(volume.shape[2:], dtype=bool)
    in_box[box] = True
    candidates = np.flatnonzero(in_box.ravel())
    order = candidates[np.argsort(-ranking.ravel()[candidates], kind="stable")]
    scores = []
    for fraction in FRACTIONS:
        removed = order[: int(fraction * len(order))]
        perturbed = volume.clone().reshape(1, volume.shape[1], -1)
        perturbed[:, :, removed] = baseline.reshape(1, volume.shape[1], -1)[:, :, removed]
        scores.append(target_score(network, perturbed.reshape(volume.shape), target, roi, overlap) / reference)
    return float(np.trapezoid(scores, FRACTIONS) / FRACTIONS[-1])


def _dice_on_truth_grid(network, spec, prepared, array, truth) -> float:
    from MedImgAILib.inference.back_mapping import most_probable, probabilities_on

    logits = run_sliding_window(network, torch.from_numpy(array[None]), spec.patch_size, spec.overlap)
    labels = most_probable(probabilities_on(truth, torch.softmax(logits[0], dim=0).numpy(), prepared.grid), [1])
    return float(dice(labels > 0, sitk.GetArrayViewFromImage(truth) > 0))


def _dice_lost_with_a_constant_input(network, spec, prepared, truth) -> tuple[float, dict[str, float]]:
    """Issue 19's reference: Dice to the expert contour with every input, and lost when one input is a constant
    image at its median (set on the model input: MedImgAI refuses a blank image; normalisation is monotonic, so
    the normalised median is the median's normalised value)."""
    full = _dice_on_truth_grid(network, spec, prepared, prepared.array, truth)
    lost = {}
    for index, name in enumerate(spec.input_names):
        constant = prepared.array.copy()
        constant[index] = np.median(constant[index])
        lost[name] = full - _dice_on_truth_grid(network, spec, prepared, constant, truth)
    return full, lost


def _ig_shares(network, volume, target, roi, overlap, names) -> dict[str, float]:
    attribution = integrated_gradients(network, volume, target, roi, overlap, first_steps=IG_FIRST_STEPS).attribution
    totals = np.abs(attribution).reshape(len(names), -1).sum(axis=1)
    return {name: float(t / totals.sum()) for name, t in zip(names, totals)}


def modality_section(model, patients, with_ig: bool, replacements=REPLACEMENTS) -> str:
    network, spec = model.network, model.spec
    names, segmenter = spec.input_names, Segmenter(model, "cpu")
    methods = [f"ablation ({r}, {b})" for r in replacements for b in SHARE_BASES] \
        + (["integrated gradients"] if with_ig else [])
    rows = []
    for patient in patients:
        images, truth = case_images(DATA, patient, names), reference_mask(DATA, patient)
        started = time.perf_counter()
        segmenter(images)
        inference_s = time.perf_counter() - started
        prepared = prepare_model_input(spec, images)
        full_dice, drops = _dice_lost_with_a_constant_input(network, spec, prepared, truth)
        volume = torch.from_numpy(prepared.array[None])
        logits = run_sliding_window(network, volume, spec.patch_size, spec.overlap)
        target = Target(1, region_of(logits[0].argmax(0).numpy(), 1))
        shares, seconds = {}, {}
        for replacement in replacements:
            started = time.perf_counter()
            effects, _ = ablate_modalities(network, volume, logits, target, spec.patch_size, spec.overlap, names,
                                           replacement)
            for basis in SHARE_BASES:
                seconds[f"ablation ({replacement}, {basis})"] = time.perf_counter() - started
                shares[f"ablation ({replacement}, {basis})"] = ablation_shares(effects, basis)
        if with_ig and target.region.any():
            started = time.perf_counter()
            shares["integrated gradients"] = _ig_shares(network, volume, target, spec.patch_size, spec.overlap, names)
            seconds["integrated gradients"] = time.perf_counter() - started
        rows.append({"patient": patient, "dice": full_dice, "drops": drops, "shares": shares, "seconds": seconds,
                     "inference_s": inference_s})
        print(f"{patient} Dice {full_dice:.3f} drops " + " ".join(f"{n} {d:+.3f}" for n, d in drops.items()) + " | "
              + " | ".join(f"{m}: " + " ".join(f"{100 * v:.0f}" for v in shares[m].values()) for m in shares),
              flush=True)
    header = ("| patient | Dice | " + " | ".join(f"drop without {n}" for n in names) + " | "
              + " | ".join(f"{m} {'/'.join(names)} (%)" for m in methods) + " |")
    lines = [header, "|" + " --- |" * (2 + len(names) + len(methods))]
    for row in rows:
        cells = [row["patient"], f"{row['dice']:.3f}", *(f"{row['drops'][n]:+.3f}" for n in names)]
        cells += ["/".join(f"{100 * v:.0f}" for v in row["shares"][m].values()) if m in row["shares"] else "-"
                  for m in methods]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| method | top modality = reference's | mean Spearman with the drops | mean share of inputs "
                  "whose removal changes Dice < 0.01 | time / one inference |", "| --- | --- | --- | --- | --- |"]
    for method in methods:
        scored = [r for r in rows if method in r["shares"] and max(r["drops"].values()) > 0.01]
        agree = sum(max(r["shares"][method], key=r["shares"][method].get) == max(r["drops"], key=r["drops"].get)
                    for r in scored)
        rho = [stats.spearmanr([r["shares"][method][n] for n in names], [r["drops"][n] for n in names]).statistic
               for r in scored]
        rho = [value for value in rho if np.isfinite(value)]
        idle = [r["shares"][method][n] for r in rows if method in r["shares"] for n in names
                if abs(r["drops"][n]) < 0.01]
        cost = [r["seconds"][method] / r["inference_s"] for r in rows if method in r["seconds"]]
        lines.append(f"| {method} | {agree}/{len(scored)} ({100 * agree / max(len(scored), 1):.0f} %) | "
                     f"{np.mean(rho):.2f} | {np.mean(idle) if idle else float('nan'):.3f} ({len(idle)} inputs) | "
                     f"{np.mean(cost):.1f}x |")
    return "\n".join(lines) + ("\n\nPatients where no input's removal lowers the Dice by more than 0.01 (the model "
                              "finds the tumour from any two inputs) are left out of the agreement and correlation.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, help="only the first N patients (default: all of the section's)")
    parser.add_argument("--methods", help="comma-separated subset of the methods (default: all)")
    parser.add_argument("--modality", action="store_true", help="only the per-modality section, on every patient")
    parser.add_argument("--replacements", default=",".join(REPLACEMENTS),
                        help="--modality: how an input is taken away (default: %(default)s)")
    parser.add_argument("--with-ig", action="store_true", help="--modality: also the integrated-gradient shares")
    parser.add_argument("--output", type=Path, help="--modality: write the tables here too")
    arguments = parser.parse_args()
    torch.set_num_threads(2)
    if arguments.modality:
        model = load_model("sts-gtv-ct-pet-mr")
        patients = sorted(p.name for p in DATA.glob("STS_*"))[: arguments.patients]
        report = modality_section(model, patients, arguments.with_ig, arguments.replacements.split(","))
        print(report)
        if arguments.output:
            arguments.output.write_text(report + "\n")
        return
    model = load_model("sts-gtv-ct-pet-mr")
    network, spec = model.network, model.spec
    roi, overlap = spec.patch_size, spec.overlap
    randomised = copy.deepcopy(network)
    torch.manual_seed(0)
    for module in randomised.modules():
        if hasattr(module, "reset_parameters") and module is not randomised:
            module.reset_parameters()
    rows, rng = [], np.random.default_rng(0)
    for patient in TEST_PATIENTS[: arguments.patients]:  # None: all of them
        images = case_images(DATA, patient, spec.input_names)
        truth = reference_mask(DATA, patient)
        started = time.perf_counter()
        Segmenter(model, "cpu")(images)
        inference_s = time.perf_counter() - started
        prepared = prepare_model_input(spec, images)
        volume = torch.from_numpy(prepared.array[None])
        prediction = run_sliding_window(network, volume, roi, overlap)[0].argmax(0).numpy()
        target = Target(1, region_of(prediction, 1))
        indices = np.argwhere(target.region)
        box = tuple(slice(max(int(a) - 8, 0), int(b) + 9) for a, b in zip(indices.min(0), indices.max(0)))
        truth_grid = sitk.GetArrayFromImage(resample_onto(sitk.Cast(truth, sitk.sitkFloat32), prepared.grid)).transpose(2, 1, 0) >= 0.5
        distance = ndimage.distance_transform_edt(~truth_grid, sampling=prepared.grid.GetSpacing())
        deleted = torch.zeros_like(volume)
        random_auc = deletion_auc(network, volume, deleted, target, roi, overlap, rng.random(target.region.shape), box)
        for method, compute in maps_for(network, volume, target, roi, overlap).items():
            if arguments.methods and method not in arguments.methods.split(","):
                continue
            started = time.perf_counter()
            saliency, extras = compute()
            seconds = time.perf_counter() - started
            peak = np.unravel_index(np.argmax(saliency), saliency.shape)
            row = {"patient": patient, "method": method, "seconds": seconds, "inference_s": inference_s,
                   "hit": bool(distance[peak] <= 5.0),
                   "deletion_auc": deletion_auc(network, volume, deleted, target, roi, overlap, saliency, box),
                   "random_auc": random_auc, **extras}
            if method in ("gradcam", "gradient"):
                other, _ = maps_for(randomised, volume, target, roi, overlap)[method]()
                row["randomisation_spearman"] = float(stats.spearmanr(saliency.ravel(), other.ravel()).statistic)
            rows.append(row)
            print(f"{patient} {method:<10} hit={row['hit']!s:<5} deletion AUC {row['deletion_auc']:.3f} "
                  f"(random {random_auc:.3f}) {seconds:.1f} s (inference {inference_s:.1f} s)"
                  + (f" randomisation rho {row['randomisation_spearman']:.2f}" if "randomisation_spearman" in row else "")
                  + (f" IG completeness {row['ig_completeness']:.3f} ({row['ig_steps']:.1f} steps per window)"
                     if "ig_completeness" in row else ""), flush=True)
    print("\n| method | pointing game hits | mean deletion AUC (random) | mean time / inference | randomisation rho | IG completeness |")
    print("| --- | --- | --- | --- | --- | --- |")
    for method in maps_for(network, volume, target, roi, overlap):
        selected = [r for r in rows if r["method"] == method]
        if not selected:
            continue
        rho = [r["randomisation_spearman"] for r in selected if "randomisation_spearman" in r]
        completeness = [r["ig_completeness"] for r in selected if "ig_completeness" in r]
        rho_text = f"{np.mean(rho):.2f}" if rho else "-"
        completeness_text = (f"{np.mean(completeness):.3f} (range {np.min(completeness):.3f}-{np.max(completeness):.3f}"
                             f", {np.mean([r['ig_steps'] for r in selected]):.1f} steps per window)"
                             if completeness else "-")
        print(f"| {method} | {sum(r['hit'] for r in selected)}/{len(selected)} | "
              f"{np.mean([r['deletion_auc'] for r in selected]):.3f} ({np.mean([r['random_auc'] for r in selected]):.3f}) | "
              f"{np.mean([r['seconds'] / r['inference_s'] for r in selected]):.2f}x | {rho_text} | {completeness_text} |")


if __name__ == "__main__":
    main()
