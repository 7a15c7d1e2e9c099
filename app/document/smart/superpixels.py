"""Superpixel click and brush: an edge-aware brush bounded by its circle.

The superpixels under the stroke's centre line fill, but only inside the brush circle: a
superpixel can be far larger than the brush (a stretch of flat sky), and filling it whole
changed pixels well outside what the circle showed. Superpixels come from OpenCV ximgproc's
SLIC on the CIELAB photo, about half the brush across (so several fit in the circle and
its edges follow the photo's), computed in a window just larger than the circle. Of OpenCV's
SLIC/SLICO/SEEDS/LSC and scikit-image's SLIC/Felzenszwalb it kept the most of CamVid's class
borders (figures in docs/annotator_benchmark.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ..tools import Edit, _finish
from .strokes import Point, stroke_mask, window_around

MIN_SIZE, MAX_SIZE = 4, 200
MAX_PIXELS = 250_000  # larger windows are segmented at a reduced scale (hover stays quick)


def superpixel_size(diameter: float) -> int:
    """Superpixels about half the brush across: several fit inside the circle."""
    return int(np.clip(round(diameter / 2), MIN_SIZE, MAX_SIZE))


def superpixels(image: np.ndarray, size: int) -> np.ndarray:
    """SLIC superpixels of an RGB window, about ``size`` x ``size`` pixels each (int32 ids)."""
    h, w = image.shape[:2]
    scale = min(1.0, (MAX_PIXELS / (h * w)) ** 0.5)
    small = image if scale == 1 else cv2.resize(image, (max(2, round(w * scale)), max(2, round(h * scale))))
    lab = cv2.cvtColor(np.ascontiguousarray(small), cv2.COLOR_RGB2Lab)
    slic = cv2.ximgproc.createSuperpixelSLIC(lab, cv2.ximgproc.SLIC, max(MIN_SIZE, round(size * scale)), 10.0)
    slic.iterate(5)
    slic.enforceLabelConnectivity(25)
    ids = slic.getLabels()
    return ids if scale == 1 else cv2.resize(ids, (w, h), interpolation=cv2.INTER_NEAREST)


def superpixel_fill(
    image: np.ndarray,
    labels: np.ndarray,
    points: Sequence[Point],
    seed: float,
    diameter: float,
    value: int,
    only_over: int | None = None,
) -> Edit | None:
    """Paint ``value`` over the superpixels that the stroke ``points`` drawn ``seed`` px wide
    touches, inside the brush of ``diameter`` along them (a click is a one-point stroke)."""
    size = superpixel_size(diameter)
    window = window_around(labels.shape, points, diameter / 2 + size)
    ids = superpixels(image[window.slices], size)
    touched = np.unique(ids[stroke_mask(window, points, min(seed, diameter))])
    inside = stroke_mask(window, points, diameter)
    return _finish(labels, window, np.isin(ids, touched) & inside, value, only_over)
