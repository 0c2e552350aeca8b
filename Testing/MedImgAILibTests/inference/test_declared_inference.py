"""The declaration fields a model made elsewhere needs, in general form: axis order, a fixed whole-volume shape,
a region of the image, nearest-neighbour resizing as torch's 'nearest-exact' does it, normalisation steps on the
network's own array, and a localizer network whose box is where the model runs."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import SimpleITK as sitk
import torch
from rotations import rotation_matrix

from MedImgAILib.errors import InputError
from MedImgAILib.inference import Segmenter, prepare_model_input
from MedImgAILib.inference.localizer import foreground_box
from MedImgAILib.inference.model_grid import IndexBox, axis_order, model_grid
from MedImgAILib.inference.normalization import normalize
from MedImgAILib.metrics import dice
from MedImgAILib.models import ModelSpec, load_model_path

RAS = np.array([[-1, 0, 0], [0, -1, 0], [0, 0, 1]], dtype=float)  # R, A, S in ITK's LPS frame


def a_declaration(**fields) -> dict:
    declaration = {"id": "declared-test",
                   "inputs": [{"name": "T1", "modality": "MR", "normalization": {"type": "none"}}],
                   "labels": [{"value": 1, "name": "Brain", "color": [1, 1, 1]}], "license": "test",
                   "intended_use": "tests"}
    declaration.update(fields)
    return declaration


def a_spec(**fields) -> ModelSpec:
    return ModelSpec.from_metadata({"medimgai": a_declaration(**fields)}, "test")


def an_image(size=(9, 7, 5), direction=np.eye(3), spacing=(0.9, 1.3, 3.0), origin=(12.0, -40.0, 7.5)) -> sitk.Image:
    values = np.arange(np.prod(size), dtype=np.float32).reshape(size[::-1])  # unique values, [k, j, i]
    image = sitk.GetImageFromArray(values)
    image.SetSpacing(spacing)
    image.SetOrigin(origin)
    image.SetDirection(tuple(np.asarray(direction, dtype=float).ravel()))
    return image


def corners(grid: sitk.Image) -> np.ndarray:
    """The 8 outer corners of grid's voxel box, in physical space, sorted."""
    size = np.array(grid.GetSize())
    points = [grid.TransformContinuousIndexToPhysicalPoint((np.array(c) * size - 0.5).tolist())
              for c in np.ndindex(2, 2, 2)]
    return np.array(sorted(np.round(points, 6).tolist()))


def test_a_ras_axis_order_reverses_the_axes_that_point_left_or_back():
    image = an_image()  # ITK's identity: i to the left, j to the back, k up
    prepared = prepare_model_input(a_spec(orientation="RAS"), {"T1": image})
    original = sitk.GetArrayFromImage(image).transpose(2, 1, 0)  # [i, j, k]
    np.testing.assert_array_equal(prepared.array[0], original[::-1, ::-1, :])
    np.testing.assert_allclose(np.array(prepared.grid.GetDirection()).reshape(3, 3), RAS)
    np.testing.assert_allclose(corners(prepared.grid), corners(image))


def test_a_ras_axis_order_puts_permuted_axes_back_in_order():
    stored = np.array([[0, -1, 0], [0, 0, -1], [1, 0, 0]], dtype=float)  # columns: i up, j to the right, k forward
    image = an_image(direction=stored)
    prepared = prepare_model_input(a_spec(orientation="RAS"), {"T1": image})
    assert axis_order(image, "RAS").axes == (1, 2, 0)
    original = sitk.GetArrayFromImage(image).transpose(2, 1, 0)  # [i, j, k] of the file
    np.testing.assert_array_equal(prepared.array[0], original.transpose(1, 2, 0))
    np.testing.assert_allclose(np.array(prepared.grid.GetDirection()).reshape(3, 3), RAS)
    assert prepared.grid.GetSpacing() == pytest.approx((1.3, 3.0, 0.9))


def test_an_oblique_image_keeps_its_tilt_with_axes_nearest_to_ras(an_oblique_image):
    grid = model_grid(an_oblique_image, None, order=axis_order(an_oblique_image, "RAS"))
    direction = np.array(grid.GetDirection()).reshape(3, 3)
    assert np.all(np.einsum("ij,ij->j", direction, RAS) > 0.5)  # each axis closest to R, A, S
    np.testing.assert_allclose(corners(grid), corners(an_oblique_image), atol=1e-6)


def test_a_region_at_a_fixed_shape_covers_exactly_those_voxels(an_oblique_image):
    region = IndexBox((2, 1, 3), (10, 7, 6))  # of its 11 x 9 x 7 voxels
    grid = model_grid(an_oblique_image, None, shape=(16, 12, 7), order=axis_order(an_oblique_image, "RAS"),
                      region=region)
    assert grid.GetSize() == (16, 12, 7)
    box = sitk.RegionOfInterest(an_oblique_image, region.size, region.start)
    np.testing.assert_allclose(corners(grid), corners(box), atol=1e-6)


@pytest.mark.parametrize("shape", [(9, 8, 12), (8, 8, 8), (12, 10, 9), (36, 16, 24)])
def test_nearest_resizing_picks_the_voxels_torchs_nearest_exact_picks_along_the_models_axes(shape):
    image = an_image(size=(18, 16, 12))  # i and j reversed in RAS order: halving ties must still go the model's way
    spec = a_spec(orientation="RAS", inference={"mode": "whole_volume", "shape": list(shape),
                                                "interpolation": "nearest"})
    prepared = prepare_model_input(spec, {"T1": image})
    in_ras = np.ascontiguousarray(sitk.GetArrayFromImage(image).transpose(2, 1, 0)[::-1, ::-1, :])
    expected = torch.nn.functional.interpolate(torch.from_numpy(in_ras)[None, None], shape, mode="nearest-exact")
    np.testing.assert_array_equal(prepared.array[0], expected[0, 0].numpy())


def test_normalisation_steps_apply_in_order_on_the_networks_array():
    image = sitk.Cast(an_image(size=(20, 20, 10)), sitk.sitkInt16) - 300  # integers, some negative
    steps = [{"type": "percentile_window", "low_percentile": 0.5, "high_percentile": 99.5}, {"type": "zscore"},
             {"type": "scale", "multiply": 0.226, "add": 0.449}]
    spec = a_spec(inputs=[{"name": "T1", "modality": "MR", "normalization": steps}], normalize_on="model_input",
                  inference={"mode": "whole_volume", "shape": [10, 10, 10], "interpolation": "nearest"})
    prepared = prepare_model_input(spec, {"T1": image})
    raw = prepare_model_input(a_spec(inference={"mode": "whole_volume", "shape": [10, 10, 10],
                                                "interpolation": "nearest"}), {"T1": image}).array[0]
    low, high = np.percentile(raw, [0.5, 99.5])
    expected = (np.clip(raw, low, high) - low) / (high - low)
    expected = (expected - expected.mean()) / expected.std() * 0.226 + 0.449
    np.testing.assert_allclose(prepared.array[0], expected, atol=1e-5)
    assert prepared.array.mean() == pytest.approx(0.449, abs=1e-5)


def test_integer_images_get_the_same_percentiles_counted_as_sorted():
    rng = np.random.default_rng(7)
    values = rng.integers(-1024, 3000, size=(30, 20, 10)).astype(np.int16)
    step = [{"type": "percentile_window", "low_percentile": 0.5, "high_percentile": 99.5}]
    np.testing.assert_array_equal(normalize(values, step), normalize(values.astype(np.float32), step))


def test_the_localizers_box_leaves_out_planes_with_too_little_foreground():
    mask = np.zeros((10, 10, 10), dtype=bool)
    mask[2:8, 3:9, 1:6] = True
    mask[9, 0, 0] = True  # a stray voxel: one voxel of a 100-voxel plane
    assert foreground_box(mask, 0.0) == [(2, 10), (0, 9), (0, 6)]
    assert foreground_box(mask, 0.02) == [(2, 8), (3, 9), (1, 6)]
    assert foreground_box(np.zeros((4, 4, 4), dtype=bool), 0.0) == []


class Bright(torch.nn.Module):
    """Background and foreground logits: foreground where the (normalised) input exceeds 0.5."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        score = (x - 0.5) * 40.0
        return torch.cat([-score, score], dim=1)


class ThreeChannels(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, x, x], dim=1)


def a_declared_folder(folder, network: torch.nn.Module = Bright(), localizer: torch.nn.Module = Bright()):
    """A third party's two TorchScript files and a MedImgAI declaration beside them (configs/metadata.json)."""
    (folder / "configs").mkdir(parents=True)
    files = {}
    for name, module in (("net.pt", network), ("localizer.pt", localizer)):
        torch.jit.save(torch.jit.script(module), str(folder / name))
        files[name] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    declaration = a_declaration(
        inputs=[{"name": "T1", "modality": "MR", "normalization": {"type": "percentile_window", "low_percentile": 0,
                                                                    "high_percentile": 100}}],
        network={"format": "torchscript", "file": "net.pt", "sha256": files["net.pt"], "output": "logits"},
        orientation="RAS", normalize_on="model_input",
        inference={"mode": "whole_volume", "shape": [32, 32, 24], "interpolation": "nearest"},
        localizer={"network": {"format": "torchscript", "file": "localizer.pt", "sha256": files["localizer.pt"],
                               "output": "logits"}, "shape": [16, 16, 16], "margin": 0.1},
        postprocessing={"keep_largest_component": True, "fill_holes": True})
    (folder / "configs" / "metadata.json").write_text(json.dumps({"version": "1.0.0", "medimgai": declaration}))
    return folder


def a_bright_block_on_an_oblique_grid():
    direction = rotation_matrix((1, 2, 3), 20.0) @ np.diag([1.0, -1.0, 1.0])  # tilted, one axis reversed
    image = an_image(size=(40, 36, 24), direction=direction, spacing=(1.1, 0.8, 2.5))
    rng = np.random.default_rng(3)
    values = rng.uniform(0.0, 0.3, size=(24, 36, 40)).astype(np.float32)  # [k, j, i]
    truth = np.zeros(values.shape, dtype=bool)
    truth[4:14, 20:32, 6:18] = True
    values[truth] = rng.uniform(0.8, 1.0, size=int(truth.sum()))
    block = sitk.GetImageFromArray(values)
    block.CopyInformation(image)
    return block, truth


def test_a_localizer_and_a_whole_volume_network_segment_inside_the_box_on_the_images_own_grid(tmp_path):
    model = load_model_path(a_declared_folder(tmp_path / "model"))
    image, truth = a_bright_block_on_an_oblique_grid()
    result = Segmenter(model, device="cpu")({"T1": image}, want_probabilities=True)
    labels = sitk.GetArrayFromImage(result.labelmap)
    assert result.labelmap.GetSize() == image.GetSize() and result.labelmap.GetDirection() == image.GetDirection()
    assert dice(labels == 1, truth) > 0.95
    region = result.provenance["localized_region"]
    start, stop = region["index_start"], region["index_stop"]
    assert start[0] <= 6 and stop[0] >= 18 and start[1] <= 20 and stop[1] >= 32 and start[2] <= 4 and stop[2] >= 14
    assert stop[0] - start[0] < 40 and stop[1] - start[1] < 36  # a box, not the whole image
    outside = np.ones_like(labels, dtype=bool)
    outside[start[2]:stop[2], start[1]:stop[1], start[0]:stop[0]] = False
    assert not labels[outside].any() and not sitk.GetArrayFromImage(result.probabilities)[outside].any()


def test_a_whole_volume_network_whose_output_contradicts_its_declaration_is_named(tmp_path):
    model = load_model_path(a_declared_folder(tmp_path / "model", network=ThreeChannels()))
    image, _ = a_bright_block_on_an_oblique_grid()
    with pytest.raises(InputError, match=r"model: the network's output \(1, 3, 32, 32, 24\) does not have 2 "
                                         r"channels \(background and each label\)"):
        Segmenter(model, device="cpu")({"T1": image})
