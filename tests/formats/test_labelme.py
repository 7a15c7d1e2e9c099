"""labelme JSON: what we write opens as labelme expects and reads back to the same labels;
shapes are painted as labelme paints them; bad files and bad shapes give an error that names
the file and the shape."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from srcrm.formats import FormatError, labelme

SHAPE_KEYS = {"label", "points", "group_id", "description", "shape_type", "flags"}


def write_doc(path: Path, shapes: list, height: int = 10, width: int = 10) -> Path:
    doc = {
        "version": "5.5.0",
        "flags": {},
        "shapes": shapes,
        "imagePath": "x.png",
        "imageData": None,
        "imageHeight": height,
        "imageWidth": width,
    }
    path.write_text(json.dumps(doc))
    return path


def polygon(label: str, points: list) -> dict:
    return {"label": label, "points": points, "group_id": None, "shape_type": "polygon", "flags": {}}


def test_written_file_has_labelme_fields_and_reads_back_exactly(tmp_path, camvid_label, labelset):
    image = tmp_path / "images" / "frame.jpg"
    out = tmp_path / "json" / "frame.json"
    assert labelme.write(out, camvid_label, labelset, image) == []
    doc = json.loads(out.read_text())
    assert {"version", "flags", "shapes", "imagePath", "imageData", "imageHeight", "imageWidth"} <= doc.keys()
    assert doc["imageData"] is None
    assert doc["imagePath"] == "../images/frame.jpg"
    assert (doc["imageHeight"], doc["imageWidth"]) == camvid_label.shape
    assert all(s.keys() == SHAPE_KEYS and s["shape_type"] == "polygon" for s in doc["shapes"])
    assert {s["label"] for s in doc["shapes"]} <= set(labelset.class_names) | {"__ignore__"}
    assert (labelme.read(out, labelset).labels == camvid_label).all()


def test_a_file_we_write_loads_back_with_the_same_shapes(tmp_path, camvid_label, labelset):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    labelme.write(first, camvid_label, labelset, tmp_path / "a.jpg")
    loaded = labelme.read(first, labelset).labels
    labelme.write(second, loaded, labelset, tmp_path / "a.jpg")

    def shapes(path):
        return [(s["label"], s["points"]) for s in json.loads(path.read_text())["shapes"]]

    assert shapes(first) == shapes(second)


def test_embedded_image(tmp_path, labelset):
    image = tmp_path / "x.png"
    cv2.imwrite(str(image), np.zeros((4, 5, 3), np.uint8))
    labelme.write(tmp_path / "x.json", np.zeros((4, 5), np.uint8), labelset, image, embed_image=True)
    doc = json.loads((tmp_path / "x.json").read_text())
    assert base64.b64decode(doc["imageData"]) == image.read_bytes()


def test_every_shape_type_is_painted_as_labelme_paints_it(tmp_path, labelset):
    mask = np.zeros((3, 4), np.uint8)
    mask[1:, 1:] = 255
    _, png = cv2.imencode(".png", mask)
    shapes = [
        {"label": "sky", "points": [[0, 0], [29, 29]], "shape_type": "rectangle"},
        {"label": "road", "points": [[2, 2], [12, 12]], "shape_type": "rectangle"},
        {"label": "car", "points": [[20, 5], [23, 5]], "shape_type": "circle"},
        {
            "label": "car",
            "points": [[0, 20], [3, 22]],
            "shape_type": "mask",
            "mask": base64.b64encode(png.tobytes()).decode(),
        },
        {"label": "pole", "points": [[20, 20]], "shape_type": "point"},
        {"label": "fence", "points": [[0, 27], [29, 27]], "shape_type": "line"},
        polygon("Sign Symbol", [[25, 0], [29, 0], [29, 4]]),  # names match loosely
    ]
    sample = labelme.read(write_doc(tmp_path / "s.json", shapes, 40, 30), labelset)
    labels = sample.labels
    assert (labels[2:13, 2:13] == 3).all() and (labels == 3).sum() == 121  # 10x10: 11x11 px
    assert labels[5, 20] == 8 and labels[5, 17] == 8 and labels[5, 16] == 0  # radius 3
    assert (labels[21:23, 1:4] == 8).all() and labels[20, 0] == 0
    assert labels[20, 20] == 2 and labels[20, 15] == 2 and labels[20, 14] == 0  # a disc, r 5
    assert (labels[:, 10] == 7).sum() == 10 and (labels[:, 0] == 7).sum() == 10  # 10 px wide
    assert labels[0, 29] == 6 and labels[4, 29] == 6
    assert (labels[35:] == labelset.ignore_index).all()  # nothing painted there
    thin = [w for w in sample.warnings if "pixels wide" in w or "radius 5" in w]
    assert len(thin) == 2 and all("s.json" in w for w in thin)
    assert any("shape #5 (fence)" in w for w in thin)


def test_unlabelled_shapes_cut_holes(tmp_path, labelset):
    shapes = [
        polygon("road", [[0, 0], [9, 0], [9, 9], [0, 9]]),
        polygon("__ignore__", [[2, 2], [4, 2], [4, 4], [2, 4]]),
    ]
    labels = labelme.read(write_doc(tmp_path / "h.json", shapes), labelset).labels
    assert (labels[2:5, 2:5] == labelset.ignore_index).all() and (labels == 3).sum() == 91


def test_self_intersecting_polygons_are_painted_and_named(tmp_path, labelset):
    bowtie = polygon("car", [[0, 0], [8, 8], [8, 0], [0, 8]])
    sample = labelme.read(write_doc(tmp_path / "b.json", [bowtie]), labelset)
    assert sample.labels[4, 1] == 8 and sample.labels[1, 4] == 255 - 244  # left lobe, not top
    [warning] = sample.warnings
    assert "b.json: shape #0 (car)" in warning and "cross at (4, 4)" in warning


@pytest.mark.parametrize(
    "points, reason",
    [
        ([[1, 1], [float("nan"), 1], [1, 5]], "NaN"),
        ([[-3, 1], [5, 1], [1, 5]], "outside"),
        ([[1, 1], [50, 1], [1, 5]], "outside"),
        ([[1, 1], [5, 1]], "at least 3 points"),
        ([[1, "a"], [5, 1], [1, 5]], "numbers"),
        ([1, 2, 3], "numbers"),
        ([[i % 10, (i // 10) % 10] for i in range(1_000_001)], "1,000,000"),
    ],
)
def test_bad_shapes_name_the_file_and_the_shape(tmp_path, labelset, points, reason):
    path = write_doc(
        tmp_path / "bad.json", [polygon("road", [[0, 0], [1, 0], [0, 1]]), polygon("car", points)]
    )
    with pytest.raises(FormatError, match=reason) as info:
        labelme.read(path, labelset)
    assert "bad.json" in str(info.value) and "shape #1 (car)" in str(info.value)


def test_unknown_class_and_broken_files(tmp_path, labelset):
    path = write_doc(tmp_path / "u.json", [polygon("spaceship", [[0, 0], [1, 0], [0, 1]])])
    with pytest.raises(FormatError, match=r"shape #0 \(spaceship\): unknown class 'spaceship'"):
        labelme.read(path, labelset)
    for text in ['{"shapes": [', "", "[1, 2]", '{"version": "5"}', "\x00\xff"]:
        (tmp_path / "t.json").write_text(text, errors="surrogateescape")
        with pytest.raises(FormatError, match="t.json"):
            labelme.read(tmp_path / "t.json", labelset)
    no_size = json.loads(path.read_text())
    del no_size["imageHeight"], no_size["imageWidth"]
    (tmp_path / "n.json").write_text(json.dumps(no_size))
    with pytest.raises(FormatError, match="image size unknown"):
        labelme.read(tmp_path / "n.json", labelset)


def test_truncated_files_are_a_clear_error(tmp_path, camvid_label, labelset):
    path = tmp_path / "full.json"
    labelme.write(path, camvid_label[:40, :60], labelset, tmp_path / "i.png")
    text = path.read_text()
    for cut in np.linspace(1, len(text) - 1, 25).astype(int):
        (tmp_path / "cut.json").write_text(text[:cut])
        with pytest.raises(FormatError, match="cut.json: not valid JSON"):
            labelme.read(tmp_path / "cut.json", labelset)


junk = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)
shape = st.fixed_dictionaries(
    {
        "label": st.sampled_from(["road", "car", "nope", 3, None]),
        "points": st.lists(
            st.lists(st.floats(-5, 15) | st.just(float("nan")) | junk, min_size=0, max_size=3), max_size=6
        )
        | junk,
        "shape_type": st.sampled_from(["polygon", "rectangle", "circle", "mask", "line", "odd"]),
    }
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shapes=st.lists(shape | junk, max_size=4))
def test_fuzzed_shapes_read_or_fail_cleanly(tmp_path, labelset, shapes):
    path = write_doc(tmp_path / "fuzz.json", shapes)
    try:
        sample = labelme.read(path, labelset)
    except FormatError as exc:
        assert "fuzz.json" in str(exc)
    else:
        assert sample.labels.shape == (10, 10)
