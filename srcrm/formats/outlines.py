"""Label map to outlines through pixel centres, for tools that fill polygons edges included.

labelme and the Cityscapes scripts paint polygons with Pillow's ``ImageDraw.polygon`` and
ultralytics with ``cv2.fillPoly``. Both take integer vertices at pixel centres (a float is
rounded or truncated first) and paint every pixel whose centre lies inside *or on* the
polygon. Polygons along pixel corners (:mod:`srcrm.formats.polygons`, exact for COCO) therefore
grow by one pixel on their right and bottom in those tools. These outlines instead run through
the centres of a region's own boundary pixels, so each tool paints exactly the region's
pixels: a one-pixel line is a ring that goes out and back, a single pixel a ring of one point.

Each outline is the outer boundary of one connected piece of one class, holes filled, as
OpenCV's tracer follows it (pixels touching at a corner belong together; the outline passes
that corner twice and paints nothing more there). Those filled outlines nest (two are disjoint
or one lies in a hole of the other), so painting them largest first, each over the earlier
ones, gives back the label map: what fills a hole is a smaller outline painted later. Where two
classes cross at one corner (a 2x2 checkerboard) their outlines would cross too, so those
classes are traced by 4-connected pieces instead. Unlabelled pieces that lie in a hole get an
outline too (``class_id`` -1), so formats with a name for "no class" can reopen the hole.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from srcrm.formats.polygons import absorb_small, class_codes, present_values

UNLABELLED = -1


@dataclass(frozen=True)
class Outlines:
    """The outlines of one label map in painting order, stored flat: outline ``i`` is
    ``xy[starts[i]:starts[i + 1]]`` (integer pixel ``(column, row)`` centres, not closed) of
    class ``class_ids[i]`` (:data:`UNLABELLED`: no class)."""

    height: int
    width: int
    class_ids: np.ndarray
    starts: np.ndarray
    xy: np.ndarray

    def __len__(self) -> int:
        return len(self.class_ids)

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        for i, class_id in enumerate(self.class_ids.tolist()):
            yield class_id, self.xy[self.starts[i] : self.starts[i + 1]]

    def labelled(self) -> Outlines:
        """The outlines without the unlabelled ones, for formats with no name for them."""
        keep = self.class_ids != UNLABELLED
        lengths = np.diff(self.starts)[keep]
        point_keep = np.repeat(keep, np.diff(self.starts))
        return Outlines(
            self.height,
            self.width,
            self.class_ids[keep],
            np.concatenate(([0], np.cumsum(lengths))),
            self.xy[point_keep],
        )


def outline(
    labels: np.ndarray,
    num_classes: int,
    *,
    tolerance: float = 0.0,
    min_area: float = 0.0,
    every_unlabelled: bool = False,
) -> Outlines:
    """Trace a label map (HxW ints; ``0..num_classes-1`` are classes) into outlines.

    ``min_area`` merges smaller pieces into their neighbours first, as
    :func:`srcrm.formats.polygons.polygonize` does. ``tolerance`` (pixels) drops vertices with
    Douglas-Peucker (the kept ones stay on pixel centres); above 0 the outlines are no longer
    exact, and neighbours may overlap or part by up to about ``tolerance``.
    ``every_unlabelled`` outlines all unlabelled pieces, not only those in holes: for tools
    whose unpainted pixels are a class of their own (labelme's are 0, ``_background_``).
    """
    if labels.ndim != 2:
        raise ValueError(f"a label map is HxW, got shape {labels.shape}")
    if tolerance < 0 or min_area < 0:
        raise ValueError("tolerance and min_area must not be negative")
    height, width = labels.shape
    codes = class_codes(labels, num_classes) if labels.size else labels.astype(np.uint8)
    if min_area > 0 and labels.size:
        codes = absorb_small(codes, min_area)
    rings: list[np.ndarray] = []  # traced outlines, then one block of lone pixels per value
    piece_lengths: list[np.ndarray] = []
    ring_class: list[np.ndarray] = []
    crossings = _crossings(codes) if labels.size else {}
    for value in present_values(codes) if labels.size else []:
        enclosed_only = value == num_classes and not every_unlabelled
        traced, singles = _pieces(codes == value, enclosed_only, crossings.get(int(value)))
        if tolerance > 0:
            traced = [
                cv2.approxPolyDP(r.reshape(-1, 1, 2), tolerance, True).reshape(-1, 2) if len(r) > 2 else r
                for r in traced
            ]
        # Every tool wants three points at least: a pixel or a two-pixel line repeats its last.
        traced = [r if len(r) >= 3 else np.concatenate((r, r[-1:], r[-1:]))[:3] for r in traced]
        rings.extend([*traced, np.repeat(singles, 3, axis=0)])
        piece_lengths.append(np.fromiter((len(r) for r in traced), np.int64, len(traced)))
        piece_lengths.append(np.full(len(singles), 3, np.int64))
        ring_class.append(
            np.full(len(traced) + len(singles), UNLABELLED if value == num_classes else int(value), np.int16)
        )
    lengths = np.concatenate(piece_lengths) if piece_lengths else np.zeros(0, np.int64)
    xy = np.concatenate(rings).astype(np.int32) if rings else np.zeros((0, 2), np.int32)
    order = np.argsort(-_areas(xy, lengths), kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    xy = xy[np.argsort(np.repeat(rank, lengths), kind="stable")]
    class_ids = np.concatenate(ring_class) if ring_class else np.zeros(0, np.int16)
    return Outlines(height, width, class_ids[order], np.concatenate(([0], np.cumsum(lengths[order]))), xy)


def _crossings(codes: np.ndarray) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per value, a pixel (rows, columns) of it at each 2x2 block that is a checkerboard of two
    values (each pair of diagonal pixels alike). OpenCV's tracer joins each pair through the
    same corner, so the two outlines would cross and no painting order gives back both: pieces
    through such a corner are traced 4-connected piece by piece. A corner that only one value's
    pixels touch across is harmless: the outline passes it twice and paints nothing more."""
    a, b, c, d = codes[:-1, :-1], codes[:-1, 1:], codes[1:, :-1], codes[1:, 1:]
    rows, cols = np.nonzero((a == d) & (b == c) & (a != b))
    out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for values, x in ((a[rows, cols], cols), (b[rows, cols], cols + 1)):
        for value in np.unique(values).tolist():
            hit = values == value
            old = out.get(value, (np.zeros(0, np.int64), np.zeros(0, np.int64)))
            out[value] = (np.concatenate((old[0], rows[hit])), np.concatenate((old[1], x[hit])))
    return out


def _pieces(
    mask: np.ndarray, enclosed_only: bool, crossings: tuple[np.ndarray, np.ndarray] | None
) -> tuple[list[np.ndarray], np.ndarray]:
    """The outer outline of every connected piece of a mask, and apart, as (K, 2) pixels,
    lone pixels. Pieces through one of ``crossings`` (see :func:`_crossings`) are split into
    4-connected ones, each traced in its own bounding box. ``enclosed_only`` leaves out pieces
    touching the image's edge: no outline can enclose them, so unlabelled ones there never need
    reopening.

    No hole hierarchy is asked of OpenCV: it takes time quadratic in the number of holes
    (minutes for a checkerboard). Outer boundaries are told from holes by their direction; where
    pieces are split, those inside another's hole are traced in their own box.
    """
    mask = mask.view(np.uint8)
    height, width = mask.shape

    def inside(ring: np.ndarray) -> bool:
        return not enclosed_only or bool(
            (ring.min(0) > 0).all() and ring[:, 0].max() < width - 1 and ring[:, 1].max() < height - 1
        )

    if crossings is None:  # every traced outer boundary is a piece's own
        found = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)[0]
        # Outer boundaries run one way round (area <= 0 as OpenCV signs it), holes the other.
        rings = [c.reshape(-1, 2) for c in found if cv2.contourArea(c, oriented=True) <= 0]
        return [r for r in rings if inside(r)], np.zeros((0, 2), np.int64)
    external = [
        c.reshape(-1, 2) for c in cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0]
    ]
    count, piece8, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    outer = {int(piece8[r[0, 1], r[0, 0]]): r for r in external}
    split = set(piece8[crossings].tolist())
    rings = [r for k, r in outer.items() if k not in split and inside(r)]
    singles: list[np.ndarray] = []
    for k in sorted(set(range(1, count)) - outer.keys() | split):
        x, y, w, h = (int(v) for v in stats[k, :4])
        crop = (piece8[y : y + h, x : x + w] == k).view(np.uint8)
        n4, piece4, stats4, _ = cv2.connectedComponentsWithStats(crop, connectivity=4)
        px, py, pw, ph, area = (stats4[1:, i] for i in range(5))
        keep = np.ones(n4 - 1, bool)
        if enclosed_only:
            keep = (px + x > 0) & (py + y > 0) & (px + x + pw < width) & (py + y + ph < height)
        one = keep & (area == 1)
        singles.append(np.stack((px[one] + x, py[one] + y), 1))
        for i in np.flatnonzero(keep & (area > 1)):
            part = (piece4[py[i] : py[i] + ph[i], px[i] : px[i] + pw[i]] == i + 1).view(np.uint8)
            found = cv2.findContours(part, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0]
            rings.append(found[0].reshape(-1, 2) + (px[i] + x, py[i] + y))
    return rings, np.concatenate(singles) if singles else np.zeros((0, 2), np.int64)


def _areas(xy: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Each ring's enclosed area (shoelace formula; 0 for a line or a point)."""
    if not len(lengths):
        return np.zeros(0)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    ring = np.repeat(np.arange(len(lengths)), lengths)
    nxt = np.arange(len(xy)) + 1
    ends = starts + lengths
    nxt[ends - 1] = starts
    x, y = xy[:, 0].astype(np.int64), xy[:, 1].astype(np.int64)
    return np.abs(np.bincount(ring, weights=x * y[nxt] - x[nxt] * y, minlength=len(lengths))) / 2
