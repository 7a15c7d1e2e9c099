"""Turn a label map into the coloured overlay buffer, one dirty rectangle at a time.

The buffer is HxW premultiplied BGRA (``uint32`` per pixel), exactly the memory layout of a
``QImage.Format_ARGB32_Premultiplied`` on little-endian machines, so the canvas can wrap it
without copying or converting. After an edit only the edited rectangle is recoloured through a
256-entry lookup table. No Qt here: it is plain numpy, and benchmarks can time it alone.
"""

from __future__ import annotations

import enum

import cv2
import numpy as np

from .classes import ClassTable
from .geometry import Rect


class OverlayMode(str, enum.Enum):
    FILL = "fill"  # every pixel in its class colour
    BOUNDARIES = "boundaries"  # class borders: a line in the class colours, edged to stand out
    CONFIDENCE = "confidence"  # where the model is unsure: the less sure, the redder

    @property
    def label(self) -> str:
        return {"fill": "Classes", "boundaries": "Boundaries only", "confidence": "Model confidence"}[
            self.value
        ]


UNSURE_RGB = (255, 32, 64)
# The boundary line's edge: black where the photo is light, white where it is dark, so the
# line reads on any image (its class colours alone vanish on a photo of the same lightness).
HALO_DARK, HALO_LIGHT = np.uint32(0xFF000000), np.uint32(0xFFFFFFFF)
# Confidence at or below this shows fully unsure; 1.0 shows nothing.
UNSURE_FLOOR = 0.5


class OverlayRenderer:
    def __init__(self) -> None:
        self.mode = OverlayMode.FILL
        self.labels: np.ndarray | None = None
        self.confidence: np.ndarray | None = None
        self.classes: ClassTable | None = None
        self.dark: np.ndarray | None = None  # HxW bool: where the photo is dark
        self.buffer = np.zeros((0, 0, 4), np.uint8)
        self._buf32 = self.buffer.view(np.uint32)[..., 0]
        self._lut32 = np.zeros(256, np.uint32)

    def attach(
        self,
        labels: np.ndarray,
        confidence: np.ndarray | None,
        classes: ClassTable,
        dark: np.ndarray | None = None,
    ) -> None:
        """Draw ``labels``; ``dark`` (HxW bool, where the photo is dark) picks the boundary
        line's edge colour."""
        h, w = labels.shape
        self.labels, self.confidence, self.classes, self.dark = labels, confidence, classes, dark
        if self.buffer.shape[:2] != (h, w):
            self.buffer = np.zeros((h, w, 4), np.uint8)
            self._buf32 = self.buffer.view(np.uint32)[..., 0]
        self.update_lut()

    def update_lut(self) -> None:
        """Rebuild the colour table (classes recoloured, shown or hidden); then ``refresh()``."""
        if self.classes is not None:
            self._lut32 = np.ascontiguousarray(self.classes.lut_bgra()).view(np.uint32)[:, 0]

    def set_mode(self, mode: OverlayMode) -> None:
        self.mode = OverlayMode(mode)

    def refresh(self, rect: Rect | None = None) -> Rect | None:
        """Recolour ``rect`` (default: everything); return the rectangle whose pixels changed."""
        if self.labels is None:
            return None
        h, w = self.labels.shape
        rect = Rect(0, 0, w, h) if rect is None else rect.clip(w, h)
        if self.mode == OverlayMode.BOUNDARIES:
            rect = rect.expand(2).clip(w, h)  # a line or edge pixel depends on its neighbours
        if rect.is_empty():
            return None
        out = self._buf32[rect.slices]
        if self.mode == OverlayMode.FILL:
            np.take(self._lut32, self.labels[rect.slices], out=out, mode="clip")
        elif self.mode == OverlayMode.BOUNDARIES:
            self._refresh_boundaries(rect, out)
        else:
            self._refresh_confidence(rect, out)
        return rect

    def _refresh_boundaries(self, rect: Rect, out: np.ndarray) -> None:
        """A two-pixel line in the class colours (both sides of a border) with a one-pixel
        edge each side, black or white against the photo beneath."""
        assert self.labels is not None
        h, w = self.labels.shape
        outer = rect.expand(1).clip(w, h)
        colours = self._lut32[self.labels[outer.slices]]
        line = boundary_mask(self.labels, outer) & (colours != 0)  # hidden classes draw nothing
        near = cv2.dilate(line.view(np.uint8), np.ones((3, 3), np.uint8)).view(bool)
        inner = (slice(rect.y0 - outer.y0, rect.y1 - outer.y0), slice(rect.x0 - outer.x0, rect.x1 - outer.x0))
        line, edge = line[inner], near[inner] & ~line[inner]
        out[...] = np.where(line, colours[inner], 0)
        dark = self.dark[rect.slices] if self.dark is not None else np.zeros(out.shape, bool)
        out[edge] = np.where(dark[edge], HALO_LIGHT, HALO_DARK)

    def _refresh_confidence(self, rect: Rect, out: np.ndarray) -> None:
        if self.confidence is None:
            out[...] = 0
            return
        conf = self.confidence[rect.slices]
        unsure = np.clip((1.0 - conf) / (1.0 - UNSURE_FLOOR), 0.0, 1.0)
        alpha = (unsure * 230.0).astype(np.uint32)
        r, g, b = UNSURE_RGB
        out[...] = (alpha << 24) | ((alpha * r // 255) << 16) | ((alpha * g // 255) << 8) | (alpha * b // 255)


def boundary_mask(labels: np.ndarray, rect: Rect) -> np.ndarray:
    """True for pixels of ``rect`` whose class differs from a 4-neighbour (both sides of a
    border are marked, each in its own colour)."""
    h, w = labels.shape
    outer = rect.expand(1).clip(w, h)
    region = labels[outer.slices]
    edge = np.zeros(region.shape, bool)
    diff_v = region[1:, :] != region[:-1, :]
    diff_h = region[:, 1:] != region[:, :-1]
    edge[1:, :] |= diff_v
    edge[:-1, :] |= diff_v
    edge[:, 1:] |= diff_h
    edge[:, :-1] |= diff_h
    oy, ox = rect.y0 - outer.y0, rect.x0 - outer.x0
    return edge[oy : oy + rect.height, ox : ox + rect.width]
