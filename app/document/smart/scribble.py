"""Scribble re-segment: the pixels around a few scribbles are split among their classes.

Every scribble seeds its class; the pixels farther than ``reach`` from every scribble seed
"keep as it is". A watershed on the evidence image then decides each pixel in between, so the
borders between the scribbled classes, and where the re-segmented part ends, land on the
photo's and the model's edges (or, in a flat stretch, halfway), never on the straight side of
a box around the scribbles.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ..tools import Edit, patch
from .errors import SmartToolError
from .evidence import Evidence
from .segment import seeded_watershed
from .strokes import Point, stroke_mask, window_around

Scribble = tuple[int, Sequence[Point]]  # (class id, stroke points)
KEEP = 1000  # the marker of "keep the labels there"; class markers are 1..256


def resegment(
    evidence: Evidence,
    labels: np.ndarray,
    scribbles: Sequence[Scribble],
    diameter: float,
    reach: float,
    only_over: int | None = None,
) -> Edit | None:
    """Re-label the pixels up to ``reach`` px from ``scribbles`` (drawn ``diameter`` px wide)
    among their classes; at least two classes are needed."""
    if len({int(c) for c, _ in scribbles}) < 2:
        raise SmartToolError("Scribble at least two classes to re-segment a region.")
    reach = max(1.0, float(reach))
    points = [p for _, stroke in scribbles for p in stroke]
    region = window_around(labels.shape, points, diameter / 2 + reach + 2)
    markers = np.zeros((region.height, region.width), np.int32)
    for class_id, stroke in scribbles:  # later scribbles win where two overlap
        if len(stroke):
            markers[stroke_mask(region, stroke, diameter)] = int(class_id) + 1
    if len(np.unique(markers[markers > 0])) < 2:
        raise SmartToolError("Scribble at least two classes inside the image.")
    far = cv2.distanceTransform((markers == 0).astype(np.uint8), cv2.DIST_L2, 5) > reach
    markers[far] = KEEP
    grown = seeded_watershed(evidence.window(region), markers)
    taken = grown != KEEP
    values = np.where(taken, grown - 1, labels[region.slices]).astype(np.uint8)
    return patch(labels, region, values, taken, only_over)
