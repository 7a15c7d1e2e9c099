"""Class lists for import and export: names are matched by name, never by position.

The class list itself is :class:`srcrm.data.labelsets.LabelSet` (names, palette, ignore
index), the same object the model and the datasets use.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from srcrm.base.limits import check_class_count
from srcrm.data.labelsets import CAMVID, LabelSet, generated_palette
from srcrm.formats.errors import FormatError

# Names that mean "no class" in files: labelme's convention, then plain words. A class of the
# label set with one of these names wins over this meaning.
UNLABELLED_NAMES = ("__ignore__", "unlabelled", "unlabeled")
IGNORE = "__ignore__"  # labelme's "no class" (labelme2voc writes it as 255)
BACKGROUND = "_background_"  # labelme's class 0: every pixel no shape covers


def labelset_from_names(names: Sequence[str], ignore_index: int | None = None, name: str = "") -> LabelSet:
    """A label set for class names from a file or a dataset. Without an ignore index the first
    id after the classes is used, as in CamVid and :mod:`srcrm.data.datasets`. No names is a
    label set too: a dataset whose files label nothing (labelme's classification examples)
    imports as unlabelled images."""
    names = tuple(str(n) for n in names)
    check_class_count(len(names), "the class list")
    if names == CAMVID.class_names and ignore_index in (None, CAMVID.ignore_index):
        return CAMVID
    ignore = len(names) if ignore_index is None else ignore_index
    if not len(names) <= ignore <= 255:
        raise ValueError(
            f"the ignore index must be in {len(names)}..255 for {len(names)} classes, got {ignore}"
        )
    return LabelSet(name, names, generated_palette(len(names)), ignore)


def read_classes(path: str | os.PathLike, ignore_index: int | None = None) -> LabelSet:
    """The label set of a class file (``--classes``): ours, CamVid's ``classes.txt`` or
    labelme's ``labels.txt``, numbered as :func:`class_ids` says."""
    names = class_ids(read_class_list(path))
    if not names:
        raise FormatError(path, "the class list is empty")
    return labelset_from_names(names, ignore_index, name=os.path.basename(path))


def class_ids(lines: list[str]) -> list[str]:
    """The classes of a class file's lines, each at its id. labelme's ``labels.txt`` starts
    with ``__ignore__``, which labelme2voc numbers -1 (void), so ``_background_`` is 0: that
    line is not a class. A last line that means "no class" is the ignore index, not a class.
    Any other ``unlabelled`` or ``_background_`` line stays a class at its id."""
    names = lines[1:] if lines[:1] == [IGNORE] else list(lines)
    unlabelled = {name_key(n) for n in UNLABELLED_NAMES}
    return names[:-1] if names and name_key(names[-1]) in unlabelled else names


def read_class_list(path: str | os.PathLike) -> list[str]:
    """The names of a class file, one per line, where the line number minus one is the id, so
    nothing may move a name to another line: a UTF-8 byte order mark (Windows editors write
    one) is not part of the first name, and a blank line between names is an error, not
    skipped. Blank lines at the end are ignored. :class:`FormatError` names the file."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(path, f"cannot read the class list ({exc})") from None
    names = [line.strip() for line in text.splitlines()]
    while names and not names[-1]:
        names.pop()
    if "" in names:
        raise FormatError(
            path,
            f"line {names.index('') + 1} is blank; each line is the class whose id is its "
            "line number minus one, so a blank line would shift the ids after it",
        )
    return names


def name_key(name: str) -> str:
    """A class name as files may spell it: case, spaces, underscores and hyphens aside
    (datumaro writes Cityscapes' "traffic light" as ``trafficlight``)."""
    return re.sub(r"[\s_-]+", "", name).casefold()


class ClassLookup:
    """Class name to id for one label set. Matching ignores case, spaces, underscores and
    hyphens ("Traffic_Light" and "trafficlight" find "traffic light");
    :data:`UNLABELLED_NAMES` give the ignore index."""

    def __init__(self, labelset: LabelSet):
        self.labelset = labelset
        self._ids = {name_key(n): labelset.ignore_index for n in UNLABELLED_NAMES}
        seen: dict[str, str] = {}
        for i, n in enumerate(labelset.class_names):
            if name_key(n) in seen:
                raise ValueError(
                    f"class names {seen[name_key(n)]!r} and {n!r} differ only in case "
                    "or spacing, so files cannot tell them apart"
                )
            seen[name_key(n)] = n
            self._ids[name_key(n)] = i

    def get(self, name: str) -> int | None:
        """The id of ``name``, or None where the label set has no such class."""
        return self._ids.get(name_key(name))

    def unknown_message(self, name: str) -> str:
        names = self.labelset.class_names
        known = ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
        return f"unknown class {name!r} (classes: {known})"
