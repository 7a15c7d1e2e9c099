"""Label maps as PNG masks: greyscale (a class id per pixel) and indexed (palette PNGs such
as VOC's, whose palette indices are the class ids).

Reading goes through Pillow because OpenCV expands palette PNGs to colour. The ids are those of
the ``classes.txt`` beside the masks, matched to the label set by name (so ``--classes`` may
list the classes in another order), else the label set's own; the value 255 (the VOC and
Cityscapes "void") and the first id after the classes are unlabelled. Any other value is not
in the table: :class:`~srcrm.formats.tables.TableMismatch`.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from srcrm.base.io import write_png
from srcrm.base.limits import ImageTooLarge, check_image_size
from srcrm.data.labelsets import LabelSet
from srcrm.formats import layout
from srcrm.formats.classes import class_ids, read_class_list
from srcrm.formats.errors import FormatError
from srcrm.formats.reading import CLASS_FILES, Sample, declared_classes, nearby
from srcrm.formats.tables import Table

VOID = 255
_MASK_MODES = ("P", "L", "1", "I;16", "I;16B", "I;16L", "I")


def write(path: str | os.PathLike, labels: np.ndarray) -> None:
    """An 8-bit greyscale PNG of class ids."""
    write_png(path, np.ascontiguousarray(labels, dtype=np.uint8))


def read_values(path: str | os.PathLike, colour: bool = False) -> np.ndarray:
    """The values (HxW uint8) of an indexed or greyscale 8-bit PNG, its declared size checked
    first, or with ``colour`` the HxWx3 pixels of an RGB one; :class:`FormatError` for
    anything else."""
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
    if colour and mode == "RGB":
        return values
    if mode not in _MASK_MODES:
        raise FormatError(
            path, f"a {mode} image, not a mask: expected an indexed or greyscale PNG of class ids"
        )
    if values.size and int(values.max()) > 255:
        raise FormatError(path, f"value {int(values.max())} does not fit a label map (0..255)")
    return values.astype(np.uint8)


def read(path: str | os.PathLike, labelset: LabelSet) -> Sample:
    """The label map of an indexed or greyscale PNG; :class:`FormatError` for a colour image,
    :class:`~srcrm.formats.tables.TableMismatch` for a value that is not in the table."""
    path = Path(path)
    table, void = _table(path, labelset)
    return Sample(path.stem, table.labels(read_values(path), labelset, path, void=void))


def check(path: Path, labelset: LabelSet) -> None:
    """Every value of the mask is in its table (before anything is written)."""
    table, void = _table(path, labelset)
    table.check(read_values(path), path, void)


def _table(path: Path, labelset: LabelSet) -> tuple[Table, tuple[int, ...]]:
    """The ids of the masks beside ``path``, and the values that mean unlabelled."""
    found = nearby(path.parent, CLASS_FILES)
    names = labelset.class_names if found is None else class_ids(read_class_list(found))
    source = str(found) if found else "the class list"
    return Table(source, dict(enumerate(names))), (len(names), labelset.ignore_index, VOID)


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
