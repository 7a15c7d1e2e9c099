"""Foreground colour decontamination.

A pixel on a soft edge mixes the object's colour with the background's: ``I = aF + (1-a)B``.
Pasting such a pixel, as it is, onto another background keeps a fringe of the old one (sky
between twigs, road behind hair). Solving for ``F`` (pymatting's multilevel foreground
estimation, Germer et al.) removes it; a cut-out then carries ``F`` with straight alpha.
"""

from __future__ import annotations

import numpy as np

_MARGIN = 8  # pixels kept around the soft edge: enough context for the multilevel solve


def decontaminate(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The foreground colours (HxWx3 uint8) of ``image`` under ``alpha`` (HxW in [0, 1]):
    unchanged where alpha is 1, estimated where it is soft, extended smoothly where it is 0
    (so resampling a cut-out later does not pull in the old background either)."""
    if image.shape[:2] != alpha.shape:
        raise ValueError(f"image {image.shape} and alpha {alpha.shape} differ in size")
    soft = (alpha > 0) & (alpha < 1)
    if not soft.any():
        return image.copy()
    from pymatting import estimate_foreground_ml  # numba kernels load on first use

    rows, cols = np.flatnonzero(soft.any(1)), np.flatnonzero(soft.any(0))
    y0, y1 = max(rows[0] - _MARGIN, 0), min(rows[-1] + _MARGIN + 1, alpha.shape[0])
    x0, x1 = max(cols[0] - _MARGIN, 0), min(cols[-1] + _MARGIN + 1, alpha.shape[1])
    crop = image[y0:y1, x0:x1].astype(np.float32) / 255
    crop_alpha = alpha[y0:y1, x0:x1].astype(np.float32)
    estimated = estimate_foreground_ml(crop, crop_alpha)
    fg = np.where(crop_alpha[..., None] >= 1, crop, estimated)
    out = image.copy()
    out[y0:y1, x0:x1] = np.clip(np.rint(fg * 255), 0, 255).astype(np.uint8)
    return out
