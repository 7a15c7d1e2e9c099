"""What the readers share: the :class:`Sample` they return, the checks every polygon read
from a file must pass before it is painted (numbers that are coordinates, at most
:data:`MAX_POINTS` points, inside the image, an outline no longer than its box allows), and
where a dataset's files may be read from."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np
import shapely

from srcrm.base import jsonio
from srcrm.base.limits import ImageTooLarge, check_image_size
from srcrm.base.suffixes import IMAGE_SUFFIXES
from srcrm.formats.classes import UNLABELLED_NAMES, class_ids, name_key, read_class_list
from srcrm.formats.errors import FormatError

CLASS_FILES = ("classes.txt", "labels.txt")  # ours and CamVid's; labelme's labels.txt
MAX_POINTS = 1_000_000  # per shape: more is a broken or hostile file, not an annotation
OUTSIDE_SLACK = 1.0  # pixels a point may stray past the image frame (rounding in other tools)
NAME_MAX = 255  # bytes in one file or folder name, on Linux, macOS and Windows alike


@dataclass(frozen=True)
class Sample:
    """One image's labels as read from a file.

    ``name`` is the image's name without suffix (with sub-folders where the format has them,
    as COCO's ``file_name``); ``labels`` is HxW uint8 with unlabelled pixels at the label set's
    ignore index; ``image`` is the image file the source names, where it names one;
    ``warnings`` say what was unusual but still read (each names the file and the shape).
    """

    name: str
    labels: np.ndarray
    image: Path | None = None
    warnings: tuple[str, ...] = ()


def load_json(path: str | os.PathLike) -> Any:
    """Parse a JSON file (bounded size and nesting, :func:`srcrm.base.jsonio.load_json`), or raise
    :class:`FormatError` saying why it cannot be."""
    try:
        return jsonio.load_json(path)
    except jsonio.JsonError as exc:
        raise FormatError(path, exc.reason) from None


def coordinates(values: Any, path: str | os.PathLike, shape: str) -> np.ndarray:
    """``values`` (nested lists of JSON numbers) as a float64 array, or :class:`FormatError`
    naming the shape: strings, booleans and nulls are not coordinates, and an integer too large
    for a float (JSON allows 10**400) is named as such instead of overflowing."""
    not_numbers = FormatError(path, "points are not a list of [x, y] numbers", shape)
    try:
        array = np.asarray(values)
    except (TypeError, ValueError, OverflowError):  # ragged or unconvertible lists
        raise not_numbers from None
    if array.dtype.kind not in "iufO":
        raise not_numbers
    try:
        return array.astype(np.float64)
    except OverflowError:
        raise FormatError(path, "has a coordinate too large to be a number", shape) from None
    except (TypeError, ValueError):  # an object array of something else than numbers
        raise not_numbers from None


def checked_points(
    points: Any,
    height: int,
    width: int,
    path: str | os.PathLike,
    shape: str,
    *,
    min_points: int = 3,
    ring: bool = True,
) -> np.ndarray:
    """``points`` as an (N, 2) float array of finite coordinates inside the image, or
    :class:`FormatError` naming the shape. A ``ring`` (the outline of a region) is held to
    its own bounding box, a line (``ring=False``) to the image: see
    :func:`check_outline_length`."""
    pts = coordinates(points, path, shape)
    if pts.size == 0:  # [] is no points, not a malformed list
        pts = pts.reshape(0, 2)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise FormatError(path, "points are not a list of [x, y] numbers", shape)
    if len(pts) < min_points:
        raise FormatError(path, f"needs at least {min_points} points, has {len(pts)}", shape)
    if len(pts) > MAX_POINTS:
        raise FormatError(
            path, f"has {len(pts):,} points, more than the {MAX_POINTS:,} allowed per shape", shape
        )
    if not np.isfinite(pts).all():
        raise FormatError(path, "has a coordinate that is NaN or infinite", shape)
    outside = ((pts < -OUTSIDE_SLACK) | (pts > np.array([width, height]) + OUTSIDE_SLACK)).any(1)
    if outside.any():
        x, y = pts[np.argmax(outside)]
        raise FormatError(path, f"point ({x:g}, {y:g}) lies outside the {width}x{height} image", shape)
    check_outline_length(pts, path, shape, None if ring else (width, height))
    return pts


def check_outline_length(
    points: np.ndarray, path: str | os.PathLike, shape: str, area: tuple[int, int] | None = None
) -> None:
    """Refuse a ring longer than every pixel edge inside its bounding box together: no
    outline of a region is, and painting or checking one costs time with its length and
    density (Pillow and OpenCV fill row by row, pycocotools walks it step by step, GEOS
    compares the edges whose boxes overlap): 200,000 random points in a 40x40 box took GEOS
    17 s, a zigzag across a large image would take Pillow hours. A line, which may go over
    its pixels again (a scribble), is held to the ``area`` (width, height) of the image."""
    width, height = area or np.ceil(np.ptp(points, axis=0)).astype(int).tolist()
    length = float(np.abs(points - np.roll(points, -1, axis=0)).max(axis=1).sum())
    limit = 2 * (width + 3) * (height + 3)  # a pixel's margin around the box, and rounding
    if length > limit:
        within = (
            f"inside its {width}x{height} bounding box" if area is None else f"in a {width}x{height} image"
        )
        raise FormatError(
            path,
            f"its outline is {length:,.0f} pixels long, more than the {limit:,} "
            f"that any outline {within} needs",
            shape,
        )


_CROSSING = re.compile(r"Self-intersection\[(\S+) (\S+)\]")


def crossing_note(points: np.ndarray) -> str | None:
    """What to warn about a ring whose edges cross each other away from its vertices.

    GEOS's validity check (a sweep, O(n log n): enumerating every crossing is quadratic, and
    took gigabytes for a 100,000-point ring) names the first self-intersection it finds. One
    on a vertex (a spike, a ring touching itself) is how files draw slits, not a crossing, so
    it gets no note; a ring whose first self-intersection is such a vertex gets none either.
    """
    if len(points) < 4:
        return None
    found = _CROSSING.fullmatch(shapely.is_valid_reason(shapely.Polygon(points)))
    if found is None:
        return None
    x, y = float(found[1]), float(found[2])
    if np.isclose(points, (x, y), rtol=1e-12, atol=1e-9).all(axis=1).any():
        return None
    return f"a self-intersecting polygon (its edges cross at ({x:g}, {y:g})), filled even-odd"


def image_size(data: dict, keys: tuple[str, str], path: str | os.PathLike) -> tuple[int, int] | None:
    """(height, width) from two integer fields of a JSON object, None where both are absent."""
    if keys[0] not in data and keys[1] not in data:
        return None
    h, w = data.get(keys[0]), data.get(keys[1])
    if not (_positive_int(h) and _positive_int(w)):
        raise FormatError(path, f"{keys[0]}/{keys[1]} must be positive integers, got {h!r}/{w!r}")
    checked_size(h, w, path)
    return h, w


def _positive_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def checked_size(height: int, width: int, path: str | os.PathLike) -> None:
    """A declared image size against :mod:`srcrm.base.limits`, before anything is allocated."""
    try:
        check_image_size(width, height, "the file")
    except ImageTooLarge as exc:
        raise FormatError(path, str(exc)) from None


def find_image(label_file: Path, name: str) -> Path | None:
    """The image a label file belongs to: same name, beside it or in an ``images`` folder
    that sits where ``labels`` is (the CamVid and YOLO layouts)."""
    folders = [label_file.parent, label_file.parent.parent / "images"]
    parts = label_file.parent.parts
    if "labels" in parts:
        i = len(parts) - 1 - parts[::-1].index("labels")
        folders.insert(1, Path(*parts[:i], "images", *parts[i + 1 :]))
    stem = Path(name).name
    return next((found for f in folders if (found := image_in(f, stem, label_file))), None)


def image_in(folder: Path, stem: str, label_file: Path | None = None) -> Path | None:
    """The image ``stem`` + an image suffix in ``folder`` (not the label file itself)."""
    for suffix in IMAGE_SUFFIXES:
        candidate = folder / f"{stem}{suffix}"
        if candidate != label_file and regular_file(candidate):
            return candidate
    return None


def layout_image(label_file: Path, labels: str, images: str, stem: str) -> Path | None:
    """The image of a label file in a layout that keeps labels and images in two trees, the
    same sub-folders below each (VOC's ``SegmentationClass/`` and ``JPEGImages/``,
    Cityscapes' ``gtFine/`` and ``leftImg8bit/``)."""
    parts = label_file.parent.parts
    if labels not in parts:
        return None
    i = len(parts) - 1 - parts[::-1].index(labels)
    return image_in(Path(*parts[:i], images, *parts[i + 1 :]), stem)


def nearby(folder: Path, names: tuple[str, ...], levels: int = 2) -> Path | None:
    """The first of ``names`` in ``folder`` or up to ``levels`` folders above it."""
    for candidate in [folder, *list(folder.parents)[:levels]]:
        for name in names:
            if (candidate / name).is_file():
                return candidate / name
    return None


def declared_classes(folder: Path) -> list[str] | None:
    """The class names of a ``classes.txt`` or labelme's ``labels.txt`` in or just above
    ``folder``, each at its id (:func:`~srcrm.formats.classes.class_ids`), or None."""
    found = nearby(folder, CLASS_FILES)
    return None if found is None else class_ids(read_class_list(found))


def regular_file(path: Path) -> bool:
    """Whether ``path`` is a regular file that can be opened: a FIFO or a device (``/dev/stdin``)
    would block a read forever, and a name too long or with a NUL byte is no file at all."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def within(path: Path, folder: Path) -> bool:
    """Whether ``path`` lies inside ``folder`` once both are resolved (``..``, absolute
    paths and links followed): files that a dataset names are read only from inside it."""
    try:
        return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(folder))
    except (OSError, ValueError):  # a NUL byte, a name too long: not a file at all
        return False


def used_classes(files: list[Path], names_of) -> list[str]:
    """The class names ``names_of(file)`` finds in any of ``files``, sorted (so the ids do not
    depend on which file comes first); unreadable files are left to be reported later."""
    unlabelled = {name_key(n) for n in UNLABELLED_NAMES}
    seen: dict[str, str] = {}
    for path in files:
        try:
            for name in names_of(path):
                seen.setdefault(name_key(name), name)
        except FormatError:
            continue
    return sorted((n for k, n in seen.items() if k not in unlabelled), key=lambda n: (name_key(n), n))
