"""Trimaps: where matting may change a region's edge and where it must not.

A region from a class or a selection tool is hard and, near its rim, wrong by a few pixels.
Matting needs to be told what is surely inside (foreground), surely outside (background) and
where to solve (unknown). The unknown band is every pixel within ``band`` pixels of the rim,
on both sides (a piece of the region thinner than the band keeps a sure core, so matting has
foreground colours to start from); a refine brush adds more where the rim hides
thin things (hair, twigs, wires) that a hard mask missed. Distances come from a distance
transform, so any band width costs the same.
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

BACKGROUND, UNKNOWN, FOREGROUND = 0, 128, 255


def make_trimap(mask: np.ndarray, band: int, widen: np.ndarray | None = None) -> np.ndarray:
    """A uint8 HxW trimap of ``mask`` (HxW, nonzero inside): :data:`FOREGROUND`,
    :data:`BACKGROUND`, and :data:`UNKNOWN` within ``band`` px of the rim or where ``widen``
    (the refine brush) is set."""
    if mask.ndim != 2:
        raise ValueError(f"need an HxW mask, got shape {mask.shape}")
    if band < 0:
        raise ValueError("the band width must not be negative")
    if widen is not None and widen.shape != mask.shape:
        raise ValueError(f"refine brush {widen.shape} and mask {mask.shape} differ in size")
    inside = (mask != 0).astype(np.uint8)
    trimap = np.where(inside, FOREGROUND, BACKGROUND).astype(np.uint8)
    if band > 0 and 0 < inside.sum() < inside.size:
        # distance of each pixel to the nearest pixel on the other side of the rim
        to_outside = cv2.distanceTransform(inside, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        to_inside = cv2.distanceTransform(1 - inside, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        trimap[np.where(inside, to_outside, to_inside) <= band] = UNKNOWN
        _keep_cores(trimap, inside, to_outside)
    if widen is not None:
        trimap[widen.astype(bool)] = UNKNOWN
    return trimap


def _keep_cores(trimap: np.ndarray, inside: np.ndarray, to_outside: np.ndarray) -> None:
    """Give each piece of the region that the band swallowed whole (nothing sure left) a
    core of the pixels deeper than half its thickness, in place."""
    count, pieces = cv2.connectedComponents(inside, connectivity=8)
    cored = np.zeros(count, bool)
    cored[np.unique(pieces[trimap == FOREGROUND])] = True
    cored[0] = True  # the outside
    coreless = ~cored[pieces]
    if not coreless.any():
        return
    depth = np.zeros(count, np.float32)
    np.maximum.at(depth, pieces[coreless], to_outside[coreless])
    trimap[coreless & (to_outside > depth[pieces] / 2)] = FOREGROUND


def paint_band(widen: np.ndarray, points: Iterable[tuple[float, float]], radius: int) -> None:
    """Add a refine-brush stroke through ``points`` (x, y) of the given ``radius`` to the
    boolean ``widen`` mask, in place."""
    pts = np.round(np.asarray(list(points), np.float64)).astype(np.int32).reshape(-1, 2)
    if len(pts) == 0:
        return
    canvas = widen.view(np.uint8) if widen.dtype == bool else widen
    for (x0, y0), (x1, y1) in zip(pts, np.vstack([pts[1:], pts[-1:]])):
        cv2.line(canvas, (int(x0), int(y0)), (int(x1), int(y1)), 1, thickness=2 * radius + 1)
