"""Quick-select brush: the stroke's class spreads outward and stops at edges.

The stroke seeds the class; everything farther than twice the reach from it seeds "not this";
a watershed on the evidence image (photo blended with the model's class colours, see
:mod:`.evidence`) decides the band in between. The two fronts advance equally through flat
regions, so without an edge the paint spreads about ``reach`` pixels; an image edge or a model
boundary inside the band stops it there. Nothing changes outside the brush circle along the
stroke: the circle the person sees is the farthest the paint can go.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ..tools import Edit, _finish
from .evidence import Evidence
from .segment import seeded_watershed
from .strokes import Point, stroke_mask, window_around


def quick_select(
    evidence: Evidence,
    labels: np.ndarray,
    points: Sequence[Point],
    diameter: float,
    value: int,
    reach: float,
    only_over: int | None = None,
) -> Edit | None:
    """Paint ``value`` over the stroke ``points`` (seed ``diameter``) and the pixels up to the
    nearest edge within ``reach`` pixels of its centre line. None when nothing changes."""
    reach = max(1.0, float(reach))
    window = window_around(labels.shape, points, diameter / 2 + 2.1 * reach + 4)
    seed = stroke_mask(window, points, diameter)
    # Distance from the stroke: the band it may take is within 2 * reach.
    dist = cv2.distanceTransform((~seed).astype(np.uint8), cv2.DIST_L2, 5)
    # An image smaller than the band: its farthest pixels say "not this", so edges still stop it.
    far = min(2 * reach, 0.9 * float(dist.max()))
    markers = np.where(dist > far, 2, 0).astype(np.int32)
    markers[seed] = 1
    grown = seeded_watershed(evidence.window(window), markers) == 1
    within = stroke_mask(window, points, max(2 * reach, diameter))
    return _finish(labels, window, grown & within, value, only_over)
