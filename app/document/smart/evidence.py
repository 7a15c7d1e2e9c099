"""Image colour and the model's class probabilities, folded into one 3-channel image.

OpenCV's watershed grows regions by the colour difference between neighbouring pixels. To make
the model's boundaries stop it as well as the image's, each class gets a corner of a 3-D colour
lattice and every pixel its probability-weighted mix of corners; the tools segment a blend of
the photo and that "class colour". Where the model is sure of two different classes the
neighbours differ by at least half the range; where it hesitates the mix stays close.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import cv2
import numpy as np

from ..geometry import Rect

# Lattice {0, 128, 255}^3 ordered so the first classes are far apart (cube corners first).
_LEVELS = (0, 255, 128)
_CORNERS = np.array(
    sorted(itertools.product(_LEVELS, repeat=3), key=lambda p: sum(v == 128 for v in p)), np.float32
)


@dataclass(frozen=True)
class EvidenceConfig:
    """How much the model counts against the photo (0: colour only, 1: the model only)."""

    model_weight: float = 0.5
    smooth: int = 3  # median filter on the photo (odd, 0/1: none), so texture stops it less


def class_colors(n_classes: int) -> np.ndarray:
    """An ``n x 3`` float table of well-separated colours for the class-probability image
    (27 of them; past that they repeat, and those classes' borders rest on the photo alone)."""
    reps = -(-n_classes // len(_CORNERS))
    return np.tile(_CORNERS, (reps, 1))[:n_classes]


class Evidence:
    """What a smart tool looks at: the RGB image and the model's per-class probabilities, the
    latter either full (``C x H x W``) or reduced to the label map plus its confidence (what a
    saved document keeps: the winner gets ``confidence``, the others share the rest)."""

    def __init__(
        self,
        image: np.ndarray,
        labels: np.ndarray,
        n_classes: int,
        confidence: np.ndarray | None = None,
        probs: np.ndarray | None = None,
        config: EvidenceConfig = EvidenceConfig(),
    ):
        self.image, self.labels, self.n_classes = image, labels, int(n_classes)
        self.confidence, self.probs, self.config = confidence, probs, config
        self._colors = class_colors(self.n_classes)

    @property
    def shape(self) -> tuple[int, int]:
        return self.image.shape[:2]

    def class_image(self, rect: Rect) -> np.ndarray:
        """``h x w x 3`` float32: the probability-weighted class colour of each pixel."""
        if self.probs is not None:
            p = self.probs[(slice(None), *rect.slices)].astype(np.float32)
            return np.einsum("chw,ck->hwk", p, self._colors)
        lab = self.labels[rect.slices]
        known = lab < self.n_classes  # unlabelled pixels get the neutral mix
        winner = self._colors[np.where(known, lab, 0)]
        conf = (
            np.ones(lab.shape, np.float32)
            if self.confidence is None
            else self.confidence[rect.slices].astype(np.float32)
        )
        conf = np.where(known, conf, 1.0 / self.n_classes)[..., None]
        rest = (self._colors.sum(0) - winner) / max(1, self.n_classes - 1)
        return conf * winner + (1 - conf) * rest

    def window(self, rect: Rect) -> np.ndarray:
        """The blended ``h x w x 3`` uint8 image that the watershed tools segment."""
        photo = self.image[rect.slices]
        k = self.config.smooth
        if k > 1:
            photo = cv2.medianBlur(np.ascontiguousarray(photo), k)
        a = float(self.config.model_weight)
        mixed = (1 - a) * photo.astype(np.float32) + a * self.class_image(rect)
        return np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
