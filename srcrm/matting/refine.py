"""Refine edge: a hard region in, a soft alpha matte and clean foreground colours out.

The steps are those of an editor's "Refine Edge": a trimap around the region's rim
(:mod:`.trimap`), alpha solved in its unknown band (:mod:`.alpha`), an optional feather, and
foreground decontamination (:mod:`.foreground`). The label map a region came from is never
touched: the matte lives beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from srcrm.matting.alpha import METHODS, estimate_alpha
from srcrm.matting.foreground import decontaminate
from srcrm.matting.trimap import make_trimap
from srcrm.ranges import check_range

Progress = Callable[[float], None] | None
Stop = Callable[[], bool] | None


class Cancelled(Exception):
    """Raised by :func:`refine` when ``should_stop`` said so."""


@dataclass(frozen=True)
class RefineConfig:
    """How to refine: ``band`` px of unknown either side of the rim, the matting ``method``
    (see :data:`srcrm.matting.alpha.METHODS`), a Gaussian ``feather`` (px) of the result, and
    whether to ``decontaminate`` the foreground colours."""

    band: int = 8
    method: str = "cf"
    feather: float = 0.0
    decontaminate: bool = True

    def __post_init__(self):
        if self.band < 0:
            raise ValueError("the band width must not be negative")
        if self.feather < 0:
            raise ValueError("feather must not be negative")
        if self.method not in METHODS:
            raise ValueError(f"unknown matting method {self.method!r}; choose one of {', '.join(METHODS)}")


def check_edge_widths(shape: tuple[int, ...], *, feather: float, band: float) -> None:
    """Raise ValueError unless ``feather`` and ``band`` (px) are from 0 to the longer side of
    an image of ``shape``: wider, they change nothing more (the whole image is one soft edge),
    while the feather's Gaussian kernel grows with it (1e9 px asked for 21 GB)."""
    longest = max(shape[:2])
    check_range(feather, "--feather", 0, longest)
    check_range(band, "--band", 0, longest, whole=True)


@dataclass
class Matte:
    """A refined region: ``alpha`` (HxW float32 in [0, 1]), the ``foreground`` colours to
    show under it (HxWx3 uint8) and the ``trimap`` it was solved in."""

    alpha: np.ndarray
    foreground: np.ndarray
    trimap: np.ndarray

    def alpha_u8(self) -> np.ndarray:
        return np.clip(np.rint(self.alpha * 255), 0, 255).astype(np.uint8)

    def rgba(self) -> np.ndarray:
        """HxWx4 uint8 with straight (not premultiplied) alpha, as PNG stores it."""
        return np.dstack((self.foreground, self.alpha_u8()))


def refine(
    image: np.ndarray,
    mask: np.ndarray,
    config: RefineConfig = RefineConfig(),
    widen: np.ndarray | None = None,
    on_progress: Progress = None,
    should_stop: Stop = None,
) -> Matte:
    """Refine ``mask`` (HxW, nonzero inside) of ``image`` (HxWx3 RGB uint8); ``widen`` is the
    refine brush (extra unknown pixels). ``on_progress(fraction)`` reports along the way and
    :class:`Cancelled` is raised soon after ``should_stop()`` turns true."""
    if image.ndim != 3 or image.shape[2] != 3 or image.shape[:2] != mask.shape:
        raise ValueError(
            f"need an HxWx3 image and an HxW mask of its size, got {image.shape} and {mask.shape}"
        )

    reached = [0.0]  # the solver's residual may rise for a step; progress never goes back

    def report(fraction: float) -> None:
        if should_stop is not None and should_stop():
            raise Cancelled
        reached[0] = max(reached[0], fraction)
        if on_progress is not None:
            on_progress(reached[0])

    report(0.0)
    trimap = make_trimap(mask, config.band, widen)
    report(0.05)
    alpha = estimate_alpha(
        image, mask, trimap, config.method, on_iteration=lambda done: report(0.05 + 0.75 * done)
    )
    if config.feather > 0:
        alpha = np.clip(
            cv2.GaussianBlur(alpha, (0, 0), sigmaX=config.feather / 2, borderType=cv2.BORDER_REPLICATE), 0, 1
        )
    report(0.8)
    foreground = decontaminate(image, alpha) if config.decontaminate else image.copy()
    report(1.0)
    return Matte(alpha, foreground, trimap)
