"""IBSI 1 radiomics of one patient: MedImgAI against MIRP 2.7.0 on the same input and settings, in one run.

Run by hand (not in tests). MIRP is never a project dependency: it lives in this benchmark's own environment,

    python3.11 -m venv benchmarks/.venv-mirp
    benchmarks/.venv-mirp/bin/pip install mirp==2.7.0
    .venv/bin/python benchmarks/quantify_speed.py [--case DIR] [--repeats 3] [--cli-repeats 3] [--profile]

For each modality of the case (CT, PET, MR_T1, each with its own mask `<MODALITY>_mask.nii.gz`) the full IBSI
feature set (morphology, local intensity, statistics, intensity histogram, IVH, GLCM and GLRLM 3D averaged and
merged, GLSZM, GLDZM, NGTDM, NGLDM 3D) is computed with the `ibsi-sts` preset: by MedImgAI in this interpreter
and by MIRP in a worker process running the MIRP environment's Python (the two never share an interpreter). MIRP's
settings are derived from the same FeatureSettings object (mirp_arguments), so both sides use the same spacing,
interpolators, rounding, partial-volume threshold, re-segmentation range, bin width and texture distances.

Timing: one untimed warm-up per modality on both sides (imports, caches), then --repeats rounds, each running
every modality on MedImgAI then on MIRP (alternating, so both see the same machine state). Each time counts from
the file paths to the feature values (reading the NIfTI files included), measured inside each interpreter (the
pipe to the MIRP worker is not counted). Reported: the median per modality and of the per-round totals, the
ratio MIRP / MedImgAI, and MIRP's share spent in its Monte Carlo estimate of Moran's I and Geary's C (MedImgAI
computes those two exactly).

Then the values are compared tag by tag (relative difference, |a - b| / max(|a|, |b|)), and the command line
`medimgai quantify` is timed end to end (a new process: imports, reading, CT+PET+MR measured with the CT mask,
CSV written) --cli-repeats times. --profile adds a cProfile of MedImgAI's compute_features per modality.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import os
import platform
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import SimpleITK as sitk

from MedImgAILib.quantify.features import compute_features
from MedImgAILib.quantify.settings import FeatureSettings, preset

REPOSITORY = Path(__file__).resolve().parents[1]
DEFAULT_CASE = REPOSITORY / "Resources" / "SampleData" / "STS_002"
DEFAULT_MIRP_PYTHON = REPOSITORY / "benchmarks" / ".venv-mirp" / "bin" / "python"
MIRP_MODALITY = {"CT": "CT", "PET": "PET", "MR_T1": "MR"}  # image name -> MIRP's image_modality
MODALITIES = tuple(MIRP_MODALITY)
CHECKED_TAGS = ("morph_volume", "morph_area_mesh", "morph_sphericity", "loc_peak_glob", "stat_mean", "stat_p90",
                "ih_entropy", "cm_joint_entr_3D_avg", "rlm_sre_3D_comb", "szm_sze_3D", "dzm_sde_3D",
                "ngt_coarseness_3D", "ngl_lde_3D")

# The MIRP half: a worker reading one JSON request per line on stdin and answering one JSON line on stdout.
MIRP_WORKER = r'''
import json, logging, os, sys, time, warnings
from importlib.metadata import version
started = time.perf_counter()
answer = os.fdopen(os.dup(sys.stdout.fileno()), "w")
os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # whatever MIRP prints must not reach the answer pipe
warnings.filterwarnings("ignore")
logging.disable(logging.INFO)
from mirp import extract_features
import mirp._features.morph_3d_data as morph_data

spatial = [0.0]  # seconds in MIRP's Moran's I / Geary's C (Monte Carlo above 1000 voxels)
original = morph_data.Data3DSpatial.compute_spatial_information
def timed_spatial(self, *args, **kwargs):
    begun = time.perf_counter()
    try:
        return original(self, *args, **kwargs)
    finally:
        spatial[0] += time.perf_counter() - begun
morph_data.Data3DSpatial.compute_spatial_information = timed_spatial

answer.write(json.dumps({"ready": True, "version": version("mirp"), "import_s": time.perf_counter() - started}) + "\n")
answer.flush()
for line in sys.stdin:
    request = json.loads(line)
    arguments = {key: [float("nan") if v is None else v for v in value] if key == "resegmentation_intensity_range"
                 else value for key, value in request["arguments"].items()}
    spatial[0] = 0.0
    begun = time.perf_counter()
    table = extract_features(image=request["image"], mask=request["mask"], **arguments)[0]
    seconds = time.perf_counter() - begun
    row = table.iloc[0]
    features = {}
    for column in table.columns:
        try:
            features[column] = float(row[column])
        except (TypeError, ValueError):
            pass
    answer.write(json.dumps({"seconds": seconds, "spatial_s": spatial[0], "features": features}) + "\n")
    answer.flush()
'''


def mirp_arguments(settings: FeatureSettings, modality: str) -> dict:  # modality: CT, PET or MR
    """MIRP 2.7.0 extract_features keywords for the same processing as settings (3D, the ibsi-sts kind)."""
    if settings.by_slice or set(settings.reported_texture_dimensions) != {"3D"}:
        raise SystemExit("this benchmark maps 3D settings only")
    if settings.round_intensities != (modality == "CT"):
        raise SystemExit("MIRP rounds CT intensities (Hounsfield units) and nothing else; the settings differ")
    if settings.discretisation == "fbs" and settings.bin_minimum is not None:
        raise SystemExit("MIRP starts fixed-size bins at the re-segmentation range's lower bound only")
    order = {"nearest": 0, "linear": 1, "cubic": 3}
    method = {"fbn": "fixed_bin_number", "fbs": "fixed_bin_size", "none": "none"}
    arguments = {
        "image_modality": modality,
        "base_feature_families": "all",
        "new_spacing": None if settings.spacing_mm is None else [float(s) for s in reversed(settings.spacing_mm)],
        "spline_order": order[settings.interpolation],
        "anti_aliasing": False,  # IBSI phase III: no anti-aliasing (MIRP's default is on)
        "roi_spline_order": order[settings.mask_interpolation],
        "roi_interpolation_mask_inclusion_threshold": settings.partial_volume_threshold,
        "base_discretisation_method": method[settings.discretisation],
        "ivh_discretisation_method": method[settings.ivh_discretisation],
        "glcm_distance": float(settings.texture_distance),
        "ngldm_distance": float(settings.texture_distance),
        "ngldm_difference_level": float(settings.ngldm_alpha),
        "glcm_spatial_method": ["3d_average", "3d_volume_merge"],
        "glrlm_spatial_method": ["3d_average", "3d_volume_merge"],
        "glszm_spatial_method": "3d", "gldzm_spatial_method": "3d",
        "ngtdm_spatial_method": "3d", "ngldm_spatial_method": "3d",
    }
    if settings.resegmentation_range is not None:
        arguments["resegmentation_intensity_range"] = [None if v is None else float(v)
                                                       for v in settings.resegmentation_range]  # None: NaN, open
    if settings.outlier_sigma is not None:
        arguments["resegmentation_sigma"] = float(settings.outlier_sigma)
    if settings.discretisation == "fbs":
        arguments["base_discretisation_bin_width"] = float(settings.bin_width)
    elif settings.discretisation == "fbn":
        arguments["base_discretisation_n_bins"] = int(settings.bin_number)
    if settings.ivh_discretisation == "fbs":
        arguments["ivh_discretisation_bin_width"] = float(settings.ivh_bin_width)
    elif settings.ivh_discretisation == "fbn":
        arguments["ivh_discretisation_n_bins"] = int(settings.ivh_bin_number)
    return arguments


def ibsi_tag(mirp_column: str) -> str:
    """MIRP's column name as the IBSI tag MedImgAI uses: cm_joint_max_d1_3d_v_mrg_fbs_w10.0 -> cm_joint_max_3D_comb."""
    tag = re.sub(r"_(fbs|fbn|fbsp)_[wn][0-9.]+$", "", mirp_column)
    tag = re.sub(r"_d[0-9.]+(_a[0-9.]+)?(?=_3d)", "", tag)
    return tag.replace("_3d_v_mrg", "_3D_comb").replace("_3d_avg", "_3D_avg").replace("_3d", "_3D")


class MirpWorker:
    def __init__(self, python: Path, quiet: bool = True):
        self.process = subprocess.Popen([str(python), "-c", MIRP_WORKER], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL if quiet else None,
                                        text=True)
        self.hello = self._read()

    def _read(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"the MIRP worker stopped (exit {self.process.wait()}); is MIRP installed there?")
        return json.loads(line)

    def features(self, image: Path, mask: Path, arguments: dict) -> dict:
        self.process.stdin.write(json.dumps({"image": str(image), "mask": str(mask), "arguments": arguments}) + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


def medimgai_features(image: Path, mask: Path, settings: FeatureSettings) -> tuple[float, dict[str, float]]:
    started = time.perf_counter()
    features = compute_features(sitk.ReadImage(str(image)), sitk.ReadImage(str(mask)), settings)
    return time.perf_counter() - started, features


def relative_difference(a: float, b: float) -> float:
    if a == b:
        return 0.0
    if math.isnan(a) or math.isnan(b):
        return math.inf
    return abs(a - b) / max(abs(a), abs(b))


def medimgai_command() -> list[str]:
    script = Path(sys.executable).parent / "medimgai"
    return [str(script)] if script.exists() else [sys.executable, "-m", "MedImgAILib.cli.main"]


def time_cli(case: Path, repeats: int) -> tuple[list[float], list[float]]:
    """Wall times of `medimgai quantify` (new process each) and the run times it reports (measuring only)."""
    walls, measured = [], []
    with tempfile.TemporaryDirectory() as folder:
        command = [*medimgai_command(), "quantify", "--image", f"CT={case / 'CT_image.nii.gz'}",
                   "--image", f"PET={case / 'PET_image.nii.gz'}", "--image", f"MR_T1={case / 'MR_T1_image.nii.gz'}",
                   "--segmentation", str(case / "CT_mask.nii.gz"), "--output", f"{folder}/features.csv",
                   "--report", f"{folder}/report.json"]
        for _ in range(repeats):
            started = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            walls.append(time.perf_counter() - started)
            measured.append(json.loads(Path(folder, "report.json").read_text())["runtime_s"])
    return walls, measured


def profile(image: Path, mask: Path, settings: FeatureSettings, top: int = 18) -> str:
    image_, mask_ = sitk.ReadImage(str(image)), sitk.ReadImage(str(mask))
    profiler = cProfile.Profile()
    profiler.runcall(compute_features, image_, mask_, settings)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", type=Path, default=DEFAULT_CASE,
                        help="folder with <MODALITY>_image.nii.gz and <MODALITY>_mask.nii.gz (default: the sample)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cli-repeats", type=int, default=3, help="0: do not time the command line")
    parser.add_argument("--mirp-python", type=Path, default=DEFAULT_MIRP_PYTHON)
    parser.add_argument("--profile", action="store_true", help="also cProfile MedImgAI per modality")
    parser.add_argument("--json", type=Path, help="write all times and feature values here")
    arguments = parser.parse_args()
    case = arguments.case.resolve()
    if not arguments.mirp_python.exists():
        raise SystemExit(f"no MIRP environment at {arguments.mirp_python}: see this script's description")

    inputs = {modality: (case / f"{modality}_image.nii.gz", case / f"{modality}_mask.nii.gz",
                         preset("ibsi-sts", modality)) for modality in MODALITIES}
    mirp_args = {modality: mirp_arguments(settings, MIRP_MODALITY[modality])
                 for modality, (_, _, settings) in inputs.items()}

    worker = MirpWorker(arguments.mirp_python)
    ours: dict[str, list[float]] = {m: [] for m in MODALITIES}
    theirs: dict[str, list[float]] = {m: [] for m in MODALITIES}
    spatial: dict[str, list[float]] = {m: [] for m in MODALITIES}
    values: dict[str, tuple[dict, dict]] = {}
    try:
        for modality, (image, mask, settings) in inputs.items():  # warm-up, and the values to compare
            _, our_values = medimgai_features(image, mask, settings)
            values[modality] = (our_values, worker.features(image, mask, mirp_args[modality])["features"])
        for round_ in range(arguments.repeats):
            for modality, (image, mask, settings) in inputs.items():
                ours[modality].append(medimgai_features(image, mask, settings)[0])
                answer = worker.features(image, mask, mirp_args[modality])
                theirs[modality].append(answer["seconds"])
                spatial[modality].append(answer["spatial_s"])
                print(f"round {round_ + 1}/{arguments.repeats} {modality}: MedImgAI {ours[modality][-1]:.2f} s, "
                      f"MIRP {answer['seconds']:.2f} s", file=sys.stderr, flush=True)
    finally:
        worker.close()

    print(f"Command: `.venv/bin/python benchmarks/quantify_speed.py {' '.join(sys.argv[1:])}`\n")
    print(f"machine: {platform.machine()}, {platform.system()}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs; {date.today().isoformat()}; case {case.name}; MIRP {worker.hello['version']} "
          f"(imports {worker.hello['import_s']:.1f} s, not counted); median of {arguments.repeats}\n")
    print("| image | ROI voxels (processed) | MedImgAI (s) | MIRP (s) | MIRP / MedImgAI | MIRP Moran/Geary (s) "
          "| MIRP without Moran/Geary / MedImgAI |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    totals = {"ours": [sum(ours[m][r] for m in MODALITIES) for r in range(arguments.repeats)],
              "theirs": [sum(theirs[m][r] for m in MODALITIES) for r in range(arguments.repeats)],
              "spatial": [sum(spatial[m][r] for m in MODALITIES) for r in range(arguments.repeats)]}
    rows = [(m, ours[m], theirs[m], spatial[m], values[m][0].get("morph_vol_approx", math.nan)
             / math.prod(inputs[m][2].spacing_mm)) for m in MODALITIES]
    rows.append(("total", totals["ours"], totals["theirs"], totals["spatial"], math.nan))
    for name, our_times, their_times, spatial_times, voxels in rows:
        a, b, s = (statistics.median(t) for t in (our_times, their_times, spatial_times))
        rest = statistics.median([t - u for t, u in zip(their_times, spatial_times)])
        voxel_text = "" if math.isnan(voxels) else f"{round(voxels)}"
        print(f"| {name} | {voxel_text} | {a:.2f} | {b:.2f} | {b / a:.1f} | {s:.2f} | {rest / a:.1f} |")

    print("\nValue check, tags computed by both (IBSI names), relative difference |a - b| / max(|a|, |b|):\n")
    print("| image | common tags | within 1 % | over 1 % (MedImgAI vs MIRP) |")
    print("| --- | --- | --- | --- |")
    comparison = {}
    for modality in MODALITIES:
        our_values, mirp_columns = values[modality]
        mirp_values = {ibsi_tag(column): value for column, value in mirp_columns.items()}
        common = sorted(set(our_values) & set(mirp_values))
        differences = {tag: relative_difference(our_values[tag], mirp_values[tag]) for tag in common}
        over = [f"{tag} {our_values[tag]:.4g} vs {mirp_values[tag]:.4g}" for tag in common if differences[tag] > 0.01]
        comparison[modality] = {tag: (our_values[tag], mirp_values[tag]) for tag in common}
        print(f"| {modality} | {len(common)} | {len(common) - len(over)} | {'; '.join(over) or '-'} |")
    print("\nA few values side by side (MedImgAI / MIRP):\n")
    print("| tag | " + " | ".join(MODALITIES) + " |")
    print("| --- |" + " --- |" * len(MODALITIES))
    for tag in CHECKED_TAGS:
        cells = []
        for modality in MODALITIES:
            pair = comparison[modality].get(tag)
            cells.append("-" if pair is None else f"{pair[0]:.5g} / {pair[1]:.5g}")
        print(f"| {tag} | " + " | ".join(cells) + " |")

    cli = None
    if arguments.cli_repeats > 0:
        walls, measured = time_cli(case, arguments.cli_repeats)
        cli = {"wall_s": walls, "measuring_s": measured}
        print(f"\n`medimgai quantify` on {case.name} (CT+PET+MR_T1, CT mask, preset ibsi-sts), a new process each "
              f"time, median of {arguments.cli_repeats}: {statistics.median(walls):.2f} s end to end "
              f"(of which measuring: {statistics.median(measured):.2f} s; the rest is start-up, imports, reading "
              f"and writing)")

    if arguments.profile:
        for modality, (image, mask, settings) in inputs.items():
            print(f"\ncProfile, MedImgAI compute_features, {modality}:\n```\n{profile(image, mask, settings)}```")

    if arguments.json:
        arguments.json.write_text(json.dumps({"medimgai_s": ours, "mirp_s": theirs, "mirp_moran_geary_s": spatial,
                                              "cli": cli, "values": comparison, "mirp_arguments": mirp_args},
                                             indent=1, default=str))


if __name__ == "__main__":
    main()
