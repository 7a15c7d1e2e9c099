"""PASCAL VOC-style label PNGs: indexed colour with VOC's palette, index = class id.

Index 255 is VOC's "void" (drawn light grey) and holds the unlabelled pixels, so the file reads
back with :func:`srcrm.formats.masks.read` and opens in any image viewer in colour.

A dataset is laid out as VOC's own and datumaro/CVAT look for it: ``SegmentationClass/``
(the PNGs), ``JPEGImages/`` (the images), ``ImageSets/Segmentation/<subset>.txt`` (the names)
and ``labelmap.txt`` (``name:r,g,b::`` per class, in id order), without which datumaro takes
the indices for VOC's own classes. Reading takes the class names from ``labelmap.txt``.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image

from srcrm.data.labelsets import LabelSet, generated_palette
from srcrm.formats import layout, masks
from srcrm.formats.classes import ClassLookup
from srcrm.formats.errors import FormatError
from srcrm.formats.masks import VOID
from srcrm.formats.reading import Sample, declared_classes, nearby
from srcrm.io import atomic_write_bytes, atomic_write_text

LABELMAP = "labelmap.txt"
MASKS, IMAGES, SETS = "SegmentationClass", "JPEGImages", "ImageSets/Segmentation"


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


def read_labelmap(path: str | os.PathLike) -> list[str]:
    """The class names of a ``labelmap.txt`` (``name:color:parts:actions``), in index order."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(path, f"cannot read it ({exc})") from None
    names = [
        line.split(":", 1)[0].strip() for line in lines if line.strip() and not line.lstrip().startswith("#")
    ]
    if not names:
        raise FormatError(path, "lists no classes")
    return names


def read(path: str | os.PathLike, labelset: LabelSet) -> Sample:
    """A VOC mask: with a ``labelmap.txt`` in a folder above it, index i is its i-th name,
    looked up in ``labelset`` (255 is void); without one, index = class id."""
    path = Path(path)
    labelmap = nearby(path.parent, (LABELMAP,), levels=3)
    if labelmap is None:
        return masks.read(path, labelset)
    names = read_labelmap(labelmap)
    lookup = ClassLookup(labelset)
    values = masks.read_values(path)
    table = np.full(256, labelset.ignore_index, np.uint8)
    for value in np.unique(values).tolist():
        if value == VOID:
            continue
        if value >= len(names):
            raise FormatError(path, f"index {value} is not in {labelmap} ({len(names)} classes)")
        class_id = lookup.get(names[value])
        if class_id is None and names[value].casefold() != "background":
            raise FormatError(path, lookup.unknown_message(names[value]))
        table[value] = labelset.ignore_index if class_id is None else class_id
    return Sample(path.stem, table[values])


def claims(folder: Path, files: list[Path]) -> bool:
    """A VOC layout: masks in ``SegmentationClass``."""
    return folder.name == MASKS or (folder / MASKS).is_dir()


def source_files(folder: Path) -> list[Path]:
    masks_folder = folder if folder.name == MASKS else folder / MASKS
    return sorted(p for p in masks_folder.rglob("*.png") if p.is_file())


def class_names(root: Path, files: list[Path]) -> list[str]:
    labelmap = nearby(root, (LABELMAP,))
    names = read_labelmap(labelmap) if labelmap else declared_classes(root)
    if names is None:
        raise ValueError(
            f"{root}: no {LABELMAP} or classes.txt names the classes; give the class list (--classes FILE)"
        )
    return [n for n in names if n.casefold() != "background"] if labelmap else names


class Export(layout.Export):
    """The VOC layout (see the module docstring); one PNG alone when ``single``."""

    def __init__(self, *args):
        super().__init__(*args)
        self.names: list[str] = []

    def add(self, sample: Sample, image: Path | None, sub: Path) -> list[Path]:
        name = (sub / sample.name).as_posix()
        out = self.target(self.dst / MASKS / f"{name}.png", sample, image)
        write(out, sample.labels, self.labelset)
        self.names.append(name)
        copy = None if self.single else self.copy_image(image, self.dst / IMAGES / name, sample)
        return [out] + ([copy] if copy else [])

    def finish(self) -> list[Path]:
        if self.single:
            return []
        colours = palette()
        labelmap = self.dst / LABELMAP
        atomic_write_text(
            labelmap,
            "# label:color_rgb:parts:actions\n"
            + "".join(
                f"{n}:{','.join(str(v) for v in colours[i])}::\n"
                for i, n in enumerate(self.labelset.class_names)
            ),
        )
        subset = self.dst / SETS / f"{self.settings.subset}.txt"
        atomic_write_text(subset, "".join(f"{n}\n" for n in self.names))
        return [labelmap, subset]
