"""The model card (docs/README.md of a bundle): data, license, split, metrics, intended use."""

from __future__ import annotations

from typing import Mapping

from MedImgAILib.training.recipes import NORMALIZATION, Recipe, TRAIN_PATIENTS, VALIDATION_PATIENTS

__all__ = ["render_model_card"]

UNITS = {"CT": " HU", "PET": " SUV"}  # of the windowed inputs, for the preprocessing line

CITATIONS = """- Vallières M, Freeman CR, Skamene SR, El Naqa I (2015). A radiomics model from joint FDG-PET and MRI texture
  features for the prediction of lung metastases in soft-tissue sarcomas of the extremities. The Cancer Imaging
  Archive. DOI: 10.7937/K9/TCIA.2015.7GO2GSKS
- Vallières M, Freeman CR, Skamene SR, El Naqa I (2015). Physics in Medicine and Biology 60(14):5471.
  DOI: 10.1088/0031-9155/60/14/5471
- Clark K, Vendt B, Smith K, et al. The Cancer Imaging Archive (TCIA): Maintaining and Operating a Public
  Information Repository. Journal of Digital Imaging 26(6), 2013, pp 1045-1057. DOI: 10.1007/s10278-013-9622-7"""


def _table(evaluations: Mapping[str, Mapping]) -> str:
    patients = list(VALIDATION_PATIENTS)
    lines = ["| model | " + " | ".join(patients) + " | mean | median |",
             "| --- | " + " | ".join("---" for _ in patients) + " | --- | --- |"]
    for name, evaluation in evaluations.items():
        cells = [f"{evaluation['per_patient'].get(p, float('nan')):.3f}" for p in patients]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | **{evaluation['mean']:.3f}** | {evaluation['median']:.3f} |")
    return "\n".join(lines)


def _comparison_statement(own_id: str, evaluation: Mapping, comparisons: Mapping[str, Mapping]) -> str:
    if not comparisons:
        return ""
    best_id, best = max(comparisons.items(), key=lambda item: item[1]["mean"])
    difference = evaluation["mean"] - best["mean"]
    if difference >= 0.02:
        return (f"The multimodal model is better than the best single-modality variant ({best_id}) by "
                f"{difference:.3f} mean Dice on these six patients.")
    return (f"Honestly: a single modality is as good. {best_id} reaches a mean Dice of {best['mean']:.3f} against "
            f"{evaluation['mean']:.3f} for {own_id}; with six validation patients a difference of "
            f"{abs(difference):.3f} is within noise, so this data does not show that adding CT and MR to PET helps.")


def _spatial_augmentation(recipe: Recipe) -> str:
    if not recipe.spatial_augmentation:
        return ""
    x, y, z = recipe.rotate_degrees
    return (f"random rotation (up to {x:g}/{y:g}/{z:g} degrees about x/y/z) and scaling ({recipe.scale_range:.0%}) "
            "of a 25 % larger crop, ")


def _hardest_case(evaluations: Mapping[str, Mapping]) -> str:
    patients = list(VALIDATION_PATIENTS)
    worst = {name: min(patients, key=lambda p: e["per_patient"].get(p, 1.0)) for name, e in evaluations.items()}
    hardest = min(patients, key=lambda p: sum(e["per_patient"].get(p, 1.0) for e in evaluations.values()))
    everywhere = all(patient == hardest for patient in worst.values())
    return f"{hardest} is the hardest case{' for every variant' if everywhere and len(worst) > 1 else ''}."


def _preprocessing(recipe: Recipe) -> str:
    """The intensity normalisation of each of the recipe's inputs, from the declaration the bundle carries."""
    parts = []
    for name in recipe.inputs:
        normalization = NORMALIZATION[name]
        if normalization["type"] == "window":
            parts.append(f"{name} window [{normalization['low']}, {normalization['high']}]{UNITS.get(name, '')}")
        else:
            parts.append(f"{name} z-score over {'non-zero' if normalization.get('nonzero') else 'all'} voxels")
    return ", ".join(parts)


def _inputs_and_grid(recipe: Recipe) -> str:
    if len(recipe.inputs) == 1:
        return (f"Input: {recipe.inputs[0]} of one patient. Output: a labelmap on the {recipe.inputs[0]} grid, or on "
                f"another image's grid with `--output-grid` (e.g. the CT of the same PET/CT),")
    return (f"Input: {', '.join(recipe.inputs)} of one patient, co-registered in physical space (each on its\n"
            "own grid; every input is resampled onto the first input's grid). Output: a labelmap on the first input's\n"
            "grid")


def _segment_inputs(recipe: Recipe) -> str:
    inputs = " ".join(f"--input {name}=..." for name in recipe.inputs)
    return inputs if recipe.inputs[0] == "CT" else f"{inputs} --output-grid CT.nii.gz"


def _target_statement(recipe: Recipe, evaluation: Mapping) -> str:
    if recipe.target_mean_dice is None:
        return ""
    met = "met" if evaluation["mean"] >= recipe.target_mean_dice else "not met"
    return (f"The target set for this model was a mean validation Dice of at least {recipe.target_mean_dice:.2f}; "
            f"it is {met}\n({evaluation['mean']:.3f}). ")


def render_model_card(recipe: Recipe, evaluation: Mapping, comparisons: Mapping[str, Mapping], history: Mapping,
                      training_minutes: float, command: str) -> str:
    inputs = " + ".join(recipe.inputs)
    all_rows = {recipe.model_id: evaluation, **{k: v for k, v in comparisons.items() if k != recipe.model_id}}
    final_validation = history.get("validation", [])
    curve = ", ".join(f"{it}: {mean:.3f}" for it, mean, _ in final_validation)
    return f"""# {recipe.model_id}: gross tumour volume of soft-tissue sarcoma from {inputs}

**Research use only. Not for clinical decisions.** Trained on 20 patients; it has not been validated beyond the
six validation patients listed below and will fail on images unlike them (other anatomy, other scanners,
images not cropped around a tumour).

## What it does
{_inputs_and_grid(recipe)} with label 1 = gross tumour volume (SNOMED-CT 108369006 "Neoplasm", category
49755003 "Morphologically Altered Structure"). Preprocessing: {_preprocessing(recipe)},
resampled to {recipe.target_spacing_mm[0]} x {recipe.target_spacing_mm[1]} x {recipe.target_spacing_mm[2]} mm. Post-processing declared
by the model and applied by default (`--raw` turns it off): keep the largest connected component and fill its
holes, since a gross tumour volume is one mass.

## Data and license
IBSI validation set derived from the TCIA Soft-tissue-Sarcoma collection (project shared data
`sts-multimodal`): CT, FDG-PET (SUV) and MR T1 per patient, aligned, cropped about 5 cm around the tumour,
with the GTV contour rasterised on each grid. License CC BY 3.0; these weights are a derivative work and are
shared under CC BY 3.0 with this attribution. Please cite:
{CITATIONS}

## Split (fixed, by patient)
- Training (20): {", ".join(TRAIN_PATIENTS)}
- Validation (6): {", ".join(VALIDATION_PATIENTS)}
No test set: with 26 patients, the validation patients are the only held-out data. The final weights after the
fixed schedule are shipped (no checkpoint selection on the validation set), so the validation Dice is not
optimistically selected.

## Training recipe (identical for every variant)
MONAI residual 3D U-Net (channels 16-32-64-128, 2 residual units, instance norm, dropout 0.1); patches
{recipe.patch_size[0]}x{recipe.patch_size[1]}x{recipe.patch_size[2]} voxels ({recipe.samples_per_patient} per patient, {recipe.tumour_to_background_centres[0]}:{recipe.tumour_to_background_centres[1]} tumour:background
centres), {recipe.batch_patients} patients per batch; augmentation: {_spatial_augmentation(recipe)}flips on all axes, intensity
scale/shift 10 %; Dice + cross-entropy
loss; AdamW (lr {recipe.learning_rate}, weight decay {recipe.weight_decay}) with cosine decay over {history.get('iterations', recipe.iterations)} iterations;
seed {recipe.seed}. Trained in {training_minutes:.0f} minutes of wall-clock time on a 2-core CPU shared with other work
(the variants trained side by side) with:

    {command}

Validation Dice on the model grid during training (iteration: mean): {curve or "n/a"}.

## Validation Dice (per patient, against the CT-grid GTV mask, through `medimgai segment`)
{_table(all_rows)}

{_comparison_statement(recipe.model_id, evaluation, comparisons)}
{_target_statement(recipe, evaluation)}{_hardest_case(all_rows)}

Reproduce the first row with `medimgai segment --model {recipe.model_id} {_segment_inputs(recipe)}`
on each validation patient, or all at once with `medimgai train --evaluate-only` (see the README).

## Limitations
Small training set (20 patients, one institution's protocol); cropped images around a known tumour; no
external validation. Saliency, uncertainty and per-modality attribution maps: `medimgai explain`.
"""
