"""labelme JSON: one file per image, polygons painted in file order.

Written files open in labelme unchanged: ``version``, ``flags``, ``shapes`` (``label``,
``points``, ``group_id``, ``description``, ``shape_type``, ``flags``), ``imagePath`` relative
to the JSON file, ``imageData`` (null unless the image is embedded), ``imageHeight`` and
``imageWidth``. labelme polygons have no holes, so regions are written as shells in painter's
order (:mod:`srcrm.formats.layers`); unlabelled pieces inside holes are shapes labelled
``__ignore__``, labelme's own name for "no class".

Reading accepts polygon, rectangle, circle and mask shapes; shapes without area (points,
lines) are skipped. Later shapes are painted over earlier ones, as labelme does.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import cv2
import numpy as np
import shapely
from PIL import Image

from srcrm.data.labelsets import LabelSet
from srcrm.formats.classes import ClassLookup
from srcrm.formats.errors import FormatError
from srcrm.formats.layers import layers
from srcrm.formats.polygons import Coverage, mask_polygons
from srcrm.formats.reading import (
    Sample,
    checked_points,
    checked_polygon,
    image_size,
    load_json,
    paint,
)
from srcrm.io import atomic_write_text

VERSION = "5.5.0"
IGNORE_LABEL = "__ignore__"
NO_AREA = ("point", "points", "line", "linestrip")


def to_dict(coverage: Coverage, labelset: LabelSet, image_path: str,
            image_data: bytes | None = None) -> dict:
    """The labelme document of one image; ``image_path`` as labelme should store it."""
    names = labelset.class_names
    shapes = [{
        "label": IGNORE_LABEL if layer.class_id is None else names[layer.class_id],
        "points": layer.ring.astype(float).tolist(),
        "group_id": None,
        "description": "",
        "shape_type": "polygon",
        "flags": {},
    } for layer in layers(coverage)]
    return {
        "version": VERSION,
        "flags": {},
        "shapes": shapes,
        "imagePath": image_path,
        "imageData": None if image_data is None else base64.b64encode(image_data).decode(),
        "imageHeight": coverage.height,
        "imageWidth": coverage.width,
    }


def write(path: str | os.PathLike, coverage: Coverage, labelset: LabelSet,
          image: str | os.PathLike, *, embed_image: bool = False) -> None:
    """Write ``path`` for the image file ``image``, stored relative to the JSON's folder;
    ``embed_image`` puts the image's bytes in ``imageData`` as well."""
    path = Path(path)
    image_path = Path(os.path.relpath(Path(image).absolute(), path.absolute().parent)).as_posix()
    data = Path(image).read_bytes() if embed_image else None
    atomic_write_text(path, json.dumps(to_dict(coverage, labelset, image_path, data)))


def label_names(path: str | os.PathLike) -> list[str]:
    """The labels of a file's shapes in order of first use, to build a class list from."""
    doc = _document(path)
    return list(dict.fromkeys(str(s.get("label")) for s in doc["shapes"] if isinstance(s, dict)))


def read(path: str | os.PathLike, labelset: LabelSet) -> Sample:
    """The label map of a labelme file; :class:`FormatError` names the file and the shape for
    an unknown class, a shape outside the image, or a malformed file."""
    path = Path(path)
    doc = _document(path)
    height, width = _size(doc, path)
    lookup = ClassLookup(labelset)
    painted = []
    for i, shape in enumerate(doc["shapes"]):
        if not isinstance(shape, dict):
            raise FormatError(path, "is not an object", f"shape #{i}")
        label = shape.get("label")
        where = f"shape #{i} ({label})"
        if not isinstance(label, str):
            raise FormatError(path, "has no label", where)
        kind = shape.get("shape_type") or "polygon"
        if kind in NO_AREA:
            continue
        class_id = lookup.get(label)
        if class_id is None:
            raise FormatError(path, lookup.unknown_message(label), where)
        painted.append((class_id, _geometry(shape, kind, height, width, path, where)))
    labels = paint(painted, height, width, labelset.ignore_index, path)
    image = doc.get("imagePath")
    image_file = path.parent / image if isinstance(image, str) and image else None
    return Sample(path.stem, labels, image_file)


def _document(path: str | os.PathLike) -> dict:
    doc = load_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("shapes"), list):
        raise FormatError(path, "not a labelme file (no 'shapes' list)")
    return doc


def _size(doc: dict, path: Path) -> tuple[int, int]:
    """The image size from the file, else from the embedded image, else from the image file."""
    size = image_size(doc, ("imageHeight", "imageWidth"), path)
    if size is not None:
        return size
    if doc.get("imageData"):
        try:
            data = np.frombuffer(base64.b64decode(doc["imageData"]), np.uint8)
        except (TypeError, ValueError):
            raise FormatError(path, "imageData is not base64") from None
        image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
        if image is None:
            raise FormatError(path, "imageData is not an image")
        return image.shape[:2]
    image_path = doc.get("imagePath")
    if isinstance(image_path, str) and image_path:
        try:
            with Image.open(path.parent / image_path) as im:
                return im.height, im.width
        except OSError:
            pass
    raise FormatError(path, "image size unknown: no imageHeight/imageWidth, no imageData, "
                            "and the image at imagePath cannot be opened")


def _geometry(shape: dict, kind: str, height: int, width: int, path: Path,
              where: str) -> shapely.Geometry:
    points = shape.get("points")
    if kind == "polygon":
        return checked_polygon(points, height, width, path, where)
    if kind == "rectangle":
        (x0, y0), (x1, y1) = checked_points(points, height, width, path, where, min_points=2)[:2]
        return shapely.box(x0, y0, x1, y1)
    if kind == "circle":
        centre, rim = checked_points(points, height, width, path, where, min_points=2)[:2]
        return shapely.Point(centre).buffer(float(np.hypot(*(rim - centre))), quad_segs=16)
    if kind == "mask":
        return _mask_geometry(shape, height, width, path, where)
    raise FormatError(path, f"unsupported shape_type {kind!r}", where)


def _mask_geometry(shape: dict, height: int, width: int, path: Path,
                   where: str) -> shapely.Geometry:
    """labelme's mask shape: a PNG of the box from ``points[0]`` to ``points[1]`` inclusive."""
    (x0, y0), _ = checked_points(shape.get("points"), height, width, path, where,
                                 min_points=2)[:2].astype(int)
    try:
        data = np.frombuffer(base64.b64decode(shape.get("mask") or ""), np.uint8)
    except (TypeError, ValueError):
        raise FormatError(path, "mask is not base64", where) from None
    mask = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE) if data.size else None
    if mask is None:
        raise FormatError(path, "mask is not a PNG image", where)
    return shapely.transform(mask_polygons(mask > 0), lambda xy: xy + (x0, y0))
