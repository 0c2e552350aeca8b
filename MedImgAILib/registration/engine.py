"""Register a moving image to a fixed image with SimpleITK: initialisation, chained stages, a quality report.

The result maps points of the FIXED image to the MOVING image (ITK's resampling convention, LPS): resample
the moving image with it to bring it onto the fixed grid; the Slicer side turns it into a transform node.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import SimpleITK as sitk

from MedImgAILib.errors import InputError
from MedImgAILib.geometry import fields_of_view_intersect
from MedImgAILib.geometry import same_geometry
from MedImgAILib.registration.body_outline import body_outline
from MedImgAILib.registration.presets import Preset, get_preset
from MedImgAILib.registration.quality import (
    QualityReport,
    jacobian_statistics,
    overlap_fraction,
    target_registration_error,
)
from MedImgAILib.registration.stages import Stage
from MedImgAILib.registration.structure_guidance import GuidanceImages, guidance_images, structure_dice
from MedImgAILib.runtime import CancelToken, Progress, ProgressCallback, no_progress

__all__ = ["RegistrationResult", "register"]

MINIMUM_OVERLAP = 0.2
MAX_SAMPLES = 50_000
INITIALIZATIONS = ("geometry", "moments", "none")


@dataclass
class RegistrationResult:
    transform: sitk.Transform  # fixed -> moving, LPS
    report: QualityReport


NEGLIGIBLE_DISPLACEMENT_MM = 0.5  # with half a voxel: a result this close to its start did not go wrong


def _largest_displacement_mm(transform: sitk.Transform, fixed: sitk.Image) -> float:
    """How far the transform moves the fixed image's corners and centre from where they are (the identity start)."""
    size = np.array(fixed.GetSize()) - 1
    indices = [np.array(c) * size for c in np.ndindex(2, 2, 2)] + [size / 2]
    points = [fixed.TransformContinuousIndexToPhysicalPoint(tuple(float(v) for v in index)) for index in indices]
    return max(float(np.linalg.norm(np.subtract(transform.TransformPoint(p), p))) for p in points)


def _check_image(image: sitk.Image, role: str) -> None:
    if image.GetDimension() != 3:
        raise InputError(role, f"image must be 3D, got {image.GetDimension()}D")
    if image.GetNumberOfComponentsPerPixel() != 1:
        raise InputError(role, "image must have one value per voxel")
    if min(image.GetSize()) < 4:
        raise InputError(role, f"image is too small to register ({image.GetSize()})")
    values = sitk.GetArrayViewFromImage(image)
    if not np.isfinite(values).all():
        raise InputError(role, "image contains NaN or infinite values")
    if values.min() == values.max():
        raise InputError(role, f"image is constant (every voxel is {values.min():g}): there is nothing to align")


def _check_mask(mask: sitk.Image | None, image: sitk.Image, role: str) -> sitk.Image | None:
    if mask is None:
        return None
    if mask.GetDimension() != 3 or not same_geometry(mask, image):
        raise InputError(role, "mask is not on the same grid as its image (size, spacing, origin and direction "
                               "must match); resample it first")
    binary = sitk.Cast(mask > 0, sitk.sitkUInt8)
    if not sitk.GetArrayViewFromImage(binary).any():
        raise InputError(role, "mask is empty")
    return binary


def _prepared(image: sitk.Image, window: tuple[float, float] | None) -> sitk.Image:
    image = sitk.Cast(image, sitk.sitkFloat32)
    return sitk.Clamp(image, sitk.sitkFloat32, *window) if window else image


def _guidance(preset: Preset, fixed, moving, structures, fixed_mask, moving_mask) -> GuidanceImages | None:
    if preset.outlines is not None:
        if structures is not None or fixed_mask is not None or moving_mask is not None:
            raise InputError(None, f"{preset.name} aligns the body outlines it finds in the images; it takes no "
                                   "structures or masks")
        return guidance_images(body_outline(fixed, preset.outlines[0], "fixed image"),
                               body_outline(moving, preset.outlines[1], "moving image"))
    if structures is not None and any(structure is None for structure in structures):
        raise InputError(None, "a structure is needed on both images (a fixed and a moving structure)")
    if not preset.guided_by_structures:
        if structures is not None:
            raise InputError(None, f"structures guide only the structure-guided presets, not {preset.name}")
        return None
    if structures is None:
        raise InputError(None, f"{preset.name} needs the same structure contoured on both images (a fixed and a "
                               "moving structure)")
    if fixed_mask is not None or moving_mask is not None:
        raise InputError(None, f"{preset.name} samples around the fixed structure; it takes no masks")
    return guidance_images(*structures)


def _metric_value(method: sitk.ImageRegistrationMethod, fixed_f, moving_f) -> float:
    """The metric, or NaN where too few samples overlap to compute it."""
    try:
        return method.MetricEvaluate(fixed_f, moving_f)
    except RuntimeError:
        return float("nan")


def _initial_transform(fixed, moving, mode: str, landmarks) -> sitk.Euler3DTransform:
    if landmarks is not None:
        fixed_points, moving_points = (np.asarray(p, dtype=float) for p in landmarks)
        if fixed_points.shape != moving_points.shape or fixed_points.ndim != 2 or len(fixed_points) < 3:
            raise InputError("landmarks", "need at least 3 paired fixed/moving points")
        versor = sitk.VersorRigid3DTransform(sitk.LandmarkBasedTransformInitializer(
            sitk.VersorRigid3DTransform(), fixed_points.ravel().tolist(), moving_points.ravel().tolist()))
        euler = sitk.Euler3DTransform()
        euler.SetCenter(versor.GetCenter())
        euler.SetMatrix(versor.GetMatrix())
        euler.SetTranslation(versor.GetTranslation())
        return euler
    if mode == "none":
        transform = sitk.Euler3DTransform()
        transform.SetCenter(fixed.TransformContinuousIndexToPhysicalPoint([(n - 1) / 2 for n in fixed.GetSize()]))
        return transform
    kind = (sitk.CenteredTransformInitializerFilter.MOMENTS if mode == "moments"
            else sitk.CenteredTransformInitializerFilter.GEOMETRY)
    return sitk.Euler3DTransform(sitk.CenteredTransformInitializer(fixed, moving, sitk.Euler3DTransform(), kind))


def _sampling_per_level(stage: Stage, fixed: sitk.Image) -> list[float]:
    """The stage's sampling fraction, capped so no level uses more than MAX_SAMPLES points (keeps big images fast)."""
    voxels = float(np.prod(fixed.GetSize()))
    return [min(stage.sampling_fraction, MAX_SAMPLES * shrink**3 / voxels) for shrink in stage.shrink_factors]


def _method(stage: Stage, fixed_mask, moving_mask, seed: int = 20261121) -> sitk.ImageRegistrationMethod:
    method = sitk.ImageRegistrationMethod()
    if stage.metric == "mattes":
        method.SetMetricAsMattesMutualInformation(stage.histogram_bins)
    elif stage.metric == "correlation":
        method.SetMetricAsCorrelation()
    else:
        method.SetMetricAsMeanSquares()
    method.SetMetricSamplingStrategy(method.RANDOM)
    method.SetMetricSamplingPercentage(stage.sampling_fraction, seed)
    method.SetInterpolator(sitk.sitkLinear)
    # Gradients at the sampled points only: filtering the whole image at every level costs more than the few
    # percent of voxels the metric samples (measured on 320 x 320 MR: about a third of the time).
    method.SetMetricUseFixedImageGradientFilter(False)
    method.SetMetricUseMovingImageGradientFilter(False)
    if fixed_mask is not None:
        method.SetMetricFixedMask(fixed_mask)
    if moving_mask is not None:
        method.SetMetricMovingMask(moving_mask)
    return method


def _evaluator(stage: Stage, fixed: sitk.Image, fixed_mask, moving_mask) -> sitk.ImageRegistrationMethod:
    """A method that evaluates the stage's metric at full resolution on at most MAX_SAMPLES points."""
    method = _method(stage, fixed_mask, moving_mask)
    method.SetMetricSamplingPercentage(min(stage.sampling_fraction, MAX_SAMPLES / float(np.prod(fixed.GetSize()))),
                                       20261121)
    return method


def _rotation_search(fixed, moving, transform: sitk.Euler3DTransform, degrees: float, stage: Stage,
                     fixed_mask, moving_mask) -> None:
    """Exhaustive search over the three rotation angles at the coarsest level; updates transform in place."""
    steps = 2
    method = _method(stage, fixed_mask, moving_mask)
    method.SetMetricSamplingPercentage(min(1.0, stage.sampling_fraction * 3), 7)
    method.SetOptimizerAsExhaustive([steps, steps, steps, 0, 0, 0])
    method.SetOptimizerScales([np.radians(degrees / steps)] * 3 + [1.0] * 3)
    method.SetInitialTransform(transform, inPlace=True)
    method.SetShrinkFactorsPerLevel([max(stage.shrink_factors)])
    method.SetSmoothingSigmasPerLevel([max(stage.smoothing_sigmas_mm)])
    method.SmoothingSigmasAreSpecifiedInPhysicalUnitsOn()
    method.Execute(fixed, moving)


def _stage_transform(stage: Stage, current: sitk.Transform, fixed: sitk.Image) -> tuple[sitk.Transform, bool]:
    """(transform to optimise, whether it replaces the current linear transform or composes after it)."""
    if stage.transform == "rigid":
        rigid = sitk.VersorRigid3DTransform()
        linear = sitk.AffineTransform(3) if not hasattr(current, "GetMatrix") else current
        rigid.SetCenter(linear.GetCenter())
        rigid.SetMatrix(_orthonormal(linear.GetMatrix()))
        rigid.SetTranslation(linear.GetTranslation())
        return rigid, True
    if stage.transform == "affine":
        affine = sitk.AffineTransform(3)
        affine.SetCenter(current.GetCenter())
        affine.SetMatrix(current.GetMatrix())
        affine.SetTranslation(current.GetTranslation())
        return affine, True
    mesh = [max(int(round(n * s / stage.bspline_mesh_mm)), 1) for n, s in zip(fixed.GetSize(), fixed.GetSpacing())]
    return sitk.BSplineTransformInitializer(fixed, mesh, order=3), False


def _orthonormal(matrix) -> tuple:
    u, _, vt = np.linalg.svd(np.array(matrix).reshape(3, 3))
    rotation = u @ vt
    if np.linalg.det(rotation) < 0:
        u[:, -1] *= -1
        rotation = u @ vt
    return tuple(rotation.ravel())


def _run_stage(stage: Stage, optimised: sitk.Transform, fixed_before: sitk.Transform | None, fixed_f, moving_f,
               fixed_mask, moving_mask, levels: tuple[int, int], progress: ProgressCallback,
               cancel: CancelToken | None) -> str:
    """Optimise one stage in place (composed after fixed_before when given); returns the stop condition."""
    method = _method(stage, fixed_mask, moving_mask)
    if stage.transform == "bspline":
        method.SetOptimizerAsLBFGSB(gradientConvergenceTolerance=1e-5, numberOfIterations=stage.iterations,
                                    maximumNumberOfCorrections=5, maximumNumberOfFunctionEvaluations=4 * stage.iterations)
    else:
        method.SetOptimizerAsRegularStepGradientDescent(stage.learning_rate, stage.minimum_step, stage.iterations,
                                                        relaxationFactor=0.6, gradientMagnitudeTolerance=1e-8)
        method.SetOptimizerScalesFromPhysicalShift()
    if fixed_before is not None:
        method.SetMovingInitialTransform(fixed_before)
    method.SetInitialTransform(optimised, inPlace=True)
    method.SetMetricSamplingPercentagePerLevel(_sampling_per_level(stage, fixed_f), 20261121)
    method.SetShrinkFactorsPerLevel(list(stage.shrink_factors))
    method.SetSmoothingSigmasPerLevel(list(stage.smoothing_sigmas_mm))
    method.SmoothingSigmasAreSpecifiedInPhysicalUnitsOn()
    done, total = levels

    def report_iteration() -> None:
        if cancel is not None and cancel.cancelled:
            method.StopRegistration()
            return
        level = method.GetCurrentLevel()
        fraction = (done + level + min(method.GetOptimizerIteration() / stage.iterations, 1.0)) / total
        progress(Progress(0.05 + 0.9 * fraction, f"{stage.transform} level {level + 1}/{len(stage.shrink_factors)} "
                                                 f"iteration {method.GetOptimizerIteration()}"))

    method.AddCommand(sitk.sitkIterationEvent, report_iteration)
    method.Execute(fixed_f, moving_f)
    if cancel is not None:
        cancel.raise_if_cancelled()
    return f"{stage.transform}: {method.GetOptimizerStopConditionDescription()}"


def register(fixed: sitk.Image, moving: sitk.Image, preset: str | Preset = "generic-rigid",
             fixed_mask: sitk.Image | None = None, moving_mask: sitk.Image | None = None,
             landmarks: tuple[Sequence, Sequence] | None = None, progress: ProgressCallback = no_progress,
             cancel: CancelToken | None = None, initialization: str | None = None,
             structures: tuple[sitk.Image, sitk.Image] | None = None) -> RegistrationResult:
    """Register moving onto fixed with a named preset; landmarks = (fixed points, moving points) in LPS mm.

    initialization overrides the preset's start: 'geometry' (centres), 'moments' (centres of mass) or 'none'
    (trust the scanner geometry, e.g. PET/CT from one scanner). structures = (fixed structure, moving
    structure), labelmaps on any grids, is what the structure-guided presets align.
    """
    preset = get_preset(preset) if isinstance(preset, str) else preset
    _check_image(fixed, "fixed")
    _check_image(moving, "moving")
    fixed_mask = _check_mask(fixed_mask, fixed, "fixed mask")
    moving_mask = _check_mask(moving_mask, moving, "moving mask")
    for structure, image, role in zip(structures or (), (fixed, moving), ("fixed", "moving")):
        if structure is not None and structure.GetDimension() == 3 and not fields_of_view_intersect(structure, image):
            raise InputError(f"{role} structure", f"lies outside the {role} image (they share no space): is it "
                                                  f"contoured on the {role} image?")
    started = time.perf_counter()
    guidance = _guidance(preset, fixed, moving, structures, fixed_mask, moving_mask)
    if guidance is not None:
        fixed_f, moving_f, fixed_mask = guidance.fixed, guidance.moving, guidance.fixed_region
    else:
        fixed_f, moving_f = _prepared(fixed, preset.fixed_window), _prepared(moving, preset.moving_window)
    evaluation_stage = preset.stages[0]
    metric_before = _metric_value(_evaluator(evaluation_stage, fixed_f, fixed_mask, moving_mask), fixed_f, moving_f) \
        if guidance is not None or overlap_fraction(fixed, moving, sitk.Transform()) > 0 else float("nan")
    progress(Progress(0.0, "initialising"))
    start = initialization or preset.initialization
    if start not in INITIALIZATIONS:
        raise InputError(None, f"unknown initialization {start!r}; choose one of {', '.join(INITIALIZATIONS)}")
    linear: sitk.Transform = _initial_transform(fixed_f, moving_f, start, landmarks)
    if overlap_fraction(fixed, moving, linear) < 0.01:
        raise InputError("moving", f"the images do not overlap in physical space at the start ({start} "
                                   "initialization); check that they show the same region, or centre them")
    if preset.rotation_search_degrees > 0 and landmarks is None:
        _rotation_search(fixed_f, moving_f, linear, preset.rotation_search_degrees, preset.stages[0],
                         fixed_mask, moving_mask)
    deformation = None
    stop_conditions = []
    total_levels = sum(len(s.shrink_factors) for s in preset.stages)
    levels_done = 0
    for stage in preset.stages:
        if cancel is not None:
            cancel.raise_if_cancelled()
        optimised, replaces = _stage_transform(stage, linear, fixed_f)
        stop_conditions.append(_run_stage(stage, optimised, None if replaces else linear, fixed_f, moving_f,
                                          fixed_mask, moving_mask, (levels_done, total_levels), progress, cancel))
        levels_done += len(stage.shrink_factors)
        if replaces:
            linear = optimised
        else:
            deformation = optimised
    final = sitk.CompositeTransform([linear, deformation]) if deformation is not None else linear
    progress(Progress(0.96, "quality report"))
    evaluator = _evaluator(evaluation_stage, fixed_f, fixed_mask, moving_mask)
    evaluator.SetMovingInitialTransform(final)
    evaluator.SetInitialTransform(sitk.Euler3DTransform())
    metric_after = _metric_value(evaluator, fixed_f, moving_f)
    overlap = overlap_fraction(fixed, moving, final)
    report = QualityReport(preset.name, evaluation_stage.metric, float(metric_before), float(metric_after),
                           round(time.perf_counter() - started, 3), overlap, stop_conditions)
    if deformation is not None:
        report.jacobian_min, report.jacobian_max, report.folding_fraction = jacobian_statistics(final, fixed)
        if report.folding_fraction > 0:
            report.warnings.append(f"the deformation folds ({100 * report.folding_fraction:.2f} % of the volume has "
                                   "a non-positive Jacobian determinant)")
    if guidance is not None:
        report.structure_dice_before = structure_dice(guidance, sitk.Transform())
        report.structure_dice_after = structure_dice(guidance, final)
        if report.structure_dice_after < 0.5:
            report.warnings.append(f"the structures overlap poorly after registration (Dice "
                                   f"{report.structure_dice_after:.2f}): check that they are the same structure")
    if landmarks is not None:
        report.tre_mm = target_registration_error(final, *landmarks)
    if np.isfinite(metric_before) and metric_after > metric_before and \
            _largest_displacement_mm(final, fixed) > max(NEGLIGIBLE_DISPLACEMENT_MM, max(fixed.GetSpacing()) / 2):
        report.warnings.append("the metric got worse than the starting position: the result is likely wrong")
    if overlap < MINIMUM_OVERLAP:
        report.warnings.append(f"only {100 * overlap:.0f} % of the fixed image overlaps the moving image")
    if any("Maximum number of iterations" in s for s in stop_conditions):
        report.warnings.append("the optimizer hit its iteration limit before converging")
    progress(Progress(1.0, "done"))
    return RegistrationResult(final, report)
