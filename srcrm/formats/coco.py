"""COCO JSON: one file for many images, one annotation per connected region.

Hole-free regions are written as polygons; regions with holes, or all of them with
``rle=True``, as compressed RLE (:mod:`srcrm.formats.rle`), which pycocotools, detectron2 and
mmdetection read. Category ids are class id + 1 (COCO keeps 0 free). ``area`` is the region's
pixel count and ``bbox`` its ``[x, y, width, height]``; ``iscrowd`` is 0.

Reading accepts polygons and RLE (compressed or uncompressed) and matches categories to the
class list by name. Where annotations overlap, larger ones are painted first so smaller ones
stay on top. A bad annotation, or a ``file_name`` no file system can hold, fails its image
only; the other images are still read. Images are read one at a time and each annotation's
mask is made in its bounding box, so memory follows the largest image, not the file's size
in annotations.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path, PurePosixPath
from typing import TypeGuard

import numpy as np
import shapely

from srcrm.base.io import atomic_write
from srcrm.data.labelsets import LabelSet
from srcrm.formats import layout, rle
from srcrm.formats.classes import ClassLookup
from srcrm.formats.errors import FormatError, quoted
from srcrm.formats.jsonstream import StreamedJson
from srcrm.formats.polygons import Coverage, Region, polygonize
from srcrm.formats.rasterize import polygon_mask
from srcrm.formats.reading import (
    NAME_MAX,
    Sample,
    checked_points,
    coordinates,
    crossing_note,
    image_size,
    load_json,
    regular_file,
)

HEADER = {"info": {"description": "exported by SRCRM Studio"}, "licenses": []}


def to_dict(items: Iterable[tuple[str, Coverage]], labelset: LabelSet, *, rle_all: bool = False) -> dict:
    """The COCO document of ``(file_name, coverage)`` pairs, in memory (for a few images;
    :class:`CocoFile` streams many)."""
    images: list[dict] = []
    annotations: list[dict] = []
    for image_id, (file_name, coverage) in enumerate(items, start=1):
        images.append(_image_entry(image_id, file_name, coverage))
        for region in coverage.regions:
            annotations.append(
                {"id": len(annotations) + 1, "image_id": image_id, **_annotation(region, coverage, rle_all)}
            )
    return {**HEADER, "images": images, "annotations": annotations, "categories": categories(labelset)}


def categories(labelset: LabelSet) -> list[dict]:
    """COCO categories of a label set: id = class id + 1."""
    return [{"id": i + 1, "name": n, "supercategory": ""} for i, n in enumerate(labelset.class_names)]


def _image_entry(image_id: int, file_name: str, coverage: Coverage) -> dict:
    return {"id": image_id, "file_name": file_name, "height": coverage.height, "width": coverage.width}


class CocoFile:
    """A COCO file written image by image: each image's annotations go to disk as they are
    made (memory stays that of one image), the image list and categories at the end. Nothing
    replaces ``path`` until :meth:`close`; :meth:`abort` leaves it as it was."""

    def __init__(
        self, path: str | os.PathLike, labelset: LabelSet, *, rle_all: bool = False, head: dict | None = None
    ):
        """``head``: more top-level fields (a video export's ``videos`` list)."""
        self.path, self.labelset, self.rle_all = Path(path), labelset, rle_all
        self.images: list[dict] = []
        self._stack = contextlib.ExitStack()
        fh = self._stack.enter_context(atomic_write(self.path, "w"))
        self._out = StreamedJson(fh, HEADER | (head or {}), "annotations")

    def add(self, file_name: str, coverage: Coverage, **image_fields) -> None:
        """One image and its annotations; ``image_fields`` join its entry (``frame_id``, ...)."""
        image_id = len(self.images) + 1
        self.images.append(_image_entry(image_id, file_name, coverage) | image_fields)
        for region in coverage.regions:
            self._out.add(
                {
                    "id": self._out.count + 1,
                    "image_id": image_id,
                    **_annotation(region, coverage, self.rle_all),
                }
            )

    def close(self) -> None:
        self._out.close({"images": self.images, "categories": categories(self.labelset)})
        self._stack.close()

    def abort(self) -> None:
        self._stack.__exit__(RuntimeError, RuntimeError("aborted"), None)


def write(
    path: str | os.PathLike,
    items: Iterable[tuple[str, Coverage]],
    labelset: LabelSet,
    *,
    rle_all: bool = False,
) -> None:
    """The COCO file of ``(file_name, coverage)`` pairs."""
    out = CocoFile(path, labelset, rle_all=rle_all)
    try:
        for file_name, coverage in items:
            out.add(file_name, coverage)
    except BaseException:
        out.abort()
        raise
    out.close()


def _annotation(region: Region, coverage: Coverage, rle_all: bool) -> dict:
    polygon = region.polygon
    x0, y0, x1, y1 = polygon.bounds
    fields = {"category_id": region.class_id + 1, "iscrowd": 0, "bbox": [x0, y0, x1 - x0, y1 - y0]}
    if rle_all or polygon.interiors:
        left, top = math.floor(x0), math.floor(y0)
        right, bottom = min(math.ceil(x1), coverage.width), min(math.ceil(y1), coverage.height)
        crop = polygon_mask(
            shapely.transform(polygon, lambda xy: xy - (left, top)), bottom - top, right - left
        )
        counts = rle.encode_crop(crop, top, left, coverage.height, coverage.width)
        return {
            **fields,
            "area": int(crop.sum()),
            "segmentation": {"size": [coverage.height, coverage.width], "counts": rle.to_string(counts)},
        }
    ring = shapely.get_coordinates(polygon.exterior)[:-1]
    return {**fields, "area": float(polygon.area), "segmentation": [ring.ravel().tolist()]}


def category_names(path: str | os.PathLike) -> list[str]:
    """The category names of a COCO file in id order, to build a class list from."""
    return [name for _, name in sorted(_categories(load_json(path), path).items())]


def source_files(folder: Path) -> list[Path]:
    """The ``annotations/instances_*.json`` of the layout, else every JSON file."""
    files = sorted(folder.glob("annotations/instances_*.json"))
    return files or sorted(p for p in folder.rglob("*.json") if p.is_file())


def class_names(root: Path, files: list[Path]) -> list[str]:
    """The categories the files declare, in id order (those of later files appended)."""
    names: dict[str, None] = {}
    for path in files:
        try:
            names.update(dict.fromkeys(category_names(path)))
        except FormatError:
            continue  # reported when the file is read
    return list(names)


def read_all(path: Path, labelset: LabelSet):
    """Each image of a COCO file as soon as it is painted, or the error that stopped it (or
    the whole file)."""
    try:
        yield from _read(Path(path), labelset)
    except FormatError as exc:
        yield exc


def read(path: str | os.PathLike, labelset: LabelSet) -> tuple[list[Sample], list[FormatError]]:
    """The label map of every image in a COCO file, and an error for each image that failed.
    A file that is not COCO at all raises :class:`FormatError`."""
    samples: list[Sample] = []
    errors: list[FormatError] = []
    for item in _read(Path(path), labelset):
        if isinstance(item, FormatError):
            errors.append(item)
        else:
            samples.append(item)
    return samples, errors


def _read(path: Path, labelset: LabelSet) -> Iterator[Sample | FormatError]:
    """The images of a COCO file one at a time, each image's errors before it. Annotations
    are first grouped by image (a reference to each, nothing drawn), then each image is
    painted and handed on: memory is that of one image, whatever the number of images and
    annotations."""
    doc = load_json(path)
    categories = _categories(doc, path)
    images, errors = _images(doc, path)
    annotations = doc.get("annotations")
    if not isinstance(annotations, list):
        raise FormatError(path, "not a COCO file (no 'annotations' list)")
    yield from errors
    unusable = {
        im.get("id") for im in doc["images"] if isinstance(im, dict) and isinstance(im.get("id"), int)
    } - set(images)
    of_image: dict[int, list[tuple[str, dict]]] = {i: [] for i in images}
    for n, ann in enumerate(annotations):
        if not isinstance(ann, dict):
            yield FormatError(path, "is not an object", f"annotation #{n}")
            continue
        ann_id = ann.get("id")
        short = isinstance(ann_id, int | str) and len(str(ann_id)) <= 40  # a hostile id is long
        where = f"annotation {ann_id}" if short else f"annotation #{n}"
        image_id = ann.get("image_id")
        if _is_int(image_id) and image_id in unusable:
            continue  # its image is reported already
        if not _is_int(image_id) or image_id not in images:
            yield FormatError(
                path, f"refers to image id {quoted(image_id)}, which the file does not list", where
            )
            continue
        of_image[image_id].append((where, ann))
    lookup = ClassLookup(labelset)
    for image_id, (file_name, height, width) in images.items():
        try:
            labels, notes = _paint(
                of_image.pop(image_id), categories, lookup, (height, width), labelset, path
            )
        except FormatError as exc:
            yield exc
            continue
        name = _name(file_name)
        assert name is not None  # _images left out the file_names that name no file
        yield Sample(name, labels, image_file(path, file_name), tuple(notes))


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _paint(
    annotations: list[tuple[str, dict]],
    categories: dict[int, str],
    lookup: ClassLookup,
    size: tuple[int, int],
    labelset: LabelSet,
    path: Path,
) -> tuple[np.ndarray, list[str]]:
    """One image's label map, its annotations laid as pycocotools' masks are: larger ones
    first, so smaller ones stay on top (equal areas in file order); and what was unusual.

    Each mask is made in its bounding box, once to measure its area and once to paint it,
    unless it is kept in between: masks are kept while together they are no larger than the
    label map. Memory is therefore about three label maps, however many annotations there are
    (a mask per annotation took 8 GB for 20 triangles on a 14000x14000 image)."""
    notes: list[str] = []
    made = []
    room = size[0] * size[1]
    for where, ann in annotations:
        class_id, mask_of = _shape(ann, categories, lookup, size, path, where, notes)
        top, left, mask = mask_of()
        keep = mask.size <= room
        room -= mask.size if keep else 0
        made.append((int(np.count_nonzero(mask)), class_id, mask_of, (top, left, mask) if keep else None))
        del mask  # before the next one is made
    labels = np.full(size, labelset.ignore_index, np.uint8)
    for _, class_id, mask_of, box in sorted(made, key=lambda m: -m[0]):
        top, left, mask = box or mask_of()
        labels[top : top + mask.shape[0], left : left + mask.shape[1]][mask] = class_id
        del mask
    return labels, notes


def image_file(path: Path, file_name: str) -> Path | None:
    """The image a COCO file names, where it exists: beside the file, or in the ``images``
    folder of the ``annotations/instances_*.json`` layout."""
    relative = _relative(file_name)
    for folder in (path.parent, path.parent / "images", path.parent.parent / "images"):
        candidate = folder / relative
        if relative.name and regular_file(candidate):
            return candidate
    return None


def _relative(file_name: str) -> PurePosixPath:
    """A ``file_name`` as a path inside the dataset: its sub-folders are kept unless it climbs
    out (``..``) or is absolute, so nothing named after it lands outside its folder."""
    path = PurePosixPath(file_name.replace("\\", "/"))
    return PurePosixPath(path.name) if path.is_absolute() or ".." in path.parts else path


def _name(file_name: str) -> str | None:
    """The sample name of a ``file_name`` (:func:`_relative`, without the suffix); None for
    a name that names no file (empty, ``.``, ``/``)."""
    path = _relative(file_name)
    if not path.name or path.name in (".", ".."):
        return None
    return str(path.with_suffix("")) if path.stem else str(path)


def _name_problem(file_name: str) -> str | None:
    """Why a ``file_name`` can be no file's name (its image is then left out, the others
    read), or None: a NUL byte or a part longer than file systems allow would otherwise fail
    the whole conversion where the image is looked for or its labels written."""
    try:
        os.fsencode(file_name)
    except UnicodeEncodeError:
        return "has a file_name that is not valid text"
    if "\0" in file_name:
        return "has a NUL byte in its file_name, which no file name can hold"
    if any(len(os.fsencode(part)) > NAME_MAX for part in _relative(file_name).parts):
        return f"has a file_name with a part longer than {NAME_MAX} bytes, more than file systems allow"
    return None if _name(file_name) is not None else "has no usable file_name"


def _categories(doc: object, path: str | os.PathLike) -> dict[int, str]:
    if not isinstance(doc, dict) or not isinstance(doc.get("categories"), list):
        raise FormatError(path, "not a COCO file (no 'categories' list)")
    out = {}
    for c in doc["categories"]:
        if not (isinstance(c, dict) and isinstance(c.get("id"), int) and isinstance(c.get("name"), str)):
            raise FormatError(path, f"a category needs an integer 'id' and a 'name': {quoted(c)}")
        out[c["id"]] = c["name"]
    return out


def _images(doc: dict, path: Path) -> tuple[dict[int, tuple[str, int, int]], list[FormatError]]:
    """The file's images by id, and an error for each image entry that cannot be used (the
    others are still read): malformed, a repeated id, or a name that is no file's name."""
    if not isinstance(doc.get("images"), list):
        raise FormatError(path, "not a COCO file (no 'images' list)")
    out: dict[int, tuple[str, int, int]] = {}
    errors, repeated = [], set()
    for n, im in enumerate(doc["images"]):
        where = f"image #{n}"
        if not (
            isinstance(im, dict) and isinstance(im.get("id"), int) and isinstance(im.get("file_name"), str)
        ):
            errors.append(FormatError(path, "needs an integer 'id' and a 'file_name'", where))
            continue
        where = f"image {quoted(im['file_name'])}"
        if im["id"] in out or im["id"] in repeated:
            repeated.add(im["id"])
            errors.append(
                FormatError(
                    path,
                    "repeats an image id, so its annotations cannot be told apart from the other image's",
                    where,
                )
            )
            continue
        problem = _name_problem(im["file_name"])
        if problem:
            errors.append(FormatError(path, problem, where))
            continue
        try:
            size = image_size(im, ("height", "width"), path)
        except FormatError as exc:
            errors.append(FormatError(path, exc.reason, where))
            continue
        if size is None:
            errors.append(FormatError(path, "has no height and width", where))
            continue
        out[im["id"]] = (im["file_name"], *size)
    for image_id in repeated:  # neither of two images with one id can be trusted
        file_name = out.pop(image_id, ("?",))[0]
        errors.append(
            FormatError(
                path,
                "repeats an image id, so its annotations cannot be told apart from the other image's",
                f"image {quoted(image_id)} ({quoted(file_name)})",
            )
        )
    return out, errors


def _shape(
    ann: dict,
    categories: dict[int, str],
    lookup: ClassLookup,
    size: tuple[int, int],
    path: Path,
    where: str,
    notes: list[str],
) -> tuple[int, Callable[[], tuple[int, int, np.ndarray]]]:
    """The class of one annotation and how to make its mask (top row, first column, the mask
    of its box) as pycocotools' ``annToMask`` paints it; what was unusual goes to ``notes``."""
    category = ann.get("category_id")
    name = categories.get(category) if _is_int(category) else None
    if name is None:
        raise FormatError(path, f"category id {quoted(category)} is not in 'categories'", where)
    class_id = lookup.get(name)
    if class_id is None:
        raise FormatError(path, lookup.unknown_message(name), where)
    height, width = size
    segmentation = ann.get("segmentation")
    if not isinstance(segmentation, list):
        return class_id, partial(_rle_mask, segmentation, size, path, where)
    parts = []
    for p in segmentation:
        flat = coordinates(p, path, where) if isinstance(p, list) else None
        if flat is None or flat.ndim != 1 or len(flat) % 2:
            raise FormatError(
                path, "a polygon must be a flat list [x1, y1, x2, y2, ...] of even length", where
            )
        points = checked_points(flat.reshape(-1, 2), height, width, path, where)
        problem = crossing_note(points)
        if problem:
            notes.append(f"{path}: {where}: {problem}, as pycocotools fills it")
        parts.append(points)
    return class_id, partial(_union, parts, height, width)


def _union(parts: list[np.ndarray], height: int, width: int) -> tuple[int, int, np.ndarray]:
    """The pixels of an annotation's polygons together (pycocotools merges them), in the box
    around them all."""
    top = left = 0
    mask = np.zeros((0, 0), bool)
    for part in parts:
        t, lf, m = rle.from_polygon(part, height, width)
        if not m.size:
            continue
        if mask.size:
            union_top, union_left = min(top, t), min(left, lf)
            bottom = max(top + mask.shape[0], t + m.shape[0])
            right = max(left + mask.shape[1], lf + m.shape[1])
            union = np.zeros((bottom - union_top, right - union_left), bool)
            for y, x, piece in ((top, left, mask), (t, lf, m)):
                y, x = y - union_top, x - union_left
                union[y : y + piece.shape[0], x : x + piece.shape[1]] |= piece
            t, lf, m = union_top, union_left, union
        top, left, mask = t, lf, m
    return top, left, mask


def _rle_mask(
    segmentation: object, size: tuple[int, int], path: Path, where: str
) -> tuple[int, int, np.ndarray]:
    """An RLE annotation's mask, cut to the box around its pixels."""
    declared = segmentation.get("size") if isinstance(segmentation, dict) else None
    if isinstance(declared, list) and len(declared) == 2 and declared != list(size):
        raise FormatError(path, f"RLE size {quoted(declared)} is not the image's {list(size)}", where)
    try:
        mask = rle.from_coco(segmentation)
    except ValueError as exc:
        raise FormatError(path, f"bad RLE segmentation: {exc}", where) from None
    rows, columns = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if not len(rows):
        return 0, 0, np.zeros((0, 0), bool)
    box = mask[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]
    return int(rows[0]), int(columns[0]), np.ascontiguousarray(box)


class Export(layout.Export):
    """``annotations/instances_<subset>.json`` and the images in ``images/``, as datumaro
    and CVAT look for them; or the one JSON file ``dst``, whose ``file_name`` entries then
    point at the images where they are."""

    def __init__(self, *args):
        super().__init__(*args)
        self.path = (
            self.dst if self.single else self.dst / "annotations" / f"instances_{self.settings.subset}.json"
        )
        self.file = CocoFile(self.path, self.labelset, rle_all=self.settings.rle_all)
        self.without_image = 0

    def add(self, sample: Sample, image: Path | None, sub: Path) -> list[Path]:
        images = self.dst / "images"
        copy = None if self.single else self.copy_image(image, images / sub / sample.name, sample)
        if copy is not None:
            file_name = copy.relative_to(images).as_posix()
        elif image is not None and self.single:
            relative = Path(os.path.relpath(image.absolute(), self.path.absolute().parent))
            file_name = image.name if ".." in relative.parts else relative.as_posix()
        else:
            file_name = (sub / f"{sample.name}{image.suffix if image else '.png'}").as_posix()
            self.without_image += image is None
        self.file.add(
            file_name,
            polygonize(
                sample.labels,
                self.labelset.num_classes,
                tolerance=self.settings.tolerance,
                min_area=self.settings.min_area,
            ),
        )
        return [copy] if copy else []

    def finish(self) -> list[Path]:
        self.file.close()
        if self.without_image:
            self.warnings.append(
                f"{self.path}: {self.without_image} images are not known; their "
                "file_name is NAME.png, to be put in images/"
            )
        return [self.path]

    def abort(self) -> None:
        self.file.abort()
