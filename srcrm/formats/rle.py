"""COCO run-length encoding, exactly as pycocotools reads and writes it.

Runs go down the columns (column-major, Fortran order) and alternate between 0 and 1,
starting with 0: a mask that starts with a 1 has a first run of length 0. The compressed form
is pycocotools' string: each count (from the fourth on, as the difference to the count two
before) in 5-bit groups with a continuation bit and a sign bit, as characters 48..111.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from srcrm.base.limits import check_image_size


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
    """ValueError for a negative size or one over :mod:`srcrm.base.limits` (an empty mask is fine)."""
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


_SCALE = 5  # pycocotools' sub-pixel grid
WALK_CHUNK = 1 << 20  # steps of the edge walk done at once: memory stays a few tens of MB


def from_polygon(xy: np.ndarray, height: int, width: int) -> tuple[int, int, np.ndarray]:
    """The pixels pycocotools gives one polygon (``frPyObjects``, then ``decode``): the top
    row, the first column and the mask of the polygon's bounding box from there. Its rule,
    followed step for step: the vertices are scaled by 5 and rounded, the edges walked one
    step at a time along their longer axis, and each crossing of a pixel-column centre starts
    or ends a run of the column-major RLE at the first pixel centre below it; runs alternate,
    so any ring, also a self-intersecting one, is filled even-odd.

    Memory is the bounding box (one byte a pixel) and a bounded chunk of the walk, never the
    image's full height nor the whole walk at once: the walk is as long as the outline, which
    callers bound (:func:`srcrm.formats.reading.check_outline_length`)."""
    pts = np.trunc(_SCALE * np.asarray(xy, np.float64).reshape(-1, 2) + 0.5).astype(np.int64)
    # Runs toggle in the columns whose centre the walk crosses, from the row below the top
    # vertex down to the row below the lowest, where the last run of each column ends.
    first = max(math.ceil((pts[:, 0].min() + 0.5) / _SCALE - 0.5), 0)
    last = min(math.floor((pts[:, 0].max() - 0.5) / _SCALE - 0.5), width - 1)
    top, bottom = _row(np.array([pts[:, 1].min(), pts[:, 1].max()]), height).tolist()
    parity = np.zeros((max(bottom - top, 0), max(last - first + 1, 0)), bool)
    if parity.size:
        columns = parity.shape[1]
        for column, row in _column_crossings(pts, height):
            inside = (column >= first) & (column <= last) & (row < bottom)
            cell, count = np.unique(
                (row[inside] - top) * columns + column[inside] - first, return_counts=True
            )
            parity.reshape(-1)[cell[count % 2 == 1]] ^= True
        _fill_down(parity)
    return top, first, parity


def _fill_down(parity: np.ndarray) -> None:
    """Turn each column's run starts and ends into its runs, in place (XOR down the rows). A
    loop XORing whole rows is ten times faster than numpy's accumulate down a wide array
    (3 s for 14000x14000); down a narrow one the accumulate is the fast way."""
    if parity.shape[1] < 64:
        np.logical_xor.accumulate(parity, axis=0, out=parity)
        return
    for i in range(1, len(parity)):
        np.logical_xor(parity[i], parity[i - 1], out=parity[i])


def _row(v: np.ndarray, height: int) -> np.ndarray:
    """The row of the first pixel centre at or below each scaled ``v``, within 0..height."""
    return np.ceil(np.clip((v + 0.5) / _SCALE - 0.5, 0, height)).astype(np.int64)


def _column_crossings(pts: np.ndarray, height: int):
    """pycocotools' walk along the edges of the scaled ring ``pts``, a chunk of steps at a time:
    for each crossing of a pixel-column centre, its column and the row where its run toggles.
    (Crossings outside the image have columns outside it.)"""
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
    ends = np.cumsum(steps + 1)
    bounds = np.unique(np.searchsorted(ends, np.arange(0, ends[-1], WALK_CHUNK), side="right"))
    previous = None  # the walk's last point so far: a crossing may fall between two chunks
    for lo, hi in zip(bounds, [*bounds[1:], len(pts)], strict=True):
        n = steps[lo:hi] + 1
        edge = np.repeat(np.arange(lo, hi), n)
        d = np.arange(len(edge)) - np.repeat(np.cumsum(n) - n, n)
        t = np.where(flip[edge], steps[edge] - d, d)
        fx = along_x[edge]
        u = np.where(fx, t + xs[edge], np.trunc(xs[edge] + slope[edge] * t + 0.5).astype(np.int64))
        v = np.where(fx, np.trunc(ys[edge] + slope[edge] * t + 0.5).astype(np.int64), t + ys[edge])
        if previous is not None:
            u, v = np.r_[previous[0], u], np.r_[previous[1], v]
        previous = u[-1], v[-1]
        moved = np.flatnonzero(u[1:] != u[:-1]) + 1
        xd = np.where(u[moved] < u[moved - 1], u[moved], u[moved] - 1)
        xd = (xd + 0.5) / _SCALE - 0.5
        whole = np.floor(xd) == xd
        yield xd[whole].astype(np.int64), _row(np.minimum(v[moved], v[moved - 1])[whole], height)


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
