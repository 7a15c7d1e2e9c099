"""Label map to polygons that tile the image: the core of every polygon export.

Coordinates are continuous image coordinates: pixel (row r, column c) is the unit square
``[c, c+1) x [r, r+1)``, so a polygon of pixel ``(r, c)`` alone is the square with corners
``(c, r)`` and ``(c+1, r+1)``. That is how labelme, COCO and Cityscapes place their points.

Polygons run along pixel edges (the corner lattice), never through pixel centres, so two
neighbouring regions share their common boundary vertex for vertex: exported polygons of one
image neither overlap nor leave gaps. Every vertex where three or more regions meet is kept on
every ring through it, so the result is an edge-matched coverage that GEOS's coverage simplifier
can thin without opening gaps (``tolerance``). Pixels of no class ("unlabelled": any value
outside ``0..num_classes-1``) are traced as well, so they keep matching edges after
simplification; they are returned apart from the classes.

Connected components are 4-connected: pixels that touch only at a corner are separate polygons,
and a hole may touch its shell at a single point (valid in the OGC model shapely follows).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np
import shapely

# The 8 neighbour directions (dx, dy), clockwise on screen, as OpenCV's chain codes number them.
_DIRS = ((1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1))
_SINGLE = 8  # "no step": a contour of one pixel


def _step_codes() -> np.ndarray:
    """Direction code of a step, indexed by ``(dy + 1) * 3 + (dx + 1)``."""
    codes = np.full(9, _SINGLE, np.int32)
    for k, (dx, dy) in enumerate(_DIRS):
        codes[(dy + 1) * 3 + dx + 1] = k
    return codes


def _corner_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each (incoming, outgoing) step of OpenCV's border tracer at a pixel, indexed by
    ``incoming * 9 + outgoing``: how many boundary edges of the pixel the crack boundary
    walks, where each starts (relative to the pixel's top-left corner), and which side of the
    pixel each is (0 E, 2 S, 4 W, 6 N).

    The tracer (Suzuki-Abe, as in OpenCV) scans the neighbours of a border pixel
    counter-clockwise on screen, starting after the pixel it came from; every 4-neighbour it
    passes is background, so the pixel's side facing it is part of the boundary.
    """
    side_start = {6: (1, 0), 4: (0, 0), 2: (0, 1), 0: (1, 1)}  # N, W, S, E sides, walked CCW
    count = np.zeros(81, np.int32)
    corners = np.zeros((81, 4, 2), np.int32)
    sides = np.zeros((81, 4), np.int8)
    for d_in in range(9):
        for d_out in range(9):
            if (d_in == _SINGLE) != (d_out == _SINGLE):
                continue
            if d_in == _SINGLE:
                walked = [6, 4, 2, 0]  # a lone pixel: all four sides
            else:
                back, walked = (d_in + 4) % 8, []
                k = (back - 1) % 8
                while k != d_out and k != back:
                    if k % 2 == 0:
                        walked.append(k)
                    k = (k - 1) % 8
            key = d_in * 9 + d_out
            count[key] = len(walked)
            for j, k in enumerate(walked):
                corners[key, j] = side_start[k]
                sides[key, j] = k
    return count, corners, sides


_STEP_CODES = _step_codes()
_COUNT, _CORNERS, _SIDES = _corner_table()


class Region(NamedTuple):
    """One 4-connected piece of one class: a polygon whose holes are interior rings."""

    class_id: int
    polygon: shapely.Polygon


@dataclass(frozen=True)
class Coverage:
    """The polygons of one label map. Regions and unlabelled pieces together tile the image."""

    height: int
    width: int
    regions: tuple[Region, ...]
    unlabelled: tuple[shapely.Polygon, ...]


def polygonize(
    labels: np.ndarray, num_classes: int, *, tolerance: float = 0.0, min_area: float = 0.0
) -> Coverage:
    """Trace a label map (HxW ints; ``0..num_classes-1`` are classes) into polygons.

    ``min_area`` (pixels): connected pieces smaller than this, of a class or unlabelled, are
    given to the nearest larger piece before tracing, so no gap is left where they were.
    (When every piece is that small, the map is traced as it is.)
    ``tolerance`` (pixels): simplification with GEOS's coverage simplifier (Visvalingam-Whyatt):
    a vertex goes when the triangle it spans with its neighbours has an area below about
    ``tolerance**2``. Shared edges are simplified once for both sides, so the result still has
    no gaps or overlaps and no ring crosses another; the image frame is kept as it is. At 0 the
    polygons are exact: rasterising them gives back the label map pixel for pixel.
    """
    if labels.ndim != 2:
        raise ValueError(f"a label map is HxW, got shape {labels.shape}")
    if tolerance < 0 or min_area < 0:
        raise ValueError("tolerance and min_area must not be negative")
    height, width = labels.shape
    if labels.size == 0:
        return Coverage(height, width, (), ())
    codes = class_codes(labels, num_classes)
    if min_area > 0:
        codes = absorb_small(codes, min_area)
    values, polygons = _trace(codes)
    if tolerance > 0:
        polygons = shapely.coverage_simplify(polygons, tolerance, simplify_boundary=False)
    parts, part_of = shapely.get_parts(polygons, return_index=True)
    class_of_part = values[part_of]
    pairs = list(zip(class_of_part.tolist(), parts, strict=True))
    regions = tuple(Region(c, p) for c, p in pairs if c < num_classes)
    unlabelled = tuple(p for c, p in pairs if c >= num_classes)
    return Coverage(height, width, regions, unlabelled)


def class_codes(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """The label map as uint8 with every non-class value folded into one code, ``num_classes``."""
    if not 0 < num_classes < 256:
        raise ValueError(f"num_classes must be 1..255, got {num_classes}")
    if labels.dtype == np.uint8 and int(labels.max(initial=0)) <= num_classes:
        return np.ascontiguousarray(labels)
    codes = np.where((labels >= 0) & (labels < num_classes), labels, num_classes)
    return codes.astype(np.uint8)


def absorb_small(codes: np.ndarray, min_area: float) -> np.ndarray:
    """Give each pixel of a 4-connected piece smaller than ``min_area`` the value of the
    nearest pixel of a piece that is large enough."""
    small = np.zeros(codes.shape, np.uint8)
    for value in present_values(codes):
        _, pieces, stats, _ = cv2.connectedComponentsWithStats(
            (codes == value).view(np.uint8), connectivity=4
        )
        tiny = stats[:, cv2.CC_STAT_AREA] < min_area
        tiny[0] = False  # background of this class's mask
        small |= tiny[pieces].view(np.uint8)
    if not small.any() or small.all():
        return codes
    _, nearest = cv2.distanceTransformWithLabels(small, cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL)
    kept_values = codes[small == 0]  # nearest-pixel labels count the kept pixels in raster order
    return np.where(small.astype(bool), kept_values[nearest - 1], codes).astype(np.uint8)


def present_values(codes: np.ndarray) -> np.ndarray:
    """The values present in a uint8 map, ascending."""
    return np.flatnonzero(cv2.calcHist([codes], [0], None, [256], [0, 256]).ravel())


def _trace(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The value and the (Multi)Polygon of every 8-connected piece of every value, on the
    corner lattice; a piece that is several 4-connected ones comes as a MultiPolygon."""
    lone = _lone_corner_pixels(codes)
    contours: list[np.ndarray] = []
    ring_value: list[int] = []
    ring_polygon: list[np.ndarray] = []
    is_hole: list[np.ndarray] = []
    for value in present_values(codes):
        mask = (codes == value) & ~lone if lone is not None else codes == value
        if not mask.any():
            continue
        found, hierarchy = cv2.findContours(mask.view(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
        parent = hierarchy[0, :, 3]
        first = len(contours)
        contours.extend(found)
        ring_value.extend([value] * len(found))
        ring_polygon.append(first + np.where(parent < 0, np.arange(len(found)), parent))
        is_hole.append(parent >= 0)
    if not contours:  # every pixel is a lone square
        return _with_squares(np.zeros(0, np.int32), np.empty(0, object), codes, lone)
    order = np.lexsort((np.concatenate(is_hole), np.concatenate(ring_polygon)))
    contours = [contours[i] for i in order]  # each shell, then its holes
    polygon_of_ring = np.unique(np.concatenate(ring_polygon)[order], return_inverse=True)[1]
    value_of_ring = np.asarray(ring_value, np.int32)[order]

    xy, ring, side = _crack_corners(contours)
    a, b, c, d = _neighbour_pixels(codes, xy)
    prev = _previous_in_ring(ring)
    others = (
        (b != a).view(np.int8)
        + ((c != a) & (c != b)).view(np.int8)
        + ((d != a) & (d != b) & (d != c)).view(np.int8)
    )  # values besides a's
    junction = others >= 2
    keep = (side != side[prev]) | junction  # where the boundary turns, or three regions meet
    # Where the region's own pixels meet only diagonally the polygon may be invalid.
    if lone is not None:  # squares of their own: they pinch nothing
        a, b, c, d = _neighbour_pixels(np.where(lone, -2, codes), xy)
    value = value_of_ring[ring]
    pinched = keep & (
        ((a == value) & (d == value) & (b != value) & (c != value))
        | ((b == value) & (c == value) & (a != value) & (d != value))
    )
    xy, ring = xy[keep], ring[keep]
    rings = shapely.linearrings(xy.astype(np.float64), indices=ring)
    polygons = shapely.polygons(rings, indices=polygon_of_ring)
    broken = np.unique(polygon_of_ring[ring[pinched[keep]]])
    if len(broken):
        polygons[broken] = _repair(polygons[broken], _areas(xy, ring, polygon_of_ring)[broken])
    values = value_of_ring[np.r_[True, np.diff(polygon_of_ring) != 0]]
    return _with_squares(values, polygons, codes, lone)


def _with_squares(
    values: np.ndarray, polygons: np.ndarray, codes: np.ndarray, lone: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """The traced pieces and a unit square for each lone corner pixel."""
    if lone is None:
        return values, polygons
    rows, cols = np.nonzero(lone)
    squares = shapely.box(cols, rows, cols + 1, rows + 1, ccw=False)
    return np.concatenate((values, codes[rows, cols])), np.concatenate((polygons, squares))


def _lone_corner_pixels(codes: np.ndarray) -> np.ndarray | None:
    """Pixels with no 4-neighbour of their value but a diagonal one, or None if there are
    none. Traced with their diagonal neighbours they would make one pinched ring (in a
    checkerboard, one ring through every pixel, very slow to repair), so each is a square of
    its own instead."""
    height, width = codes.shape
    padded = np.pad(codes.astype(np.int16), 1, constant_values=-1)

    def same(dy: int, dx: int) -> np.ndarray:
        return padded[1 + dy : 1 + dy + height, 1 + dx : 1 + dx + width] == codes

    lone = ~(same(-1, 0) | same(1, 0) | same(0, -1) | same(0, 1))
    if not lone.any():
        return None
    lone &= same(-1, -1) | same(-1, 1) | same(1, -1) | same(1, 1)
    return lone if lone.any() else None


def _repair(polygons: np.ndarray, areas: np.ndarray) -> np.ndarray:
    """Valid (Multi)Polygons for polygons whose own pixels meet diagonally at a vertex: there
    OpenCV's 8-connected tracing has joined 4-connected pieces into one ring, or let a hole
    touch the shell. ``buffer(0)`` splits them at those points, several times faster than
    ``make_valid``; where it would change the area (a known GEOS hazard), make_valid it is."""
    fixed = shapely.buffer(polygons, 0)
    wrong = shapely.area(fixed) != areas
    fixed[wrong] = shapely.make_valid(polygons[wrong], method="structure", keep_collapsed=False)
    return fixed


def _areas(xy: np.ndarray, ring: np.ndarray, polygon_of_ring: np.ndarray) -> np.ndarray:
    """Pixel count of each polygon from its rings' signed areas (shells and holes run opposite
    ways, so the sum is right even for rings that touch themselves)."""
    nxt = np.empty_like(ring)
    nxt[_previous_in_ring(ring)] = np.arange(len(ring))
    x, y = xy[:, 0].astype(np.int64), xy[:, 1].astype(np.int64)
    twice = np.bincount(ring, weights=x * y[nxt] - x[nxt] * y)
    return np.abs(np.bincount(polygon_of_ring, weights=twice)) / 2


def _previous_in_ring(ring: np.ndarray) -> np.ndarray:
    """Index of each item's predecessor in its ring (``ring`` ids come in contiguous runs);
    the first item of a ring follows the last."""
    prev = np.arange(-1, len(ring) - 1)
    first = np.flatnonzero(np.r_[True, ring[1:] != ring[:-1]])
    prev[first] = np.r_[first[1:], len(ring)] - 1
    return prev


def _crack_corners(contours: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Turn OpenCV's border pixels (CHAIN_APPROX_NONE) into the pixel edges that separate the
    region from its outside, in order: the corner each edge starts at, its ring and its side."""
    lengths = np.fromiter((len(c) for c in contours), np.int32, len(contours))
    pts = np.concatenate(contours).reshape(-1, 2)
    ring_of_point = np.repeat(np.arange(len(contours), dtype=np.int32), lengths)
    prev = _previous_in_ring(ring_of_point)
    step = pts - pts[prev]  # step into each pixel; the step out of it is its successor's
    d_in = _STEP_CODES[(step[:, 1] + 1) * 3 + step[:, 0] + 1]
    d_out = np.empty_like(d_in)
    d_out[prev] = d_in
    key = d_in * 9 + d_out
    count = _COUNT[key]
    owner = np.repeat(np.arange(len(pts), dtype=np.int32), count)
    nth = np.arange(len(owner), dtype=np.int32) - np.repeat(np.cumsum(count) - count, count)
    slot = key[owner] * 4 + nth
    xy = pts[owner] + _CORNERS.reshape(-1, 2)[slot]
    return xy, ring_of_point[owner], _SIDES.ravel()[slot]


def _neighbour_pixels(codes: np.ndarray, xy: np.ndarray) -> tuple[np.ndarray, ...]:
    """The four pixels around each lattice corner (top-left, top-right, bottom-left,
    bottom-right); outside the image they read -1."""
    padded = np.pad(codes.astype(np.int16), 1, constant_values=-1)
    flat = padded.ravel()
    top_left = xy[:, 1] * padded.shape[1] + xy[:, 0]
    below = top_left + padded.shape[1]
    return flat[top_left], flat[top_left + 1], flat[below], flat[below + 1]
