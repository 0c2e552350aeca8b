"""The model card (docs/README.md of a bundle): data, license, split, tuning, test figures, intended use."""

from __future__ import annotations

from typing import Any, Mapping

from MedImgAILib.training.recipes import (DEVELOPMENT_PATIENTS, NORMALIZATION, TEST_PATIENTS, TUNING_PATIENTS,
                                          Recipe)

__all__ = ["render_model_card"]

UNITS = {"CT": " HU", "PET": " SUV"}  # of the windowed inputs, for the preprocessing line

CITATIONS = """- Vallières M, Freeman CR, Skamene SR, El Naqa I (2015). A radiomics model from joint FDG-PET and MRI texture
  features for the prediction of lung metastases in soft-tissue sarcomas of the extremities. The Cancer Imaging
  Archive. DOI: 10.7937/K9/TCIA.2015.7GO2GSKS
- Vallières M, Freeman CR, Skamene SR, El Naqa I (2015). Physics in Medicine and Biology 60(14):5471.
  DOI: 10.1088/0031-9155/60/14/5471
- Clark K, Vendt B, Smith K, et al. The Cancer Imaging Archive (TCIA): Maintaining and Operating a Public
  Information Repository. Journal of Digital Imaging 26(6), 2013, pp 1045-1057. DOI: 10.1007/s10278-013-9622-7"""


def _cell(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _test_table(model_id: str, evaluation: Mapping, comparisons: Mapping[str, Mapping]) -> str:
    """One row per test patient: this model's Dice and predicted/true volume, then each comparison's Dice."""
    others = [k for k in comparisons if k != model_id]
    header = ["patient", "Dice", "predicted / true volume", *(f"{k} Dice" for k in others)]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for patient, score in evaluation["per_patient"].items():
        cells = [patient, f"{score:.3f}", f"{evaluation['volume_ratio'][patient]:.2f}",
                 *(_cell(comparisons[k]["per_patient"].get(patient)) for k in others)]
        lines.append("| " + " | ".join(cells) + " |")
    means = [_cell(_mean_over(comparisons[k], evaluation["per_patient"])) for k in others]
    lines.append("| " + " | ".join(["**mean**", f"**{evaluation['mean']:.3f}**", "", *means]) + " |")
    return "\n".join(lines)


def _mean_over(other: Mapping, patients) -> float | None:
    values = [other["per_patient"][p] for p in patients if p in other["per_patient"]]
    return sum(values) / len(values) if len(values) == len(list(patients)) else None


def _comparison_statements(model_id: str, evaluation: Mapping, comparisons: Mapping[str, Mapping]) -> str:
    statements = []
    for other_id, other in comparisons.items():
        shared = [p for p in evaluation["per_patient"] if p in other["per_patient"]]
        if not shared or other_id == model_id:
            continue
        own = sum(evaluation["per_patient"][p] for p in shared) / len(shared)
        theirs = sum(other["per_patient"][p] for p in shared) / len(shared)
        note = other.get("note", "")
        statements.append(f"- Against {other_id}{f' ({note})' if note else ''}, on the {len(shared)} test patients "
                          f"both were evaluated on: mean Dice {own:.3f} against {theirs:.3f} "
                          f"({'+' if own >= theirs else ''}{own - theirs:.3f}).")
    return "\n".join(statements)


def _preprocessing(recipe: Recipe) -> str:
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


def _spatial_augmentation(recipe: Recipe) -> str:
    if not recipe.spatial_augmentation:
        return ""
    x, y, z = recipe.rotate_degrees
    return (f"random rotation (up to {x:g}/{y:g}/{z:g} degrees about x/y/z) and scaling ({recipe.scale_range:.0%}) "
            "of a 25 % larger crop, ")


def _decision(declaration: Mapping[str, Any]) -> str:
    threshold = declaration["postprocessing"].get("foreground_threshold")
    if threshold is None:
        return "a voxel is tumour where the network finds tumour more probable than background"
    return (f"a voxel is tumour where the network's tumour probability is at least {threshold:.2f} (chosen on the "
            "tuning patients, below)")


def _tuning_section(tuning: Mapping | None) -> str:
    if tuning is None:
        return ("## Decision threshold\nNot tuned for this variant (no tuning run): the most probable class wins, as "
                "trained.\n")
    rows = ["| foreground threshold | mean Dice | median Dice | predicted/true volume >= 1.2 | <= 0.83 |",
            "| --- | --- | --- | --- | --- |"]
    for threshold, summary in tuning["candidates"].items():
        mark = "**" if float(threshold) == tuning["best"] else ""
        rows.append(f"| {mark}{threshold}{mark} | {summary['mean']:.3f} | {summary['median']:.3f} | "
                    f"{summary['over_segmented']} of {len(summary['per_patient'])} | {summary['under_segmented']} |")
    best = tuning["candidates"][f"{tuning['best']:.2f}"]
    if tuning["threshold"] is not None:
        verdict = (f"Declared: {tuning['threshold']:.2f} (tuning Dice {best['mean']:.3f} against "
                   f"{tuning['default_mean']:.3f} at 0.50).")
    else:
        verdict = (f"Not declared: the best threshold, {tuning['best']:.2f}, gives a tuning Dice of {best['mean']:.3f} "
                   f"against {tuning['default_mean']:.3f} at 0.50, less than the {tuning['minimum_gain']} gain the rule "
                   "asks for (with six patients a smaller difference is noise), so the most probable class is kept.")
    return f"""## Decision threshold (looked at on the tuning patients only)
A model trained the same way on the other 18 development patients segmented the 6 tuning patients
({", ".join(tuning["patients"])}); every threshold on P(tumour) was applied with the declared clean-up. The rule:
a threshold other than 0.50 is declared only if it raises the mean tuning Dice by at least {tuning["minimum_gain"]}
(set after seeing this table, whose curve is nearly flat; the test patients were not looked at). Tuning run: {tuning["minutes"]:.0f} minutes, `{tuning["command"]}`.

{chr(10).join(rows)}

{verdict} `medimgai segment --raw` gives the network's most probable class without any clean-up.
"""


def _region_statistics(recipe: Recipe) -> str:
    zscored = [name for name in recipe.inputs if NORMALIZATION[name]["type"] == "zscore"]
    if not zscored:
        return ""
    return f" The {', '.join(zscored)} z-score statistics are computed inside the region."


def _target_statement(recipe: Recipe, evaluation: Mapping) -> str:
    if recipe.target_mean_dice is None:
        return ""
    met = "met" if evaluation["mean"] >= recipe.target_mean_dice else "not met"
    return (f"The target set for this model was a mean Dice of at least {recipe.target_mean_dice:.2f} on patients "
            f"it never saw; on the test patients it is {met} ({evaluation['mean']:.3f}).")


def render_model_card(recipe: Recipe, declaration: Mapping[str, Any], evaluation: Mapping,
                      comparisons: Mapping[str, Mapping], training: Mapping, tuning: Mapping | None) -> str:
    inputs = " + ".join(recipe.inputs)
    fov = declaration.get("training_field_of_view_mm")
    fov_text = " x ".join(f"{v:.0f}" for v in fov) + " mm" if fov else "not declared"
    worst = min(evaluation["per_patient"], key=evaluation["per_patient"].get)
    n_test = len(evaluation["per_patient"])
    return f"""# {recipe.model_id}: gross tumour volume of soft-tissue sarcoma from {inputs}

**Research use only. Not for clinical decisions.** Trained on {len(DEVELOPMENT_PATIENTS)} patients of one public
collection, evaluated once on {n_test} others. It will fail on images unlike them (other anatomy, other
scanners, images not cropped around a tumour).

## What it does
{_inputs_and_grid(recipe)} with label 1 = gross tumour volume (SNOMED-CT 108369006 "Neoplasm", category
49755003 "Morphologically Altered Structure"). Preprocessing: {_preprocessing(recipe)},
resampled to {recipe.target_spacing_mm[0]} x {recipe.target_spacing_mm[1]} x {recipe.target_spacing_mm[2]} mm. Decision: {_decision(declaration)}.
Post-processing declared by the model and applied by default: keep the largest connected component and fill its
holes, since a gross tumour volume is one mass.

**Field of view.** Every training image was cropped about 5 cm around the tumour; the largest was
{fov_text} (declared as `training_field_of_view_mm`). On a much larger image (a whole-body PET/CT) the model
finds tumour-like uptake elsewhere, and MedImgAI warns: give a region of interest around the tumour
(`medimgai segment --roi`, the panel's Region of interest box, `roi=` from the console), drawn about as generously
as the training crops.{_region_statistics(recipe)}

## Data and license
IBSI validation set derived from the TCIA Soft-tissue-Sarcoma collection (project shared data
`sts-multimodal`, 36 patients): CT, FDG-PET (SUV) and MR T1 per patient, aligned, cropped about 5 cm around the
tumour, with the GTV contour rasterised on each grid. License CC BY 3.0; these weights are a derivative work and
are shared under CC BY 3.0 with this attribution. Please cite:
{CITATIONS}

## Split (fixed by a rule before any training, by patient)
Patients sorted by GTV volume; every third one, starting with the smallest, is a **test** patient (12, GTV
17-901 mL). Nothing looks at them until the shipped weights are evaluated once: no recipe choice, no threshold, no
checkpoint selection. Why not k-fold cross-validation: on a 2-core CPU one training takes about half an hour, and
one fixed test group spanning the volume range costs one training per variant while staying untouched by every
decision. The one decision made (the foreground threshold) is taken on 6 **tuning** patients inside the
development set, with a model trained on the other 18.
- Test ({len(TEST_PATIENTS)}): {", ".join(TEST_PATIENTS)}
- Development ({len(DEVELOPMENT_PATIENTS)}, train the shipped weights): {", ".join(DEVELOPMENT_PATIENTS)}
- Tuning (6 of the development patients; every fourth by volume): {", ".join(TUNING_PATIENTS)}

## Training recipe (identical for every variant)
MONAI residual 3D U-Net (channels 16-32-64-128, 2 residual units, instance norm, dropout 0.1); patches
{recipe.patch_size[0]}x{recipe.patch_size[1]}x{recipe.patch_size[2]} voxels ({recipe.samples_per_patient} per patient, {recipe.tumour_to_background_centres[0]}:{recipe.tumour_to_background_centres[1]} tumour:background
centres), {recipe.batch_patients} patients per batch; augmentation: {_spatial_augmentation(recipe)}flips on all axes, intensity
scale/shift 10 %; Dice + cross-entropy loss; AdamW (lr {recipe.learning_rate}, weight decay {recipe.weight_decay}) with
cosine decay over {training.get('iterations', recipe.iterations)} iterations; seed {recipe.seed}; the weights after the last iteration are
shipped. Trained in {training['minutes']:.0f} minutes of wall-clock time on a 2-core CPU shared with other work with:

    {training['command']}

{_tuning_section(tuning)}
## Test figures (12 patients never used for anything else; CT-grid GTV mask; through `medimgai segment`)
{_test_table(recipe.model_id, evaluation, comparisons)}

Mean Dice {evaluation['mean']:.3f}, median {evaluation['median']:.3f}. Predicted/true volume >= 1.2 on
{evaluation['over_segmented']} of {n_test} patients, <= 0.83 on {evaluation['under_segmented']}. Hardest case: {worst}.
{_target_statement(recipe, evaluation)}
{_comparison_statements(recipe.model_id, evaluation, comparisons)}

Reproduce with `medimgai train --variant {recipe.variant} --stage final --evaluate-only --output <this folder> --data
../shared/data/sts-multimodal{' --tuning <tuning folder>' if tuning else ''}`, or one patient with `medimgai segment --model
{recipe.model_id} {_segment_inputs(recipe)}`.

## Limitations
{len(DEVELOPMENT_PATIENTS)} training patients from one collection and protocol; images cropped around a known
tumour; {n_test} test patients give a mean with a standard error of a few hundredths; no external validation.
Saliency, uncertainty and per-modality attribution: `medimgai explain`.
"""
