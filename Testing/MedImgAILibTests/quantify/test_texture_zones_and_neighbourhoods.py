"""GLSZM, GLDZM, NGTDM and NGLDM (IBSI 1) against the IBSI digital phantom: its published texture matrices
(manual, chapter 6) and its consensus feature values, every aggregation (2D, 2.5D, 3D)."""

from __future__ import annotations

import csv
import math
import re
from collections import Counter

import numpy as np
import pytest
import SimpleITK as sitk
from scipy import ndimage
from shared_data import shared_path

from MedImgAILib.errors import InputError
from MedImgAILib.quantify.texture_distance_zone import distance_to_roi_edge, distance_zone_features
from MedImgAILib.quantify.texture_neighbourhood_difference import (
    MAXIMUM_COARSENESS, neighbourhood_difference_features, neighbourhood_difference_matrix, neighbourhood_kernel,
)
from MedImgAILib.quantify.texture_neighbouring_dependence import dependence_counts, neighbouring_dependence_features
from MedImgAILib.quantify.texture_size_zone import size_zone_features
from MedImgAILib.quantify.zone_features import Zones

FAMILIES = ("szm_", "dzm_", "ngt_", "ngl_")
N_GREY_LEVELS = 6  # the phantom's grey levels 1..6 are used as they are (manual, chapter 5: no discretisation)

# Tags whose value is known not to match the consensus, with the reason. None at present.
KNOWN_DEVIATIONS: dict[str, str] = {}


def reference_rows() -> list[tuple[str, float, float]]:
    """(tag, value, tolerance) of the phantom's texture-family rows of MIRP's transcription of the consensus."""
    path = shared_path("ibsi", "reference", "mirp_transcribed_ibsi_1_dig_phantom.csv")
    with open(path, newline="") as file:
        rows = list(csv.reader(file, delimiter=";"))[1:]
    return [(tag.strip(), float(value), float(tolerance)) for value, tolerance, tag in rows
            if tag.strip().startswith(FAMILIES)]


def allowed_difference(reference: float, tolerance: float) -> float:
    """The manual prints consensus values to 3 significant digits, trailing zeros dropped ('1' is 1.00, '550' is
    550). Where no tolerance is given (0), a value matches when it rounds to the printed reference:
    abs(value - ref) <= max(tol, 0.5 * unit of the 3rd significant digit of ref); ref 0 must be 0 (1e-12)."""
    if reference == 0:
        return max(tolerance, 1e-12)
    half_unit = 0.5 * 10.0 ** (math.floor(math.log10(abs(reference))) - 2)
    return max(tolerance, half_unit * (1 + 1e-9))


@pytest.fixture(scope="module")
def phantom() -> tuple[np.ndarray, np.ndarray]:
    """The digital phantom's grey levels (0 outside the mask) and mask, [z, y, x]."""
    image = sitk.GetArrayFromImage(sitk.ReadImage(str(shared_path("ibsi", "digital-phantom", "image.nii.gz"))))
    mask = sitk.GetArrayFromImage(sitk.ReadImage(str(shared_path("ibsi", "digital-phantom", "mask.nii.gz")))) > 0
    return np.where(mask, image, 0), mask


@pytest.fixture(scope="module")
def phantom_features(phantom) -> dict[str, float]:
    grey_levels, mask = phantom
    return (size_zone_features(grey_levels, N_GREY_LEVELS) | distance_zone_features(grey_levels, N_GREY_LEVELS, mask)
            | neighbourhood_difference_features(grey_levels, N_GREY_LEVELS)
            | neighbouring_dependence_features(grey_levels, N_GREY_LEVELS))


@pytest.fixture(scope="module")
def published_matrices() -> dict[str, list[list[tuple[float, float, float]]]]:
    """Chapter 6's tables, per section title: a list of tables (per slice for 2D), each a list of rows."""
    lines = shared_path("ibsi", "manual", "06_Digital_phantom_texture_matrices.rst").read_text().splitlines()
    row = re.compile(r"^\s*\|\s*([0-9.]+)\s*\|\s*([0-9.]+)\s*\|\s*([0-9.]+)\s*\|\s*$")
    sections: dict[str, list[list[tuple[float, ...]]]] = {}
    title = None
    for line, next_line in zip(lines, lines[1:] + [""]):
        if next_line and set(next_line) == {"-"} and len(next_line) == len(line):
            title = line.strip()
            sections[title] = []
        elif line.startswith(".. table::") and title:
            sections[title].append([])
        elif (match := row.match(line)) and title:
            sections[title][-1].append(tuple(float(value) for value in match.groups()))
    return sections


def counted(grey: np.ndarray, j: np.ndarray) -> list[tuple[float, float, float]]:
    """Rows (i, j, count) of the matrix counting pairs (grey, j), as chapter 6 lists them."""
    return sorted((float(i), float(k), float(n)) for (i, k), n in Counter(zip(grey, j)).items())


# --- the matrices -------------------------------------------------------------------------------------------------

def test_the_size_zone_matrices_are_the_published_ones(phantom, published_matrices):
    grey_levels, _ = phantom
    planar, volume = Zones.of(grey_levels, planar=True), Zones.of(grey_levels, planar=False)
    per_slice = [counted(planar.grey[planar.slice_index == k], planar.sizes()[planar.slice_index == k])
                 for k in range(grey_levels.shape[0])]
    assert per_slice == published_matrices["Grey level size zone matrix (2D)"]
    assert [counted(volume.grey, volume.sizes())] == published_matrices["Grey level size zone matrix (3D)"]


def test_the_distance_zone_matrices_are_the_published_ones(phantom, published_matrices):
    grey_levels, mask = phantom
    planar, volume = Zones.of(grey_levels, planar=True), Zones.of(grey_levels, planar=False)
    planar_distance = planar.minimum(distance_to_roi_edge(mask, planar=True))
    per_slice = [counted(planar.grey[planar.slice_index == k], planar_distance[planar.slice_index == k])
                 for k in range(grey_levels.shape[0])]
    assert per_slice == published_matrices["Grey level distance zone matrix (2D)"]
    volume_distance = volume.minimum(distance_to_roi_edge(mask, planar=False))
    assert [counted(volume.grey, volume_distance)] == published_matrices["Grey level distance zone matrix (3D)"]


def test_the_neighbourhood_grey_tone_difference_matrices_are_the_published_ones(phantom, published_matrices):
    grey_levels, _ = phantom
    planar = neighbourhood_difference_matrix(grey_levels, N_GREY_LEVELS, 1, planar=True)
    volume = neighbourhood_difference_matrix(grey_levels, N_GREY_LEVELS, 1, planar=False)
    ours = [(s, n) for s, n in zip(*planar)] + [volume]
    published = (published_matrices["Neighbourhood grey tone difference matrix (2D)"]
                 + published_matrices["Neighbourhood grey tone difference matrix (3D)"])
    assert len(ours) == len(published)
    for (s, n), table in zip(ours, published):
        levels = np.flatnonzero(n) + 1
        assert [(float(i), float(n[i - 1])) for i in levels] == [(i, count) for i, _, count in table]
        # s is printed with up to 6 decimals.
        assert s[levels - 1] == pytest.approx([s_i for _, s_i, _ in table], abs=5e-7)


def test_the_neighbouring_grey_level_dependence_matrices_are_the_published_ones(phantom, published_matrices):
    grey_levels, _ = phantom
    roi = grey_levels > 0
    level, slice_index = grey_levels[roi], np.nonzero(roi)[0]
    planar = dependence_counts(grey_levels, distance=1, alpha=0, planar=True)[roi]
    per_slice = [counted(level[slice_index == k], planar[slice_index == k]) for k in range(grey_levels.shape[0])]
    assert per_slice == published_matrices["Neighbouring grey level dependence matrix (2D)"]
    volume = dependence_counts(grey_levels, distance=1, alpha=0, planar=False)[roi]
    assert [counted(level, volume)] == published_matrices["Neighbouring grey level dependence matrix (3D)"]


# --- the consensus values -----------------------------------------------------------------------------------------

def test_every_reference_tag_of_the_four_families_is_computed_and_no_other(phantom_features):
    assert sorted(phantom_features) == sorted(tag for tag, _, _ in reference_rows())


@pytest.mark.parametrize(
    ("tag", "reference", "tolerance"),
    [pytest.param(*row, id=row[0], marks=[pytest.mark.xfail(strict=True, reason=KNOWN_DEVIATIONS[row[0]])]
                  if row[0] in KNOWN_DEVIATIONS else []) for row in reference_rows()],
)
def test_each_phantom_feature_matches_the_ibsi_consensus(phantom_features, tag, reference, tolerance):
    assert abs(phantom_features[tag] - reference) <= allowed_difference(reference, tolerance), phantom_features[tag]


# --- definitions the phantom does not reach -----------------------------------------------------------------------

def erosion_distance(mask: np.ndarray, planar: bool) -> np.ndarray:
    """The manual's procedure: erode with the 6- (4-) connected element until empty, adding 1 per step."""
    structure = ndimage.generate_binary_structure(3, 1)
    if planar:
        structure[[0, 2]] = False
    distance = np.zeros(mask.shape, dtype=np.int64)
    remaining = mask.copy()
    while remaining.any():
        distance += remaining
        remaining = ndimage.binary_erosion(remaining, structure, border_value=0)
    return distance


@pytest.mark.parametrize("planar", [True, False], ids=["2D", "3D"])
def test_the_distance_to_the_roi_edge_is_the_manuals_iterated_erosion(planar):
    rng = np.random.default_rng(13)
    mask = ndimage.gaussian_filter(rng.normal(size=(12, 30, 27)), 2.5) > -0.05
    np.testing.assert_array_equal(distance_to_roi_edge(mask, planar), erosion_distance(mask, planar))


def test_zone_distances_are_measured_to_the_edge_of_the_morphological_mask_in_plane_for_2d():
    grey_levels = np.zeros((9, 9, 9), dtype=np.int32)
    grey_levels[2:7, 2:7, 2:7] = 1  # one zone; the morphological mask is one voxel wider in-plane, as thick in z
    morphological = np.zeros(grey_levels.shape, dtype=bool)
    morphological[2:7, 1:8, 1:8] = True
    features = distance_zone_features(grey_levels, 1, morphological)
    assert features["dzm_lde_2D"] == features["dzm_lde_2_5D"] == 4.0  # distance 2 in every slice
    assert features["dzm_lde_3D"] == 1.0  # the top and bottom slices lie on the edge in 3D
    assert distance_zone_features(grey_levels, 1, grey_levels > 0)["dzm_lde_2D"] == 1.0


def test_features_do_not_depend_on_the_empty_margin_around_the_roi(phantom, phantom_features):
    grey_levels, mask = phantom
    padded, padded_mask = np.pad(grey_levels, ((2, 1), (0, 3), (4, 0))), np.pad(mask, ((2, 1), (0, 3), (4, 0)))
    features = (size_zone_features(padded, N_GREY_LEVELS) | distance_zone_features(padded, N_GREY_LEVELS, padded_mask)
                | neighbourhood_difference_features(padded, N_GREY_LEVELS)
                | neighbouring_dependence_features(padded, N_GREY_LEVELS))
    assert features == pytest.approx(phantom_features, rel=1e-12)


def test_with_a_coarseness_above_the_grey_level_range_every_roi_neighbour_is_dependent(phantom):
    grey_levels, mask = phantom
    roi = grey_levels > 0
    for planar in (True, False):
        neighbours = ndimage.correlate(roi.astype(int), neighbourhood_kernel(2, planar), mode="constant")
        counts = dependence_counts(grey_levels, distance=2, alpha=N_GREY_LEVELS, planar=planar)
        np.testing.assert_array_equal(counts[roi], 1 + neighbours[roi])


def test_a_roi_of_one_grey_level_has_the_manuals_conventional_ngtdm_values():
    grey_levels = np.zeros((3, 5, 5), dtype=np.int32)
    grey_levels[:, 1:4, 1:4] = 2
    features = neighbourhood_difference_features(grey_levels, 3)
    for aggregation in ("2D", "2_5D", "3D"):
        assert features[f"ngt_coarseness_{aggregation}"] == MAXIMUM_COARSENESS
        for name in ("contrast", "busyness", "complexity", "strength"):
            assert features[f"ngt_{name}_{aggregation}"] == 0.0


def test_a_voxel_without_roi_neighbours_has_no_ngtdm_and_slices_without_one_are_left_out_of_the_2d_mean():
    grey_levels = np.zeros((3, 5, 5), dtype=np.int32)
    grey_levels[0, 2, 2] = 1  # alone in its slice, but a neighbour of the slice above in 3D
    grey_levels[1, 1:4, 1:4] = [[1, 2, 1], [2, 1, 2], [1, 2, 1]]
    features = neighbourhood_difference_features(grey_levels, 2)
    only_middle_slice = neighbourhood_difference_features(grey_levels[1:2], 2)
    assert features["ngt_contrast_2D"] == only_middle_slice["ngt_contrast_2D"]
    single = neighbourhood_difference_features(grey_levels[0:1], 2)
    assert all(math.isnan(value) for value in single.values())


@pytest.mark.parametrize(
    ("grey_levels", "n_grey_levels", "problem"),
    [(np.zeros((2, 3, 3), dtype=int), 4, "empty"), (np.full((2, 3, 3), 5), 4, "1..4"),
     (np.full((3, 3), 1), 4, "3D"), (np.full((2, 3, 3), 1.5), 4, "whole numbers")],
    ids=["empty ROI", "level above n_grey_levels", "2D array", "fractional levels"],
)
def test_grey_levels_that_are_not_a_discretised_3d_roi_are_refused(grey_levels, n_grey_levels, problem):
    for features in (size_zone_features, neighbourhood_difference_features, neighbouring_dependence_features):
        with pytest.raises(InputError, match=problem):
            features(grey_levels, n_grey_levels)


def test_an_intensity_mask_outside_the_morphological_mask_is_refused(phantom):
    grey_levels, mask = phantom
    with pytest.raises(InputError, match="outside the morphological mask"):
        distance_zone_features(grey_levels, N_GREY_LEVELS, np.zeros_like(mask))


def test_a_neighbourhood_below_one_voxel_or_a_negative_coarseness_is_refused(phantom):
    grey_levels, _ = phantom
    with pytest.raises(InputError, match="distance"):
        neighbourhood_difference_features(grey_levels, N_GREY_LEVELS, distance=0)
    with pytest.raises(InputError, match="distance"):
        neighbouring_dependence_features(grey_levels, N_GREY_LEVELS, distance=1.5)
    with pytest.raises(InputError, match="alpha"):
        neighbouring_dependence_features(grey_levels, N_GREY_LEVELS, alpha=-1)
