"""What the readers share: the :class:`Sample` they return and the checks every polygon read
from a file must pass before it is painted."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from srcrm import jsonio
from srcrm.data.labelsets import read_class_names
from srcrm.formats.classes import UNLABELLED_NAMES, name_key
from srcrm.formats.errors import FormatError
from srcrm.limits import ImageTooLarge, check_image_size
from srcrm.suffixes import IMAGE_SUFFIXES

CLASS_FILES = ("classes.txt", "labels.txt")  # ours and CamVid's; labelme's labels.txt
MAX_POINTS = 1_000_000  # per shape: more is a broken or hostile file, not an annotation
OUTSIDE_SLACK = 1.0  # pixels a point may stray past the image frame (rounding in other tools)


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
    """Parse a JSON file (bounded size and nesting, :func:`srcrm.jsonio.load_json`), or raise
    :class:`FormatError` saying why it cannot be."""
    try:
        return jsonio.load_json(path)
    except jsonio.JsonError as exc:
        raise FormatError(path, exc.reason) from None


def checked_points(
    points: Any, height: int, width: int, path: str | os.PathLike, shape: str, *, min_points: int = 3
) -> np.ndarray:
    """``points`` as an (N, 2) float array of finite coordinates inside the image, or
    :class:`FormatError` naming the shape."""
    try:
        pts = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        raise FormatError(path, "points are not a list of [x, y] numbers", shape) from None
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
    return pts


def crossing_note(points: np.ndarray) -> str | None:
    """What to warn about a ring whose edges cross each other away from its vertices."""
    line = shapely.LineString(np.vstack((points, points[:1])))
    if len(points) < 4 or line.is_simple:
        return None
    vertices = set(map(tuple, points.tolist()))
    crossings = [
        xy for xy in map(tuple, shapely.get_coordinates(shapely.node(line)).tolist()) if xy not in vertices
    ]
    if not crossings:
        return None
    x, y = crossings[0]
    return f"a self-intersecting polygon (its edges cross at ({x:g}, {y:g})), filled even-odd"


def image_size(data: dict, keys: tuple[str, str], path: str | os.PathLike) -> tuple[int, int] | None:
    """(height, width) from two integer fields of a JSON object, None where both are absent."""
    if keys[0] not in data and keys[1] not in data:
        return None
    h, w = data.get(keys[0]), data.get(keys[1])
    if not (isinstance(h, int) and isinstance(w, int) and h > 0 and w > 0):
        raise FormatError(path, f"{keys[0]}/{keys[1]} must be positive integers, got {h!r}/{w!r}")
    checked_size(h, w, path)
    return h, w


def checked_size(height: int, width: int, path: str | os.PathLike) -> None:
    """A declared image size against :mod:`srcrm.limits`, before anything is allocated."""
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
    for folder in folders:
        for suffix in IMAGE_SUFFIXES:
            candidate = folder / f"{stem}{suffix}"
            if candidate != label_file and candidate.is_file():
                return candidate
    return None


def nearby(folder: Path, names: tuple[str, ...], levels: int = 2) -> Path | None:
    """The first of ``names`` in ``folder`` or up to ``levels`` folders above it."""
    for candidate in [folder, *list(folder.parents)[:levels]]:
        for name in names:
            if (candidate / name).is_file():
                return candidate / name
    return None


def declared_classes(folder: Path) -> list[str] | None:
    """The class names of a ``classes.txt`` or ``labels.txt`` in or just above ``folder``
    (labelme's ``__ignore__`` and ``_background_`` lines aside), or None."""
    found = nearby(folder, CLASS_FILES)
    if found is None:
        return None
    try:
        names = read_class_names(found)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise FormatError(found, f"cannot read the class list ({exc})") from None
    return [n for n in names if n.casefold() not in (*UNLABELLED_NAMES, "_background_")]


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
