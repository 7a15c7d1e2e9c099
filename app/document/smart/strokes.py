"""A stroke (a polyline drawn with a round brush) as pixels, and the window a tool works in."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from ..geometry import Rect
from ..tools import capsule_mask
from .errors import SmartToolError

Point = tuple[float, float]


def window_around(shape: tuple[int, ...], points: Sequence[Point], margin: float) -> Rect:
    """The points' bounding box grown by ``margin`` and clipped to the image; raises when no
    point lies inside the image (the stroke missed it)."""
    h, w = shape[:2]
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    inside = (pts[:, 0] >= 0) & (pts[:, 0] < w) & (pts[:, 1] >= 0) & (pts[:, 1] < h)
    if not len(pts) or not inside.any():
        raise SmartToolError("The stroke is outside the image.")
    x0, y0 = pts.min(0) - margin
    x1, y1 = pts.max(0) + margin
    return Rect(math.floor(x0), math.floor(y0), math.floor(x1) + 1, math.floor(y1) + 1).clip(w, h)


def stroke_mask(window: Rect, points: Sequence[Point], diameter: float) -> np.ndarray:
    """Boolean mask over ``window`` of the pixels the brush covers along ``points``."""
    mask = np.zeros((window.height, window.width), bool)
    local = [(x - window.x0, y - window.y0) for x, y in points]
    pairs = list(itertools.pairwise(local)) or [(local[0], local[0])]
    for p0, p1 in pairs:
        found = capsule_mask(mask.shape, p0, p1, diameter)
        if found is not None:
            rect, dab = found
            mask[rect.slices] |= dab
    return mask
