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
    # The MR is z-scored over what the model sees, as the training crops were, so its statistics follow the box
    # (CT and PET are windowed and do not): a box much tighter than the training crops changes a few border voxels.
    assert dice(predicted, reference) >= 0.95
    far_from_box = np.ones(predicted.shape, dtype=bool)
    kept = box.crop(sitk.Cast(images["CT"] * 0 + 1, sitk.sitkUInt8), "CT")
    start = images["CT"].TransformPhysicalPointToIndex(kept.GetOrigin())
    far_from_box[start[2]: start[2] + kept.GetSize()[2], start[1]: start[1] + kept.GetSize()[1],
                 start[0]: start[0] + kept.GetSize()[0]] = False
    assert not predicted[far_from_box].any()  # background outside the box


def _embedded(image: sitk.Image, in_plane_mm: float = 150.0, through_plane_mm: float = 90.0) -> sitk.Image:
    """image inside a larger volume of the same grid (whole voxels added on every side), the added voxels mirrored
    from the patient's own image: body-like content, not zeros."""
    spacing = image.GetSpacing()
    pad = [int(np.ceil(in_plane_mm / spacing[0])), int(np.ceil(in_plane_mm / spacing[1])),
           int(np.ceil(through_plane_mm / spacing[2]))]
    array = np.pad(sitk.GetArrayViewFromImage(image), [(pad[2],) * 2, (pad[1],) * 2, (pad[0],) * 2], mode="symmetric")
    larger = sitk.GetImageFromArray(array)
    larger.SetSpacing(spacing)
    larger.SetDirection(image.GetDirection())
    larger.SetOrigin(image.TransformIndexToPhysicalPoint([-p for p in pad]))
    return larger


def _common_box(images) -> RegionOfInterest:
    """The box all the images cover (outer voxel faces), in LPS."""
    import itertools

    lows, highs = [], []
    for image in images:
        faces = itertools.product(*zip([-0.5] * 3, np.array(image.GetSize()) - 0.5))
        corners = np.array([image.TransformContinuousIndexToPhysicalPoint([float(v) for v in c]) for c in faces])
        lows.append(corners.min(axis=0))
        highs.append(corners.max(axis=0))
    return RegionOfInterest(tuple(np.max(lows, axis=0)), tuple(np.min(highs, axis=0)))


def test_the_sample_case_inside_a_larger_body_gives_the_same_labels_with_a_region_around_the_tumour(
        an_sts_nifti_case):
    """The issue's test: embedded in a volume twice its size (mirrored body around it), the sample case's labels
    inside a region around the tumour are those of the case alone in the same region, voxel for voxel; nothing
    outside; the input is much larger than anything the model was trained on, so it warns without a region."""
    from MedImgAILib.inference import Segmenter
    from MedImgAILib.inference.field_of_view import field_of_view_warning
    from MedImgAILib.models import load_model

    images = {name: sitk.ReadImage(str(an_sts_nifti_case / f"{file}_image.nii.gz"))
              for name, file in (("CT", "CT"), ("PET", "PET"), ("MR", "MR_T1"))}
    larger = {name: _embedded(image) for name, image in images.items()}
    model = load_model("sts-gtv-ct-pet-mr")
    assert field_of_view_warning(model.spec, larger["CT"]) is not None
    assert field_of_view_warning(model.spec, images["CT"]) is None
    box = _common_box(images.values())  # around the tumour: the region every modality of the case covers
    segmenter = Segmenter(model, "cpu")
    alone = segmenter({name: box.crop(image, name) for name, image in images.items()})
    embedded = segmenter(larger, roi=box)
    assert embedded.labelmap.GetSize() == larger["CT"].GetSize() and not embedded.warnings
    labels = sitk.GetArrayViewFromImage(embedded.labelmap)
    start = larger["CT"].TransformPhysicalPointToIndex(alone.labelmap.GetOrigin())
    size = alone.labelmap.GetSize()
    where = tuple(slice(start[axis], start[axis] + size[axis]) for axis in (2, 1, 0))
    expected = sitk.GetArrayViewFromImage(alone.labelmap)
    assert expected.sum() > 1000 and np.array_equal(labels[where], expected)
    assert labels.sum() == expected.sum()  # background everywhere outside the region


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
