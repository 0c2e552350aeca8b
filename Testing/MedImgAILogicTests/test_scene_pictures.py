"""What a user would see: the scene rendered offscreen as Slicer's views show it, checked on the pixels
(orientation, colours, outline positions, legend), never on the existence of a file.

Rendering runs headless through EGL on Mesa (no GPU, no X server). Where those libraries are missing these tests
fail and name the packages to install; they never skip.
"""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
import slicer
from scipy import ndimage

from rotations import rotation_matrix

SIZE = (256, 256)


def _pictures(scene):
    from MedImgAILogic.scene_pictures import ScenePictures

    return ScenePictures(scene, SIZE)


def _in_image_area(shape) -> np.ndarray:
    """Pixels outside the view's annotations: the orientation/position text at the top left and the
    orientation marker at the bottom right."""
    keep = np.ones(shape[:2], dtype=bool)
    keep[:24, :] = False
    keep[-90:, -90:] = False
    return keep


def _lps_of(picture, rows, columns) -> np.ndarray:
    ras = picture.ras_of_pixels(rows, columns)
    return ras * np.array([-1.0, -1.0, 1.0])


def _sample(image: sitk.Image, lps: np.ndarray, default=np.nan) -> np.ndarray:
    """Nearest-voxel values of image at LPS points (default outside the image)."""
    matrix = np.array(image.GetDirection()).reshape(3, 3) * np.array(image.GetSpacing())
    index = np.rint(np.linalg.solve(matrix, (lps - np.array(image.GetOrigin())).T).T).astype(int)
    size = np.array(image.GetSize())
    inside = np.all((index >= 0) & (index < size), axis=1)
    values = np.full(len(lps), default, dtype=float)
    array = sitk.GetArrayViewFromImage(image)
    values[inside] = array[index[inside, 2], index[inside, 1], index[inside, 0]]
    return values


def _image_with_balls(centres_lps, radius: float = 7.0) -> sitk.Image:
    """Oblique, anisotropic, non-zero origin: 1000 inside each ball (LPS centres, mm), 0 elsewhere."""
    image = sitk.Image(120, 120, 70, sitk.sitkFloat32)
    image.SetSpacing((0.9, 1.0, 1.5))
    image.SetDirection(tuple(rotation_matrix((1, 1, 1), 15.0).ravel()))
    centre_index = np.array(image.GetSize()) / 2
    matrix = np.array(image.GetDirection()).reshape(3, 3) * np.array(image.GetSpacing())
    image.SetOrigin(tuple(np.array([-31.0, 47.5, 112.0]) - matrix @ centre_index))
    k, j, i = np.indices(image.GetSize()[::-1])
    points = np.stack([i.ravel(), j.ravel(), k.ravel()])
    lps = (matrix @ points).T + np.array(image.GetOrigin())
    values = np.zeros(len(lps), dtype=np.float32)
    for centre in centres_lps:
        values[np.linalg.norm(lps - centre, axis=1) <= radius] = 1000.0
    result = sitk.GetImageFromArray(values.reshape(image.GetSize()[::-1]))
    result.CopyInformation(image)
    return result


def _bright(picture) -> tuple[np.ndarray, np.ndarray]:
    pixels = picture.pixels.astype(int)
    grey = (np.ptp(pixels, axis=2) <= 2) & (pixels[:, :, 0] > 128) & _in_image_area(pixels.shape)
    return np.nonzero(grey)


def test_slice_views_show_left_on_the_right_anterior_and_superior_at_the_top(a_scene):
    from MedImgAILogic import add_volume_node_from_image

    centre = np.array([-31.0, 47.5, 112.0])
    left, anterior, superior = centre + (40, 0, -25), centre + (0, -40, 5), centre + (-30, 30, 30)  # LPS
    node = add_volume_node_from_image(a_scene, _image_with_balls([left, anterior, superior]), "markers")
    node.GetDisplayNode().AutoWindowLevelOff()
    node.GetDisplayNode().SetWindowLevel(1000, 500)
    ras = lambda lps: lps * np.array([-1.0, -1.0, 1.0])  # noqa: E731
    with _pictures(a_scene) as pictures:
        axial_through_left = pictures.render_slices(ras(left))[0]
        axial_through_anterior = pictures.render_slices(ras(anterior))[0]
        _, sagittal, coronal = pictures.render_slices(ras(superior))
    height, width = SIZE[1], SIZE[0]
    rows, columns = _bright(axial_through_left)
    assert len(rows) > 50 and columns.mean() > width / 2 + 20  # the patient's left is on the viewer's right
    assert np.linalg.norm(_lps_of(axial_through_left, rows, columns).mean(axis=0)[:2] - left[:2]) < 1.5
    rows, columns = _bright(axial_through_anterior)
    assert len(rows) > 50 and rows.mean() < height / 2 - 20  # anterior at the top
    assert np.linalg.norm(_lps_of(axial_through_anterior, rows, columns).mean(axis=0)[:2] - anterior[:2]) < 1.5
    for picture, in_plane in ((sagittal, [1, 2]), (coronal, [0, 2])):
        rows, columns = _bright(picture)
        assert len(rows) > 50 and rows.mean() < height / 2 - 20, picture.orientation  # superior at the top
        found = _lps_of(picture, rows, columns).mean(axis=0)
        assert np.linalg.norm(found[in_plane] - superior[in_plane]) < 1.5, picture.orientation


def test_a_fused_pet_ct_has_pet_colours_over_the_tumour_and_grey_far_from_uptake(a_scene, an_sts_nifti_case):
    from MedImgAILib.io import read_image
    from MedImgAILogic import RegistrationLogic, add_case_to_scene

    images = {name: read_image(an_sts_nifti_case / f"{name}_image.nii.gz") for name in ("CT", "PET")}
    nodes = add_case_to_scene(a_scene, images)
    RegistrationLogic.show_fused(a_scene, nodes["CT"], nodes["PET"])
    pet = images["PET"]
    hottest = np.unravel_index(np.argmax(sitk.GetArrayViewFromImage(pet)), pet.GetSize()[::-1])
    hottest_lps = np.array(pet.TransformIndexToPhysicalPoint([int(v) for v in hottest[::-1]]))
    with _pictures(a_scene) as pictures:
        views = pictures.render_slices(hottest_lps * np.array([-1.0, -1.0, 1.0]))
    hot_checked = cold_checked = 0
    for picture in views:
        rows, columns = np.nonzero(_in_image_area(picture.pixels.shape))
        lps = _lps_of(picture, rows, columns)
        suv = _sample(pet, lps)
        ct = _sample(images["CT"], lps)
        colours = picture.pixels[rows, columns].astype(int)
        hot = (suv > 2.0) & (suv < 6.0)  # PET-Heat's red to yellow part of the window 0-10 (white above 10)
        reddish = (colours[:, 0] > colours[:, 2] + 40) & (colours[:, 0] >= colours[:, 1])
        assert hot.sum() > 30 and reddish[hot].mean() > 0.95, picture.orientation
        cold = (suv < 0.2) & ~np.isnan(ct)  # well below the overlay's threshold
        grey = np.ptp(colours, axis=1) <= 3
        assert cold.sum() > 20 and grey[cold].mean() > 0.97, picture.orientation
        hot_checked += hot.sum()
        cold_checked += cold.sum()
    assert hot_checked > 200 and cold_checked > 2000


@pytest.fixture
def an_oblique_ellipsoid_case(a_scene):
    return _oblique_ellipsoid_case(a_scene)


def _oblique_ellipsoid_case(a_scene):
    """A smooth grey volume and an ellipsoid segment (magenta) on an oblique, anisotropic, non-zero-origin grid."""
    from MedImgAILogic import SegmentInfo, add_segmentation_node_from_labelmap, add_volume_node_from_image

    k, j, i = np.indices((60, 80, 70))
    grey = sitk.GetImageFromArray((200 + 2 * i + j - k).astype(np.float32))
    grey.SetSpacing((0.8, 0.6, 1.7))
    grey.SetOrigin((-20.5, 14.2, -33.3))
    grey.SetDirection(tuple(rotation_matrix((2, -1, 3), 25.0).ravel()))
    inside = ((i - 35) / 22.0) ** 2 + ((j - 40) / 27.0) ** 2 + ((k - 30) / 9.0) ** 2 <= 1.0
    labels = sitk.GetImageFromArray(inside.astype(np.uint8))
    labels.CopyInformation(grey)
    volume = add_volume_node_from_image(a_scene, grey, "grey")
    volume.GetDisplayNode().AutoWindowLevelOff()
    volume.GetDisplayNode().SetWindowLevel(400, 250)
    segmentation = add_segmentation_node_from_labelmap(a_scene, labels, [SegmentInfo(1, "ellipsoid", (1.0, 0.0, 1.0))],
                                                       "ellipsoid", volume)
    return volume, segmentation, labels


def _projected_mask(picture, labels) -> np.ndarray:
    rows, columns = np.indices(picture.pixels.shape[:2])
    values = _sample(labels, _lps_of(picture, rows.ravel(), columns.ravel()), default=0)
    return (values > 0).reshape(picture.pixels.shape[:2])


def test_segment_outlines_lie_on_the_segment_boundary_in_every_view(a_scene, an_oblique_ellipsoid_case):
    _, segmentation, labels = an_oblique_ellipsoid_case
    display = segmentation.GetDisplayNode()
    display.SetVisibility2DFill(False)
    display.SetVisibility2DOutline(True)
    with _pictures(a_scene) as pictures:
        views = pictures.render_slices()
    for picture in views:
        pixels = picture.pixels.astype(int)
        outline = (pixels[:, :, 0] > 200) & (pixels[:, :, 1] < 60) & (pixels[:, :, 2] > 200)
        outline &= _in_image_area(pixels.shape)
        mask = _projected_mask(picture, labels)
        boundary = mask ^ ndimage.binary_erosion(mask)
        boundary |= ndimage.binary_dilation(mask) ^ mask
        assert outline.sum() > 100, picture.orientation
        near_boundary = ndimage.binary_dilation(boundary, structure=np.ones((3, 3)))
        assert outline[~near_boundary].sum() == 0, picture.orientation  # within 1 pixel of the boundary
        covered = ndimage.binary_dilation(outline, structure=np.ones((3, 3)))
        assert covered[mask ^ ndimage.binary_erosion(mask)].mean() > 0.9, picture.orientation  # all the way round


@pytest.mark.parametrize("opacity", [0.3, 0.8])
def test_segment_fill_is_blended_with_the_set_opacity(a_scene, an_oblique_ellipsoid_case, opacity):
    _, segmentation, labels = an_oblique_ellipsoid_case
    display = segmentation.GetDisplayNode()
    display.SetVisibility2DOutline(False)
    display.SetOpacity2DFill(opacity)
    from MedImgAILogic.scene_pictures import segment_centre

    centre = segment_centre(segmentation)
    with _pictures(a_scene) as pictures:
        display.SetVisibility(False)
        plain = pictures.render_slices(centre)
        display.SetVisibility(True)
        filled = pictures.render_slices(centre)
    for without, picture in zip(plain, filled):
        mask = _projected_mask(picture, labels) & _in_image_area(picture.pixels.shape)
        interior = ndimage.binary_erosion(mask, iterations=2)
        exterior = ~ndimage.binary_dilation(mask, iterations=2) & _in_image_area(picture.pixels.shape)
        expected = (1 - opacity) * without.pixels[interior] + opacity * np.array([255, 0, 255])
        assert interior.sum() > 200
        assert np.abs(picture.pixels[interior] - expected).max() <= 8, picture.orientation
        assert np.array_equal(picture.pixels[exterior], without.pixels[exterior]), picture.orientation


def test_a_saliency_map_at_its_maximum_has_the_colour_at_the_top_of_its_legend(a_scene, the_sample_nodes,
                                                                             the_shipped_model):
    from MedImgAILogic import ExplainLogic, set_foreground_opacity
    from MedImgAILogic.explain_logic import _maximum_ras

    outcome = ExplainLogic().explain(a_scene, the_sample_nodes, the_shipped_model, "gradcam")
    set_foreground_opacity(a_scene, 1.0)  # the map's own colour, not blended with the CT
    saliency = next(iter(outcome.result.maps.values()))
    maximum = _maximum_ras(saliency)
    colours = outcome.map_nodes[0].GetDisplayNode().GetColorNode()
    table = np.array([colours.GetLookupTable().GetTableValue(i)[:3] for i in range(256)]) * 255
    legend = next(outcome.map_nodes[0].GetNthDisplayNode(i) for i in range(outcome.map_nodes[0].GetNumberOfDisplayNodes())
                  if outcome.map_nodes[0].GetNthDisplayNode(i).IsA("vtkMRMLColorLegendDisplayNode"))
    with _pictures(a_scene) as pictures:
        axial = pictures.render_slices(maximum)[0]
    pixels = axial.pixels.astype(float)
    height, width = pixels.shape[:2]
    xy = np.linalg.solve(axial.xy_to_ras, np.append(maximum, 1.0))
    row, column = int(height - xy[1]), int(xy[0])
    nearest_entry = np.argmin(np.abs(table - pixels[row, column]).max(axis=1))
    assert nearest_entry >= 245 and np.abs(table[nearest_entry] - pixels[row, column]).max() <= 6  # the top colour
    # The legend: where its display node puts it (Slicer's layout: position * (1 - size), from the bottom left).
    size, position = legend.GetSize(), legend.GetPosition()
    left = int(position[0] * (1 - size[0]) * width)
    bottom = int(position[1] * (1 - size[1]) * height)
    box = pixels[height - bottom - int(size[1] * height): height - bottom, left: left + int(size[0] * width)]
    distances = np.abs(box[:, :, None, :] - table[None, None, 32:, :]).max(axis=3)  # not the near-black entries
    rows, _ = np.nonzero(distances.min(axis=2) <= 6)
    entries = 32 + distances.argmin(axis=2)[distances.min(axis=2) <= 6]
    assert len(rows) > 100  # the legend is there, drawn in the map's colours
    assert np.corrcoef(rows, entries)[0, 1] < -0.9  # from the bottom colour at its bottom to the top colour at its top
    assert entries[rows == rows.min()].max() >= 245


def test_pictures_leave_the_scene_as_it_was(a_scene, an_oblique_ellipsoid_case):
    volume, segmentation, _ = an_oblique_ellipsoid_case
    before = sorted(a_scene.GetNthNode(i).GetID() for i in range(a_scene.GetNumberOfNodes()))
    with _pictures(a_scene) as pictures:
        pictures.render_slices()
        three_d = pictures.render_3d()
    added = [a_scene.GetNodeByID(node_id) for node_id in
             {a_scene.GetNthNode(i).GetID() for i in range(a_scene.GetNumberOfNodes())} - set(before)]
    # Only what every Slicer scene has from the start (default colour tables, the interaction and selection
    # singletons, the subject hierarchy) may stay; views, cameras, slice planes, volume rendering nodes may not.
    assert [node.GetID() for node in added if not (node.IsA("vtkMRMLColorNode") or node.GetSingletonTag()
                                                    or node.IsA("vtkMRMLSubjectHierarchyNode"))] == []
    assert all(a_scene.GetNodeByID(node_id) is not None for node_id in before)
    assert not segmentation.GetSegmentation().ContainsRepresentation("Closed surface")
    magenta = (three_d[:, :, 0] > 120) & (three_d[:, :, 1] < 60) & (three_d[:, :, 2] > 120)
    assert magenta.sum() > 500  # the segment's surface in the 3D view


def test_a_failed_picture_write_leaves_the_previous_file_and_no_temporary_files(tmp_path):
    from MedImgAILogic.picture_files import write_png

    path = tmp_path / "view.png"
    write_png(np.full((10, 20, 3), 200, dtype=np.uint8), path)
    content = path.read_bytes()
    with pytest.raises(Exception):
        write_png(np.zeros((10, 20), dtype=np.uint8), path)  # not an RGB picture: fails while writing
    assert path.read_bytes() == content and sorted(p.name for p in tmp_path.iterdir()) == ["view.png"]


def test_without_mesas_egl_pictures_are_refused_naming_what_to_install(monkeypatch):
    """On a machine without the libraries (simulated: the lookup finds none), a clear error, never a skip."""
    import ctypes.util

    from MedImgAILogic.offscreen_view import RenderingUnavailable, check_offscreen_rendering

    check_offscreen_rendering()  # this machine can render: the tests above ran
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    with pytest.raises(RenderingUnavailable, match="needs the EGL and OpenGL libraries .* apt-get install libegl1"):
        check_offscreen_rendering()
