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
from srcrm.formats import layout
from srcrm.formats.errors import FormatError
from srcrm.formats.reading import Sample, declared_classes
from srcrm.io import write_png
from srcrm.limits import ImageTooLarge, check_image_size

VOID = 255
_MASK_MODES = ("P", "L", "1", "I;16", "I;16B", "I;16L", "I")


def write(path: str | os.PathLike, labels: np.ndarray) -> None:
    """An 8-bit greyscale PNG of class ids."""
    write_png(path, np.ascontiguousarray(labels, dtype=np.uint8))


def read_values(path: str | os.PathLike) -> np.ndarray:
    """The values (HxW uint8) of an indexed or greyscale 8-bit PNG, its declared size checked
    first; :class:`FormatError` for anything else."""
    path = Path(path)
    try:
        with Image.open(path) as im:
            check_image_size(im.width, im.height, "the mask")  # before it is decoded
            im.load()
            mode, values = im.mode, np.asarray(im)
    except ImageTooLarge as exc:
        raise FormatError(path, str(exc)) from None
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError, SyntaxError) as exc:
        raise FormatError(path, f"not a readable image ({exc})") from None
    if mode not in _MASK_MODES:
        raise FormatError(
            path, f"a {mode} image, not a mask: expected an indexed or greyscale PNG of class ids"
        )
    if values.size and int(values.max()) > 255:
        raise FormatError(path, f"value {int(values.max())} does not fit a label map (0..255)")
    return values.astype(np.uint8)


def read(path: str | os.PathLike, labelset: LabelSet) -> Sample:
    """The label map of an indexed or greyscale PNG; :class:`FormatError` for a colour image
    or for values that are neither class ids, the ignore index nor 255."""
    path = Path(path)
    values = read_values(path)
    present = np.flatnonzero(np.bincount(values.ravel(), minlength=256)) if values.size else []
    bad = [int(v) for v in present if v >= labelset.num_classes and v not in (labelset.ignore_index, VOID)]
    if bad:
        raise FormatError(
            path,
            f"values {bad[:10]} are not class ids "
            f"(0..{labelset.num_classes - 1}), the ignore index "
            f"({labelset.ignore_index}) or {VOID}",
        )
    labels = np.where(values == VOID, labelset.ignore_index, values).astype(np.uint8)
    return Sample(path.stem, labels)


def source_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.png") if p.is_file())


def class_names(root: Path, files: list[Path]) -> list[str]:
    names = declared_classes(root)
    if names is None:
        raise ValueError(
            "PNG masks carry no class names, and no classes.txt is beside them: "
            "give the class list (--classes FILE, one name per line)"
        )
    return names


class Export(layout.Export):
    """Greyscale label PNGs, in the source's sub-folders, with ``classes.txt``."""

    def add(self, sample: Sample, image: Path | None, sub: Path) -> list[Path]:
        out = self.target(self.dst / sub / f"{sample.name}.png", sample, image)
        labels = sample.labels
        write(out, np.where(labels < self.labelset.num_classes, labels, self.labelset.ignore_index))
        return [out]

    def finish(self) -> list[Path]:
        return [] if self.single else [self.write_classes(self.dst)]
