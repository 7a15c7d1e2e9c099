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


def _direction_codes() -> np.ndarray:
    codes = np.full((3, 3), _SINGLE, np.intp)
    for k, (dx, dy) in enumerate(_DIRS):
        codes[dy + 1, dx + 1] = k
    return codes


def _corner_table() -> tuple[np.ndarray, np.ndarray]:
    """For each (incoming, outgoing) step of OpenCV's border tracer at a pixel, the pixel
    corners where the crack boundary's edges start, relative to the pixel's top-left corner.

    The tracer (Suzuki-Abe, as in OpenCV) scans the neighbours of a border pixel
    counter-clockwise on screen, starting after the pixel it came from; every 4-neighbour it
    passes is background, so the pixel's side facing it is part of the boundary.
    """
    side_start = {6: (1, 0), 4: (0, 0), 2: (0, 1), 0: (1, 1)}  # N, W, S, E sides, walked CCW
    count = np.zeros((9, 9), np.intp)
    corners = np.zeros((9, 9, 4, 2), np.int32)
    for d_in in range(8):
        back = (d_in + 4) % 8
        for d_out in range(8):
            sides = []
            k = (back - 1) % 8
            while k != d_out and k != back:
                if k % 2 == 0:
                    sides.append(side_start[k])
                k = (k - 1) % 8
            count[d_in, d_out] = len(sides)
            if sides:
                corners[d_in, d_out, :len(sides)] = sides
    count[_SINGLE, _SINGLE] = 4
    corners[_SINGLE, _SINGLE] = [side_start[k] for k in (6, 4, 2, 0)]
    return count, corners


_CODES = _direction_codes()
_COUNT, _CORNERS = _corner_table()


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


def polygonize(labels: np.ndarray, num_classes: int, *, tolerance: float = 0.0,
               min_area: float = 0.0) -> Coverage:
    """Trace a label map (HxW ints; ``0..num_classes-1`` are classes) into polygons.

    ``min_area`` (pixels): connected pieces smaller than this, of a class or unlabelled, are
    given to the nearest larger piece before tracing, so no gap is left where they were.
    ``tolerance`` (pixels): simplification with GEOS's coverage simplifier (Visvalingam-Whyatt):
    a vertex goes when the triangle it spans with its neighbours has an area below
    ``tolerance**2``. Shared edges are simplified once for both sides, so the result still has
    no gaps or overlaps, and no ring crosses another. At 0 the polygons are exact: rasterising
    them gives back the label map pixel for pixel.
    """
    if labels.ndim != 2:
        raise ValueError(f"a label map is HxW, got shape {labels.shape}")
    if tolerance < 0 or min_area < 0:
        raise ValueError("tolerance and min_area must not be negative")
    height, width = labels.shape
    if labels.size == 0:
        return Coverage(height, width, (), ())
    codes = _class_codes(labels, num_classes)
    if min_area > 0:
        codes = _absorb_small(codes, min_area)
    values, rings, polygon_of_ring = _trace(codes)
    polygons = shapely.polygons(rings, indices=polygon_of_ring)
    if tolerance > 0:
        polygons = shapely.coverage_simplify(polygons, tolerance)
    parts, part_of = shapely.get_parts(polygons, return_index=True)
    class_of_part = values[part_of]
    regions = tuple(Region(int(c), p) for c, p in zip(class_of_part, parts) if c < num_classes)
    unlabelled = tuple(p for c, p in zip(class_of_part, parts) if c >= num_classes)
    return Coverage(height, width, regions, unlabelled)


def _class_codes(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """The label map as uint8 with every non-class value folded into one code, ``num_classes``."""
    if not 0 < num_classes < 256:
        raise ValueError(f"num_classes must be 1..255, got {num_classes}")
    if labels.dtype == np.uint8 and int(labels.max(initial=0)) <= num_classes:
        return labels
    codes = np.where((labels >= 0) & (labels < num_classes), labels, num_classes)
    return codes.astype(np.uint8)


def _absorb_small(codes: np.ndarray, min_area: float) -> np.ndarray:
    """Give each pixel of a 4-connected piece smaller than ``min_area`` the value of the
    nearest pixel of a piece that is large enough."""
    small = np.zeros(codes.shape, np.uint8)
    for value in np.flatnonzero(np.bincount(codes.ravel(), minlength=256)):
        n, pieces, stats, _ = cv2.connectedComponentsWithStats(
            (codes == value).view(np.uint8), connectivity=4)
        tiny = stats[:, cv2.CC_STAT_AREA] < min_area
        tiny[0] = False  # background of this class's mask
        small |= tiny[pieces].view(np.uint8)
    if not small.any() or small.all():
        return codes
    _, nearest = cv2.distanceTransformWithLabels(small, cv2.DIST_L2, 3,
                                                 labelType=cv2.DIST_LABEL_PIXEL)
    kept_values = codes[small == 0]  # nearest-pixel labels count the kept pixels in raster order
    return np.where(small.astype(bool), kept_values[nearest - 1], codes).astype(np.uint8)


def _trace(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All boundary rings of all values as shapely linear rings on the corner lattice.

    Returns the value of each polygon, the rings (each polygon's shell followed by its holes)
    and the polygon index of each ring.
    """
    contours: list[np.ndarray] = []
    ring_value: list[int] = []
    ring_polygon: list[np.ndarray] = []
    is_hole: list[np.ndarray] = []
    for value in np.flatnonzero(np.bincount(codes.ravel(), minlength=256)):
        found, hierarchy = cv2.findContours((codes == value).view(np.uint8), cv2.RETR_CCOMP,
                                            cv2.CHAIN_APPROX_NONE)
        parent = hierarchy[0, :, 3]
        first = len(contours)
        contours.extend(found)
        ring_value.extend([value] * len(found))
        ring_polygon.append(first + np.where(parent < 0, np.arange(len(found)), parent))
        is_hole.append(parent >= 0)
    order = np.lexsort((np.concatenate(is_hole), np.concatenate(ring_polygon)))
    contours = [contours[i] for i in order]  # each shell, then its holes
    polygon_of_ring = np.unique(np.concatenate(ring_polygon)[order], return_inverse=True)[1]
    value_of_ring = np.asarray(ring_value, np.intp)[order]

    xy, ring = _crack_corners(contours)
    keep = _vertices_to_keep(codes, xy, ring)
    xy, ring = xy[keep], ring[keep]
    rings = shapely.linearrings(xy.astype(np.float64), indices=ring)
    values = value_of_ring[np.r_[True, np.diff(polygon_of_ring) != 0]]
    broken = np.unique(polygon_of_ring[ring[_pinched(codes, xy, value_of_ring[ring])]])
    if len(broken):
        return _repair(rings, polygon_of_ring, values, broken)
    return values, rings, polygon_of_ring


def _crack_corners(contours: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Turn OpenCV's border pixels (CHAIN_APPROX_NONE) into the corners of the pixel edges
    that separate the region from its outside, in order, one corner per edge."""
    lengths = np.fromiter((len(c) for c in contours), np.intp, len(contours))
    pts = np.concatenate(contours).reshape(-1, 2)
    index = np.arange(len(pts))
    starts = np.cumsum(lengths) - lengths
    ends = starts + lengths - 1
    prev = index - 1
    prev[starts] = ends
    nxt = index + 1
    nxt[ends] = starts
    step_in = pts - pts[prev]
    step_out = pts[nxt] - pts
    d_in = _CODES[step_in[:, 1] + 1, step_in[:, 0] + 1]
    d_out = _CODES[step_out[:, 1] + 1, step_out[:, 0] + 1]
    count = _COUNT[d_in, d_out]
    owner = np.repeat(index, count)
    nth = np.arange(len(owner)) - np.repeat(np.cumsum(count) - count, count)
    xy = pts[owner] + _CORNERS[d_in[owner], d_out[owner], nth]
    ring = np.repeat(np.repeat(np.arange(len(contours)), lengths), count)
    return xy, ring


def _neighbour_pixels(codes: np.ndarray, xy: np.ndarray) -> tuple[np.ndarray, ...]:
    """The four pixels around each lattice corner (top-left, top-right, bottom-left,
    bottom-right); corners on the image frame repeat the pixels inside."""
    height, width = codes.shape
    x0 = np.clip(xy[:, 0] - 1, 0, width - 1)
    x1 = np.clip(xy[:, 0], 0, width - 1)
    y0 = np.clip(xy[:, 1] - 1, 0, height - 1)
    y1 = np.clip(xy[:, 1], 0, height - 1)
    return codes[y0, x0], codes[y0, x1], codes[y1, x0], codes[y1, x1]


def _vertices_to_keep(codes: np.ndarray, xy: np.ndarray, ring: np.ndarray) -> np.ndarray:
    """Corners where the ring turns, plus straight-through corners where three or more
    regions meet (so every ring through a junction has a vertex there)."""
    same_ring_prev = np.r_[False, ring[1:] == ring[:-1]]
    first = np.flatnonzero(~same_ring_prev)
    last = np.r_[first[1:], len(ring)] - 1
    prev = np.arange(len(ring)) - 1
    prev[first] = last
    nxt = np.arange(len(ring)) + 1
    nxt[last] = first
    turning = np.any((xy - xy[prev]) != (xy[nxt] - xy), axis=1)
    straight = np.flatnonzero(~turning)
    a, b, c, d = _neighbour_pixels(codes, xy[straight])
    distinct = 1 + (b != a) + ((c != a) & (c != b)) + ((d != a) & (d != b) & (d != c))
    turning[straight[distinct >= 3]] = True
    return turning


def _pinched(codes: np.ndarray, xy: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Vertices where the region's own pixels meet only diagonally. There OpenCV's 8-connected
    tracing joins what are two 4-connected pieces, or lets a hole touch the shell: the polygon
    may be invalid and is rebuilt."""
    a, b, c, d = _neighbour_pixels(codes, xy)
    return (((a == values) & (d == values) & (b != values) & (c != values))
            | ((b == values) & (c == values) & (a != values) & (d != values)))


def _repair(rings: np.ndarray, polygon_of_ring: np.ndarray, values: np.ndarray,
            broken: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rebuild the polygons numbered ``broken`` as valid (Multi)Polygons; return what
    :func:`_trace` returns, for the parts."""
    polygons = shapely.polygons(rings, indices=polygon_of_ring)
    polygons[broken] = shapely.make_valid(polygons[broken], method="structure",
                                          keep_collapsed=False)
    parts, part_of = shapely.get_parts(polygons, return_index=True)
    all_rings, ring_part = shapely.get_rings(parts, return_index=True)
    return values[part_of], all_rings, ring_part
