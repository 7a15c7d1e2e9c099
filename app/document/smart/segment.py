"""Seeded watershed on an evidence window, the engine of quick-select and scribbles.

OpenCV's watershed marks the pixels where two fronts meet with -1; each of those joins the
neighbouring region whose colour is closest, so results cover every pixel and a step edge
splits exactly between its two sides. Windows above ``max_pixels`` are segmented at a reduced
scale (a 4K brush stroke stays within its latency budget) and the labels scaled back.
"""

from __future__ import annotations

import cv2
import numpy as np

MAX_PIXELS = 400_000


def seeded_watershed(image: np.ndarray, markers: np.ndarray, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Grow the positive ``markers`` (int32, 0 = unknown) over ``image`` (uint8 h x w x 3);
    returns an int32 map in which every pixel carries a marker id."""
    h, w = markers.shape
    scale = (max_pixels / (h * w)) ** 0.5
    if scale >= 1:
        return _watershed(image, markers)
    sw, sh = max(2, round(w * scale)), max(2, round(h * scale))
    small = cv2.resize(image, (sw, sh), interpolation=cv2.INTER_AREA)
    seeds = np.zeros((sh, sw), np.int32)
    for k in np.unique(markers[markers > 0]):
        # Area-averaged masks keep thin seeds that a nearest-neighbour resize would drop.
        hit = cv2.resize((markers == k).astype(np.float32), (sw, sh), interpolation=cv2.INTER_AREA)
        seeds[hit > 0] = k
    grown = cv2.resize(_watershed(small, seeds), (w, h), interpolation=cv2.INTER_NEAREST)
    return np.where(markers > 0, markers, grown)


def _watershed(image: np.ndarray, markers: np.ndarray) -> np.ndarray:
    out = markers.astype(np.int32, copy=True)
    cv2.watershed(np.ascontiguousarray(image), out)
    ridge = out == -1
    if not ridge.any():
        return out
    # Each ridge pixel takes the label of its most similar labelled 4-neighbour.
    img = image.astype(np.int16)
    pad_l = np.pad(out, 1, constant_values=-1)
    pad_i = np.pad(img, ((1, 1), (1, 1), (0, 0)), mode="edge")
    h, w = out.shape
    best = np.full((h, w), np.iinfo(np.int32).max, np.int32)
    label = out.copy()
    for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        nl = pad_l[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]
        diff = np.abs(pad_i[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w] - img).max(axis=2)
        better = ridge & (nl > 0) & (diff < best)
        best[better], label[better] = diff[better], nl[better]
    # A ridge pixel with only ridge neighbours (rare, at junctions) takes any neighbour's label.
    left = label == -1
    if left.any():
        label[left] = cv2.dilate(np.where(left, 0, label).astype(np.float32), np.ones((3, 3), np.uint8))[
            left
        ].astype(np.int32)
    return label
