"""Polygons to label map: scan conversion with one stated rule for edges and overlaps.

Which pixels a polygon covers: those whose centre ``(c + 0.5, r + 0.5)`` lies inside it, holes
excluded. A centre exactly on an edge goes to the polygon on its right and below (the "top-left
rule" of GPU rasterisers), so two polygons that share an edge never both take, nor both leave,
a pixel on it. Polygons traced by :func:`srcrm.formats.polygons.polygonize` therefore come back
as the exact label map.

Where shapes overlap, the one painted last wins. Shapes are painted in the order given, unless
``priority`` lists class ids: then classes earlier in that list are painted over later ones,
and classes not in it lie below all listed ones (each group keeping the given order).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import shapely


def rasterize(shapes: Iterable[tuple[int, shapely.Geometry]], height: int, width: int, *,
              fill: int, priority: Sequence[int] | None = None) -> np.ndarray:
    """Paint ``(class_id, Polygon | MultiPolygon)`` pairs into an HxW uint8 label map whose
    unpainted pixels are ``fill``."""
    shapes = list(shapes)
    out = np.full(height * width, fill, np.uint8)
    if not shapes or out.size == 0:
        return out.reshape(height, width)
    if priority is not None:
        rank = {int(c): i for i, c in enumerate(priority)}
        shapes = sorted(shapes, key=lambda s: -rank.get(int(s[0]), len(rank)))
    values = np.array([int(c) for c, _ in shapes], np.int64)
    if values.min() < 0 or values.max() > 255:
        raise ValueError("class ids must fit a uint8 label map (0..255)")
    rows, start, length, owner = _spans([g for _, g in shapes], height, width)
    pixels = np.repeat(rows * width + start, length) + _ramp(length)
    painter = np.full(height * width, -1, np.int64)
    np.maximum.at(painter, pixels, np.repeat(owner, length))
    painted = painter >= 0
    out[painted] = values[painter[painted]]
    return out.reshape(height, width)


def polygon_mask(geometry: shapely.Geometry, height: int, width: int) -> np.ndarray:
    """The pixels (HxW bool) that a Polygon or MultiPolygon covers, by the same rule."""
    return rasterize([(1, geometry)], height, width, fill=0).astype(bool)


def _ramp(lengths: np.ndarray) -> np.ndarray:
    """``0..n-1`` for each n in ``lengths``, concatenated."""
    return np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)


def _spans(geometries: list, height: int, width: int):
    """The runs of covered pixels of each geometry, per image row, by the even-odd rule over
    all its rings: (row, first column, length, geometry index) per run."""
    parts, part_of = shapely.get_parts(np.asarray(geometries, dtype=object), return_index=True)
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    if not np.isfinite(coords).all():
        raise ValueError("polygon coordinates must be finite numbers")
    edge = np.flatnonzero(coord_ring[1:] == coord_ring[:-1])
    owner = part_of[ring_of[coord_ring[edge]]]
    upward = (coords[edge, 1] > coords[edge + 1, 1])[:, None]
    # Each edge from its top end, so a shared edge gives both sides bit-identical crossings.
    a = np.where(upward, coords[edge + 1], coords[edge])
    b = np.where(upward, coords[edge], coords[edge + 1])
    first_row = np.clip(np.ceil(a[:, 1] - 0.5), 0, height).astype(np.int64)
    end_row = np.clip(np.ceil(b[:, 1] - 0.5), 0, height).astype(np.int64)
    crossings = np.maximum(end_row - first_row, 0)
    e = np.repeat(np.arange(len(edge)), crossings)
    row = first_row[e] + _ramp(crossings)
    x = a[e, 0] + (row + 0.5 - a[e, 1]) * (b[e, 0] - a[e, 0]) / (b[e, 1] - a[e, 1])
    order = np.lexsort((x, row, owner[e]))
    x, row, who = x[order], row[order], owner[e][order]
    left = np.clip(np.ceil(x[0::2] - 0.5), 0, width).astype(np.int64)
    right = np.clip(np.ceil(x[1::2] - 0.5), 0, width).astype(np.int64)
    return row[0::2], left, np.maximum(right - left, 0), who[0::2]
