"""YOLO segmentation labels (Ultralytics): a text file per image and ``data.yaml``.

Each line is ``class x1 y1 x2 y2 ...`` with coordinates divided by the image's width and
height. Rings have no holes, so regions are written as shells, largest first
(:mod:`srcrm.formats.layers`): the trainer paints overlapping masks smaller-on-top, which
gives back the holes that other classes fill. Unlabelled pixels inside a region's hole cannot be
written and come back as that region's class. ``data.yaml`` names the classes and expects the
images in ``images/`` beside ``labels/``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import shapely
import yaml

from srcrm.data.labelsets import LabelSet
from srcrm.formats.classes import ClassLookup
from srcrm.formats.errors import FormatError
from srcrm.formats.layers import layers
from srcrm.formats.polygons import Coverage
from srcrm.formats.reading import Sample, checked_polygon, paint
from srcrm.io import atomic_write_text


def to_text(coverage: Coverage) -> str:
    scale = np.array([coverage.width, coverage.height], np.float64)
    lines = []
    for layer in layers(coverage, unlabelled=False):
        xy = (layer.ring / scale).ravel()
        lines.append(" ".join([str(layer.class_id), *(f"{v:.6f}" for v in xy)]))
    return "".join(line + "\n" for line in lines)


def write(path: str | os.PathLike, coverage: Coverage) -> None:
    atomic_write_text(path, to_text(coverage))


def write_data_yaml(folder: str | os.PathLike, labelset: LabelSet) -> Path:
    """``data.yaml`` for a dataset with ``images/`` and ``labels/`` in ``folder``."""
    path = Path(folder) / "data.yaml"
    data = {"train": "images", "val": "images", "nc": labelset.num_classes,
            "names": dict(enumerate(labelset.class_names))}
    atomic_write_text(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


def read_names(path: str | os.PathLike) -> list[str]:
    """The class names of a ``data.yaml`` (``names`` as a list or an id -> name mapping)."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise FormatError(path, f"cannot read it as YAML ({exc})") from None
    names = data.get("names") if isinstance(data, dict) else None
    if isinstance(names, dict) and sorted(names) == list(range(len(names))):
        return [str(names[i]) for i in range(len(names))]
    if isinstance(names, list):
        return [str(n) for n in names]
    raise FormatError(path, "no 'names' list or 0..N-1 mapping")


def read(path: str | os.PathLike, labelset: LabelSet, height: int, width: int,
         names: Sequence[str] | None = None) -> Sample:
    """The label map of one label file for an image of ``height`` x ``width`` (YOLO files do
    not store the size). ``names`` are the dataset's class names (from ``data.yaml``), matched
    to ``labelset`` by name; without them the indices are taken as ``labelset`` ids."""
    path = Path(path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(path, f"cannot read it as text ({exc})") from None
    lookup = ClassLookup(labelset)
    known = labelset.class_names if names is None else tuple(names)
    shapes = []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        where = f"line {number}"
        try:
            index = int(fields[0])
            values = np.array(fields[1:], dtype=np.float64)
        except ValueError:
            raise FormatError(path, "expected 'class x1 y1 x2 y2 ...' with numbers", where) \
                from None
        if not 0 <= index < len(known):
            raise FormatError(path, f"class index {index} is not in 0..{len(known) - 1}", where)
        class_id = lookup.get(known[index])
        if class_id is None:
            raise FormatError(path, lookup.unknown_message(known[index]), where)
        if len(values) % 2:
            raise FormatError(path, "an odd number of coordinates", where)
        points = values.reshape(-1, 2) * (width, height)
        shapes.append((class_id, checked_polygon(points, height, width, path,
                                                 f"{where} ({known[index]})")))
    areas = shapely.area([g for _, g in shapes])
    ordered = [shapes[i] for i in np.argsort(-np.asarray(areas), kind="stable")]
    return Sample(path.stem, paint(ordered, height, width, labelset.ignore_index, path))
