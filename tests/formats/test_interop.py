"""Our exports opened with the other tools' own rasterisers, and files as those tools make them
read back, both ways pixel for pixel: CamVid labels and the shapes that break naive tracers
(holes, one-pixel lines, pixels touching at a corner, single pixels). The tools are loaded as
:mod:`interop_tools` says (ultralytics is stood in for by its rasteriser, ``cv2.fillPoly``)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from interop_tools import (
    cityscapes_label_image,
    labelme_shapes_to_label,
    ultralytics_masks,
)

from srcrm.data.labelsets import CAMVID
from srcrm.formats import cityscapes, coco, labelme, polygonize, rle, yolo


def edge_cases() -> list[np.ndarray]:
    """Holes (with an island and void in them), a one-pixel line, a one-pixel ring, pixels
    touching only at corners, a lone pixel and a checkerboard."""
    holes = np.full((12, 12), 3, np.uint8)
    holes[3:9, 3:9] = 8
    holes[5:7, 5:7] = 11
    holes[5, 5] = 1
    line = np.full((9, 60), 0, np.uint8)
    line[4, 5:55] = 2  # the 50-pixel line
    ring = np.full((7, 7), 5, np.uint8)
    ring[1:6, 1:6] = 9
    ring[2:5, 2:5] = 5
    diagonal = np.full((6, 6), 11, np.uint8)
    diagonal[np.arange(6), np.arange(6)] = 10
    diagonal[0, 5] = 4
    lone = np.full((5, 5), 0, np.uint8)
    lone[2, 2] = 7
    checker = (np.indices((16, 16)).sum(0) % 2 * 8).astype(np.uint8)
    return [holes, line, ring, diagonal, lone, checker]


@pytest.fixture(scope="module")
def label_maps(camvid_val_labels) -> list[np.ndarray]:
    from srcrm.base.io import read_label_png

    return edge_cases() + [read_label_png(p) for p in camvid_val_labels[:3]]


def truth(labels: np.ndarray) -> np.ndarray:
    return np.where(labels < 11, labels, 11)


def test_labelme_paints_our_export_exactly(tmp_path, label_maps):
    shapes_to_label = labelme_shapes_to_label()
    values = {n: i for i, n in enumerate(CAMVID.class_names)} | {"__ignore__": 11}
    for labels in label_maps:
        labelme.write(tmp_path / "a.json", labels, CAMVID, None)
        doc = json.loads((tmp_path / "a.json").read_text())
        theirs, _ = shapes_to_label(labels.shape, doc["shapes"], values)
        assert (theirs == truth(labels)).all()
        assert (labelme.read(tmp_path / "a.json", CAMVID).labels == truth(labels)).all()


def test_the_50_pixel_line_stays_50_pixels(tmp_path):
    line = edge_cases()[1]
    labelme.write(tmp_path / "a.json", line, CAMVID, None)
    doc = json.loads((tmp_path / "a.json").read_text())
    pole = [s for s in doc["shapes"] if s["label"] == "pole"]
    theirs, _ = labelme_shapes_to_label()(line.shape, pole, {"pole": 1})
    assert theirs.sum() == 50


def test_cityscapes_scripts_paint_our_export_exactly(tmp_path, label_maps):
    for labels in label_maps:
        cityscapes.write(tmp_path, "a", labels, CAMVID)
        files = cityscapes.paths(tmp_path, "a")
        from srcrm.base.io import read_label_png

        assert (cityscapes_label_image(files["polygons.json"]) == read_label_png(files["labelIds.png"])).all()
        assert (cityscapes.read(files["polygons.json"], CAMVID).labels == truth(labels)).all()


def test_ultralytics_paints_our_export_exactly_but_for_holes_it_cannot_keep(tmp_path, label_maps):
    for labels in label_maps:
        warnings = yolo.write(tmp_path / "a.txt", labels, CAMVID)
        theirs = ultralytics_masks((tmp_path / "a.txt").read_text(), *labels.shape, fill=11)
        differ = theirs != truth(labels)
        assert (truth(labels)[differ] == 11).all()  # only unlabelled pixels in holes differ
        assert bool(warnings) == bool(differ.any())
        if warnings:
            assert f" {int(differ.sum())} unlabelled pixels" in warnings[0]
        assert (yolo.read(tmp_path / "a.txt", CAMVID, *labels.shape).labels == theirs).all()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pycocotools' own, under numpy 2
def test_pycocotools_decodes_our_export_exactly(tmp_path, label_maps):
    coco_api = pytest.importorskip("pycocotools.coco")
    items = [(f"{i}.png", polygonize(labels, 11)) for i, labels in enumerate(label_maps)]
    coco.write(tmp_path / "c.json", items, CAMVID)
    api = coco_api.COCO(str(tmp_path / "c.json"))
    for image_id, labels in enumerate(label_maps, start=1):
        painted = np.full(labels.shape, 11)
        anns = api.loadAnns(api.getAnnIds(imgIds=[image_id]))
        for ann in sorted(anns, key=lambda a: -a["area"]):
            painted[api.annToMask(ann) > 0] = ann["category_id"] - 1
        assert (painted == truth(labels)).all()
    samples, errors = coco.read(tmp_path / "c.json", CAMVID)
    assert errors == [] and all((s.labels == truth(label_maps[int(s.name)])).all() for s in samples)


# --- files as the tools make them, read as the tools read them --------------------------------

points = st.lists(st.tuples(st.floats(-0.5, 20.5), st.floats(-0.5, 15.5)), min_size=3, max_size=8)
kinds = st.sampled_from(["polygon", "rectangle", "circle", "line", "linestrip", "point"])
NEED = {"rectangle": 2, "circle": 2, "line": 2, "point": 1}


@st.composite
def labelme_shape(draw):
    kind = draw(kinds)
    pts = draw(points)[: NEED.get(kind, 8)]
    return {"label": draw(st.sampled_from(["road", "car", "tree"])), "points": pts, "shape_type": kind}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shapes=st.lists(labelme_shape(), min_size=1, max_size=5))
def test_labelme_files_read_as_labelme_paints_them(tmp_path, shapes):
    shapes_to_label = labelme_shapes_to_label()
    doc = {
        "shapes": [dict(s, points=[list(p) for p in s["points"]]) for s in shapes],
        "imageHeight": 16,
        "imageWidth": 21,
        "imagePath": "x.png",
    }
    (tmp_path / "f.json").write_text(json.dumps(doc))
    values = {n: i + 1 for i, n in enumerate(CAMVID.class_names)}
    theirs, _ = shapes_to_label((16, 21), doc["shapes"], values)
    ours = labelme.read(tmp_path / "f.json", CAMVID).labels
    assert (np.where(theirs > 0, theirs - 1, 11) == ours).all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    objects=st.lists(
        st.tuples(st.sampled_from(["road", "car", "vegetation"]), points), min_size=1, max_size=5
    )
)
def test_cityscapes_files_read_as_its_scripts_paint_them(tmp_path, objects):
    doc = {
        "imgHeight": 16,
        "imgWidth": 21,
        "objects": [{"label": n, "polygon": [list(p) for p in pts]} for n, pts in objects],
    }
    path = tmp_path / "x_gtFine_polygons.json"
    path.write_text(json.dumps(doc))
    theirs = cityscapes_label_image(path)
    ours = cityscapes.read(path, CAMVID).labels
    ids = {
        n: cityscapes.TABLE[k][0]
        for n, k in zip(CAMVID.class_names, cityscapes.cityscapes_names(CAMVID), strict=True)
    }
    back = np.full(256, 11)
    for i, n in enumerate(CAMVID.class_names):
        back[ids[n]] = i
    assert (back[theirs] == ours).all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(
        st.tuples(
            st.integers(0, 10), st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=3, max_size=8)
        ),
        min_size=1,
        max_size=5,
    )
)
def test_yolo_files_read_as_the_trainer_paints_them(tmp_path, lines):
    text = "".join(f"{c} " + " ".join(f"{x:.6f} {y:.6f}" for x, y in pts) + "\n" for c, pts in lines)
    (tmp_path / "a.txt").write_text(text)
    ours = yolo.read(tmp_path / "a.txt", CAMVID, 15, 21).labels
    assert (ours == ultralytics_masks(text, 15, 21, fill=11)).all()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@settings(max_examples=60, deadline=None)
@given(
    ring=st.lists(st.tuples(st.floats(-1, 21), st.floats(-1, 16)), min_size=3, max_size=9),
    decimals=st.integers(0, 3),
)
def test_coco_polygons_read_as_pycocotools_decodes_them(ring, decimals):
    mask_api = pytest.importorskip("pycocotools.mask")
    flat = np.round(np.asarray(ring), decimals).ravel().tolist()
    theirs = mask_api.decode(mask_api.frPyObjects([flat], 15, 21))[:, :, 0].astype(bool)
    top, left, crop = rle.from_polygon(np.reshape(flat, (-1, 2)), 15, 21)
    ours = np.zeros((15, 21), bool)
    ours[top : top + crop.shape[0], left : left + crop.shape[1]] = crop
    assert (ours == theirs).all()
