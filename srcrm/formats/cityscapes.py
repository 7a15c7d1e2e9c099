"""Cityscapes ground truth: ``NAME_gtFine_polygons.json``, ``_labelIds.png``,
``_instanceIds.png`` and ``_color.png``.

The JSON holds ``imgHeight``, ``imgWidth`` and ``objects`` (``label``, ``polygon``), painted in
order, later over earlier, by the Cityscapes scripts' ``json2labelImg`` (Pillow, edges
included, unpainted pixels ``unlabeled``). Polygons are :mod:`srcrm.formats.outlines`, so the
scripts paint exactly the exported label map, and ``unlabeled`` objects reopen holes that hold
no class.

The scripts know only the Cityscapes label table. Where every class of the label set is in it,
by name or by an alias (CamVid's ``tree`` is ``vegetation``), the files use its names, ids and
colours (``_color.png`` as the scripts' ``createLabelImage(..., "color")``), unlabelled pixels
are ``unlabeled`` (id 0), and ``instanceIds`` numbers each connected piece of a class that has
instances (``id * 1000 + k``), as the scripts do. Otherwise the files carry the label set's own
names, ids and palette (unlabelled: the ignore index), which this reader reads, but the
scripts do not.

Reading paints polygons as ``json2labelImg`` does. Label-id PNGs without polygons, as datumaro
and CVAT export them, are read with the dataset's ``label_colors.txt`` numbered as datumaro
numbers it (:func:`read_label_colors`), or else with the Cityscapes table; an id the table
lacks stops the import (:class:`~srcrm.formats.tables.TableMismatch`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from srcrm.base.io import atomic_write, write_png
from srcrm.data.labelsets import LabelSet
from srcrm.formats import layout, masks
from srcrm.formats.classes import ClassLookup, name_key
from srcrm.formats.errors import FormatError
from srcrm.formats.jsonstream import StreamedJson
from srcrm.formats.outlines import UNLABELLED, outline
from srcrm.formats.reading import (
    Sample,
    checked_points,
    crossing_note,
    declared_classes,
    image_size,
    layout_image,
    load_json,
    nearby,
    used_classes,
)
from srcrm.formats.tables import Table, read_lines

UNLABELLED_LABEL = "unlabeled"  # Cityscapes' own name for it
SUFFIX = "_gtFine_polygons.json"
LABEL_IDS = "_gtFine_labelIds.png"
LABEL_COLORS = "label_colors.txt"  # datumaro's class list for Cityscapes-style datasets
IMAGES, IMAGE_SUFFIX = "leftImg8bit", "_leftImg8bit"
NOT_CITYSCAPES = (
    "the class names are not all Cityscapes labels, so they are kept with their "
    "own ids; cityscapesScripts will not know them"
)

# The Cityscapes label table (cityscapesScripts' helpers/labels.py): name -> (id, has instances,
# colour of _color.png).
TABLE = {
    "unlabeled": (0, False, (0, 0, 0)),
    "ego vehicle": (1, False, (0, 0, 0)),
    "rectification border": (2, False, (0, 0, 0)),
    "out of roi": (3, False, (0, 0, 0)),
    "static": (4, False, (0, 0, 0)),
    "dynamic": (5, False, (111, 74, 0)),
    "ground": (6, False, (81, 0, 81)),
    "road": (7, False, (128, 64, 128)),
    "sidewalk": (8, False, (244, 35, 232)),
    "parking": (9, False, (250, 170, 160)),
    "rail track": (10, False, (230, 150, 140)),
    "building": (11, False, (70, 70, 70)),
    "wall": (12, False, (102, 102, 156)),
    "fence": (13, False, (190, 153, 153)),
    "guard rail": (14, False, (180, 165, 180)),
    "bridge": (15, False, (150, 100, 100)),
    "tunnel": (16, False, (150, 120, 90)),
    "pole": (17, False, (153, 153, 153)),
    "polegroup": (18, False, (153, 153, 153)),
    "traffic light": (19, False, (250, 170, 30)),
    "traffic sign": (20, False, (220, 220, 0)),
    "vegetation": (21, False, (107, 142, 35)),
    "terrain": (22, False, (152, 251, 152)),
    "sky": (23, False, (70, 130, 180)),
    "person": (24, True, (220, 20, 60)),
    "rider": (25, True, (255, 0, 0)),
    "car": (26, True, (0, 0, 142)),
    "truck": (27, True, (0, 0, 70)),
    "bus": (28, True, (0, 60, 100)),
    "caravan": (29, True, (0, 0, 90)),
    "trailer": (30, True, (0, 0, 110)),
    "train": (31, True, (0, 80, 100)),
    "motorcycle": (32, True, (0, 0, 230)),
    "bicycle": (33, True, (119, 11, 32)),
}
# Other datasets' names for Cityscapes labels (CamVid's and common spellings).
ALIASES = {
    "tree": "vegetation",
    "signsymbol": "traffic sign",
    "pedestrian": "person",
    "bicyclist": "rider",
    "pavement": "sidewalk",
    "motorbike": "motorcycle",
    "bike": "bicycle",
}


KEYS = {name_key(n): n for n in TABLE}


def cityscapes_names(labelset: LabelSet) -> list[str] | None:
    """The Cityscapes label of each class, where all classes have a distinct one; else None."""
    found = []
    for name in labelset.class_names:
        key = name_key(name)
        label = KEYS.get(key) or ALIASES.get(key)
        if label is None or label == UNLABELLED_LABEL or label in found:
            return None
        found.append(label)
    return found


def paths(folder: str | os.PathLike, name: str) -> dict[str, Path]:
    folder = Path(folder)
    return {
        kind: folder / f"{name}_gtFine_{kind}"
        for kind in ("labelIds.png", "instanceIds.png", "color.png", "polygons.json")
    }


def write(
    folder: str | os.PathLike,
    name: str,
    labels: np.ndarray,
    labelset: LabelSet,
    *,
    tolerance: float = 0.0,
    min_area: float = 0.0,
) -> list[str]:
    """The four files of image ``name`` in ``folder``. Returns warnings (the class list is
    not the Cityscapes one, so its scripts cannot read the files)."""
    out = paths(folder, name)
    shapes = outline(labels, labelset.num_classes, tolerance=tolerance, min_area=min_area)
    table = cityscapes_names(labelset)
    warnings = []
    palette = np.zeros((labelset.num_classes + 1, 3), np.uint8)
    if table is None:
        names, ids, fill = list(labelset.class_names), np.arange(labelset.num_classes), labelset.ignore_index
        instances = np.zeros(labelset.num_classes, bool)
        palette[: labelset.num_classes] = np.reshape(labelset.palette, (-1, 3))
        warnings.append(NOT_CITYSCAPES)
    else:
        names, fill = table, TABLE[UNLABELLED_LABEL][0]
        ids = np.array([TABLE[n][0] for n in table], np.int64)
        instances = np.array([TABLE[n][1] for n in table], bool)
        palette[:] = [TABLE[n][2] for n in [*table, UNLABELLED_LABEL]]
    codes = np.where(labels < labelset.num_classes, labels, labelset.num_classes).astype(np.uint8)
    lookup = np.append(ids, fill).astype(np.uint8)
    label_ids = lookup[codes]
    write_png(out["labelIds.png"], label_ids)
    write_png(out["instanceIds.png"], _instance_ids(codes, label_ids, ids, instances))
    write_png(out["color.png"], palette[codes])
    with atomic_write(out["polygons.json"], "w") as fh:
        doc = StreamedJson(fh, {"imgHeight": shapes.height, "imgWidth": shapes.width}, "objects")
        encoded = {i: json.dumps(n) for i, n in enumerate(names)}
        encoded[UNLABELLED] = json.dumps(UNLABELLED_LABEL)
        for class_id, ring in shapes:
            doc.add_encoded(f'{{"label": {encoded[class_id]}, "polygon": {json.dumps(ring.tolist())}}}')
        doc.close()
    return warnings


def _instance_ids(
    codes: np.ndarray, label_ids: np.ndarray, ids: np.ndarray, instances: np.ndarray
) -> np.ndarray:
    """16-bit instance ids: ``id * 1000 + k`` for the k-th 4-connected piece of a class with
    instances, the label id elsewhere."""
    out = label_ids.astype(np.uint16)
    for class_id in np.flatnonzero(instances):
        _, pieces = cv2.connectedComponents((codes == class_id).view(np.uint8), connectivity=4)
        inside = pieces > 0
        out[inside] = ids[class_id] * 1000 + pieces[inside] - 1
    return out


def claims(folder: Path, files: list[Path]) -> bool:
    return any(p.name.endswith(("_polygons.json", LABEL_IDS)) for p in files)


def source_files(folder: Path) -> list[Path]:
    """The polygon files, or the label-id PNGs where there are none (datumaro, CVAT)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    polygons = [p for p in files if p.name.endswith("_polygons.json")]
    return polygons or [p for p in files if p.name.endswith(LABEL_IDS)]


def class_names(root: Path, files: list[Path]) -> list[str]:
    """datumaro's ``label_colors.txt`` (its background and unlabeled aside), else
    ``classes.txt``, else every label the files use, sorted."""
    colors = nearby(root, (LABEL_COLORS,))
    if colors is not None:
        return read_label_colors(colors).class_names()
    return declared_classes(root) or used_classes(files, label_names)


def read_label_colors(path: Path) -> Table:
    """datumaro's class table for Cityscapes-style label ids: ``r g b name`` per line (or the
    name alone, as its ``label_map=source`` writes it without colours). datumaro numbers the
    lines from 0 only where one of them is black (that class is its background); otherwise its
    ``background`` is id 0, first, and the lines are 1, 2, ... (a line named ``background``
    moves to the front). Its exporter leaves that background line out of the file."""
    entries: dict[str, tuple[int, ...] | None] = {}
    for line in read_lines(path):
        fields = line.split()
        name = " ".join(fields[3:]) if len(fields) > 3 else fields[0]
        try:
            colour = tuple(int(c) for c in fields[:3]) if len(fields) > 3 else None
        except ValueError:
            raise FormatError(path, f"{line!r} is not 'r g b name' or a name") from None
        if name in entries:
            raise FormatError(path, f"{name!r} is listed twice")
        entries[name] = colour
    if (0, 0, 0) not in entries.values():
        entries = {"background": None, **{n: c for n, c in entries.items() if n != "background"}}
    return Table(str(path), dict(enumerate(entries)))


def image_name(path: str | os.PathLike) -> str:
    """``aachen_000000_000019`` for ``aachen_000000_000019_gtFine_polygons.json``."""
    name = Path(path).name
    for suffix in (SUFFIX, "_gtCoarse_polygons.json", LABEL_IDS, "_polygons.json", ".json"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return Path(path).stem


def label_names(path: str | os.PathLike) -> list[str]:
    """The labels a file uses, in order of first use, to build a class list from."""
    path = Path(path)
    if path.name.endswith(".png"):
        return list(_table(path).names.values())
    doc = _document(path)
    labels = (o.get("label") for o in doc["objects"] if isinstance(o, dict) and "polygon" in o)
    return list(dict.fromkeys(str(n) for n in labels))


def read(path: str | os.PathLike, labelset: LabelSet) -> Sample:
    """The label map of a ``*_polygons.json``, or of a ``*_labelIds.png`` without one.
    Deleted objects are skipped; ``cargroup`` and the like fall back to ``car``."""
    path = Path(path)
    if path.name.endswith(".png"):
        return _read_label_ids(path, labelset)
    doc = _document(path)
    size = image_size(doc, ("imgHeight", "imgWidth"), path)
    if size is None:
        raise FormatError(path, "no imgHeight/imgWidth")
    height, width = size
    lookup = ClassLookup(labelset)
    canvas = Image.new("L", (width, height), labelset.ignore_index)
    draw = ImageDraw.Draw(canvas)
    warnings = []
    for i, obj in enumerate(doc["objects"]):
        label = str(obj.get("label")) if isinstance(obj, dict) else "?"
        where = f"object #{i} ({label})"
        if not isinstance(obj, dict) or obj.get("deleted") or "polygon" not in obj:
            why = (
                "marked deleted"
                if isinstance(obj, dict) and obj.get("deleted")
                else "not an object with a polygon"
            )
            warnings.append(f"{path}: {where}: {why}, skipped as the Cityscapes scripts skip it")
            continue
        class_id = _class_id(label, lookup)
        if class_id is None:
            raise FormatError(path, lookup.unknown_message(label), where)
        points = checked_points(obj["polygon"], height, width, path, where)
        draw.polygon([tuple(p) for p in points.tolist()], fill=class_id)
        note = crossing_note(points)
        if note:
            warnings.append(f"{path}: {where}: {note}, as the Cityscapes scripts paint it")
    return Sample(image_name(path), np.asarray(canvas), _image(path), tuple(warnings))


def _image(path: Path) -> Path | None:
    """``leftImg8bit/<subset>/<city>/NAME_leftImg8bit.*`` for ``gtFine/<subset>/<city>/NAME_*``."""
    return layout_image(path, "gtFine", IMAGES, f"{image_name(path)}{IMAGE_SUFFIX}")


def _class_id(label: str, lookup: ClassLookup) -> int | None:
    """A file's label in the label set: itself, without ``group``, or by alias either way."""
    for name in (label, label[: -len("group")] if label.endswith("group") else None):
        if name is None:
            continue
        found = lookup.get(name)
        if found is None:  # a Cityscapes name for one of the label set's classes, or back
            key = name_key(name)
            others = [k for k, v in ALIASES.items() if name_key(v) == key] + [ALIASES.get(key)]
            found = next((lookup.get(o) for o in others if o and lookup.get(o) is not None), None)
        if found is not None:
            return found
    return None


def _table(path: Path) -> Table:
    """The ids of a label-id PNG: the ``label_colors.txt`` of its dataset, else Cityscapes'."""
    colors = nearby(path.parent, (LABEL_COLORS,), 4)
    if colors is not None:
        return read_label_colors(colors)
    return Table("the Cityscapes labels", {cs_id: name for name, (cs_id, *_) in TABLE.items()})


def _read_label_ids(path: Path, labelset: LabelSet) -> Sample:
    """A label-id PNG: each value's name looked up in the label set; a ``background`` (the
    first entry of datumaro's table) or ``unlabeled`` value is unlabelled."""
    lookup = ClassLookup(labelset)
    find = lambda name: _class_id(name, lookup)
    labels = _table(path).labels(masks.read_values(path), labelset, path, find)
    return Sample(image_name(path), labels, _image(path))


def check(path: Path, labelset: LabelSet) -> None:
    """Every id of a label-id PNG is in its table (before anything is written)."""
    if path.name.endswith(".png"):
        _table(path).check(masks.read_values(path), path)


def _document(path: str | os.PathLike) -> dict:
    doc = load_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("objects"), list):
        raise FormatError(path, "not a Cityscapes polygons file (no 'objects' list)")
    return doc


class Export(layout.Export):
    """``gtFine/<subset>/<city>/NAME_gtFine_*`` and the images as
    ``leftImg8bit/<subset>/<city>/NAME_leftImg8bit.*``. The city is the source's sub-folder,
    else the name's part before its first ``_`` (``aachen`` of ``aachen_000000_000019``)."""

    def add(self, sample: Sample, image: Path | None, sub: Path) -> list[Path]:
        name = Path(sample.name)
        folders = [*sub.parts, *name.parent.parts]
        city = "_".join(folders) or (name.name.split("_")[0] if "_" in name.name else "default")
        subset = self.settings.subset
        out = paths(self.dst / "gtFine" / subset / city, name.name)
        for path in out.values():
            self.target(path, sample, image)
        for warning in write(
            out["polygons.json"].parent,
            name.name,
            sample.labels,
            self.labelset,
            tolerance=self.settings.tolerance,
            min_area=self.settings.min_area,
        ):
            if warning not in self.warnings:
                self.warnings.append(warning)
        copy = self.copy_image(
            image, self.dst / IMAGES / subset / city / f"{name.name}{IMAGE_SUFFIX}", sample
        )
        return list(out.values()) + ([copy] if copy else [])

    def finish(self) -> list[Path]:
        return [self.write_classes(self.dst)]
