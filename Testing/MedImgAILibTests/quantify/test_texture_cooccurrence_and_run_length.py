"""IBSI 1 GLCM (cm_*) and GLRLM (rlm_*) features: the digital phantom's matrices and reference values, and the
matrices' construction checked voxel by voxel."""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest
import SimpleITK as sitk

from MedImgAILib.quantify.roi import ProcessedRoi
from MedImgAILib.quantify.texture_cooccurrence import cooccurrence, cooccurrence_features, cooccurrence_matrices
from MedImgAILib.quantify.texture_directions import AGGREGATIONS, DIRECTIONS_3D, IN_SLICE_DIRECTIONS
from MedImgAILib.quantify.texture_run_length import run_length, run_length_features, run_length_matrices
from shared_data import shared_path

# Features that cannot meet their reference, with the reason: {tag: reason}. None at present; the test below also
# fails if a listed deviation starts to match, so that the list stays true.
KNOWN_DEVIATIONS: dict[str, str] = {}


@pytest.fixture(scope="module")
def phantom_grey_levels() -> np.ndarray:
    """The IBSI digital phantom's grey levels as they are (N_g = 6, though 2 and 5 are absent), 0 outside."""
    folder = shared_path("ibsi", "digital-phantom")
    image = sitk.GetArrayFromImage(sitk.ReadImage(str(folder / "image.nii.gz")))
    mask = sitk.GetArrayFromImage(sitk.ReadImage(str(folder / "mask.nii.gz")))
    return np.where(mask > 0, image, 0).astype(np.int64)


def _phantom_references(prefix: str) -> dict[str, tuple[float, float]]:
    """{tag: (value, tolerance)} of the phantom's reference rows whose tag starts with prefix."""
    path = shared_path("ibsi", "reference", "mirp_transcribed_ibsi_1_dig_phantom.csv")
    rows = [line.split(";") for line in path.read_text().splitlines()[1:]]
    return {tag: (float(value), float(tolerance or 0)) for value, tolerance, tag in rows if tag.startswith(prefix)}


def _matches(value: float, reference: float, tolerance: float) -> bool:
    """Within the tolerance, or (tolerance 0: the phantom's values are exact) equal to the reference as rounded
    to the three significant digits IBSI gives: |value - reference| <= half a unit of the third significant digit.
    This is stricter than half a unit of the last digit shown, where trailing zeros were dropped (7 for 7.00)."""
    rounding = 0.5 * 10.0 ** (math.floor(math.log10(abs(reference))) - 2) if reference else 0.0
    return abs(value - reference) <= max(tolerance, rounding) * (1 + 1e-9)


@pytest.mark.parametrize("prefix, features", [("cm_", cooccurrence_features), ("rlm_", run_length_features)])
def test_every_phantom_feature_in_every_aggregation_matches_the_ibsi_reference(phantom_grey_levels, prefix, features):
    references = _phantom_references(prefix)
    values = features(phantom_grey_levels, 6)
    assert len(references) == {"cm_": 25, "rlm_": 16}[prefix] * len(AGGREGATIONS)
    assert set(values) == set(references)
    failures = [
        f"{tag}: {values[tag]:.6g}, reference {value:g}" for tag, (value, tolerance) in references.items()
        if not _matches(values[tag], value, tolerance) and tag not in KNOWN_DEVIATIONS
    ]
    stale = [tag for tag in KNOWN_DEVIATIONS if tag in references and _matches(values[tag], *references[tag])]
    assert not failures, "\n".join(failures)
    assert not stale, f"listed as known deviations but now matching: {stale}"


def _manual_tables() -> dict[str, list[dict[tuple[int, int], int]]]:
    """The phantom's texture matrices in manual chapter 06, per section: {(i, j): count} per table, in order."""
    lines = shared_path("ibsi", "manual", "06_Digital_phantom_texture_matrices.rst").read_text().splitlines()
    sections: dict[str, list[dict[tuple[int, int], int]]] = {}
    section, table = "", None
    for line, underline in itertools.zip_longest(lines, lines[1:], fillvalue=""):
        row = re.fullmatch(r"\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|", line)
        if re.fullmatch(r"-{5,}", underline):
            section = line.strip()
            sections[section] = []
        elif line.strip().startswith(".. table::"):
            table = None
        elif row:
            if table is None:
                table = {}
                sections[section].append(table)
            table[int(float(row[1])), int(float(row[2]))] = int(float(row[3]))
    return sections


def _manual_order(directions) -> list[int]:
    """Indices of directions ([z, y, x]) in the order of the manual's tables. Its captions were lost in conversion
    (every table reads "slice: 4 of 4"); the tables come in lexicographic order of the (x, y, z) direction with its
    first non-zero component positive (each table matches exactly one computed matrix, in that order)."""
    def canonical(direction):
        xyz = direction[::-1]
        return tuple(-c for c in xyz) if next(c for c in xyz if c) < 0 else tuple(xyz)
    return sorted(range(len(directions)), key=lambda k: canonical(directions[k]))


def _sparse(matrix: np.ndarray) -> dict[tuple[int, int], int]:
    """{(grey level, grey level or run length): count} of the non-zero elements, numbered from 1."""
    return {(i + 1, j + 1): int(count) for (i, j), count in np.ndenumerate(matrix) if count}


@pytest.mark.parametrize("family", ["co-occurrence", "run length"])
def test_the_phantoms_matrices_are_those_of_the_manual_per_slice_direction_and_merged(phantom_grey_levels, family):
    tables = _manual_tables()
    name = f"Grey level {family} matrix"
    if family == "co-occurrence":
        per_slice, per_direction = cooccurrence_matrices(phantom_grey_levels, 6)
    else:
        (per_slice, _), (per_direction, _) = run_length_matrices(phantom_grey_levels, 6)
    in_slice = [(k, d) for d in _manual_order(IN_SLICE_DIRECTIONS) for k in range(per_slice.shape[0])]
    assert tables[f"{name} (2D)"] == [_sparse(per_slice[k, d]) for k, d in in_slice]
    assert tables[f"{name} (2D, merged)"] == [_sparse(matrix) for matrix in per_slice.sum(axis=1)]
    assert tables[f"{name} (3D)"] == [_sparse(per_direction[d]) for d in _manual_order(DIRECTIONS_3D)]
    assert tables[f"{name} (3D, merged)"] == [_sparse(per_direction.sum(axis=0))]


def _awkward_grey_levels(shape=(5, 6, 7), n_grey_levels=4, seed=3) -> np.ndarray:
    """Random grey levels on a non-cubic grid with scattered voxels outside the ROI."""
    rng = np.random.default_rng(seed)
    levels = rng.integers(1, n_grey_levels + 1, size=shape)
    return np.where(rng.random(shape) < 0.2, 0, levels)


def _walk_lines(grey_levels: np.ndarray, direction) -> list[list[tuple[int, tuple[int, ...]]]]:
    """Every line along direction, voxel by voxel: [(grey level, voxel index)] from one array edge to the other."""
    lines = []
    for start in np.ndindex(grey_levels.shape):
        before = tuple(np.subtract(start, direction))
        if all(0 <= c < n for c, n in zip(before, grey_levels.shape)):
            continue  # not the first voxel of its line
        line, voxel = [], start
        while all(0 <= c < n for c, n in zip(voxel, grey_levels.shape)):
            line.append((int(grey_levels[voxel]), voxel))
            voxel = tuple(np.add(voxel, direction))
        lines.append(line)
    return lines


def test_cooccurrences_counted_voxel_by_voxel_agree_at_distances_1_and_2():
    grey_levels = _awkward_grey_levels()
    for distance in (1, 2):
        per_slice, per_direction = cooccurrence_matrices(grey_levels, 4, distance)
        for d, direction in enumerate(DIRECTIONS_3D):
            expected = np.zeros((grey_levels.shape[0], 4, 4), dtype=int)  # per slice of the first voxel
            for line in _walk_lines(grey_levels, direction):
                for (a, (k, _, _)), (b, _) in zip(line, line[distance:]):
                    if a and b:
                        expected[k, a - 1, b - 1] += 1
                        expected[k, b - 1, a - 1] += 1
            assert np.array_equal(per_direction[d], expected.sum(axis=0)), (distance, direction)
            if direction in IN_SLICE_DIRECTIONS:
                assert np.array_equal(per_slice[:, IN_SLICE_DIRECTIONS.index(direction)], expected)


def test_runs_counted_voxel_by_voxel_agree_and_voxels_outside_the_roi_end_them():
    grey_levels = _awkward_grey_levels()
    (per_slice, voxels_per_slice), (per_direction, voxels) = run_length_matrices(grey_levels, 4)
    for d, direction in enumerate(DIRECTIONS_3D):
        expected = np.zeros_like(per_direction[d])
        slices = np.zeros((grey_levels.shape[0], *expected.shape), dtype=int)
        for line in _walk_lines(grey_levels, direction):
            for level, run in itertools.groupby(line, key=lambda voxel: voxel[0]):
                run = list(run)
                if level:
                    expected[level - 1, len(run) - 1] += 1
                    slices[run[0][1][0], level - 1, len(run) - 1] += 1
        assert np.array_equal(per_direction[d], expected), direction
        if direction in IN_SLICE_DIRECTIONS:
            assert np.array_equal(per_slice[:, IN_SLICE_DIRECTIONS.index(direction)], slices)
    assert np.all(voxels == np.count_nonzero(grey_levels))
    assert np.all(voxels_per_slice == np.count_nonzero(grey_levels, axis=(1, 2))[:, None])


def test_features_do_not_change_when_the_image_is_mirrored_or_its_rows_and_columns_swapped():
    grey_levels = _awkward_grey_levels(shape=(4, 6, 6), n_grey_levels=5)
    for features in (cooccurrence_features, run_length_features):
        original = features(grey_levels, 5)
        for variant in (grey_levels[::-1], grey_levels[:, ::-1], grey_levels.transpose(0, 2, 1)):
            assert features(np.ascontiguousarray(variant), 5) == pytest.approx(original, nan_ok=True)


def test_a_uniform_roi_has_perfectly_homogeneous_features_and_leaves_undefined_correlations_out():
    grey_levels = np.zeros((3, 4, 5), dtype=int)
    grey_levels[:, 1:3, 1:4] = 2
    cm = cooccurrence_features(grey_levels, 3)
    assert cm["cm_joint_max_3D_comb"] == 1.0 and cm["cm_contrast_2D_avg"] == 0.0 and cm["cm_joint_avg_3D_avg"] == 2.0
    assert math.isnan(cm["cm_corr_3D_avg"]) and math.isnan(cm["cm_info_corr1_2D_comb"])
    rlm = run_length_features(grey_levels, 3)
    assert rlm["rlm_glnu_norm_3D_avg"] == 1.0 and rlm["rlm_gl_var_2_5D_comb"] == 0.0
    assert rlm["rlm_r_perc_2D_comb"] == pytest.approx((2 + 3 + 4 + 4) / (4 * 6))  # runs per slice / 4 N_v


def test_the_processed_roi_wrappers_read_its_grey_levels_and_refuse_an_roi_without_them(phantom_grey_levels):
    mask = phantom_grey_levels > 0
    roi = ProcessedRoi(phantom_grey_levels.astype(float), mask, mask, (2.0, 2.0, 2.0), phantom_grey_levels, 6)
    assert cooccurrence(roi) == cooccurrence_features(phantom_grey_levels, 6)
    assert run_length(roi) == run_length_features(phantom_grey_levels, 6)
    with pytest.raises(ValueError, match="no discretised grey levels"):
        run_length(ProcessedRoi(roi.image, mask, mask, roi.spacing))


@pytest.mark.parametrize("grey_levels, distance, problem", [
    (np.ones((4, 4), dtype=int), 1, "z, y, x"), (np.ones((2, 2, 2)), 1, "integers"),
    (np.full((2, 2, 2), 7), 1, "0..6"), (np.ones((2, 2, 2), dtype=int), 0, "positive whole number"),
])
def test_grey_levels_that_are_not_a_discretised_volume_or_a_distance_below_one_are_refused(
    grey_levels, distance, problem
):
    with pytest.raises(ValueError, match=re.escape(problem)):
        cooccurrence_features(grey_levels, 6, distance)
    if distance == 1:
        with pytest.raises(ValueError, match=re.escape(problem)):
            run_length_features(grey_levels, 6)
