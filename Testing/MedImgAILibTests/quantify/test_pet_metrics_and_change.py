"""Clinical PET metrics, simple per-segment measures, feature tables and the change between two time points."""

from __future__ import annotations

import math

import numpy as np
import pytest
import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.quantify.change import feature_changes
from MedImgAILib.quantify.feature_table import FeatureRow, read_feature_table, write_feature_table
from MedImgAILib.quantify.pet_metrics import pet_metrics
from MedImgAILib.quantify.segment_masks import label_values, mask_on_grid
from MedImgAILib.quantify.segment_measures import segment_measures
from rotations import rotation_matrix
from shared_data import shared_path


def _hot_ball(suv: float = 10.0, radius: float = 20.0) -> tuple[sitk.Image, sitk.Image]:
    """A PET with a uniform ball of SUV `suv` in a background of 1, on an oblique, anisotropic grid; the
    segmentation is the ball plus a 6 mm margin."""
    image = sitk.Image(48, 40, 36, sitk.sitkFloat32)
    image.SetSpacing((2.0, 2.5, 3.0))
    image.SetDirection(tuple(rotation_matrix((1, -2, 1), 20.0).ravel()))
    image.SetOrigin((-40.0, 12.0, -55.0))
    centre = np.array(image.TransformContinuousIndexToPhysicalPoint([23.5, 19.5, 17.5]))
    k, j, i = np.indices(image.GetSize()[::-1])
    matrix = np.array(image.GetDirection()).reshape(3, 3) * np.array(image.GetSpacing())
    lps = np.einsum("ab,bzyx->zyxa", matrix, np.stack([i, j, k])) + np.array(image.GetOrigin())
    distance = np.linalg.norm(lps - centre, axis=-1)
    pet = sitk.GetImageFromArray(np.where(distance <= radius, suv, 1.0).astype(np.float32))
    pet.CopyInformation(image)
    segmentation = sitk.GetImageFromArray((distance <= radius + 6.0).astype(np.uint8))
    segmentation.CopyInformation(image)
    return pet, segmentation


def test_pet_metrics_of_a_uniform_hot_ball_are_its_suv_and_its_volume():
    pet, segmentation = _hot_ball()
    metrics = pet_metrics(pet, mask_on_grid(segmentation, 1, pet))
    ball_ml = 4 / 3 * math.pi * 20.0 ** 3 / 1000
    assert metrics["pet_suv_max"] == pytest.approx(10.0)
    assert metrics["pet_suv_peak_local"] == pytest.approx(10.0) and metrics["pet_suv_peak_global"] == pytest.approx(10.0)
    assert metrics["pet_mtv_41pct_ml"] == pytest.approx(ball_ml, rel=0.03)  # voxelised ball
    assert metrics["pet_mtv_suv2_5_ml"] == metrics["pet_mtv_41pct_ml"]
    assert metrics["pet_tlg_41pct"] == pytest.approx(10.0 * metrics["pet_mtv_41pct_ml"])
    assert 1.0 < metrics["pet_suv_mean"] < 10.0  # the margin's background counts in the segment's mean


def test_suvpeak_on_a_small_hot_spot_is_diluted_by_the_1_ml_sphere():
    pet, segmentation = _hot_ball(suv=10.0, radius=3.0)  # smaller than the 6.2 mm peak sphere
    metrics = pet_metrics(pet, mask_on_grid(segmentation, 1, pet))
    assert metrics["pet_suv_max"] == pytest.approx(10.0)
    assert 1.0 < metrics["pet_suv_peak_local"] < 6.0


def test_pet_metrics_of_a_sarcoma_match_the_published_values_on_the_original_grid():
    """STS_001: SUVmax 7.91 and IBSI local SUVpeak 5.31 on the PET's own grid (../shared/data/ibsi/README.md)."""
    case = shared_path("sts-multimodal", "STS_001")
    pet = sitk.ReadImage(str(case / "PET_image.nii.gz"))
    metrics = pet_metrics(pet, mask_on_grid(sitk.ReadImage(str(case / "PET_mask.nii.gz")), 1, pet))
    assert round(metrics["pet_suv_max"], 2) == 7.91
    assert round(metrics["pet_suv_peak_local"], 2) == 5.31
    assert metrics["pet_suv_peak_global"] >= metrics["pet_suv_peak_local"]
    assert metrics["pet_mtv_41pct_ml"] <= metrics["pet_mtv_suv2_5_ml"] or metrics["pet_suv_max"] * 0.41 > 2.5


def test_segment_measures_give_volume_intensities_and_centroid_in_ras():
    pet, segmentation = _hot_ball()
    measures = segment_measures(pet, mask_on_grid(segmentation, 1, pet))
    centre = np.array(pet.TransformContinuousIndexToPhysicalPoint([23.5, 19.5, 17.5]))
    assert measures["basic_volume_ml"] == pytest.approx(4 / 3 * math.pi * 26.0 ** 3 / 1000, rel=0.03)
    assert measures["basic_max"] == 10.0 and measures["basic_min"] == 1.0
    assert [measures[f"basic_centroid_{axis}"] for axis in "ras"] == pytest.approx(centre * [-1, -1, 1], abs=0.2)


def test_a_segmentation_on_another_grid_is_brought_onto_the_image_with_partial_volume_half():
    pet, segmentation = _hot_ball()
    fine = sitk.Resample(segmentation, [96, 80, 72], sitk.Transform(), sitk.sitkNearestNeighbor,
                         segmentation.GetOrigin(), [s / 2 for s in segmentation.GetSpacing()],
                         segmentation.GetDirection(), 0, sitk.sitkUInt8)
    same = mask_on_grid(segmentation, 1, pet)
    moved = mask_on_grid(fine, 1, pet)
    assert abs(int(moved.sum()) - int(same.sum())) < 0.03 * same.sum()
    with pytest.raises(InputError, match="segmentation: is empty"):
        label_values(segmentation * 0)


def test_a_feature_table_round_trips_and_a_damaged_one_is_named(tmp_path):
    rows = [FeatureRow("GTV", 1, "PET", "pet_suv_max", 7.910674095153809), FeatureRow("GTV", 1, "CT", "stat_mean", math.nan)]
    path = write_feature_table(rows, tmp_path / "features.csv")
    assert path.read_text().splitlines()[0] == "segment,label,image,feature,value"
    again = read_feature_table(path)
    assert again[0] == rows[0] and math.isnan(again[1].value)
    (tmp_path / "bad.csv").write_text("segment,label,image,feature,value\nGTV,one,PET,pet_suv_max,1\n")
    with pytest.raises(InputError, match="bad.csv: line 2: label 'one'"):
        read_feature_table(tmp_path / "bad.csv")
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="other.csv: is not a MedImgAI feature table"):
        read_feature_table(tmp_path / "other.csv")


@pytest.mark.parametrize("before, after, category", [
    (10.0, 6.0, "partial metabolic response"),   # -40 %, -4.0
    (2.0, 1.3, "stable metabolic disease"),      # -35 % but only -0.7: PERCIST also wants 0.8 units
    (5.0, 7.0, "progressive metabolic disease"),  # +40 %, +2.0
    (5.0, 6.0, "stable metabolic disease"),      # +20 %
])
def test_suvpeak_change_follows_percist_thresholds_on_suv(before, after, category):
    row = lambda value: FeatureRow("GTV", 1, "PET", "pet_suv_peak_global", value)  # noqa: E731
    change = feature_changes([row(before)], [row(after)])[0]
    assert change.category == category and change.absolute_change == pytest.approx(after - before)
    assert "SUV (not SUL" in change.rule


def test_volume_change_uses_twenty_percent_and_other_features_get_no_category():
    before = [FeatureRow("GTV", 1, "CT", "basic_volume_ml", 100.0), FeatureRow("GTV", 1, "CT", "stat_mean", 40.0)]
    after = [FeatureRow("GTV", 1, "CT", "basic_volume_ml", 79.0), FeatureRow("GTV", 1, "CT", "stat_mean", 0.0)]
    volume, mean = feature_changes(before, after)
    assert volume.category == "decrease" and volume.relative_change == pytest.approx(-0.21)
    assert mean.category == "" and mean.relative_change == pytest.approx(-1.0)
    with pytest.raises(InputError, match="share no"):
        feature_changes(before, [FeatureRow("GTV", 2, "CT", "basic_volume_ml", 1.0)])
