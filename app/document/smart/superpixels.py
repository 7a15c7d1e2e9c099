"""Superpixel click and brush: fill every superpixel the stroke touches.

Superpixels come from OpenCV ximgproc's SLIC, computed on the CIELAB photo in a window of a few
superpixels around the stroke. Of OpenCV's SLIC/SLICO/SEEDS/LSC and scikit-image's
SLIC/Felzenszwalb it kept the most of CamVid's class borders, and only SEEDS was faster
(figures in docs/annotator_benchmark.md); in a window its time is well inside the budget.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ..tools import Edit, _finish
from .strokes import Point, stroke_mask, window_around

MIN_SIZE, MAX_SIZE = 4, 200


def superpixels(image: np.ndarray, size: int) -> np.ndarray:
    """SLIC superpixels of an RGB window, about ``size`` x ``size`` pixels each (int32 ids)."""
    lab = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2Lab)
    slic = cv2.ximgproc.createSuperpixelSLIC(lab, cv2.ximgproc.SLIC, int(size), 10.0)
    slic.iterate(5)
    slic.enforceLabelConnectivity(25)
    return slic.getLabels()


def superpixel_fill(
    image: np.ndarray,
    labels: np.ndarray,
    points: Sequence[Point],
    diameter: float,
    size: int,
    value: int,
    only_over: int | None = None,
) -> Edit | None:
    """Paint ``value`` over each superpixel (of about ``size`` pixels across) that the stroke
    touches; a click is a one-point stroke."""
    size = int(np.clip(size, MIN_SIZE, MAX_SIZE))
    window = window_around(labels.shape, points, diameter / 2 + 3 * size)
    ids = superpixels(image[window.slices], size)
    touched = np.unique(ids[stroke_mask(window, points, diameter)])
    return _finish(labels, window, np.isin(ids, touched), value, only_over)
