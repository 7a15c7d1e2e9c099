"""Polygons to label map: the pixel-centre rule, ties on shared edges, holes and priority."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from srcrm.formats import polygon_mask, rasterize


def centres_inside(geometry, height: int, width: int) -> np.ndarray:
    """Reference: shapely's point-in-polygon at every pixel centre."""
    rows, cols = np.mgrid[:height, :width]
    return shapely.contains_xy(geometry, cols + 0.5, rows + 0.5)


def test_a_pixel_is_covered_when_its_centre_is_inside():
    square = shapely.box(1, 1, 3, 2)  # corner coordinates: pixels (row 1, cols 1-2)
    expected = np.zeros((4, 4), bool)
    expected[1, 1:3] = True
    assert (polygon_mask(square, 4, 4) == expected).all()
    assert not polygon_mask(shapely.box(1.6, 1.6, 2.4, 2.4), 4, 4).any()  # misses every centre


def test_an_edge_through_pixel_centres_gives_each_pixel_to_exactly_one_side():
    lower = shapely.Polygon([(0, 0), (6, 6), (0, 6)])
    upper = shapely.Polygon([(0, 0), (6, 0), (6, 6)])
    a, b = polygon_mask(lower, 6, 6), polygon_mask(upper, 6, 6)
    assert not (a & b).any()
    assert (a | b).all()


def test_holes_and_multipolygons_are_respected():
    ring = shapely.box(0, 0, 6, 6).difference(shapely.box(2, 2, 4, 4))
    two = shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(5, 5, 6, 6)])
    labels = rasterize([(1, ring), (2, two)], 6, 6, fill=9)
    assert (labels[2:4, 2:4] == 9).all()
    assert (labels == 1).sum() == 32 - 2
    assert labels[0, 0] == 2 and labels[5, 5] == 2
    # Rings as files give them: the hole running the same way round as the shell.
    same_way = shapely.Polygon([(0, 0), (6, 0), (6, 6), (0, 6)], [[(2, 2), (4, 2), (4, 4), (2, 4)]])
    hole = np.zeros((6, 6), bool)
    hole[2:4, 2:4] = True
    assert (rasterize([(1, same_way)], 6, 6, fill=9) == np.where(hole, 9, 1)).all()


def test_overlaps_go_to_the_last_shape_or_by_class_priority():
    big, small = shapely.box(0, 0, 4, 4), shapely.box(1, 1, 3, 3)
    assert rasterize([(1, big), (2, small)], 4, 4, fill=0)[2, 2] == 2
    assert rasterize([(2, small), (1, big)], 4, 4, fill=0)[2, 2] == 1
    # Class 2 listed first wins wherever it is, whatever the order of the shapes.
    assert rasterize([(2, small), (1, big)], 4, 4, fill=0, priority=[2, 1])[2, 2] == 2
    labels = rasterize([(3, small), (1, big)], 4, 4, fill=0, priority=[3])
    assert labels[2, 2] == 3 and labels[0, 0] == 1


def test_shapes_past_the_image_are_clipped_and_bad_input_refused():
    labels = rasterize([(1, shapely.box(-5, -5, 2, 100))], 3, 4, fill=0)
    assert (labels[:, :2] == 1).all() and (labels[:, 2:] == 0).all()
    with np.errstate(invalid="ignore"), pytest.raises(ValueError, match="finite"):
        rasterize([(1, shapely.Polygon([(0, 0), (np.nan, 1), (1, 1)]))], 3, 3, fill=0)
    with pytest.raises(ValueError, match="uint8"):
        rasterize([(256, shapely.box(0, 0, 1, 1))], 3, 3, fill=0)
    zigzag = shapely.Polygon([(i % 2 * 4, i * 1e-3) for i in range(3000)] + [(-1, 1e3)])
    with pytest.raises(ValueError, match="cross image rows"):
        rasterize([(1, shapely.box(0, 0, 1, 1)), (1, zigzag.buffer(0))] * 200, 1000, 4, fill=0)


boxes = st.lists(
    st.tuples(st.integers(0, 3), st.floats(0, 9), st.floats(0, 9), st.floats(0.3, 6), st.floats(0.3, 6)),
    min_size=1,
    max_size=6,
)


@settings(max_examples=80, deadline=None)
@given(boxes=boxes)
def test_overlapping_shapes_match_painting_one_by_one(boxes):
    """Random rectangles and triangles, painted in order, against point-in-polygon tests at the
    pixel centres (centres exactly on an edge are left to the tie rule tested above)."""
    shapes = []
    for k, (value, x, y, w, h) in enumerate(boxes):
        box = shapely.box(x, y, x + w, y + h)
        shapes.append((value, box if k % 2 else shapely.Polygon([(x, y), (x + w, y), (x, y + h)])))
    rows, cols = np.mgrid[:10, :12]
    expected = np.full((10, 12), 7, np.uint8)
    on_edge = np.zeros((10, 12), bool)
    for value, geometry in shapes:
        expected[centres_inside(geometry, 10, 12)] = value
        on_edge |= shapely.dwithin(geometry.boundary, shapely.points(cols + 0.5, rows + 0.5), 1e-9)
    labels = rasterize(shapes, 10, 12, fill=7)
    assert (labels == expected)[~on_edge].all()
