"""What the readers share: the :class:`Sample` they return and the checks every polygon read
from a file must pass before it is painted."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from srcrm.formats.errors import FormatError
from srcrm.formats.rasterize import rasterize

MAX_POINTS = 1_000_000  # per shape: more is a broken or hostile file, not an annotation
OUTSIDE_SLACK = 1.0  # pixels a point may stray past the image frame (rounding in other tools)


@dataclass(frozen=True)
class Sample:
    """One image's labels as read from a file.

    ``name`` is the image's name without suffix (with sub-folders where the format has them,
    as COCO's ``file_name``); ``labels`` is HxW uint8 with unlabelled pixels at the label set's
    ignore index; ``image`` is the image file the source names, where it names one.
    """

    name: str
    labels: np.ndarray
    image: Path | None = None


def load_json(path: str | os.PathLike) -> Any:
    """Parse a JSON file, or raise :class:`FormatError` saying why it cannot be."""
    try:
        return json.loads(Path(path).read_bytes())
    except OSError as exc:
        raise FormatError(path, f"cannot read the file ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f" at line {exc.lineno}, column {exc.colno}" if hasattr(exc, "lineno") else ""
        raise FormatError(path, f"not valid JSON{where} (truncated or corrupt?)") from None


def checked_points(points: Any, height: int, width: int, path: str | os.PathLike,
                   shape: str, *, min_points: int = 3) -> np.ndarray:
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
        raise FormatError(path, f"has {len(pts):,} points, more than the {MAX_POINTS:,} "
                                "allowed per shape", shape)
    if not np.isfinite(pts).all():
        raise FormatError(path, "has a coordinate that is NaN or infinite", shape)
    outside = ((pts < -OUTSIDE_SLACK) | (pts > np.array([width, height]) + OUTSIDE_SLACK)).any(1)
    if outside.any():
        x, y = pts[np.argmax(outside)]
        raise FormatError(path, f"point ({x:g}, {y:g}) lies outside the {width}x{height} image",
                          shape)
    return pts


def checked_polygon(points: Any, height: int, width: int, path: str | os.PathLike,
                    shape: str) -> shapely.Polygon:
    """A valid polygon from a ring of points; self-intersecting or degenerate rings are a
    :class:`FormatError` (painting them would depend on the tool's fill rule)."""
    polygon = shapely.Polygon(checked_points(points, height, width, path, shape))
    if not polygon.is_valid:
        reason = shapely.is_valid_reason(polygon)
        what = "self-intersecting" if reason.startswith(("Self-intersection", "Ring Self")) \
            else "invalid"
        raise FormatError(path, f"{what} polygon ({reason})", shape)
    return polygon


def paint(shapes: list[tuple[int, shapely.Geometry]], height: int, width: int, fill: int,
          path: str | os.PathLike) -> np.ndarray:
    """:func:`rasterize` for readers: what it rejects is the file's fault."""
    try:
        return rasterize(shapes, height, width, fill=fill)
    except ValueError as exc:
        raise FormatError(path, str(exc)) from None


def image_size(data: dict, keys: tuple[str, str],
               path: str | os.PathLike) -> tuple[int, int] | None:
    """(height, width) from two integer fields of a JSON object, None where both are absent."""
    if keys[0] not in data and keys[1] not in data:
        return None
    h, w = data.get(keys[0]), data.get(keys[1])
    if not (isinstance(h, int) and isinstance(w, int) and h > 0 and w > 0):
        raise FormatError(path, f"{keys[0]}/{keys[1]} must be positive integers, got {h!r}/{w!r}")
    if h * w > 1 << 28:
        raise FormatError(path, f"an image of {w}x{h} pixels is too large to label")
    return h, w
