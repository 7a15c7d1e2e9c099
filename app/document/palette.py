"""The display palette: class colours a person can tell apart on screen.

A dataset's palette was chosen for its files, not for the eye: CamVid's car (64, 0, 128) and
road (128, 64, 128) are both purple, and half its colours are too dark to see over a dark
photo. The overlay shows each class in the colour nearest its dataset colour that is at least
``D`` (CIELAB distance, ΔE76) from every class before it, among light-enough candidates, with
``D`` as large as still gives every class one. Exports keep writing the dataset's colours.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import cv2
import numpy as np

RGB = tuple[int, int, int]
LIGHTNESS = (40.0, 92.0)  # CIELAB L* the candidates keep: seen over dark and light photos alike
_LEVELS = (0, 48, 96, 144, 192, 240, 255)


def lab(colors: Sequence[RGB] | np.ndarray) -> np.ndarray:
    """CIELAB (L* 0..100) of sRGB colours, ``N x 3`` float."""
    rgb = np.asarray(colors, np.float32).reshape(1, -1, 3) / 255
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab).reshape(-1, 3).astype(np.float64)


def min_distance(colors: Sequence[RGB]) -> float:
    """The smallest ΔE76 between two of ``colors`` (inf for fewer than two)."""
    if len(colors) < 2:
        return float("inf")
    pts = lab(colors)
    return float(min(np.linalg.norm(a - b) for a, b in itertools.combinations(pts, 2)))


def _candidates() -> tuple[np.ndarray, np.ndarray]:
    rgb = np.array(list(itertools.product(_LEVELS, repeat=3)), np.float64)
    pts = lab(rgb)
    keep = (pts[:, 0] >= LIGHTNESS[0]) & (pts[:, 0] <= LIGHTNESS[1])
    return rgb[keep], pts[keep]


def _assign(preferred: np.ndarray, fixed: np.ndarray, rgb: np.ndarray, pts: np.ndarray, d: float):
    """Each preferred colour's nearest candidate at least ``d`` from those taken (and from
    ``fixed``), in order; None when one has none left."""
    taken = list(fixed)
    chosen = []
    for want in preferred:
        ok = np.ones(len(pts), bool)
        for t in taken:
            ok &= np.linalg.norm(pts - t, axis=1) >= d
        if not ok.any():
            return None
        k = int(np.flatnonzero(ok)[np.argmin(np.linalg.norm(pts[ok] - want, axis=1))])
        chosen.append(k)
        taken.append(pts[k])
    return chosen


def distinct_colors(preferred: Sequence[RGB], fixed: Sequence[RGB] = ()) -> list[RGB]:
    """A display colour per ``preferred`` (dataset) colour: near it, and as far as can be
    from each other and from the ``fixed`` ones (colours already shown for other classes)."""
    if not len(preferred):
        return []
    rgb, pts = _candidates()
    want = lab(preferred)
    have = lab(fixed) if len(fixed) else np.zeros((0, 3))
    lo, hi, best = 0.0, 120.0, _assign(want, have, rgb, pts, 0.0)
    while hi - lo > 0.5:
        mid = (lo + hi) / 2
        found = _assign(want, have, rgb, pts, mid)
        if found is None:
            hi = mid
        else:
            lo, best = mid, found
    assert best is not None
    return [tuple(int(v) for v in rgb[k]) for k in best]  # type: ignore[misc]
