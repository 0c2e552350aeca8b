"""Inference inside a region of interest: the box, its crop, and labels that stay on the full reference grid."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.inference.region_of_interest import RegionOfInterest
from MedImgAILib.metrics import dice


def test_a_box_crops_each_image_on_its_own_grid_and_a_labelmap_gives_its_bounding_box(an_oblique_image,
                                                                                      an_oblique_labelmap):
    box = RegionOfInterest.from_labelmap(an_oblique_labelmap == 1)
    cropped = box.crop(an_oblique_image)
    k, j, i = np.nonzero(sitk.GetArrayViewFromImage(an_oblique_labelmap == 1))
    inside = sitk.GetArrayViewFromImage(an_oblique_image)[k, j, i]
    assert set(inside.tolist()) <= set(sitk.GetArrayViewFromImage(cropped).ravel().tolist())  # nothing lost
    assert np.prod(cropped.GetSize()) < np.prod(an_oblique_image.GetSize())
    assert cropped.GetDirection() == an_oblique_image.GetDirection()  # same grid, cut: never resampled
    far = RegionOfInterest((1e4, 1e4, 1e4), (1e4 + 1, 1e4 + 1, 1e4 + 1))
    with pytest.raises(InputError, match="CT: does not overlap the region of interest"):
        far.crop(an_oblique_image, "CT")
    with pytest.raises(InputError, match="not a box"):
        RegionOfInterest.from_text("1,2,3")
    assert RegionOfInterest.from_text("5,0,0,1,2,3").lower_lps == (1.0, 0.0, 0.0)


def test_segmenting_inside_a_box_around_the_tumour_keeps_its_labels_and_the_full_grid(an_sts_nifti_case):
    from MedImgAILib.inference import Segmenter
    from MedImgAILib.models import load_model

    images = {name: sitk.ReadImage(str(an_sts_nifti_case / f"{file}_image.nii.gz"))
              for name, file in (("CT", "CT"), ("PET", "PET"), ("MR", "MR_T1"))}
    segmenter = Segmenter(load_model("sts-gtv-ct-pet-mr"), "cpu")
    whole = segmenter(images)
    tumour = sitk.ReadImage(str(an_sts_nifti_case / "CT_mask.nii.gz"))
    box = RegionOfInterest.from_labelmap(tumour, margin_mm=20.0)
    inside = segmenter(images, roi=box)
    assert inside.labelmap.GetSize() == images["CT"].GetSize()
    assert inside.labelmap.GetOrigin() == images["CT"].GetOrigin()
    assert inside.provenance["roi"]["margin_mm"] == 20.0
    predicted, reference = (sitk.GetArrayViewFromImage(r.labelmap) > 0 for r in (inside, whole))
    # Measured 0.961: the MR is z-scored over what the model sees, so its statistics change with the box (CT and
    # PET are windowed and do not). Open question for issue 14: z-score over the reference's region instead.
    assert dice(predicted, reference) >= 0.95
    far_from_box = np.ones(predicted.shape, dtype=bool)
    kept = box.crop(sitk.Cast(images["CT"] * 0 + 1, sitk.sitkUInt8), "CT")
    start = images["CT"].TransformPhysicalPointToIndex(kept.GetOrigin())
    far_from_box[start[2]: start[2] + kept.GetSize()[2], start[1]: start[1] + kept.GetSize()[1],
                 start[0]: start[0] + kept.GetSize()[0]] = False
    assert not predicted[far_from_box].any()  # background outside the box


def test_the_command_line_takes_a_box_or_a_labelmap_as_region_and_refuses_a_bad_one(tmp_path, an_sts_nifti_case):
    import subprocess
    import sys

    case = an_sts_nifti_case
    inputs = ["--input", f"CT={case / 'CT_image.nii.gz'}", "--input", f"PET={case / 'PET_image.nii.gz'}",
              "--input", f"MR={case / 'MR_T1_image.nii.gz'}"]
    command = [sys.executable, "-c", "import sys; from MedImgAILib.cli.main import main; sys.exit(main())",
               "segment", "--model", "sts-gtv-ct-pet-mr", *inputs]
    mask = sitk.ReadImage(str(case / "CT_mask.nii.gz"))
    box = RegionOfInterest.from_labelmap(mask)
    text = ",".join(f"{v:.3f}" for v in (*box.lower_lps, *box.upper_lps))
    for roi, name in ((str(case / "CT_mask.nii.gz"), "by-mask"), (text, "by-box")):
        result = subprocess.run([*command, "--output", str(tmp_path / f"{name}.nii.gz"), "--roi", roi,
                                 "--roi-margin", "20"], capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr
    by_mask, by_box = (sitk.GetArrayFromImage(sitk.ReadImage(str(tmp_path / f"{n}.nii.gz"))) for n in ("by-mask", "by-box"))
    assert dice(by_mask > 0, by_box > 0) > 0.99 and (by_mask > 0).sum() > 1000
    bad = subprocess.run([*command, "--output", str(tmp_path / "bad.nii.gz"), "--roi", "1,2,3"], capture_output=True,
                         text=True, timeout=600)
    assert bad.returncode == 1 and "1,2,3: '1,2,3' is not a box" in bad.stderr and "Traceback" not in bad.stderr
