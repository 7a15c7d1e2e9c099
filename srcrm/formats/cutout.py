"""RGBA cut-outs of one class or region, for image and video editors.

Plain, the alpha channel is the region's mask; ``feather`` softens its edge with a Gaussian
whose transition runs about ``feather`` pixels either side of the boundary, so a cut-out pasted
elsewhere has no hard, aliased rim. With ``refine`` the alpha comes from matting the rim
instead (:mod:`srcrm.matting`: twigs, hair and wires come back, and the colours under soft
alpha are decontaminated). PNG stores straight, not premultiplied, alpha; the matte alone is
a greyscale PNG.
"""

from __future__ import annotations

import os
from dataclasses import replace

import cv2
import numpy as np

from srcrm.base.io import write_png
from srcrm.matting import Matte, RefineConfig, refine


def plain_matte(image: np.ndarray, mask: np.ndarray, feather: float = 0.0) -> Matte:
    """The hard region as a matte, feathered by ``feather`` px; colours unchanged."""
    if feather < 0:
        raise ValueError("feather must not be negative")
    alpha: np.ndarray = mask.astype(np.float32)
    if feather > 0:
        alpha = cv2.GaussianBlur(alpha, (0, 0), sigmaX=feather / 2, borderType=cv2.BORDER_REPLICATE)
    return Matte(np.clip(alpha, 0, 1), image.copy(), np.where(mask, 255, 0).astype(np.uint8))


def make_matte(
    image: np.ndarray, mask: np.ndarray, *, feather: float = 0.0, refine_with: RefineConfig | None = None
) -> Matte:
    """The cut-out's matte: plain (feathered) or refined by ``refine_with``, whose feather is
    replaced by ``feather``."""
    if image.ndim != 3 or image.shape[2] != 3 or mask.ndim != 2:
        raise ValueError(f"need an HxWx3 image and an HxW mask, got {image.shape} and {mask.shape}")
    if image.shape[:2] != mask.shape:
        raise ValueError(
            f"the image is {image.shape[1]}x{image.shape[0]} but the mask is "
            f"{mask.shape[1]}x{mask.shape[0]}: they must be the same size"
        )
    if not mask.any():
        raise ValueError("the region to cut out is empty")
    if refine_with is None:
        return plain_matte(image, mask.astype(bool), feather)
    return refine(image, mask, replace(refine_with, feather=feather))


def rgba(matte: Matte, crop: bool = True) -> np.ndarray:
    """HxWx4 uint8 RGBA of the matte, cropped to its visible pixels unless ``crop`` is False."""
    out = matte.rgba()
    if crop:
        alpha = out[..., 3]
        rows, cols = np.flatnonzero(alpha.any(1)), np.flatnonzero(alpha.any(0))
        out = out[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return out


def cutout(
    image: np.ndarray,
    mask: np.ndarray,
    *,
    feather: float = 0.0,
    crop: bool = True,
    refine_with: RefineConfig | None = None,
) -> np.ndarray:
    """An HxWx4 RGBA cut-out of ``image`` (HxWx3 RGB uint8) where ``mask`` (HxW bool) is set,
    cropped to the visible pixels unless ``crop`` is False."""
    return rgba(make_matte(image, mask, feather=feather, refine_with=refine_with), crop)


def write(
    path: str | os.PathLike,
    image: np.ndarray,
    mask: np.ndarray,
    *,
    feather: float = 0.0,
    crop: bool = True,
    refine_with: RefineConfig | None = None,
) -> None:
    write_png(path, cutout(image, mask, feather=feather, crop=crop, refine_with=refine_with))


def write_matte(path: str | os.PathLike, matte: Matte) -> None:
    """The alpha alone as an 8-bit greyscale PNG (255 opaque), at the image's size."""
    write_png(path, matte.alpha_u8())
