"""Scribble re-segment: a region is split among the classes of a few scribbles.

Every scribble seeds its class; the region (the scribbles' bounding box grown by a margin) is
divided by a watershed on the evidence image, so the borders between the classes land on the
photo's and the model's edges rather than where the scribbles happened to be drawn.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..tools import Edit, patch
from .errors import SmartToolError
from .evidence import Evidence
from .segment import seeded_watershed
from .strokes import Point, stroke_mask, window_around

Scribble = tuple[int, Sequence[Point]]  # (class id, stroke points)


def resegment(
    evidence: Evidence,
    labels: np.ndarray,
    scribbles: Sequence[Scribble],
    diameter: float,
    margin: float,
    only_over: int | None = None,
) -> Edit | None:
    """Re-label the region around ``scribbles`` from them; at least two classes are needed."""
    if len({int(c) for c, _ in scribbles}) < 2:
        raise SmartToolError("Scribble at least two classes to re-segment a region.")
    points = [p for _, stroke in scribbles for p in stroke]
    region = window_around(labels.shape, points, diameter / 2 + max(0.0, float(margin)))
    markers = np.zeros((region.height, region.width), np.int32)
    for class_id, stroke in scribbles:  # later scribbles win where two overlap
        if len(stroke):
            markers[stroke_mask(region, stroke, diameter)] = int(class_id) + 1
    if len(np.unique(markers[markers > 0])) < 2:
        raise SmartToolError("Scribble at least two classes inside the image.")
    values = (seeded_watershed(evidence.window(region), markers) - 1).astype(np.uint8)
    return patch(labels, region, values, None, only_over)
