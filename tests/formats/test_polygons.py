"""Label map to polygons and back: exactness, tiling without gaps or overlaps, simplification
and the minimum-area filter, on real CamVid labels and on random maps."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from srcrm.base.io import read_label_png
from srcrm.formats import polygonize, rasterize

CLASSES = 11  # CamVid; 11 is void


def all_polygons(coverage) -> list[shapely.Polygon]:
    return [r.polygon for r in coverage.regions] + list(coverage.unlabelled)


def vertex_count(coverage) -> int:
    return int(shapely.get_num_coordinates(all_polygons(coverage)).sum())


def hole_count(coverage) -> int:
    return sum(len(r.polygon.interiors) for r in coverage.regions)


def overlap_area(polygons: list[shapely.Polygon]) -> float:
    """Total area where two polygons overlap: what users of other tools check."""
    tree = shapely.STRtree(polygons)
    left, right = tree.query(polygons, predicate="intersects")
    pairs = left < right
    overlaps = shapely.intersection(np.take(polygons, left[pairs]), np.take(polygons, right[pairs]))
    return float(shapely.area(overlaps).sum())


def test_camvid_val_round_trip_reproduces_every_class(camvid_val_labels):
    worst_iou, wrong_pixels = 1.0, 0
    for path in camvid_val_labels:
        labels = read_label_png(path)
        coverage = polygonize(labels, CLASSES)
        back = rasterize(coverage.regions, *labels.shape, fill=CLASSES)
        for c in np.unique(labels[labels < CLASSES]):
            a, b = labels == c, back == c
            worst_iou = min(worst_iou, (a & b).sum() / (a | b).sum())
        wrong_pixels += int((back != labels).sum())
    assert worst_iou >= 0.99
    assert wrong_pixels == 0  # tolerance 0 is exact, not just close


@pytest.mark.parametrize("tolerance", [0.0, 1.5])
def test_camvid_polygons_tile_the_image_without_gaps_or_overlaps(camvid_label, tolerance):
    coverage = polygonize(camvid_label, CLASSES, tolerance=tolerance)
    polygons = all_polygons(coverage)
    assert shapely.is_valid(polygons).all()
    assert overlap_area(polygons) < 1e-6
    image_area = camvid_label.size
    assert shapely.union_all(polygons).area == pytest.approx(image_area, abs=1e-6)
    labelled = [r.polygon for r in coverage.regions]
    void_area = sum(p.area for p in coverage.unlabelled)
    assert sum(p.area for p in labelled) == pytest.approx(image_area - void_area, abs=1e-6)
    assert shapely.coverage_is_valid(shapely.GeometryCollection(polygons))


def test_simplification_thins_polygons_but_keeps_the_labels(camvid_label):
    exact = polygonize(camvid_label, CLASSES)
    simple = polygonize(camvid_label, CLASSES, tolerance=1.0)
    assert vertex_count(simple) < 0.6 * vertex_count(exact)
    # Topology is kept: no piece or hole disappears, however small.
    assert len(simple.regions) == len(exact.regions)
    assert hole_count(simple) == hole_count(exact)
    back = rasterize(simple.regions, *camvid_label.shape, fill=CLASSES)
    assert (back == camvid_label).mean() > 0.97


def test_every_vertex_where_regions_meet_is_on_every_ring_through_it():
    """A straight edge of one region with two neighbours on the other side: both neighbours'
    corner must be a vertex of the straight ring too, or coverage tools see gaps."""
    labels = np.zeros((4, 6), np.uint8)
    labels[2:, :3], labels[2:, 3:] = 1, 2
    top = next(r.polygon for r in polygonize(labels, 3).regions if r.class_id == 0)
    assert (3.0, 2.0) in set(map(tuple, shapely.get_coordinates(top)))


def test_tricky_cases_are_valid_4_connected_and_exact(tricky_map):
    coverage = polygonize(tricky_map, CLASSES)
    assert all(r.polygon.is_valid for r in coverage.regions)
    back = rasterize(coverage.regions, *tricky_map.shape, fill=CLASSES)
    assert (back == np.where(tricky_map < CLASSES, tricky_map, CLASSES)).all()
    trees = [r for r in coverage.regions if r.class_id == 5]
    assert len(trees) == 2  # diagonal neighbours are separate pieces
    [road] = [r.polygon for r in coverage.regions if r.class_id == 3]
    assert len(road.interiors) == 2  # the car's outline, and the hole touching the shell
    assert road.area == (tricky_map == 3).sum()
    [car] = [r.polygon for r in coverage.regions if r.class_id == 8]
    assert len(car.interiors) == 1
    unlabelled = (tricky_map == 11) | (tricky_map == 200)
    assert sum(p.area for p in coverage.unlabelled) == unlabelled.sum()


def test_checkerboard_gives_one_polygon_per_pixel():
    board = (np.indices((6, 7)).sum(0) % 2).astype(np.uint8)
    coverage = polygonize(board, 2)
    assert len(coverage.regions) == board.size
    assert all(r.polygon.area == 1 and r.polygon.is_valid for r in coverage.regions)


def test_input_types_and_empty_maps():
    labels = np.array([[0, 1], [300, -4]], np.int32)  # not uint8, values past the classes
    coverage = polygonize(labels, 2)
    assert sorted(r.class_id for r in coverage.regions) == [0, 1]
    assert sum(p.area for p in coverage.unlabelled) == 2
    empty = polygonize(np.zeros((0, 5), np.uint8), 3)
    assert empty.regions == () and empty.width == 5
    with pytest.raises(ValueError):
        polygonize(np.zeros((2, 2, 3), np.uint8), 3)


def test_min_area_absorbs_small_pieces_without_leaving_gaps():
    rng = np.random.default_rng(0)
    labels = np.zeros((40, 60), np.uint8)
    labels[:, 30:] = 1
    specks = rng.random(labels.shape) < 0.02
    labels[specks] = 2  # 1-pixel specks of class 2, plus one real block
    labels[10:20, 10:20] = 2
    coverage = polygonize(labels, 3, min_area=10)
    assert min(r.polygon.area for r in coverage.regions) >= 10
    assert [r.polygon.area for r in coverage.regions if r.class_id == 2] == [100]
    assert sum(r.polygon.area for r in coverage.regions) == labels.size
    back = rasterize(coverage.regions, *labels.shape, fill=255)
    assert (back[~specks] == labels[~specks]).all()  # only the specks changed...
    cols = np.indices(labels.shape)[1]
    block = np.zeros(labels.shape, bool)
    block[8:22, 8:22] = True
    assert (back[specks & ~block & (cols < 29)] == 0).all()  # ...to the class around them
    assert (back[specks & ~block & (cols > 30)] == 1).all()


label_maps = arrays(np.uint8, st.tuples(st.integers(1, 12), st.integers(1, 12)), elements=st.integers(0, 4))


@settings(max_examples=150, deadline=None)
@given(labels=label_maps, num_classes=st.integers(1, 4))
def test_random_maps_round_trip_exactly_as_a_valid_coverage(labels, num_classes):
    coverage = polygonize(labels, num_classes)
    polygons = all_polygons(coverage)
    assert shapely.is_valid(polygons).all()
    assert sum(p.area for p in polygons) == labels.size
    assert shapely.coverage_is_valid(shapely.GeometryCollection(polygons))
    back = rasterize(coverage.regions, *labels.shape, fill=num_classes)
    assert (back == np.minimum(labels, num_classes)).all()


@settings(max_examples=60, deadline=None)
@given(labels=label_maps, tolerance=st.floats(0.5, 3.0))
def test_random_maps_simplified_still_tile(labels, tolerance):
    coverage = polygonize(labels, 4, tolerance=tolerance)
    polygons = all_polygons(coverage)
    assert shapely.is_valid(polygons).all()
    assert sum(p.area for p in polygons) == pytest.approx(labels.size)
    assert overlap_area(polygons) < 1e-9


def test_a_checkerboard_is_a_square_per_pixel_fast():
    board = (np.indices((64, 64)).sum(0) % 2).astype(np.uint8)
    board[:8, :8] = 1  # a block whose corner touches lone pixels diagonally
    coverage = polygonize(board, 2)
    polygons = all_polygons(coverage)
    areas = sorted(p.area for p in polygons)
    assert shapely.is_valid(polygons).all() and areas[-1] == 64 + 8 and set(areas[:-1]) == {1}
    assert (rasterize(coverage.regions, 64, 64, fill=255) == board).all()
