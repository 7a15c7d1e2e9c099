"""Class tables that dataset files declare: the id (and colour) each class is stored as.

A table maps what a label file stores (PNG values, VOC colours, YOLO indices) to class names,
numbered as the tool that wrote it numbers them (each format's module reads its own table
file); the names are then matched to the conversion's label set by name
(:class:`~srcrm.formats.classes.ClassLookup`), never by position. A file that stores an id or
colour its table does not declare shows that the table does not fit the files, and a table
that is off by one labels every pixel wrong without a sign; so :class:`TableMismatch` stops the
whole import, and :func:`srcrm.formats.convert.convert` checks every file before it writes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from srcrm.data.labelsets import LabelSet
from srcrm.formats.classes import UNLABELLED_NAMES, ClassLookup, name_key
from srcrm.formats.errors import FormatError

# Names of the pixels no class covers, where a table has them: VOC's and datumaro's background
# (their id 0), Cityscapes' unlabeled, labelme's __ignore__, VOC's void.
NO_CLASS = frozenset(name_key(n) for n in (*UNLABELLED_NAMES, "background", "void"))
SHOWN = 6  # entries a message lists at each end of a table


class TableMismatch(FormatError):
    """A file stores an id or colour that its class table does not declare."""


@dataclass(frozen=True)
class Table:
    """``names``: id -> class name; ``colours``: RGB -> id, where the files store colours."""

    source: str
    names: dict[int, str]
    colours: dict[tuple[int, int, int], int] = field(default_factory=dict)

    def __str__(self) -> str:
        entries = [f"{i} {n}" for i, n in sorted(self.names.items())]
        if len(entries) > 2 * SHOWN:
            entries = [*entries[:SHOWN], "...", *entries[-SHOWN:]]
        return f"the class table of {self.source} ({', '.join(entries) or 'no classes'})"

    def class_names(self) -> list[str]:
        """The classes in id order, those that mean "no class" left out."""
        return [n for _, n in sorted(self.names.items()) if name_key(n) not in NO_CLASS]

    def check(self, values: np.ndarray, path: str | os.PathLike, void: tuple[int, ...] = ()) -> None:
        """Raise :class:`TableMismatch` for the first id in ``values`` (``void`` aside) that
        the table lacks."""
        present = np.flatnonzero(np.bincount(values.ravel(), minlength=1) if values.size else [])
        for value in present:
            if int(value) not in self.names and int(value) not in void:
                raise TableMismatch(path, f"id {int(value)} is not in {self}")

    def ids(self, rgb: np.ndarray, path: str | os.PathLike) -> np.ndarray:
        """The ids (HxW uint8) of an HxWx3 colour mask; an undeclared colour is a mismatch."""
        codes = (rgb[..., 0].astype(np.int32) << 16) | (rgb[..., 1].astype(np.int32) << 8) | rgb[..., 2]
        present, inverse = np.unique(codes, return_inverse=True)
        ids = np.empty(len(present), np.uint8)
        for i, code in enumerate(present.tolist()):
            colour = (code >> 16, (code >> 8) & 255, code & 255)
            if colour not in self.colours:
                raise TableMismatch(path, f"colour {colour} is not in {self}")
            ids[i] = self.colours[colour]
        return ids[inverse.reshape(codes.shape)]

    def labels(
        self,
        values: np.ndarray,
        labelset: LabelSet,
        path: str | os.PathLike,
        find: Callable[[str], int | None] | None = None,
        void: tuple[int, ...] = (),
    ) -> np.ndarray:
        """``values`` (ids of this table) as ids of ``labelset``, matched by name (``find``,
        by default the label set's lookup); ``void`` ids and names that mean no class, where
        the label set has no such class, are unlabelled."""
        self.check(values, path, void)
        lookup = ClassLookup(labelset)
        find = find or lookup.get
        table = np.full(256, labelset.ignore_index, np.uint8)
        for value in np.unique(values).tolist():
            if value in void:
                continue
            name = self.names[value]
            class_id = find(name)
            if class_id is None and name_key(name) not in NO_CLASS:
                raise FormatError(path, lookup.unknown_message(name))
            table[value] = labelset.ignore_index if class_id is None else class_id
        return table[values]


def read_lines(path: Path) -> list[str]:
    """A table file's lines that say something: blank lines and ``#`` comments left out, as
    datumaro reads them."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(path, f"cannot read it ({exc})") from None
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
