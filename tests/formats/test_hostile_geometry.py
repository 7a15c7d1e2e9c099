"""Hostile geometry in well-formed files: numbers too large for a float, polygons of fewer than
three points, rings far longer than any outline, self-crossing rings whose crossings number in
the millions, and a 2 KB COCO file declaring a huge image. Each is one clear error naming the
file and the shape, or labels read in time and memory bounded by the image."""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pytest
from hostile_tools import convert_cli, peak_memory_mb, write_shape

from srcrm.data.labelsets import CAMVID
from srcrm.formats import FormatError, coco, registry

SHAPE = {
    "labelme": "shape #0 (car)",
    "coco": "annotation 1",
    "cityscapes": "object #0 (car)",
    "yolo": "line 1",
}
POLYGON_FORMATS = ["labelme", "coco", "cityscapes"]


def read(fmt: str, path) -> list:
    return list(registry.FORMATS[fmt].read(path, CAMVID))


@pytest.mark.parametrize("fmt", POLYGON_FORMATS)
def test_an_integer_too_large_for_a_float_is_one_error_line(tmp_path, capsys, fmt):
    path = write_shape(fmt, tmp_path / "src", [[10**400, 1], [2, 3], [4, 1]], 10, 10)
    code, err = convert_cli(capsys, tmp_path / "src", tmp_path / "out", "--to", "png")
    assert code == 1
    assert err == [f"error: {path}: {SHAPE[fmt]}: has a coordinate too large to be a number"]
    assert not list((tmp_path / "out").glob("*.png"))


def test_a_yolo_number_too_large_for_a_float_is_one_error_line(tmp_path, capsys):
    path = write_shape("yolo", tmp_path / "src", [[1, 1], [2, 3], [4, 1]], 10, 10)
    path.write_text("0 1" + "0" * 400 + " 0.1 0.2 0.3 0.4 0.1\n")
    code, err = convert_cli(capsys, tmp_path / "src", tmp_path / "out", "--to", "png")
    assert code == 1 and err == [f"error: {path}: line 1: coordinates must be numbers in 0..1"]


@pytest.mark.parametrize("count", [0, 1, 2])
@pytest.mark.parametrize("fmt", [*POLYGON_FORMATS, "yolo"])
def test_a_polygon_of_fewer_than_three_points_is_refused_in_every_format(tmp_path, fmt, count):
    path = write_shape(fmt, tmp_path, [[1.0 + i, 2.0 * i] for i in range(count)], 10, 10)
    [error] = read(fmt, path)
    assert isinstance(error, FormatError) and SHAPE[fmt] in str(error)
    expected = "3 points or more" if fmt == "yolo" else f"needs at least 3 points, has {count}"
    assert expected in str(error)


def test_a_one_point_cityscapes_polygon_is_one_error_line_not_a_pillow_traceback(tmp_path, capsys):
    path = write_shape("cityscapes", tmp_path / "src", [[1, 1]], 10, 10)
    code, err = convert_cli(capsys, tmp_path / "src", tmp_path / "out", "--to", "png")
    assert code == 1 and err == [f"error: {path}: object #0 (car): needs at least 3 points, has 1"]


@pytest.mark.parametrize(
    "ring", [[[2, 2], [2, 2], [2, 2]], [[1, 1], [4, 4], [8, 8]], [[1, 5], [8, 5], [3, 5]]]
)
@pytest.mark.parametrize("fmt", [*POLYGON_FORMATS, "yolo"])
def test_polygons_without_area_are_painted_as_their_tools_paint_them(tmp_path, fmt, ring):
    [sample] = read(fmt, write_shape(fmt, tmp_path, ring, 10, 10))
    assert sample.labels.shape == (10, 10)
    assert set(np.unique(sample.labels).tolist()) <= {8, CAMVID.ignore_index}


@pytest.mark.parametrize("fmt", [*POLYGON_FORMATS, "yolo"])
def test_a_ring_longer_than_any_outline_in_its_box_is_refused(tmp_path, fmt):
    """2,000 points zigzagging across a 100-pixel box: 200,000 pixels of outline, where every
    pixel edge of the box together is 20,000. Painting such rings is what takes hours."""
    zigzag = [[0.0, i * 0.05] if i % 2 else [100.0, i * 0.05] for i in range(2000)]
    [error] = read(fmt, write_shape(fmt, tmp_path, zigzag, 120, 120))
    assert isinstance(error, FormatError) and SHAPE[fmt] in str(error)
    assert "its outline is 200,000 pixels long, more than the 21,218 that any outline inside its " in str(
        error
    )


def test_a_line_strip_may_go_over_its_pixels_again_within_the_image(tmp_path):
    """A scribble of 100 strokes across a 100x3 band is a line, not an outline: it is held to
    the image, and painted; one as long as the image's pixel edges many times over is not."""
    scribble = [[0 if i % 2 else 100, (i % 4) // 2 * 3] for i in range(100)]
    shape = {"label": "car", "points": scribble, "shape_type": "linestrip"}
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"shapes": [shape], "imageHeight": 120, "imageWidth": 120}))
    [sample] = read("labelme", path)
    assert (sample.labels[:8, :101] == 8).all()
    shape["points"] = scribble * 100
    path.write_text(json.dumps({"shapes": [shape], "imageHeight": 120, "imageWidth": 120}))
    [error] = read("labelme", path)
    assert str(error) == (
        f"{path}: shape #0 (car): its outline is 1,000,000 pixels long, more than the 30,258 "
        "that any outline in a 120x120 image needs"
    )


def comb(side: int, teeth: int) -> list[list[float]]:
    """A ring of ``teeth`` vertical teeth across ``teeth`` horizontal ones: every vertical edge
    crosses every horizontal one, ``teeth``**2 crossings, yet its outline is within bounds."""
    step = side / teeth
    down, across = [], []
    for i in range(teeth):
        x, y = (i + 0.25) * step, side - (i + 0.5) * step
        down += [[x, 0.0], [x, side]][:: 1 if i % 2 == 0 else -1]
        across += [[side, y], [0.0, y]][:: 1 if i % 2 == 0 else -1]
    return down + across


@pytest.mark.parametrize("fmt", ["labelme", "cityscapes"])
def test_a_ring_with_millions_of_self_crossings_is_checked_in_little_memory(tmp_path, fmt):
    """The crossing check enumerated every crossing: this 6,000-point ring (2.25 million
    crossings) took 4 GB, and 8,000 points of it 7.7 GB and 160 s. GEOS's validity sweep
    stops at the first crossing."""
    path = write_shape(fmt, tmp_path, comb(1500, 1500), 1500, 1500)
    setup = f"""
        from pathlib import Path
        from srcrm.data.labelsets import CAMVID
        from srcrm.formats import registry
        read = registry.FORMATS[{fmt!r}].read
        path = Path({str(path)!r})
    """
    code = """
        [sample] = read(path, CAMVID)
        [warning] = sample.warnings
        assert "a self-intersecting polygon (its edges cross at" in warning, warning
    """
    assert peak_memory_mb(setup, code) < 100


def coco_file(tmp_path, size: int, triangles: int):
    """One ``size`` x ``size`` image and ``triangles`` nested triangles spanning it, each class
    by turns (road, car, sky): the file is a few kilobytes."""
    annotations = [
        {
            "id": i + 1,
            "image_id": 1,
            "category_id": i % 3 + 1,
            "segmentation": [[i, i, size - 1 - i, i, size / 2, size - 1 - i]],
        }
        for i in range(triangles)
    ]
    doc = {
        "images": [{"id": 1, "file_name": "a.png", "height": size, "width": size}],
        "categories": [{"id": 1, "name": "road"}, {"id": 2, "name": "car"}, {"id": 3, "name": "sky"}],
        "annotations": annotations,
    }
    path = tmp_path / "c.json"
    path.write_text(json.dumps(doc))
    return path


def test_a_small_coco_file_of_a_huge_image_reads_in_memory_bounded_by_the_image(tmp_path):
    """Masks were kept whole-height per annotation until the file was read: 20 triangles on a
    14000x14000 image took 8.3 GB. Now memory is a few label maps, whatever the count."""
    size, triangles = 3000, 30
    path = coco_file(tmp_path, size, triangles)
    assert path.stat().st_size < 4000
    tracemalloc.start()
    try:
        [sample] = coco.read_all(path, CAMVID)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * size * size  # one label map is size * size bytes
    # Larger annotations lie below smaller ones: the innermost triangle is on top.
    assert sample.labels[size // 2, size // 2] == [3, 8, 0][(triangles - 1) % 3]
    assert sample.labels[0, size // 2] == 3  # only the outermost, road, reaches the top row
