"""RGBA cut-outs of one class or region, for image and video editors.

The alpha channel is the region's mask; ``feather`` softens its edge with a Gaussian whose
transition runs about ``feather`` pixels either side of the boundary, so a cut-out pasted
elsewhere has no hard, aliased rim. Colour is kept unchanged under transparent pixels (PNG
stores straight, not premultiplied, alpha).
"""

from __future__ import annotations

import os

import cv2
import numpy as np

from srcrm.io import write_png


def cutout(image: np.ndarray, mask: np.ndarray, *, feather: float = 0.0,
           crop: bool = True) -> np.ndarray:
    """An HxWx4 RGBA cut-out of ``image`` (HxWx3 RGB uint8) where ``mask`` (HxW bool) is set,
    cropped to the visible pixels unless ``crop`` is False."""
    if image.ndim != 3 or image.shape[2] != 3 or image.shape[:2] != mask.shape:
        raise ValueError(f"need an HxWx3 image and an HxW mask, got {image.shape} and "
                         f"{mask.shape}")
    if feather < 0:
        raise ValueError("feather must not be negative")
    if not mask.any():
        raise ValueError("the region to cut out is empty")
    alpha = mask.astype(np.float32) * 255
    if feather > 0:
        alpha = cv2.GaussianBlur(alpha, (0, 0), sigmaX=feather / 2, borderType=cv2.BORDER_REPLICATE)
    alpha = np.clip(np.rint(alpha), 0, 255).astype(np.uint8)
    rgba = np.dstack((image, alpha))
    if crop:
        rows, cols = np.flatnonzero(alpha.any(1)), np.flatnonzero(alpha.any(0))
        rgba = rgba[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    return rgba


def write(path: str | os.PathLike, image: np.ndarray, mask: np.ndarray, *,
          feather: float = 0.0, crop: bool = True) -> None:
    write_png(path, cutout(image, mask, feather=feather, crop=crop))
