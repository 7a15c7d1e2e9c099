"""PASCAL VOC-style label PNGs: indexed colour with VOC's palette, index = class id.

Index 255 is VOC's "void" (drawn light grey) and holds the unlabelled pixels, so the file reads
back with :func:`srcrm.formats.masks.read` and opens in any image viewer in colour.

A dataset is laid out as VOC's own and datumaro/CVAT look for it: ``SegmentationClass/``
(the PNGs), ``JPEGImages/`` (the images), ``ImageSets/Segmentation/<subset>.txt`` (the names)
and ``labelmap.txt`` (``name:r,g,b::`` per class, in id order, then ``void`` with void's
colour), without which datumaro takes the indices for VOC's own classes. datumaro reads the
masks by colour, so every colour written is declared.

Reading takes the classes from ``labelmap.txt`` as datumaro numbers them (the line order,
datumaro's ``background`` first where it has one) and the masks by index, or by colour where
they are RGB (datumaro's default): a colour the file declares, else VOC's colour of the line
number where the file declares none.
"""

from __future__ import annotations

import io
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from srcrm.base.io import atomic_write_bytes, atomic_write_text
from srcrm.data.labelsets import LabelSet, generated_palette
from srcrm.formats import layout, masks
from srcrm.formats.errors import FormatError
from srcrm.formats.masks import VOID
from srcrm.formats.reading import Sample, declared_classes, layout_image, nearby
from srcrm.formats.tables import Table, read_lines

LABELMAP = "labelmap.txt"
VOID_NAME = "void"  # VOC's name for index 255
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


def read_labelmap(path: str | os.PathLike) -> Table:
    """The class table of a ``labelmap.txt`` (``name:color:parts:actions`` per line)."""
    names: dict[int, str] = {}
    colours: dict[tuple[int, int, int], int] = {}
    for i, line in enumerate(read_lines(Path(path))):
        name, _, rest = line.partition(":")
        names[i] = name.strip()
        colour = rest.split(":", 1)[0].strip()
        if colour:
            try:
                rgb = tuple(int(c) for c in colour.split(","))
            except ValueError:
                rgb = ()
            if len(rgb) != 3 or not all(0 <= c <= 255 for c in rgb):
                raise FormatError(path, f"{name.strip()}: the colour {colour!r} is not r,g,b")
            r, g, b = rgb
            colours.setdefault((r, g, b), i)
    if not names:
        raise FormatError(path, "lists no classes")
    if not colours:  # datumaro paints line i with VOC's colour i
        colours = {tuple(palette()[i].tolist()): i for i in names if i < 256}
    return Table(str(path), names, colours)


def read(path: str | os.PathLike, labelset: LabelSet) -> Sample:
    """A VOC mask: with a ``labelmap.txt`` in a folder above it, id i (index, or the colour's
    line) is its i-th name, looked up in ``labelset`` (index 255 is void); without one,
    index = class id."""
    path = Path(path)
    image = layout_image(path, MASKS, IMAGES, path.stem)
    labelmap = nearby(path.parent, (LABELMAP,), levels=3)
    if labelmap is None:
        return replace(masks.read(path, labelset), image=image)
    table = read_labelmap(labelmap)
    return Sample(path.stem, table.labels(_ids(path, table), labelset, path, void=(VOID,)), image)


def check(path: Path, labelset: LabelSet) -> None:
    """Every index or colour of the mask is in its table (before anything is written)."""
    labelmap = nearby(path.parent, (LABELMAP,), levels=3)
    if labelmap is None:
        return masks.check(path, labelset)
    table = read_labelmap(labelmap)
    table.check(_ids(path, table), path, (VOID,))


def _ids(path: Path, table: Table) -> np.ndarray:
    values = masks.read_values(path, colour=True)
    return table.ids(values, path) if values.ndim == 3 else values


def claims(folder: Path, files: list[Path]) -> bool:
    """A VOC layout: masks in ``SegmentationClass``."""
    return folder.name == MASKS or (folder / MASKS).is_dir()


def source_files(folder: Path) -> list[Path]:
    masks_folder = folder if folder.name == MASKS else folder / MASKS
    return sorted(p for p in masks_folder.rglob("*.png") if p.is_file())


def class_names(root: Path, files: list[Path]) -> list[str]:
    labelmap = nearby(root, (LABELMAP,))
    names = read_labelmap(labelmap).class_names() if labelmap else declared_classes(root)
    if names is None:
        raise ValueError(
            f"{root}: no {LABELMAP} or classes.txt names the classes; give the class list (--classes FILE)"
        )
    return names


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
        lines = [*enumerate(self.labelset.class_names), (VOID, VOID_NAME)]
        atomic_write_text(
            labelmap,
            "# label:color_rgb:parts:actions\n"
            + "".join(f"{n}:{','.join(str(v) for v in colours[i])}::\n" for i, n in lines),
        )
        subset = self.dst / SETS / f"{self.settings.subset}.txt"
        atomic_write_text(subset, "".join(f"{n}\n" for n in self.names))
        return [labelmap, subset]
