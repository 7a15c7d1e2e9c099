"""YOLO segmentation labels (Ultralytics): a text file per image and ``data.yaml``.

Each line is ``class x1 y1 x2 y2 ...`` with coordinates divided by the image's width and
height. Ultralytics' trainer scales them back, casts them to int32 and fills each polygon with
``cv2.fillPoly`` (edges included), then lays the masks smaller-on-top. The written rings are
:mod:`srcrm.formats.outlines` through pixel centres, stored as ``(column + 0.5) / width``, so
the cast gives back the pixel exactly and the trainer paints the label map pixel for pixel.
The format has no "no class": unlabelled pixels in a hole of a region come back as that
region's class, and the export says how many per file. ``data.yaml`` names the classes; the
images go in ``images/`` beside ``labels/``.

Reading paints the polygons as ultralytics does (its ``verify_image_label`` and
``polygons2masks_overlap``): coordinates parsed as float32 and scaled in float32, cast to int32,
each polygon filled by ``cv2.fillPoly`` (self-intersecting ones even-odd), the masks laid in
the order of ``np.argsort`` of their negated areas, on an image of the size given. (The
trainer then resamples each ring and paints at its training size; the file's own polygons at
the image's size are what a label map is.) Class indices are those of ``data.yaml``, matched
to the label set by name; an index it does not list stops the import
(:class:`~srcrm.formats.tables.TableMismatch`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import yaml

from srcrm.base.io import ImageReadError, atomic_write, atomic_write_text, displayed_size
from srcrm.base.jsonio import MAX_DEPTH, nesting_depth
from srcrm.data.labelsets import LabelSet
from srcrm.formats import layout
from srcrm.formats.classes import ClassLookup
from srcrm.formats.errors import FormatError
from srcrm.formats.outlines import outline
from srcrm.formats.reading import MAX_POINTS, Sample, check_outline_length, find_image, nearby
from srcrm.formats.tables import Table, TableMismatch

MAX_YAML_BYTES = 1 << 20  # a data.yaml names classes and folders: kilobytes
NOT_LABELS = ("classes.txt", "labels.txt")  # text files beside YOLO labels that are not labels


def write(
    path: str | os.PathLike,
    labels: np.ndarray,
    labelset: LabelSet,
    *,
    tolerance: float = 0.0,
    min_area: float = 0.0,
) -> list[str]:
    """The label file of one label map. Returns a warning when unlabelled pixels lie in holes
    that the format cannot keep open."""
    shapes = outline(labels, labelset.num_classes, tolerance=tolerance, min_area=min_area).labelled()
    scale = np.array([shapes.width, shapes.height], np.float64)
    with atomic_write(path, "w") as fh:
        for class_id, ring in shapes:
            xy = ((ring + 0.5) / scale).ravel().tolist()
            fh.write(("%d" + " %.6f" * len(xy) + "\n") % (class_id, *xy))
    lost = _covered_unlabelled(shapes, labels, labelset.num_classes)
    if not lost:
        return []
    return [
        (
            f"{path}: {lost} unlabelled pixels lie in holes of labelled regions; YOLO has "
            "no 'no class', so they read back as the surrounding class"
        )
    ]


def _covered_unlabelled(shapes, labels: np.ndarray, num_classes: int) -> int:
    """How many unlabelled pixels some written ring encloses (the trainer paints them)."""
    unlabelled = (labels >= num_classes) | (labels < 0)
    if not unlabelled.any() or not len(shapes):
        return 0
    covered = np.zeros(labels.shape, np.uint8)
    for _, ring in shapes:
        if len(ring) > 3:  # fewer points enclose no pixel that is not their own
            cv2.fillPoly(covered, [ring.reshape(-1, 1, 2)], 1)
    return int((covered.view(bool) & unlabelled).sum())


def write_data_yaml(folder: str | os.PathLike, labelset: LabelSet) -> Path:
    """``data.yaml`` for a dataset with ``images/`` and ``labels/`` in ``folder``."""
    path = Path(folder) / "data.yaml"
    data = {
        "train": "images",
        "val": "images",
        "nc": labelset.num_classes,
        "names": dict(enumerate(labelset.class_names)),
    }
    atomic_write_text(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


def read_names(path: str | os.PathLike) -> list[str]:
    """The class names of a ``data.yaml`` (``names`` as a list or an id -> name mapping).
    Like JSON, the file is size- and depth-checked first: the YAML parser recurses too."""
    try:
        data = Path(path).read_bytes()
        if len(data) > MAX_YAML_BYTES or nesting_depth(data) > MAX_DEPTH:
            raise FormatError(path, "too large or too deeply nested for a dataset file")
        doc = yaml.safe_load(data.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, TypeError, RecursionError, yaml.YAMLError) as exc:
        if isinstance(exc, FormatError):
            raise
        raise FormatError(path, f"cannot read it as YAML ({exc})") from None
    names = doc.get("names") if isinstance(doc, dict) else None
    if isinstance(names, dict) and set(names) == set(range(len(names))):
        names = [names[i] for i in range(len(names))]
    if isinstance(names, list) and all(isinstance(n, (str, int, float)) for n in names):
        return [str(n) for n in names]
    raise FormatError(path, "no 'names' list or 0..N-1 mapping of names")


def claims(folder: Path, files: list[Path]) -> bool:
    return bool(source_files(folder, files))


def source_files(folder: Path, files: list[Path] | None = None) -> list[Path]:
    """The label files: ``.txt`` files in a ``labels`` folder, or beside a ``data.yaml``.
    ``folder`` may be the ``data.yaml`` itself."""
    if folder.suffix.lower() in (".yaml", ".yml"):
        folder = folder.parent / "labels"
    files = sorted(p for p in folder.rglob("*") if p.is_file()) if files is None else files
    texts = [p for p in files if p.suffix == ".txt" and p.name not in NOT_LABELS]
    in_labels = [p for p in texts if "labels" in p.relative_to(folder).parts[:-1]]
    return in_labels or (texts if data_yaml(folder) else [])


def data_yaml(src: Path) -> Path | None:
    """The dataset file for labels at ``src``: itself, or data.yaml in it or above it."""
    if src.suffix.lower() in (".yaml", ".yml"):
        return src
    return nearby(src if src.is_dir() else src.parent, ("data.yaml",), levels=3)


def class_names(root: Path, files: list[Path]) -> list[str]:
    found = data_yaml(root)
    if found is None:
        raise ValueError(f"{root}: no data.yaml with class names found; give the class list (--classes FILE)")
    return read_names(found)


def read_all(path: Path, labelset: LabelSet):
    """One label file, sized by its image (YOLO files do not store the size; the image is
    sized as it is displayed, EXIF orientation applied, as the trainer and predict see it)."""
    try:
        image = find_image(path, path.stem)
        if image is None:
            raise FormatError(
                path,
                "YOLO labels do not store the image size, and no image of "
                "the same name was found beside them or in images/",
            )
        sample = read_for_image(path, labelset, image)
        yield Sample(sample.name, sample.labels, image)
    except FormatError as exc:
        yield exc


def read(
    path: str | os.PathLike, labelset: LabelSet, height: int, width: int, names: Sequence[str] | None = None
) -> Sample:
    """The label map of one label file for an image of ``height`` x ``width`` (YOLO files do
    not store the size). ``names`` are the dataset's class names (from ``data.yaml``), matched
    to ``labelset`` by name; without them the indices are taken as ``labelset`` ids."""
    path = Path(path)
    table = _table(names, labelset)
    lookup = ClassLookup(labelset)
    classes, masks, areas = [], [], []
    for where, index, values in _rows(path, table):
        class_id = lookup.get(table.names[index])
        if class_id is None:
            raise FormatError(path, lookup.unknown_message(table.names[index]), where)
        points = values.reshape(-1, 2) * np.array([width, height], np.float32)
        check_outline_length(points, path, where)
        masks.append(_mask(points, height, width))
        classes.append(class_id)
        areas.append(masks[-1][2].sum(dtype=np.uint64))
    out = np.full((height, width), labelset.ignore_index, np.uint8)
    for i in np.argsort(-np.asarray(areas, np.uint64)):  # as ultralytics orders them
        top, left, mask = masks[i]
        out[top : top + mask.shape[0], left : left + mask.shape[1]][mask] = classes[i]
    return Sample(path.stem, out)


def check(path: Path, labelset: LabelSet) -> None:
    """Every class index of the file is in its ``data.yaml`` (before anything is written)."""
    found = data_yaml(path)
    for _ in _rows(path, _table(read_names(found) if found else None, labelset)):
        pass


def _table(names: Sequence[str] | None, labelset: LabelSet) -> Table:
    if names is None:
        return Table("the class list", dict(enumerate(labelset.class_names)))
    return Table("data.yaml", dict(enumerate(names)))


def _rows(path: Path, table: Table):
    """Each polygon line of the file: where it is, its class index and its coordinates
    (float32, as ultralytics parses them)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(path, f"cannot read it as text ({exc})") from None
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        where = f"line {number}"
        try:
            index = int(fields[0])
            values = np.array(fields[1:], dtype=np.float32)
        except (ValueError, OverflowError):
            raise FormatError(path, "expected 'class x1 y1 x2 y2 ...' with numbers", where) from None
        if index not in table.names:
            raise TableMismatch(path, f"class index {index} is not in {table}", where)
        if len(values) % 2 or not 6 <= len(values) <= 2 * MAX_POINTS:
            raise FormatError(
                path,
                "needs an even number of coordinates, 3 points or more "
                "(a 'class x y w h' box is not a segment)",
                where,
            )
        if not (np.isfinite(values).all() and (values >= -0.01).all() and (values <= 1.01).all()):
            raise FormatError(path, "coordinates must be numbers in 0..1", where)
        yield where, index, values


def _mask(points: np.ndarray, height: int, width: int) -> tuple[int, int, np.ndarray]:
    """The pixels ``cv2.fillPoly`` paints for one polygon (points cast to int32 as
    ultralytics does), as the top-left corner and the mask of its bounding box."""
    xy = points.astype(np.int32)
    left, top = np.maximum(xy.min(0), 0)
    right, bottom = np.minimum(xy.max(0) + 1, (width, height))
    mask = np.zeros((max(bottom - top, 0), max(right - left, 0)), np.uint8)
    if mask.size:
        cv2.fillPoly(mask, [(xy - (left, top)).reshape(-1, 1, 2)], 1)
    return int(top), int(left), mask.view(bool)


class Export(layout.Export):
    """``labels/`` (the source's sub-folders kept), the images in ``images/`` beside it, as
    ultralytics finds them, and ``data.yaml``."""

    def __init__(self, *args):
        super().__init__(*args)
        self.without_image = 0

    def add(self, sample: Sample, image: Path | None, sub: Path) -> list[Path]:
        out = self.target(self.dst / "labels" / sub / f"{sample.name}.txt", sample, image)
        self.warnings += write(
            out,
            sample.labels,
            self.labelset,
            tolerance=self.settings.tolerance,
            min_area=self.settings.min_area,
        )
        copy = (
            None if self.single else self.copy_image(image, self.dst / "images" / sub / sample.name, sample)
        )
        self.without_image += copy is None and not self.single
        return [out] + ([copy] if copy else [])

    def finish(self) -> list[Path]:
        if self.single:
            return self._data_yaml_beside()
        if self.without_image:
            self.warnings.append(
                f"{self.dst}: {self.without_image} label files have no image; "
                "YOLO needs each image in images/ under the same name"
            )
        return [write_data_yaml(self.dst, self.labelset)]

    def _data_yaml_beside(self) -> list[Path]:
        """One label file: ``data.yaml`` where ultralytics looks (beside ``labels/``, else
        beside the file), unless one is there; one with other class names is left as it is,
        and the export says that the class numbers follow this class list."""
        folder = self.dst.parent.parent if self.dst.parent.name == "labels" else self.dst.parent
        path = folder / "data.yaml"
        if not path.exists():
            return [write_data_yaml(folder, self.labelset)]
        try:
            same = read_names(path) == list(self.labelset.class_names)
        except FormatError:
            same = False
        if not same:
            self.warnings.append(
                f"{path}: left as it is, but its class names differ from "
                "these; the class numbers written follow these classes"
            )
        return []


def read_for_image(path: Path, labelset: LabelSet, image: Path) -> Sample:
    """One label file for a known image, wherever the file lies (sized as the image is
    shown, EXIF orientation applied); class names from a ``data.yaml`` near the file."""
    try:
        height, width = displayed_size(image)
    except ImageReadError as exc:
        raise FormatError(path, f"its image cannot be sized: {exc}") from None
    found = data_yaml(path)
    return read(path, labelset, height, width, read_names(found) if found else None)
