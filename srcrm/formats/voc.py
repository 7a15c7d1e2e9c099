"""PASCAL VOC-style label PNGs: indexed colour with VOC's palette, index = class id.

Index 255 is VOC's "void" (drawn light grey) and holds the unlabelled pixels, so the file reads
back with :func:`srcrm.formats.masks.read` and opens in any image viewer in colour.
"""

from __future__ import annotations

import io
import os

import numpy as np
from PIL import Image

from srcrm.data.labelsets import LabelSet, generated_palette
from srcrm.formats.masks import VOID
from srcrm.io import atomic_write_bytes


def palette() -> np.ndarray:
    """VOC's 256 colours (256x3 uint8): index 0 black, 1 (128, 0, 0), ..., 255 (224, 224, 192)."""
    return np.array(((0, 0, 0),) + generated_palette(255), np.uint8)


def write(path: str | os.PathLike, labels: np.ndarray, labelset: LabelSet) -> None:
    indices = np.where(labels < labelset.num_classes, labels, VOID).astype(np.uint8)
    image = Image.frombytes("P", (indices.shape[1], indices.shape[0]), indices.tobytes())
    image.putpalette(palette().ravel().tolist())
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False)
    atomic_write_bytes(path, buf.getvalue())
