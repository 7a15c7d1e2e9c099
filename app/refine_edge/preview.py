"""What the Refine Edge panel shows: a matte composited over a chosen background, or, before
refining, the image with the trimap's unknown band tinted (where matting will work)."""

from __future__ import annotations

import numpy as np

from srcrm.matting import Matte
from srcrm.matting.trimap import BACKGROUND, UNKNOWN

BACKGROUNDS = ("checkerboard", "black", "white", "colour")
_CELL = 8  # checkerboard squares, px
_BAND_TINT = np.array([255, 60, 200], np.float32)


def background(kind: str, shape: tuple[int, int], colour=(0, 160, 255)) -> np.ndarray:
    """An HxWx3 uint8 backdrop: a grey checkerboard, black, white or ``colour`` (RGB)."""
    h, w = shape
    if kind == "checkerboard":
        squares = ((np.arange(h)[:, None] // _CELL + np.arange(w)[None] // _CELL) % 2).astype(bool)
        return np.where(squares[..., None], np.uint8(204), np.uint8(153)).repeat(3, 2)
    if kind not in BACKGROUNDS:
        raise ValueError(f"unknown background {kind!r}")
    rgb = {"black": (0, 0, 0), "white": (255, 255, 255), "colour": colour}[kind]
    return np.broadcast_to(np.asarray(rgb, np.uint8), (h, w, 3)).copy()


def composite(matte: Matte, kind: str, colour=(0, 160, 255)) -> np.ndarray:
    """The cut-out as it will look pasted on the backdrop (straight alpha over it)."""
    a = matte.alpha[..., None]
    back = background(kind, matte.alpha.shape, colour).astype(np.float32)
    return np.clip(np.rint(a * matte.foreground + (1 - a) * back), 0, 255).astype(np.uint8)


def band_view(image: np.ndarray, trimap: np.ndarray) -> np.ndarray:
    """The image, darkened outside the region and tinted where the band is unknown."""
    out = image.astype(np.float32)
    out[trimap == BACKGROUND] *= 0.35
    band = trimap == UNKNOWN
    out[band] = 0.5 * out[band] + 0.5 * _BAND_TINT
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)
