"""Writing a dataset folder the way the other tools look for it, one image at a time.

Each format's ``Export`` (a subclass of :class:`Export`) puts the label files, the images and
the class list where that format's tools find them without help (``images/`` beside
``labels/`` for YOLO, ``annotations/instances_<subset>.json`` for COCO, ...). What they share
lives here: a target is never an input, never outside the destination, and never a file this
run wrote already (``a.jpg`` and ``a.png`` both want ``a``: the second is reported, not
written over); images are copied where they are known; what the format could not keep is
returned as a warning.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from srcrm.base.io import atomic_write, atomic_write_text
from srcrm.data.labelsets import LabelSet
from srcrm.formats.errors import FormatError, quoted
from srcrm.formats.reading import IMAGE_SUFFIXES, NAME_MAX, Sample

# Each file is written to a temporary sibling first (srcrm.base.io.atomic_write): "." + name + "."
# + 8 random characters + ".tmp", 14 bytes longer than the name.
WRITABLE_NAME = NAME_MAX - 14


@dataclass(frozen=True)
class ExportSettings:
    """How polygons are traced and where the files go.

    ``tolerance`` and ``min_area``: see :func:`srcrm.formats.polygons.polygonize` (0 keeps
    every export exact). ``rle_all``: COCO writes every object as RLE. ``subset``: the split
    name in the layouts that have one (COCO ``instances_<subset>.json``, VOC's image set,
    Cityscapes' ``gtFine/<subset>``). ``copy_images``: copy each known image into the layout.
    ``embed_image``: labelme stores the image's bytes in the file as well.
    """

    tolerance: float = 0.0
    min_area: float = 0.0
    rle_all: bool = False
    subset: str = "default"
    copy_images: bool = True
    embed_image: bool = False


class Export:
    """Writes samples into ``dst`` (a folder, or one file when ``single``)."""

    def __init__(self, dst: Path, labelset: LabelSet, settings: ExportSettings, single: bool):
        self.dst, self.labelset, self.settings, self.single = dst, labelset, settings, single
        self.warnings: list[str] = []
        self.inputs: set[Path] = set()  # the source's files, resolved: never written over
        self._written: dict[Path, str] = {}

    def add(self, sample: Sample, image: Path | None, sub: Path) -> list[Path]:
        """Write one image's labels (``sub``: its folder below the source root); returns the
        files written. Raises :class:`FormatError` for this sample only."""
        raise NotImplementedError

    def finish(self) -> list[Path]:
        """Write what covers the whole dataset (class lists, shared files); returns them."""
        return []

    def abort(self) -> None:
        """Give up: files that are written only at the end are not written."""

    def target(self, path: Path, sample: Sample, image: Path | None) -> Path:
        """``path`` (or ``dst`` itself for a single file), checked: inside ``dst``, not the
        image, not written before in this run."""
        if self.single:
            if self._written:
                raise FormatError(
                    self.dst,
                    f"is one file, but the source has more images than "
                    f"one ({sample.name!r}); give a folder instead",
                )
            path = self.dst
        else:
            self._check_name(path, sample)
        if not path.resolve().is_relative_to(self.dst.resolve()):
            raise FormatError(path, f"the name {sample.name!r} would write outside {self.dst}")
        if (image is not None and path.resolve() == image.resolve()) or path.resolve() in self.inputs:
            raise FormatError(path, "writing it would overwrite an input; choose another destination")
        earlier = self._written.get(path.resolve())
        if earlier is not None:
            raise FormatError(
                path,
                f"{sample.name!r} and {earlier!r} would both be written "
                "here; it was written for the first, the second is left out",
            )
        self._written[path.resolve()] = sample.name
        return path

    def _check_name(self, path: Path, sample: Sample) -> None:
        """Refuse, for this sample only, a name no file system can hold (a COCO file_name's,
        or a long one with a format's suffix added): the write would fail, and with it the
        whole conversion."""
        name = str(path.relative_to(self.dst))
        if "\0" in name:
            raise FormatError(self.dst, f"the name {quoted(sample.name)} has a NUL byte; it is left out")
        longest = max(len(os.fsencode(part)) for part in Path(name).parts)
        if longest > WRITABLE_NAME:
            raise FormatError(
                path.parent,
                f"{quoted(sample.name)} makes a file name of {longest} bytes, more than the "
                f"{WRITABLE_NAME} allowed; it is left out",
            )

    def copy_image(self, image: Path | None, path_without_suffix: Path, sample: Sample) -> Path | None:
        """Copy the sample's image to ``path_without_suffix`` + its own suffix, where the
        image is known and copying is wanted; returns the copy (or None)."""
        if (
            image is None or not self.settings.copy_images or image.suffix.lower() not in IMAGE_SUFFIXES
        ):  # a label file names it: only images
            return None
        out = self.target(
            path_without_suffix.with_name(path_without_suffix.name + image.suffix.lower()), sample, image
        )
        with open(image, "rb") as src, atomic_write(out, "wb") as fh:
            shutil.copyfileobj(src, fh)
        return out

    def write_classes(self, folder: Path) -> Path:
        """``classes.txt`` (one name per line, line number - 1 = class id) in ``folder``."""
        path = folder / "classes.txt"
        atomic_write_text(path, "".join(f"{n}\n" for n in self.labelset.class_names))
        return path
