"""Fuzzing the geometry of well-formed files: labelme, COCO and Cityscapes JSON and YOLO text
that parse, but hold hostile values where the points, sizes, labels and types go (integers past
64 bits and past floats, NaN and infinity, 0 to 3 points, self-crossing rings, nesting past the
limit, strings, booleans and nulls where numbers belong). Every read gives labels within the
class list or the formats' error for that file: never another exception, never a hang.

The raw-bytes fuzzers are in ``test_hostile_input.py``. To look harder, raise
``FUZZ_EXAMPLES`` (default 100 per format); a failure prints the file's content.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from hostile_tools import time_limit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from srcrm.data.labelsets import CAMVID
from srcrm.formats import registry
from srcrm.formats.errors import FormatError

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
SIZE = (9, 12)  # height, width of the fuzzed images: points near it land inside, others not


def mostly(usual, trouble):
    """``usual`` four times in five: a file with one thing wrong reaches the code after it."""
    return st.one_of(usual, usual, usual, usual, trouble)


# Numbers as files hold them: mostly near the image, then each kind of trouble.
in_image = st.integers(-2, 14) | st.floats(-2, 14, allow_nan=False)
hostile_number = st.sampled_from(
    [10**400, -(10**400), 2**63, -(2**64), 1e308, float("nan"), float("inf"), float("-inf"), -0.0]
)
wrong_type = st.sampled_from([True, False, None, "3", "", "nan", {}, {"x": 1}])
number = mostly(in_image, hostile_number | wrong_type)
point = mostly(st.lists(number, min_size=2, max_size=2), st.lists(number, max_size=3) | wrong_type)
crossing = st.sampled_from(
    [
        [[0, 0], [8, 8], [8, 0], [0, 8]],  # a bow tie
        [[1, 1], [9, 1], [9, 8], [5, 8], [5, 5], [5, 8], [1, 8]],  # a slit: touches itself
        [[0, 0], [10, 0], [5, 0], [5, 5]],  # doubles back along itself
        [[2, 2], [2, 2], [2, 2]],  # one point thrice
    ]
)
ring = st.lists(point, max_size=8) | crossing


@st.composite
def points(draw):
    """A ring, sometimes nested in extra lists (past the JSON depth limit at times), or no list."""
    value = draw(ring)
    for _ in range(draw(st.sampled_from([0, 0, 0, 0, 1, 70]))):
        value = [value]
    return draw(mostly(st.just(value), wrong_type | hostile_number))


size_value = mostly(st.integers(1, 40), st.sampled_from([0, -1, 100_000, 10**400, True, None, "9", 9.0]))
label = mostly(
    st.sampled_from(["car", "road", "Tree", "unlabelled", "__ignore__"]), st.just("nope") | wrong_type
)


def labelme_doc(draw) -> dict:
    shape = st.fixed_dictionaries(
        {"label": label, "points": points()},
        optional={
            "shape_type": st.sampled_from(
                ["polygon", "rectangle", "circle", "line", "linestrip", "point", "oriented_rectangle", "mask"]
            )
            | wrong_type,
            "mask": st.sampled_from(["", "not base64!", "iVBORw0KGgo="]),
        },
    )
    return {
        "shapes": draw(st.lists(shape, max_size=4)),
        "imageHeight": draw(size_value),
        "imageWidth": draw(size_value),
    }


def cityscapes_doc(draw) -> dict:
    obj = st.fixed_dictionaries(
        {"label": label, "polygon": points()}, optional={"deleted": st.sampled_from([0, 1, True])}
    )
    return {
        "imgHeight": draw(size_value),
        "imgWidth": draw(size_value),
        "objects": draw(st.lists(obj, max_size=4)),
    }


def coco_doc(draw) -> dict:
    flat = points().map(
        lambda p: (
            [v for q in p for v in q] if isinstance(p, list) and all(isinstance(q, list) for q in p) else p
        )
    )
    rle = st.fixed_dictionaries(
        {
            "size": st.lists(size_value, min_size=2, max_size=2) | wrong_type,
            "counts": st.lists(st.integers(-1, 60) | st.just(10**20), max_size=8)
            | st.text(max_size=8)
            | wrong_type,
        }
    )
    segmentation = mostly(st.lists(flat, max_size=3), rle | wrong_type)
    annotation = st.fixed_dictionaries(
        {
            "id": st.integers(0, 5) | hostile_number | wrong_type,
            "image_id": mostly(st.just(1), st.sampled_from([2, 7]) | wrong_type),
            "category_id": mostly(st.sampled_from([1, 2, 3]), wrong_type | hostile_number),
            "segmentation": segmentation,
        }
    )
    image = st.fixed_dictionaries(
        {
            "id": st.sampled_from([1, 1, 2]) | wrong_type,
            "file_name": st.sampled_from(
                ["a.png", "sub/b.jpg", "../c.png", "/d.png", "", "e\u0000.png", "x" * 300]
            ),
            "height": size_value,
            "width": size_value,
        }
    )
    return {
        "images": draw(st.lists(image, min_size=1, max_size=3)),
        "annotations": draw(st.lists(annotation, max_size=5)),
        "categories": [{"id": 1, "name": "car"}, {"id": 2, "name": "road"}, {"id": 3, "name": "unlabelled"}],
    }


DOCS = {"labelme": labelme_doc, "cityscapes": cityscapes_doc, "coco": coco_doc}
FILE_NAMES = {"labelme": "a.json", "cityscapes": "a_gtFine_polygons.json", "coco": "a.json"}


@st.composite
def yolo_text(draw) -> str:
    """Lines of ``class x1 y1 x2 y2 ...``, each token a number of any kind, or not a number."""
    token = mostly(
        st.floats(-0.2, 1.2).map(repr),
        st.sampled_from(["nan", "inf", "-inf", "1e999", "1" + "0" * 400, "0x10", "", "car", "1,5"]),
    )
    index = mostly(st.sampled_from(["0", "1", "2"]), st.sampled_from(["-1", "99", "1" + "0" * 30, "x"]))
    line = st.tuples(index, st.lists(token, max_size=10))
    lines = draw(st.lists(line, max_size=4))
    return "".join(f"{c} {' '.join(values)}\n" for c, values in lines)


def check_read(fmt: str, path, shown: str) -> None:
    """Labels within the class list or the formats' error, in bounded time."""
    with time_limit(30):
        items = list(registry.FORMATS[fmt].read(path, CAMVID))
    allowed = set(range(CAMVID.num_classes)) | {CAMVID.ignore_index}
    for item in items:
        if isinstance(item, FormatError):
            assert "\n" not in str(item) and str(path) in str(item), shown
            continue
        assert item.labels.dtype == np.uint8 and item.labels.ndim == 2, shown
        assert set(np.unique(item.labels).tolist()) <= allowed, shown


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.mark.parametrize("fmt", ["labelme", "cityscapes", "coco"])
def test_hostile_json_geometry_gives_labels_in_range_or_the_formats_error(tmp_path, fmt):
    path = tmp_path / FILE_NAMES[fmt]

    @FUZZ
    @given(data=st.data())
    def check(data):
        doc = data.draw(st.composite(lambda draw: DOCS[fmt](draw))())
        text = json.dumps(doc)  # NaN and Infinity are written as JSON's extension, as Python reads it
        path.write_text(text)
        check_read(fmt, path, text[:2000])

    check()


def test_hostile_yolo_geometry_gives_labels_in_range_or_the_formats_error(tmp_path):
    (tmp_path / "images").mkdir()
    Image.new("RGB", SIZE[::-1]).save(tmp_path / "images" / "a.png")
    (tmp_path / "data.yaml").write_text("names: [car, road, tree]\n")
    path = tmp_path / "labels" / "a.txt"
    path.parent.mkdir()

    @FUZZ
    @given(text=yolo_text())
    def check(text):
        path.write_text(text)
        check_read("yolo", path, text[:2000])

    check()
