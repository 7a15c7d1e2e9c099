"""Edge-snapping polygon (a magnetic lasso): the path between two clicked vertices follows the
strongest image edges, found by OpenCV's ``IntelligentScissorsMB``.

Each side is traced in its own window (the two vertices' box grown by a margin), so a click
costs what its side's neighbourhood costs, not what the whole image does.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import cv2
import numpy as np

from ..tools import Edit, polygon_fill
from .errors import SmartToolError
from .strokes import Point, window_around


def snap_segment(image: np.ndarray, a: Point, b: Point) -> np.ndarray:
    """The edge-following path from ``a`` to ``b`` as an ``N x 2`` array of pixel centres."""
    margin = max(12.0, 0.3 * math.dist(a, b))
    window = window_around(image.shape, (a, b), margin)
    h, w = window.height, window.width

    def local(p: Point) -> tuple[int, int]:
        return (
            int(np.clip(math.floor(p[0]) - window.x0, 0, w - 1)),
            int(np.clip(math.floor(p[1]) - window.y0, 0, h - 1)),
        )

    scissors = cv2.segmentation.IntelligentScissorsMB()
    scissors.setEdgeFeatureCannyParameters(32, 100)
    scissors.setGradientMagnitudeMaxLimit(200)
    scissors.applyImage(np.ascontiguousarray(image[window.slices]))
    scissors.buildMap(local(a))
    path = scissors.getContour(local(b)).reshape(-1, 2).astype(np.float64)
    return path + (window.x0 + 0.5, window.y0 + 0.5)


def snap_polygon(image: np.ndarray, vertices: Sequence[Point]) -> np.ndarray:
    """The closed, edge-snapped outline through ``vertices`` (``N x 2`` image coordinates)."""
    if len(vertices) < 3:
        raise SmartToolError("A polygon needs at least three points.")
    ring = list(vertices) + [vertices[0]]
    return np.concatenate([snap_segment(image, a, b) for a, b in itertools.pairwise(ring)])


def snapping_polygon_fill(
    image: np.ndarray, labels: np.ndarray, vertices: Sequence[Point], value: int, only_over: int | None = None
) -> Edit | None:
    """Fill the edge-snapped polygon through ``vertices`` with ``value``."""
    return polygon_fill(labels, [tuple(p) for p in snap_polygon(image, vertices)], value, only_over)
