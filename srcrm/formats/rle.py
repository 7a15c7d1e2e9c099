"""COCO run-length encoding, exactly as pycocotools reads and writes it.

Runs go down the columns (column-major, Fortran order) and alternate between 0 and 1,
starting with 0: a mask that starts with a 1 has a first run of length 0. The compressed form
is pycocotools' string: each count (from the fourth on, as the difference to the count two
before) in 5-bit groups with a continuation bit and a sign bit, as characters 48..111.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from srcrm.limits import check_image_size


def encode(mask: np.ndarray) -> list[int]:
    """Run lengths of an HxW mask (nonzero = 1)."""
    return encode_crop(mask, 0, 0, *np.shape(mask))


def encode_crop(crop: np.ndarray, top: int, left: int, height: int, width: int) -> list[int]:
    """Run lengths of an HxW mask that is zero outside ``crop``, whose top-left pixel is
    ``(top, left)``: the cost is the crop's size, not the image's."""
    crop = np.asarray(crop).astype(bool)
    rows, cols = crop.shape
    if top < 0 or left < 0 or top + rows > height or left + cols > width:
        raise ValueError(f"a {rows}x{cols} crop at ({top}, {left}) does not fit {height}x{width}")
    padded = np.zeros((cols, rows + 2), np.int8)  # each column with a 0 above and below
    padded[:, 1:-1] = crop.T
    change = np.diff(padded, axis=1)  # +1 where a run of ones starts, -1 after it ends
    col, row = np.nonzero(change)  # row-major over the transposed crop: column by column
    edges = (left + col) * height + top + row  # index into the column-major flat image
    # A run that reaches a column's foot and goes on at the next column's head is one run.
    joined = np.flatnonzero(edges[1:-1:2] == edges[2::2]) * 2 + 1
    edges = np.delete(edges, np.concatenate((joined, joined + 1)))
    if len(edges) and edges[-1] == height * width:  # ends on ones: no empty run after them
        edges = edges[:-1]
    return np.diff(np.concatenate(([0], edges, [height * width]))).tolist()


def decode(counts: Sequence[int], height: int, width: int) -> np.ndarray:
    """The HxW bool mask of run lengths; ValueError if they do not fill exactly HxW pixels.
    The counts are checked as Python integers first: a file's counts can be any size, and
    int64 arithmetic on them would wrap around (then ``np.repeat`` crashes)."""
    _check_size(height, width)
    counts = list(counts)
    if not all(isinstance(c, int) and c >= 0 for c in counts):
        raise ValueError("RLE counts must be a list of non-negative integers")
    total = sum(counts)
    if total != height * width:
        raise ValueError(f"RLE counts add up to {total} pixels, not {height}x{width}")
    values = np.arange(len(counts)) % 2 == 1
    return np.repeat(values, np.asarray(counts, np.int64)).reshape(width, height).T


def _check_size(height: int, width: int) -> None:
    """ValueError for a negative size or one over :mod:`srcrm.limits` (an empty mask is fine)."""
    if height < 0 or width < 0:
        raise ValueError(f"RLE 'size' must not be negative, got [{height}, {width}]")
    if height and width:
        check_image_size(width, height, "the RLE 'size'")


def to_string(counts: Sequence[int]) -> str:
    """pycocotools' compressed string of run lengths (``rleToString``)."""
    out = []
    for i, count in enumerate(counts):
        x = int(count) - (int(counts[i - 2]) if i > 2 else 0)
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = x != -1 if c & 0x10 else x != 0
            out.append(chr(c + 48 + (0x20 if more else 0)))
    return "".join(out)


def from_string(text: str) -> list[int]:
    """Run lengths from pycocotools' compressed string (``rleFrString``)."""
    counts: list[int] = []
    p = 0
    while p < len(text):
        x = k = 0
        more = True
        while more:
            if p >= len(text):
                raise ValueError("RLE string ends in the middle of a number")
            c = ord(text[p]) - 48
            if not 0 <= c < 64:
                raise ValueError(f"RLE string has a character outside '0'..'o': {text[p]!r}")
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and c & 0x10:
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return counts


def from_polygon(xy: np.ndarray, height: int, width: int) -> tuple[int, np.ndarray]:
    """The pixels pycocotools gives one polygon (``frPyObjects``, then ``decode``): the first
    column and the HxN mask of the columns from there. Its rule, followed step for step: the
    vertices are scaled by 5 and rounded, the edges walked one step at a time along their
    longer axis, and each crossing of a pixel-column centre starts or ends a run of the
    column-major RLE at the first pixel centre below it; runs alternate, so any ring, also a
    self-intersecting one, is filled even-odd."""
    scale = 5
    pts = np.trunc(scale * np.asarray(xy, np.float64).reshape(-1, 2) + 0.5).astype(np.int64)
    start, end = pts, np.roll(pts, -1, axis=0)
    dx, dy = np.abs(end[:, 0] - start[:, 0]), np.abs(start[:, 1] - end[:, 1])
    along_x = dx >= dy
    flip = np.where(along_x, start[:, 0] > end[:, 0], start[:, 1] > end[:, 1])
    xs, ys = np.where(flip, end[:, 0], start[:, 0]), np.where(flip, end[:, 1], start[:, 1])
    xe, ye = np.where(flip, start[:, 0], end[:, 0]), np.where(flip, start[:, 1], end[:, 1])
    steps = np.where(along_x, dx, dy)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(along_x, (ye - ys) / dx, (xe - xs) / dy)
    slope = np.nan_to_num(slope)  # a repeated vertex: one point, its value never used
    edge = np.repeat(np.arange(len(pts)), steps + 1)
    d = np.arange(len(edge)) - np.repeat(np.cumsum(steps + 1) - (steps + 1), steps + 1)
    t = np.where(flip[edge], steps[edge] - d, d)
    fx = along_x[edge]
    u = np.where(fx, t + xs[edge], np.trunc(xs[edge] + slope[edge] * t + 0.5).astype(np.int64))
    v = np.where(fx, np.trunc(ys[edge] + slope[edge] * t + 0.5).astype(np.int64), t + ys[edge])
    moved = np.flatnonzero(u[1:] != u[:-1]) + 1
    xd = np.where(u[moved] < u[moved - 1], u[moved], u[moved] - 1)
    xd = (xd + 0.5) / scale - 0.5
    keep = (np.floor(xd) == xd) & (xd >= 0) & (xd <= width - 1)
    yd = np.minimum(v[moved], v[moved - 1])[keep]
    yd = np.ceil(np.clip((yd + 0.5) / scale - 0.5, 0, height)).astype(np.int64)
    column = xd[keep].astype(np.int64)
    if not len(column):
        return 0, np.zeros((height, 0), bool)
    first = int(column.min())
    columns = int(column.max()) - first + 1
    toggles = np.bincount((column - first) * height + yd, minlength=columns * height + 1)
    inside = np.cumsum(toggles[: columns * height]) % 2 == 1
    return first, inside.reshape(columns, height).T


def to_coco(mask: np.ndarray) -> dict:
    """A COCO ``segmentation`` object with compressed counts, as ``pycocotools.mask.encode``
    gives after decoding its bytes to text."""
    height, width = mask.shape
    return {"size": [height, width], "counts": to_string(encode(mask))}


def from_coco(segmentation: Any) -> np.ndarray:
    """The mask of a COCO RLE object, with compressed (str or bytes) or uncompressed (list)
    counts; ValueError if it is malformed."""
    if not isinstance(segmentation, dict) or "size" not in segmentation or "counts" not in segmentation:
        raise ValueError("an RLE segmentation needs 'size' and 'counts'")
    size, counts = segmentation["size"], segmentation["counts"]
    if not (
        isinstance(size, list)
        and len(size) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in size)
    ):
        raise ValueError(f"RLE 'size' must be [height, width], got {size!r}")
    _check_size(*size)  # before the counts are parsed
    if isinstance(counts, bytes):
        counts = counts.decode("ascii", errors="replace")
    if isinstance(counts, str):
        counts = from_string(counts)
    elif not isinstance(counts, list):
        raise ValueError("RLE 'counts' must be a string or a list of integers")  # noqa: TRY004 - a bad file, not a bad call
    return decode(counts, size[0], size[1])
