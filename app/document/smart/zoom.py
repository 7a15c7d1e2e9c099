"""Zoomed re-inference: the model looks again at a rectangle, enlarged.

Far poles, signs and people are a few pixels wide at the model's input size; run on a crop
scaled up (2x by default, optionally with its mirror image too) the model sees them at a
size it was trained on. Only pixels no person has edited are replaced: the model's second look
never undoes a correction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from ..geometry import Rect
from ..tools import Edit, patch
from .errors import SmartToolError

# image (h x w x 3 uint8) -> an object with ``labels`` (uint8) and ``confidence`` (float) maps,
# such as srcrm.inference.predictor.Prediction
PredictFn = Callable[[np.ndarray], Any]


@dataclass(frozen=True)
class ZoomConfig:
    scale: float = 2.0
    flip: bool = False
    context: float = 0.25  # share of the rectangle's size added around it, so the model sees context
    min_side: int = 4  # a thinner drag is taken as a slip


def zoom_rect(
    shape: tuple[int, ...], x0: float, y0: float, x1: float, y1: float, config: ZoomConfig = ZoomConfig()
) -> Rect:
    """The dragged rectangle in pixels, clipped to the image; raises when it has no area."""
    h, w = shape[:2]
    rect = Rect(
        int(np.floor(min(x0, x1))),
        int(np.floor(min(y0, y1))),
        int(np.ceil(max(x0, x1))),
        int(np.ceil(max(y0, y1))),
    ).clip(w, h)
    if rect.width < config.min_side or rect.height < config.min_side:
        raise SmartToolError("Drag a rectangle over the image to re-run the model on it.")
    return rect


def zoom_labels(
    predict: PredictFn, image: np.ndarray, rect: Rect, config: ZoomConfig = ZoomConfig()
) -> np.ndarray:
    """The model's labels for ``rect`` (uint8, its shape), run on the rectangle plus some
    context enlarged ``config.scale`` times: the slow half, for a worker thread. With
    ``config.flip`` the mirror image runs too and the surer of the two views wins each pixel."""
    h, w = image.shape[:2]
    pad_x, pad_y = round(rect.width * config.context), round(rect.height * config.context)
    crop = Rect(rect.x0 - pad_x, rect.y0 - pad_y, rect.x1 + pad_x, rect.y1 + pad_y).clip(w, h)
    big = cv2.resize(
        np.ascontiguousarray(image[crop.slices]),
        None,
        fx=config.scale,
        fy=config.scale,
        interpolation=cv2.INTER_CUBIC,
    )
    seen = predict(big)
    labels = seen.labels
    if config.flip:
        mirror = predict(np.ascontiguousarray(big[:, ::-1]))
        labels = np.where(mirror.confidence[:, ::-1] > seen.confidence, mirror.labels[:, ::-1], labels)
    labels = cv2.resize(
        np.ascontiguousarray(labels, np.uint8), (crop.width, crop.height), interpolation=cv2.INTER_NEAREST
    )
    return labels[rect.y0 - crop.y0 : rect.y1 - crop.y0, rect.x0 - crop.x0 : rect.x1 - crop.x0]


def zoom_edit(
    labels: np.ndarray,
    rect: Rect,
    values: np.ndarray,
    edited: np.ndarray | None,
    only_over: int | None = None,
) -> Edit | None:
    """The edit writing ``values`` into ``rect`` except where ``edited`` marks a person's work:
    the quick half, made against the labels as they are when the model is done."""
    keep = np.zeros(values.shape, bool) if edited is None else edited[rect.slices]
    return patch(labels, rect, values, ~keep, only_over)
