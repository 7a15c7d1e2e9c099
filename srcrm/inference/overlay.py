"""Colour renderings of label maps."""

from __future__ import annotations

import numpy as np

BAND_PIXELS = 1 << 20


def colorize(labels: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """RGB image of a label map; ids without a colour (ignore, unknown) are black."""
    lut = np.zeros((256, 3), dtype=np.uint8)
    lut[: len(palette)] = palette
    return lut[labels]


def blend(image: np.ndarray, labels: np.ndarray, palette: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """The image with the class colours laid over it at ``alpha``. Computed in bands of rows
    of about :data:`BAND_PIXELS`, so that a huge image needs no floating-point copy of itself."""
    out = np.empty(image.shape, np.uint8)
    rows = max(1, BAND_PIXELS // max(image.shape[1], 1))
    for top in range(0, image.shape[0], rows):
        band = slice(top, top + rows)
        colours = colorize(labels[band], palette).astype(np.float32)
        out[band] = (image[band].astype(np.float32) * (1 - alpha) + colours * alpha).round()
    return out
