"""Thin structures: where a region's inside shows the colour of what lies around it.

A class mask from a model is a blob: a tree's crown is solid, sky between the branches and
all; a fence's mask fills its gaps. Inside such a region, a pixel whose colour is far more
common in a neighbouring class (the sky around the crown) than in the region itself is the
neighbour seen through it. Among thin foreground (twigs, wires: nothing thicker than a few
pixels nearby) those pixels become unknown for the matting, and the surest of them sure
background, so the solver has the sky's colour to match inside the crown too. A solid
region's own patterns (a road's painted symbol, a window) sit in thick foreground and are
left alone. What shows through must be the lesser part of the region (a crown whose mask is
mostly sky has sky for its own colour): the refine brush is the tool there.

Colours are compared as 16-level RGB histograms, smoothed: the region's, and each
neighbouring class's within ``RING`` px of it (a class seen through the region is next to it).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy.ndimage import gaussian_filter

from srcrm.matting.trimap import BACKGROUND, FOREGROUND, UNKNOWN

_LEVELS = 16


@dataclass(frozen=True)
class SeeThroughConfig:
    """``unsure``/``sure``: how many times more common a colour must be in a neighbouring
    class than in the region to make a pixel unknown / sure background. ``thick``: the
    half-width (px) above which foreground counts as solid; ``window``: the neighbourhood (px)
    in which solid foreground may take at most ``solid_share``."""

    ring: int = 40
    unsure: float = 1.5
    sure: float = 2.5
    thick: float = 2.0
    solid_share: float = 0.02  # at most this share of the window may be solid foreground
    window: int = 31
    min_pixels: int = 200  # a neighbouring class with fewer pixels in the ring is not modelled


def _histogram(codes: np.ndarray) -> np.ndarray:
    h = np.bincount(codes, minlength=_LEVELS**3).astype(np.float64)
    h = gaussian_filter(h.reshape((_LEVELS,) * 3), 0.8, mode="constant").ravel()
    return h / max(h.sum(), 1e-12)


def foreign_ratio(
    image: np.ndarray,
    mask: np.ndarray,
    labels: np.ndarray | None = None,
    config: SeeThroughConfig = SeeThroughConfig(),
) -> np.ndarray:
    """Per pixel of ``mask``: how many times more common its colour is in the most alike
    neighbouring class than in the region (0 outside the region). ``labels`` names the
    classes around; without it everything outside the mask is one neighbour."""
    inside = mask != 0
    ratio = np.zeros(mask.shape, np.float64)
    if not inside.any() or inside.all():
        return ratio
    to_inside = cv2.distanceTransform((~inside).astype(np.uint8), cv2.DIST_L2, 3)
    around = ~inside & (to_inside <= config.ring)
    levels = (image // (256 // _LEVELS)).astype(np.int32)
    codes = (levels[..., 0] * _LEVELS + levels[..., 1]) * _LEVELS + levels[..., 2]
    own = codes[inside]
    neighbours = np.zeros(len(own))
    groups = labels[around] if labels is not None else np.zeros(int(around.sum()), np.uint8)
    ring_codes = codes[around]
    for k in np.unique(groups):
        sample = ring_codes[groups == k]
        if len(sample) >= config.min_pixels:
            neighbours = np.maximum(neighbours, _histogram(sample)[own])
    ratio[inside] = neighbours / (_histogram(own)[own] + 1e-9)
    return ratio


def open_thin_structures(
    trimap: np.ndarray,
    image: np.ndarray,
    mask: np.ndarray,
    labels: np.ndarray | None = None,
    config: SeeThroughConfig = SeeThroughConfig(),
) -> np.ndarray:
    """``trimap`` with the neighbour seen through thin foreground made unknown (and the
    surest of it background): the sky between a crown's branches, a fence's gaps."""
    ratio = foreign_ratio(image, mask, labels, config)
    own_colour = (mask != 0) & (ratio < 1)
    depth = cv2.distanceTransform(own_colour.astype(np.uint8), cv2.DIST_L2, 3)
    solid = cv2.boxFilter((depth > config.thick).astype(np.float32), -1, (config.window,) * 2)
    near = cv2.dilate(own_colour.view(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9)))
    among_thin = near.view(bool) & (solid <= config.solid_share)
    sure = among_thin & (ratio > config.sure)
    rim = cv2.dilate(sure.view(np.uint8), np.ones((3, 3), np.uint8)).view(bool)  # matting solves its edge
    out = trimap.copy()
    out[((among_thin & (ratio > config.unsure)) | rim) & (trimap == FOREGROUND)] = UNKNOWN
    out[sure] = BACKGROUND
    return out
