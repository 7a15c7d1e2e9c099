"""Steady mattes for video: refine each frame, then blend its soft edge with the previous
frame's alpha carried along the optical flow.

Matting each frame on its own makes the soft rim shimmer: small changes of noise and of the
hard labels move the solution. Following the flow (OpenCV's DIS, as propagation does) back to
where each pixel was one frame earlier, and averaging with the alpha found there, is a
recursive filter along motion: still edges settle, moving ones follow. Only the unknown band
is blended; sure foreground and background stay exact. Flicker is measured as for labels:
:func:`matte_flicker` is the mean change of alpha from one frame to the next.
"""

from __future__ import annotations

import cv2
import numpy as np

from srcrm.matting.refine import Matte, RefineConfig, Stop, refine
from srcrm.matting.trimap import UNKNOWN
from srcrm.video.propagate import dense_flow

CARRY = 0.5  # weight of the previous frame's (warped) alpha in the band


def matte_flicker(prev: np.ndarray, cur: np.ndarray) -> float:
    """Mean absolute change of alpha (in [0, 1]) between two frames' mattes."""
    if prev.shape != cur.shape:
        raise ValueError(f"mattes differ in size: {prev.shape} and {cur.shape}")
    return float(np.abs(cur.astype(np.float32) - prev.astype(np.float32)).mean())


class SteadyMatting:
    """Refines frames given in order; ``index`` tells it whether a frame follows the last one
    (a gap, or frames without labels, start afresh)."""

    def __init__(self, config: RefineConfig | None = None, carry: float = CARRY):
        if not 0 <= carry < 1:
            raise ValueError("carry must be in [0, 1)")
        self.config = config or RefineConfig()
        self.carry = carry
        self._last: tuple[int, np.ndarray, np.ndarray] | None = None  # index, frame, alpha

    def reset(self) -> None:
        self._last = None

    def __call__(self, index: int, frame: np.ndarray, mask: np.ndarray, should_stop: Stop = None) -> Matte:
        matte = refine(frame, mask, self.config, should_stop=should_stop)
        last = self._last
        if self.carry > 0 and last is not None and last[0] == index - 1 and last[1].shape == frame.shape:
            h, w = mask.shape
            grid = np.dstack(np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)))
            back = grid + dense_flow(frame, last[1])  # where each pixel was one frame ago
            warped = cv2.remap(last[2], back, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            band = matte.trimap == UNKNOWN
            matte.alpha[band] = (1 - self.carry) * matte.alpha[band] + self.carry * warped[band]
        self._last = (index, frame, matte.alpha)
        return matte
