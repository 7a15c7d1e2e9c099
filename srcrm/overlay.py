"""Colour renderings of label maps."""

from __future__ import annotations

import numpy as np


def colorize(labels: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """RGB image of a label map; ids without a colour (ignore, unknown) are black."""
    lut = np.zeros((256, 3), dtype=np.uint8)
    lut[: len(palette)] = palette
    return lut[labels]


def blend(image: np.ndarray, labels: np.ndarray, palette: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """The image with the class colours laid over it at ``alpha``."""
    colours = colorize(labels, palette).astype(np.float32)
    return (image.astype(np.float32) * (1 - alpha) + colours * alpha).round().astype(np.uint8)
