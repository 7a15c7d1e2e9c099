"""Carry a coarse alpha to the full image through the local linear colour model.

Closed-form matting assumes that in every small window alpha is a linear function of the
colour, ``alpha = a . I + b``. Fitted on a coarse level (where a solve is cheap), the
coefficients ``a, b`` vary smoothly, so they can be interpolated to the fine level and applied
to the fine image's colours: edges come back at full resolution although alpha was solved
at half (Levin et al. 2008, section 5; He and Sun's fast guided filter uses the same step).
"""

from __future__ import annotations

import cv2
import numpy as np

_RADIUS = 1  # 3x3 windows, as in the closed-form solve
_EPSILON = 1e-6  # the solve's regulariser: colour lines may be steep


def upsample_alpha(alpha_coarse: np.ndarray, image_coarse: np.ndarray, image: np.ndarray) -> np.ndarray:
    """Alpha at the size of ``image`` (HxWx3, float in [0, 1]) from ``alpha_coarse`` solved on
    ``image_coarse``; not clipped."""
    guide = image_coarse.astype(np.float32)
    a, b = _linear_coefficients(guide, alpha_coarse.astype(np.float32))
    size = (image.shape[1], image.shape[0])
    a = cv2.resize(a, size, interpolation=cv2.INTER_LINEAR)
    b = cv2.resize(b, size, interpolation=cv2.INTER_LINEAR)
    return np.einsum("hwc,hwc->hw", a, image.astype(np.float32)) + b


def _linear_coefficients(guide: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per pixel ``(a, b)``, the least-squares fit of ``alpha = a . colour + b`` averaged over
    the windows that hold the pixel."""

    def mean(x):
        return cv2.boxFilter(x, -1, (2 * _RADIUS + 1,) * 2, borderType=cv2.BORDER_REFLECT)

    h, w, _ = guide.shape
    mean_colour, mean_alpha = mean(guide), mean(alpha)
    covariance = mean(guide * alpha[..., None]) - mean_colour * mean_alpha[..., None]
    second = mean(np.einsum("hwi,hwj->hwij", guide, guide).reshape(h, w, 9)).reshape(h, w, 3, 3)
    variance = second - np.einsum("hwi,hwj->hwij", mean_colour, mean_colour) + _EPSILON * np.eye(3)
    a = np.linalg.solve(variance, covariance[..., None])[..., 0]
    b = mean_alpha - np.einsum("hwc,hwc->hw", a, mean_colour)
    return mean(a), mean(b)
