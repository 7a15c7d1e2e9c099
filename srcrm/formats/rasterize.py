"""Polygons to label map: scan conversion with one stated rule for edges and overlaps.

Which pixels a polygon covers: those whose centre ``(c + 0.5, r + 0.5)`` lies inside it, holes
excluded. A centre exactly on an edge goes to the polygon on its right and below (the "top-left
rule" of GPU rasterisers), so two polygons that share an edge never both take, nor both leave,
a pixel on it. Polygons traced by :func:`srcrm.formats.polygons.polygonize` therefore come back
as the exact label map.

Where shapes overlap, the one painted last wins. Shapes are painted in the order given, unless
``priority`` lists class ids: then classes earlier in that list are painted over later ones,
and classes not in it lie below all listed ones (each group keeping the given order).

Polygons must be valid (no self-intersection, holes inside their shell): each row's coverage
is the winding number of the edges crossed so far, which is 0 or 1 for a valid polygon. Files
from other tools are painted with those tools' own rules instead (see each format's reader).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import shapely


def rasterize(
    shapes: Iterable[tuple[int, shapely.Geometry]],
    height: int,
    width: int,
    *,
    fill: int,
    priority: Sequence[int] | None = None,
) -> np.ndarray:
    """Paint ``(class_id, Polygon | MultiPolygon)`` pairs into an HxW uint8 label map whose
    unpainted pixels are ``fill``."""
    shapes = list(shapes)
    out = np.full((height, width), fill, np.uint8)
    if not shapes or out.size == 0:
        return out
    if priority is not None:
        rank = {int(c): i for i, c in enumerate(priority)}
        shapes = sorted(shapes, key=lambda s: -rank.get(int(s[0]), len(rank)))
    values = np.array([int(c) for c, _ in shapes], np.int64)
    if values.min() < 0 or values.max() > 255:
        raise ValueError("class ids must fit a uint8 label map (0..255)")
    row, column, winding, owner = _crossings([g for _, g in shapes], height, width)
    cells = row * (width + 1) + column  # one extra column per row takes crossings past the edge

    def accumulate(weights: np.ndarray) -> np.ndarray:
        counts = np.bincount(cells, weights=weights, minlength=height * (width + 1))
        return np.cumsum(counts).reshape(height, width + 1)[:, :width]

    cover = accumulate(winding)
    if cover.min() >= 0 and cover.max() <= 1:  # no overlaps: all shapes in one pass
        level = accumulate(winding * (values[owner] + 1))
        painted = cover > 0
        out[painted] = level[painted] - 1
        return out
    bounds = np.searchsorted(owner, np.arange(len(shapes) + 1))
    for i, value in enumerate(values):  # overlaps: one shape after the other
        if bounds[i] == bounds[i + 1]:
            continue
        part = slice(bounds[i], bounds[i + 1])
        top, bottom = row[part].min(), row[part].max() + 1
        local = np.bincount(
            cells[part] - top * (width + 1), weights=winding[part], minlength=(bottom - top) * (width + 1)
        )
        inside = np.cumsum(local).reshape(bottom - top, width + 1)[:, :width] != 0
        out[top:bottom][inside] = value
    return out


def polygon_mask(geometry: shapely.Geometry, height: int, width: int) -> np.ndarray:
    """The pixels (HxW bool) that a Polygon or MultiPolygon covers, by the same rule."""
    return rasterize([(1, geometry)], height, width, fill=0).astype(bool)


def _crossings(geometries: list, height: int, width: int):
    """Where the edges of the geometries cross the rows of pixel centres: row, the first
    column whose centre is right of the crossing (0..width), the change in winding number
    there, and the geometry's index; in geometry order."""
    parts, part_of = shapely.get_parts(np.asarray(geometries, dtype=object), return_index=True)
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    if not np.isfinite(coords).all():
        raise ValueError("polygon coordinates must be finite numbers")
    # Count shells one way round and holes the other, whichever way the file has them.
    shell = np.r_[True, ring_of[1:] != ring_of[:-1]]
    turn = np.where(shapely.is_ccw(rings) == shell, 1.0, -1.0)
    edge = np.flatnonzero(coord_ring[1:] == coord_ring[:-1])
    down = coords[edge, 1] < coords[edge + 1, 1]
    # Each edge from its top end, so a shared edge gives both sides bit-identical crossings.
    a = np.where(down[:, None], coords[edge], coords[edge + 1])
    b = np.where(down[:, None], coords[edge + 1], coords[edge])
    first_row = np.clip(np.ceil(a[:, 1] - 0.5), 0, height).astype(np.int64)
    end_row = np.clip(np.ceil(b[:, 1] - 0.5), 0, height).astype(np.int64)
    count = np.maximum(end_row - first_row, 0)
    if count.sum() > 2 * height * (width + 1) + 100_000:
        raise ValueError(
            f"the polygons cross image rows {count.sum():,} times, far more "
            f"than any labelling of {width}x{height} pixels needs"
        )
    e = np.repeat(np.arange(len(edge)), count)
    row = first_row[e] + (np.arange(len(e)) - np.repeat(np.cumsum(count) - count, count))
    x = a[e, 0] + (row + 0.5 - a[e, 1]) * (b[e, 0] - a[e, 0]) / (b[e, 1] - a[e, 1])
    column = np.clip(np.ceil(x - 0.5), 0, width).astype(np.int64)
    ring = coord_ring[edge[e]]
    winding = np.where(down[e], -1.0, 1.0) * turn[ring]  # +1 entering a polygon from the left
    return row, column, winding, part_of[ring_of[ring]]
