"""Cityscapes-style ground truth: ``NAME_gtFine_labelIds.png``, ``NAME_gtFine_color.png`` and
``NAME_gtFine_polygons.json``.

As in Cityscapes, the PNGs are rasterised from the polygons, so the three files agree. The
JSON holds ``imgHeight``, ``imgWidth`` and ``objects`` (``label``, ``polygon``) painted in order,
later over earlier; shells are written largest first (:mod:`srcrm.formats.layers`), with
``unlabeled`` objects reopening holes that hold no class. Label ids are the class ids and
unlabelled pixels have the ignore index; colours come from the label set's palette (unlabelled:
black).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from srcrm.data.labelsets import LabelSet
from srcrm.formats.classes import ClassLookup
from srcrm.formats.errors import FormatError
from srcrm.formats.layers import layers
from srcrm.formats.polygons import Coverage
from srcrm.formats.rasterize import rasterize
from srcrm.formats.reading import Sample, checked_polygon, image_size, load_json, paint
from srcrm.io import atomic_write_text, write_png

UNLABELLED_LABEL = "unlabeled"  # Cityscapes' own name for it
SUFFIX = "_gtFine_polygons.json"


def paths(folder: str | os.PathLike, name: str) -> dict[str, Path]:
    folder = Path(folder)
    return {kind: folder / f"{name}_gtFine_{kind}" for kind in
            ("labelIds.png", "color.png", "polygons.json")}


def write(folder: str | os.PathLike, name: str, coverage: Coverage, labelset: LabelSet) -> None:
    """The three files of image ``name`` in ``folder``."""
    out = paths(folder, name)
    labels = rasterize(coverage.regions, coverage.height, coverage.width,
                       fill=labelset.ignore_index)
    palette = np.zeros((256, 3), np.uint8)
    palette[:labelset.num_classes] = labelset.palette
    objects = [{"label": UNLABELLED_LABEL if layer.class_id is None
                else labelset.class_names[layer.class_id],
                "polygon": layer.ring.astype(float).tolist()} for layer in layers(coverage)]
    doc = {"imgHeight": coverage.height, "imgWidth": coverage.width, "objects": objects}
    write_png(out["labelIds.png"], labels)
    write_png(out["color.png"], palette[labels])
    atomic_write_text(out["polygons.json"], json.dumps(doc))


def image_name(path: str | os.PathLike) -> str:
    """``aachen_000000_000019`` for ``aachen_000000_000019_gtFine_polygons.json``."""
    name = Path(path).name
    for suffix in (SUFFIX, "_gtCoarse_polygons.json", "_polygons.json", ".json"):
        if name.endswith(suffix):
            return name[:-len(suffix)]
    return Path(path).stem


def label_names(path: str | os.PathLike) -> list[str]:
    """The labels a file uses, in order of first use, to build a class list from."""
    doc = _document(path)
    labels = (o.get("label") for o in doc["objects"] if isinstance(o, dict) and "polygon" in o)
    return list(dict.fromkeys(str(n) for n in labels))


def read(path: str | os.PathLike, labelset: LabelSet) -> Sample:
    """The label map of a ``*_polygons.json``. Deleted objects and objects without a polygon
    are skipped; ``cargroup`` and the like fall back to ``car`` when there is no such class."""
    path = Path(path)
    doc = _document(path)
    size = image_size(doc, ("imgHeight", "imgWidth"), path)
    if size is None:
        raise FormatError(path, "no imgHeight/imgWidth")
    height, width = size
    lookup = ClassLookup(labelset)
    shapes = []
    for i, obj in enumerate(doc["objects"]):
        if not isinstance(obj, dict) or obj.get("deleted") or "polygon" not in obj:
            continue
        label = str(obj.get("label"))
        where = f"object #{i} ({label})"
        class_id = lookup.get(label)
        if class_id is None and label.endswith("group"):
            class_id = lookup.get(label[:-len("group")])
        if class_id is None:
            raise FormatError(path, lookup.unknown_message(label), where)
        shapes.append((class_id, checked_polygon(obj["polygon"], height, width, path, where)))
    return Sample(image_name(path), paint(shapes, height, width, labelset.ignore_index, path))


def _document(path: str | os.PathLike) -> dict:
    doc = load_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("objects"), list):
        raise FormatError(path, "not a Cityscapes polygons file (no 'objects' list)")
    return doc
