"""labelme JSON: one file per image, shapes painted in file order as labelme paints them.

Written files open in labelme unchanged: ``version``, ``flags``, ``shapes`` (``label``,
``points``, ``group_id``, ``description``, ``shape_type``, ``flags``), ``imagePath`` relative
to the JSON file, ``imageData`` (null unless the image is embedded), ``imageHeight`` and
``imageWidth``. Polygons are :mod:`srcrm.formats.outlines`: integer points on pixel centres,
largest first, so labelme's ``shapes_to_label`` (Pillow, edges included) gives back the label
map pixel for pixel. Unlabelled pieces are shapes labelled ``__ignore__``, labelme's own name
for "no class" (its unpainted pixels are class 0, ``_background_``).

Where the class list has labelme's ``_background_`` (its ``labels.txt`` does), the pixels no
shape covers are that class and ``__ignore__`` shapes are unlabelled, kept apart as labelme2voc
keeps 0 and 255; without it, both are unlabelled. A file without shapes is an unlabelled image.

Reading paints each shape with Pillow exactly as labelme's ``shape_to_mask`` does: polygons
(also self-touching or self-intersecting ones, Pillow's even-odd fill), oriented rectangles,
rectangles and circles with their outline, lines and line strips 10 pixels wide, points as
discs of radius 5, and masks; later shapes over earlier ones. What is unusual is returned as a
warning with the shape named. A file without its size is sized by its image only where
``imagePath`` is a regular file inside the file's folder.
"""

from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from srcrm.base.io import ImageReadError, atomic_write, displayed_size
from srcrm.base.limits import ImageTooLarge, check_image_size
from srcrm.data.labelsets import LabelSet
from srcrm.formats import layout
from srcrm.formats.classes import BACKGROUND, IGNORE, ClassLookup
from srcrm.formats.errors import FormatError, quoted
from srcrm.formats.jsonstream import StreamedJson
from srcrm.formats.outlines import UNLABELLED, Outlines, outline
from srcrm.formats.reading import (
    Sample,
    checked_points,
    crossing_note,
    declared_classes,
    image_size,
    load_json,
    regular_file,
    used_classes,
    within,
)

VERSION = "5.5.0"
LINE_WIDTH, POINT_SIZE = 10, 5  # labelme's defaults for painting lines and points
# Shapes labelme paints with little or no area: painted, but worth a warning.
THIN = {
    "line": f"a line, painted {LINE_WIDTH} pixels wide",
    "linestrip": f"a line strip, painted {LINE_WIDTH} pixels wide",
    "point": f"a point, painted as a disc of radius {POINT_SIZE}",
}


def write(
    path: str | os.PathLike,
    labels: np.ndarray,
    labelset: LabelSet,
    image: str | os.PathLike | None,
    *,
    tolerance: float = 0.0,
    min_area: float = 0.0,
    embed_image: bool = False,
) -> list[str]:
    """Write ``path`` for the label map of ``image`` (stored relative to the JSON's folder);
    ``embed_image`` puts the image's bytes in ``imageData`` as well. Returns warnings: without
    an image, labelme cannot open the file until one is put at ``imagePath``."""
    path = Path(path)
    warnings = []
    if image is None:
        image = path.with_suffix(".png")
        warnings.append(
            f"{path}: no image is known for it; labelme opens it only once the "
            f"image is at {image.name} beside it"
        )
    image_path = Path(os.path.relpath(Path(image).absolute(), path.absolute().parent)).as_posix()
    data = Path(image).read_bytes() if embed_image else None
    shapes = outline(
        labels, labelset.num_classes, tolerance=tolerance, min_area=min_area, every_unlabelled=True
    )
    write_outlines(path, shapes, labelset, image_path, data)
    return warnings


def write_outlines(
    path: str | os.PathLike,
    shapes: Outlines,
    labelset: LabelSet,
    image_path: str,
    image_data: bytes | None = None,
) -> None:
    """The labelme file of traced outlines, one shape at a time."""
    labels = {i: json.dumps(n) for i, n in enumerate(labelset.class_names)}
    labels[UNLABELLED] = json.dumps(IGNORE)
    with atomic_write(path, "w") as fh:
        out = StreamedJson(fh, {"version": VERSION, "flags": {}}, "shapes")
        for class_id, ring in shapes:
            out.add_encoded(
                f'{{"label": {labels[class_id]}, "points": {json.dumps(ring.tolist())}'
                ', "group_id": null, "description": "", "shape_type": "polygon", '
                '"flags": {}}'
            )
        out.close(
            {
                "imagePath": image_path,
                "imageData": None if image_data is None else base64.b64encode(image_data).decode(),
                "imageHeight": shapes.height,
                "imageWidth": shapes.width,
            }
        )


def source_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.json") if p.is_file())


def class_names(root: Path, files: list[Path]) -> list[str]:
    """The folder's class list: its ``classes.txt`` or labelme's ``labels.txt``, else every
    label the files use, sorted."""
    return declared_classes(root) or used_classes(files, label_names)


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
    background = lookup.get(BACKGROUND)
    canvas = Image.new("L", (width, height), labelset.ignore_index if background is None else background)
    draw = ImageDraw.Draw(canvas)
    warnings = []
    for i, shape in enumerate(doc["shapes"]):
        if not isinstance(shape, dict):
            raise FormatError(path, "is not an object", f"shape #{i}")
        label = shape.get("label")
        where = f"shape #{i} ({label})"
        if not isinstance(label, str):
            raise FormatError(path, "has no label", where)
        kind = shape.get("shape_type") or "polygon"
        class_id = lookup.get(label)
        if class_id is None:
            raise FormatError(path, lookup.unknown_message(label), where)
        if kind == "mask":
            canvas = _paste_mask(canvas, shape, class_id, path, where)
            draw = ImageDraw.Draw(canvas)
            continue
        note = _draw(draw, kind, shape.get("points"), class_id, (height, width), path, where)
        if note:
            warnings.append(f"{path}: {where}: {note}")
    image = doc.get("imagePath")
    image_file = path.parent / image if isinstance(image, str) and image else None
    return Sample(path.stem, np.asarray(canvas), image_file, tuple(warnings))


def _document(path: str | os.PathLike) -> dict:
    doc = load_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("shapes"), list):
        raise FormatError(path, "not a labelme file (no 'shapes' list)")
    return doc


def _size(doc: dict, path: Path) -> tuple[int, int]:
    """The image size from the file, else from the embedded image, else from the image file;
    checked against :mod:`srcrm.base.limits` before anything of that size is made."""
    size = image_size(doc, ("imageHeight", "imageWidth"), path)
    if size is not None:
        return size
    if doc.get("imageData"):
        try:
            data = np.frombuffer(base64.b64decode(doc["imageData"]), np.uint8)
        except (TypeError, ValueError):
            raise FormatError(path, "imageData is not base64") from None
        header = _png_or_jpeg_size(data)
        if header is not None:
            _check(header, path)
        image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
        if image is None:
            raise FormatError(path, "imageData is not an image")
        return image.shape[:2]
    image_path = doc.get("imagePath")
    unknown = "image size unknown: no imageHeight/imageWidth, no imageData, and"
    if isinstance(image_path, str) and image_path:
        image_file = path.parent / image_path
        if not within(image_file, path.parent):
            raise FormatError(
                path,
                f"{unknown} imagePath {quoted(image_path)} is not a file inside its folder, "
                "so it is not read",
            )
        if regular_file(image_file):
            try:
                return displayed_size(image_file)
            except ImageReadError as exc:
                if "refused" in str(exc):
                    raise FormatError(path, str(exc)) from None
    raise FormatError(path, f"{unknown} the image at imagePath cannot be opened")


def _png_or_jpeg_size(data: np.ndarray) -> tuple[int, int] | None:
    """(height, width) from an embedded image's header, without decoding it."""
    try:
        with Image.open(io.BytesIO(data.tobytes())) as im:
            return im.height, im.width
    except (Image.DecompressionBombError, OSError, ValueError, SyntaxError):
        return None


def _check(size: tuple[int, int], path: Path) -> None:
    try:
        check_image_size(size[1], size[0], "the embedded image")
    except ImageTooLarge as exc:
        raise FormatError(path, str(exc)) from None


def _draw(
    draw: ImageDraw.ImageDraw, kind: str, points, class_id: int, size: tuple[int, int], path: Path, where: str
) -> str | None:
    """Paint one shape as labelme's ``shape_to_mask`` does; what was unusual, or None."""
    height, width = size
    need = {"circle": 2, "rectangle": 2, "line": 2, "point": 1, "oriented_rectangle": 4}
    if kind not in (*need, "linestrip", "polygon"):
        raise FormatError(path, f"unsupported shape_type {kind!r}", where)
    pts = checked_points(
        points,
        height,
        width,
        path,
        where,
        min_points={"polygon": 3, "linestrip": 1}.get(kind, need.get(kind, 1)),
        ring=kind != "linestrip",
    )
    if kind in need and len(pts) != need[kind]:
        raise FormatError(path, f"a {kind} needs {need[kind]} points, has {len(pts)}", where)
    xy = [tuple(p) for p in pts.tolist()]
    if kind == "circle":
        (cx, cy), (px, py) = xy
        r = float(np.hypot(cx - px, cy - py))
        draw.ellipse(((cx - r, cy - r), (cx + r, cy + r)), outline=class_id, fill=class_id)
    elif kind == "rectangle":
        (x0, y0), (x1, y1) = xy
        draw.rectangle(
            ((min(x0, x1), min(y0, y1)), (max(x0, x1), max(y0, y1))), outline=class_id, fill=class_id
        )
    elif kind in ("line", "linestrip"):
        draw.line(xy, fill=class_id, width=LINE_WIDTH)
    elif kind == "point":
        ((cx, cy),) = xy
        draw.ellipse(
            ((cx - POINT_SIZE, cy - POINT_SIZE), (cx + POINT_SIZE, cy + POINT_SIZE)),
            outline=class_id,
            fill=class_id,
        )
    else:  # polygon, oriented_rectangle
        draw.polygon(xy, outline=class_id, fill=class_id)
        note = crossing_note(pts)
        if note:
            return f"{note}, as labelme paints it"
    return THIN.get(kind)


def _paste_mask(canvas: Image.Image, shape: dict, class_id: int, path: Path, where: str) -> Image.Image:
    """labelme's mask shape: a PNG of the box from ``points[0]`` to ``points[1]`` inclusive,
    whose set pixels take the class."""
    height, width = canvas.height, canvas.width
    (x0, y0), _ = checked_points(shape.get("points"), height, width, path, where, min_points=2)[:2].astype(
        int
    )
    try:
        data = np.frombuffer(base64.b64decode(shape.get("mask") or ""), np.uint8)
    except (TypeError, ValueError):
        raise FormatError(path, "mask is not base64", where) from None
    size = _png_or_jpeg_size(data) if data.size else None
    if size is not None:
        _check(size, path)
    mask = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE) if data.size else None
    if mask is None:
        raise FormatError(path, "mask is not a PNG image", where)
    labels = np.array(canvas)
    x0, y0 = max(x0, 0), max(y0, 0)
    box = labels[y0 : y0 + mask.shape[0], x0 : x0 + mask.shape[1]]
    box[mask[: box.shape[0], : box.shape[1]] > 0] = class_id
    return Image.fromarray(labels)


class Export(layout.Export):
    """labelme files in the source's sub-folders, each image copied beside its file so that
    labelme finds it at ``imagePath``, and ``classes.txt``."""

    def add(self, sample: Sample, image: Path | None, sub: Path) -> list[Path]:
        out = self.target(self.dst / sub / f"{sample.name}.json", sample, image)
        copy = None if self.single else self.copy_image(image, out.with_suffix(""), sample)
        self.warnings += write(
            out,
            sample.labels,
            self.labelset,
            copy or image,
            tolerance=self.settings.tolerance,
            min_area=self.settings.min_area,
            embed_image=self.settings.embed_image and image is not None,
        )
        return [out] + ([copy] if copy else [])

    def finish(self) -> list[Path]:
        return [] if self.single else [self.write_classes(self.dst)]
