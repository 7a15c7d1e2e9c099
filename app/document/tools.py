"""Editing tools as pure functions on numpy label maps.

Each tool *describes* its change as an :class:`Edit` (a rectangle, a boolean mask inside it and
the class id to write, or a patch of class ids when one gesture writes several classes) and never
mutates the map itself: the document snapshots the rectangle
for undo, then applies the edit. Only pixels that actually change are in the mask, so undo
patches stay small.

Coordinates are continuous image coordinates: pixel ``(row i, col j)`` covers
``[j, j+1) x [i, i+1)`` and its centre is ``(j + 0.5, i + 0.5)``. A brush of diameter ``d``
centred at ``(x, y)`` covers every pixel whose centre is within ``d / 2`` of it, plus the pixel
under ``(x, y)`` itself (so even a 1-pixel brush always paints something).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from .geometry import Rect


@dataclass(frozen=True)
class Edit:
    rect: Rect
    mask: np.ndarray  # bool, rect.height x rect.width: the pixels to set
    value: int | np.ndarray  # one class id, or uint8 ids of the rect's shape (a patch)

    @property
    def count(self) -> int:
        return int(self.mask.sum())


def apply_edit(labels: np.ndarray, edit: Edit) -> Rect:
    """Write ``edit`` into ``labels`` in place; return the dirty rectangle."""
    value = edit.value[edit.mask] if isinstance(edit.value, np.ndarray) else edit.value
    labels[edit.rect.slices][edit.mask] = value
    return edit.rect


def _finish(
    labels: np.ndarray, rect: Rect, mask: np.ndarray, value: int | np.ndarray, only_over: int | None
) -> Edit | None:
    region = labels[rect.slices]
    mask = mask & (region != value)
    if only_over is not None:
        mask &= region == only_over
    if not mask.any():
        return None
    # Shrink the rectangle to the pixels that change.
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    tight = Rect(rect.x0 + c0, rect.y0 + r0, rect.x0 + c1, rect.y0 + r1)
    if isinstance(value, np.ndarray):
        value = np.ascontiguousarray(value[r0:r1, c0:c1], dtype=np.uint8)
    else:
        value = int(value)
    return Edit(tight, np.ascontiguousarray(mask[r0:r1, c0:c1]), value)


def patch(
    labels: np.ndarray,
    rect: Rect,
    values: np.ndarray,
    mask: np.ndarray | None = None,
    only_over: int | None = None,
) -> Edit | None:
    """Write the class ids ``values`` (``rect``-shaped) where ``mask`` is set (everywhere when
    None): the edit of a tool that decides several classes at once, such as a re-segmentation."""
    if rect.is_empty() or rect.clip(labels.shape[1], labels.shape[0]) != rect:
        raise ValueError("a patch must lie inside the label map")
    values = np.asarray(values)
    if values.shape != (rect.height, rect.width):
        raise ValueError(f"patch values are {values.shape}, the rectangle {rect.height}x{rect.width}")
    mask = np.ones(values.shape, bool) if mask is None else np.asarray(mask, bool)
    if mask.shape != values.shape:
        raise ValueError("the patch mask does not match its values")
    return _finish(labels, rect, mask, values, only_over)


def capsule_mask(
    shape: tuple[int, ...], p0: tuple[float, float], p1: tuple[float, float], diameter: float
) -> tuple[Rect, np.ndarray] | None:
    """Pixels swept by a round brush of ``diameter`` moving from ``p0`` to ``p1`` (a single dab
    when they are equal), clipped to the image."""
    h, w = shape[:2]
    r = max(float(diameter), 1.0) / 2.0
    (ax, ay), (bx, by) = (float(p0[0]), float(p0[1])), (float(p1[0]), float(p1[1]))
    rect = Rect(
        math.floor(min(ax, bx) - r),
        math.floor(min(ay, by) - r),
        math.floor(max(ax, bx) + r) + 1,
        math.floor(max(ay, by) + r) + 1,
    ).clip(w, h)
    if rect.is_empty():
        return None
    px = np.arange(rect.x0, rect.x1, dtype=np.float64) + 0.5 - ax
    py = np.arange(rect.y0, rect.y1, dtype=np.float64)[:, None] + 0.5 - ay
    dx, dy = bx - ax, by - ay
    seg2 = dx * dx + dy * dy
    if seg2 > 0:
        t = np.clip((px * dx + py * dy) / seg2, 0.0, 1.0)
        ex, ey = px - t * dx, py - t * dy
    else:
        ex, ey = px, py
    mask = ex * ex + ey * ey <= r * r
    for x, y in ((ax, ay), (bx, by)):  # the pixel under each end point is always painted
        j, i = math.floor(x), math.floor(y)
        if rect.x0 <= j < rect.x1 and rect.y0 <= i < rect.y1:
            mask[i - rect.y0, j - rect.x0] = True
    return rect, mask


def brush(
    labels: np.ndarray,
    p0: tuple[float, float],
    p1: tuple[float, float],
    diameter: float,
    value: int,
    only_over: int | None = None,
) -> Edit | None:
    """Paint ``value`` along ``p0 -> p1``. With ``only_over`` set, only pixels of that class
    change and every other class is protected."""
    found = capsule_mask(labels.shape, p0, p1, diameter)
    if found is None:
        return None
    return _finish(labels, *found, value, only_over)


def flood_fill(labels: np.ndarray, x: float, y: float, value: int) -> Edit | None:
    """Fill the 4-connected region of the class under ``(x, y)`` with ``value``."""
    h, w = labels.shape
    j, i = math.floor(x), math.floor(y)
    if not (0 <= j < w and 0 <= i < h) or labels[i, j] == value:
        return None
    mask = np.zeros((h + 2, w + 2), np.uint8)
    flags = 4 | (1 << 8) | cv2.FLOODFILL_MASK_ONLY | cv2.FLOODFILL_FIXED_RANGE
    _, _, _, (rx, ry, rw, rh) = cv2.floodFill(labels, mask, (j, i), 0, 0, 0, flags)
    rect = Rect(rx, ry, rx + rw, ry + rh)
    return _finish(labels, rect, mask[1 + ry : 1 + ry + rh, 1 + rx : 1 + rx + rw] == 1, value, None)


def polygon_fill(
    labels: np.ndarray, points: Sequence[tuple[float, float]], value: int, only_over: int | None = None
) -> Edit | None:
    """Fill the polygon through ``points`` (image coordinates) with ``value``."""
    if len(points) < 3:
        return None
    h, w = labels.shape
    pts = np.asarray(points, np.float64)
    rect = Rect(
        math.floor(pts[:, 0].min()),
        math.floor(pts[:, 1].min()),
        math.floor(pts[:, 0].max()) + 1,
        math.floor(pts[:, 1].max()) + 1,
    ).clip(w, h)
    if rect.is_empty():
        return None
    shift = 4
    # cv2 puts pixel centres on integers; ours are at +0.5.
    fixed = np.round((pts - 0.5 - (rect.x0, rect.y0)) * (1 << shift)).astype(np.int32)
    mask = np.zeros((rect.height, rect.width), np.uint8)
    cv2.fillPoly(mask, [fixed.reshape(-1, 1, 2)], 1, lineType=cv2.LINE_8, shift=shift)
    return _finish(labels, rect, mask.astype(bool), value, only_over)


def pick(labels: np.ndarray, x: float, y: float) -> int | None:
    """The class id under ``(x, y)`` (the eyedropper), or None outside the image."""
    h, w = labels.shape
    j, i = math.floor(x), math.floor(y)
    if 0 <= j < w and 0 <= i < h:
        return int(labels[i, j])
    return None


def fill_gaps(labels: np.ndarray, ignore_index: int) -> tuple[Rect, np.ndarray] | None:
    """Give every unlabelled pixel the class of its nearest labelled pixel, so neighbouring
    classes meet with no gap. Returns ``(rect, new_values)`` for the changed rectangle."""
    gaps = labels == ignore_index
    if not gaps.any() or gaps.all():
        return None
    # Distance to the nearest zero pixel; zero pixels are the labelled ones, each its own label
    # (numbered 1.. in raster order).
    _, nearest = cv2.distanceTransformWithLabels(
        gaps.astype(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
    )
    seeds = labels[~gaps]
    filled = labels.copy()
    filled[gaps] = seeds[nearest[gaps] - 1]
    rows = np.flatnonzero(gaps.any(axis=1))
    cols = np.flatnonzero(gaps.any(axis=0))
    rect = Rect(int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
    return rect, filled[rect.slices]
