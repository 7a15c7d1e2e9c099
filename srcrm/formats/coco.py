"""COCO JSON: one file for many images, one annotation per connected region.

Hole-free regions are written as polygons; regions with holes, or all of them with
``rle=True``, as compressed RLE (:mod:`srcrm.formats.rle`), which pycocotools, detectron2 and
mmdetection read. Category ids are class id + 1 (COCO keeps 0 free). ``area`` is the region's
pixel count and ``bbox`` its ``[x, y, width, height]``; ``iscrowd`` is 0.

Reading accepts polygons and RLE (compressed or uncompressed) and matches categories to the
class list by name. Where annotations overlap, larger ones are painted first so smaller ones
stay on top. A bad annotation fails its image only; the other images are still read.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

import numpy as np
import shapely

from srcrm.data.labelsets import LabelSet
from srcrm.formats import rle
from srcrm.formats.classes import ClassLookup
from srcrm.formats.errors import FormatError
from srcrm.formats.polygons import Coverage, Region, mask_polygons
from srcrm.formats.rasterize import polygon_mask
from srcrm.formats.reading import Sample, checked_polygon, image_size, load_json, paint
from srcrm.io import atomic_write_text


def to_dict(items: Iterable[tuple[str, Coverage]], labelset: LabelSet, *,
            rle_all: bool = False) -> dict:
    """The COCO document of ``(file_name, coverage)`` pairs."""
    images, annotations = [], []
    for image_id, (file_name, coverage) in enumerate(items, start=1):
        images.append({"id": image_id, "file_name": file_name, "height": coverage.height,
                       "width": coverage.width})
        for region in coverage.regions:
            annotations.append({"id": len(annotations) + 1, "image_id": image_id,
                                **_annotation(region, coverage, rle_all)})
    categories = [{"id": i + 1, "name": n, "supercategory": ""}
                  for i, n in enumerate(labelset.class_names)]
    return {"info": {"description": "exported by SRCRM Studio"}, "licenses": [],
            "images": images, "annotations": annotations, "categories": categories}


def write(path: str | os.PathLike, items: Iterable[tuple[str, Coverage]], labelset: LabelSet,
          *, rle_all: bool = False) -> None:
    atomic_write_text(path, json.dumps(to_dict(items, labelset, rle_all=rle_all)))


def _annotation(region: Region, coverage: Coverage, rle_all: bool) -> dict:
    polygon = region.polygon
    x0, y0, x1, y1 = polygon.bounds
    fields = {"category_id": region.class_id + 1, "iscrowd": 0, "bbox": [x0, y0, x1 - x0, y1 - y0]}
    if rle_all or polygon.interiors:
        left, top = math.floor(x0), math.floor(y0)
        right, bottom = min(math.ceil(x1), coverage.width), min(math.ceil(y1), coverage.height)
        crop = polygon_mask(shapely.transform(polygon, lambda xy: xy - (left, top)),
                            bottom - top, right - left)
        counts = rle.encode_crop(crop, top, left, coverage.height, coverage.width)
        return {**fields, "area": int(crop.sum()),
                "segmentation": {"size": [coverage.height, coverage.width],
                                 "counts": rle.to_string(counts)}}
    ring = shapely.get_coordinates(polygon.exterior)[:-1]
    return {**fields, "area": float(polygon.area), "segmentation": [ring.ravel().tolist()]}


def category_names(path: str | os.PathLike) -> list[str]:
    """The category names of a COCO file in id order, to build a class list from."""
    return [name for _, name in sorted(_categories(load_json(path), path).items())]


def read(path: str | os.PathLike, labelset: LabelSet) -> tuple[list[Sample], list[FormatError]]:
    """The label map of every image in a COCO file, and an error for each image that failed.
    A file that is not COCO at all raises :class:`FormatError`."""
    path = Path(path)
    doc = load_json(path)
    categories = _categories(doc, path)
    images = _images(doc, path)
    annotations = doc.get("annotations")
    if not isinstance(annotations, list):
        raise FormatError(path, "not a COCO file (no 'annotations' list)")
    lookup = ClassLookup(labelset)
    shapes: dict[int, list[tuple[float, int, shapely.Geometry]]] = {i: [] for i in images}
    failed: dict[int, FormatError] = {}
    errors = []
    for n, ann in enumerate(annotations):
        if not isinstance(ann, dict):
            errors.append(FormatError(path, "is not an object", f"annotation #{n}"))
            continue
        where = f"annotation {ann.get('id', f'#{n}')}"
        image_id = ann.get("image_id")
        if image_id not in images:
            errors.append(FormatError(path, f"refers to image id {image_id!r}, which the file "
                                            "does not list", where))
            continue
        if image_id in failed:
            continue
        try:
            shapes[image_id].extend(_shapes(ann, categories, lookup, images[image_id], path, where))
        except FormatError as exc:
            failed[image_id] = exc
    samples = []
    for image_id, (file_name, height, width) in images.items():
        if image_id in failed:
            errors.append(failed[image_id])
            continue
        ordered = sorted(shapes[image_id], key=lambda s: -s[0])
        try:
            labels = paint([(c, g) for _, c, g in ordered], height, width,
                           labelset.ignore_index, path)
        except FormatError as exc:
            errors.append(FormatError(path, exc.reason, f"image {file_name!r}"))
            continue
        image = path.parent / file_name
        samples.append(Sample(_name(file_name), labels, image if image.is_file() else None))
    return samples, errors


def _name(file_name: str) -> str:
    """The sample name of a ``file_name``: its sub-folders are kept unless it climbs out of
    the dataset (``..``) or is absolute, so outputs named after it stay in their folder."""
    path = PurePosixPath(file_name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts:
        path = PurePosixPath(path.name)
    return str(path.with_suffix(""))


def _categories(doc: object, path: str | os.PathLike) -> dict[int, str]:
    if not isinstance(doc, dict) or not isinstance(doc.get("categories"), list):
        raise FormatError(path, "not a COCO file (no 'categories' list)")
    out = {}
    for c in doc["categories"]:
        if not (isinstance(c, dict) and isinstance(c.get("id"), int)
                and isinstance(c.get("name"), str)):
            raise FormatError(path, f"a category needs an integer 'id' and a 'name': {c!r}")
        out[c["id"]] = c["name"]
    return out


def _images(doc: dict, path: Path) -> dict[int, tuple[str, int, int]]:
    if not isinstance(doc.get("images"), list):
        raise FormatError(path, "not a COCO file (no 'images' list)")
    out = {}
    for im in doc["images"]:
        if not (isinstance(im, dict) and isinstance(im.get("id"), int)
                and isinstance(im.get("file_name"), str)):
            raise FormatError(path, f"an image needs an integer 'id' and a 'file_name': {im!r}")
        size = image_size(im, ("height", "width"), path)
        if size is None:
            raise FormatError(path, f"image {im['file_name']!r} has no height and width")
        out[im["id"]] = (im["file_name"], *size)
    return out


def _shapes(ann: dict, categories: dict[int, str], lookup: ClassLookup,
            image: tuple[str, int, int], path: Path, where: str):
    """``(area, class_id, geometry)`` for each part of one annotation."""
    name = categories.get(ann.get("category_id"))
    if name is None:
        raise FormatError(path, f"category id {ann.get('category_id')!r} is not in "
                                "'categories'", where)
    class_id = lookup.get(name)
    if class_id is None:
        raise FormatError(path, lookup.unknown_message(name), where)
    _, height, width = image
    segmentation = ann.get("segmentation")
    if isinstance(segmentation, list):
        parts = [checked_polygon(np.reshape(_numbers(p, path, where), (-1, 2)), height, width,
                                 path, where) for p in segmentation]
        # Parts are painted one by one: their union, as pycocotools merges them.
        return [(float(shapely.area(parts).sum()), class_id, p) for p in parts]
    try:
        mask = rle.from_coco(segmentation)
    except ValueError as exc:
        raise FormatError(path, f"bad RLE segmentation: {exc}", where) from None
    if mask.shape != (height, width):
        raise FormatError(path, f"RLE size {list(mask.shape)} is not the image's "
                                f"[{height}, {width}]", where)
    return [(float(mask.sum()), class_id, mask_polygons(mask))]


def _numbers(values: object, path: Path, where: str) -> np.ndarray:
    if not isinstance(values, list) or len(values) % 2:
        raise FormatError(path, "a polygon must be a flat list [x1, y1, x2, y2, ...] of even "
                                "length", where)
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise FormatError(path, "polygon coordinates must be numbers", where) from None
