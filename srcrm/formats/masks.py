"""Label maps as PNG masks: greyscale (a class id per pixel) and indexed (palette PNGs such
as VOC's, whose palette indices are the class ids).

Reading goes through Pillow because OpenCV expands palette PNGs to colour. The value 255
(the VOC and Cityscapes "void") is read as unlabelled whatever the label set's ignore index.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from srcrm.data.labelsets import LabelSet
from srcrm.formats.errors import FormatError
from srcrm.formats.reading import Sample
from srcrm.io import write_png

VOID = 255
_MASK_MODES = ("P", "L", "1", "I;16", "I;16B", "I;16L", "I")


def write(path: str | os.PathLike, labels: np.ndarray) -> None:
    """An 8-bit greyscale PNG of class ids."""
    write_png(path, np.ascontiguousarray(labels, dtype=np.uint8))


def read(path: str | os.PathLike, labelset: LabelSet) -> Sample:
    """The label map of an indexed or greyscale PNG; :class:`FormatError` for a colour image
    or for values that are neither class ids, the ignore index nor 255."""
    path = Path(path)
    try:
        with Image.open(path) as im:
            im.load()
            mode, values = im.mode, np.asarray(im).astype(np.int64)
    except (OSError, UnidentifiedImageError) as exc:
        raise FormatError(path, f"not a readable image ({exc})") from None
    if mode not in _MASK_MODES:
        raise FormatError(path, f"a {mode} image, not a mask: expected an indexed or greyscale "
                                "PNG of class ids")
    present = np.flatnonzero(np.bincount(values.ravel(), minlength=256)) if values.size else []
    bad = [int(v) for v in present
           if v >= labelset.num_classes and v not in (labelset.ignore_index, VOID)]
    if bad:
        raise FormatError(path, f"values {bad[:10]} are not class ids "
                                f"(0..{labelset.num_classes - 1}), the ignore index "
                                f"({labelset.ignore_index}) or {VOID}")
    labels = np.where(values == VOID, labelset.ignore_index, values).astype(np.uint8)
    return Sample(path.stem, labels)
