"""Superpixel click and brush: fill every superpixel the stroke touches.

Superpixels come from OpenCV ximgproc's SEEDS, computed on the CIELAB photo in a window of a
few superpixels around the stroke. SEEDS was the fastest of OpenCV's SLIC/SEEDS/LSC and
scikit-image's SLIC/Felzenszwalb here (figures in docs/annotator_benchmark.md), and it follows
colour edges well.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ..tools import Edit, _finish
from .strokes import Point, stroke_mask, window_around

MIN_SIZE, MAX_SIZE = 4, 200


def superpixels(image: np.ndarray, size: int) -> np.ndarray:
    """SEEDS superpixels of an RGB window, about ``size`` x ``size`` pixels each (int32 ids)."""
    h, w = image.shape[:2]
    lab = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2Lab)
    count = max(1, (h * w) // (size * size))
    seeds = cv2.ximgproc.createSuperpixelSEEDS(w, h, 3, count, 4, 2, 5, False)
    seeds.iterate(lab, 4)
    return seeds.getLabels()


def superpixel_fill(image: np.ndarray, labels: np.ndarray, points: Sequence[Point],
                    diameter: float, size: int, value: int,
                    only_over: int | None = None) -> Edit | None:
    """Paint ``value`` over each superpixel (of about ``size`` pixels across) that the stroke
    touches; a click is a one-point stroke."""
    size = int(np.clip(size, MIN_SIZE, MAX_SIZE))
    window = window_around(labels.shape, points, diameter / 2 + 3 * size)
    ids = superpixels(image[window.slices], size)
    touched = np.unique(ids[stroke_mask(window, points, diameter)])
    return _finish(labels, window, np.isin(ids, touched), value, only_over)
