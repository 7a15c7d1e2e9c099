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
            yield class_id, self.xy[self.starts[i]:self.starts[i + 1]]

    def labelled(self) -> Outlines:
        """The outlines without the unlabelled ones, for formats with no name for them."""
        keep = self.class_ids != UNLABELLED
        lengths = np.diff(self.starts)[keep]
        point_keep = np.repeat(keep, np.diff(self.starts))
        return Outlines(self.height, self.width, self.class_ids[keep],
                        np.concatenate(([0], np.cumsum(lengths))), self.xy[point_keep])


def outline(labels: np.ndarray, num_classes: int, *, tolerance: float = 0.0,
            min_area: float = 0.0, every_unlabelled: bool = False) -> Outlines:
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
    lengths: list[np.ndarray] = []
    ring_class: list[np.ndarray] = []
    pinched = _pinched_values(codes) if labels.size else set()
    for value in present_values(codes) if labels.size else []:
        enclosed_only = value == num_classes and not every_unlabelled
        if value in pinched:
            traced, singles = _pieces(codes == value, enclosed_only)
        else:
            traced, singles = _outer(codes == value, enclosed_only), np.zeros((0, 2), np.int64)
        if tolerance > 0:
            traced = [cv2.approxPolyDP(r.reshape(-1, 1, 2), tolerance, True).reshape(-1, 2)
                      if len(r) > 2 else r for r in traced]
        # Every tool wants three points at least: a pixel or a two-pixel line repeats its last.
        traced = [r if len(r) >= 3 else np.concatenate((r, r[-1:], r[-1:]))[:3]
                  for r in traced]
        rings.extend([*traced, np.repeat(singles, 3, axis=0)])
        lengths.append(np.fromiter((len(r) for r in traced), np.int64, len(traced)))
        lengths.append(np.full(len(singles), 3, np.int64))
        ring_class.append(np.full(len(traced) + len(singles),
                                  UNLABELLED if value == num_classes else int(value), np.int16))
    lengths = np.concatenate(lengths) if lengths else np.zeros(0, np.int64)
    xy = np.concatenate(rings).astype(np.int32) if rings else np.zeros((0, 2), np.int32)
    order = np.argsort(-_areas(xy, lengths), kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    xy = xy[np.argsort(np.repeat(rank, lengths), kind="stable")]
    class_ids = np.concatenate(ring_class) if ring_class else np.zeros(0, np.int16)
    return Outlines(height, width, class_ids[order],
                    np.concatenate(([0], np.cumsum(lengths[order]))), xy)


def _pinched_values(codes: np.ndarray) -> set[int]:
    """The values of the 2x2 blocks that are a checkerboard of two values (each pair of
    diagonal pixels alike). OpenCV's tracer joins each pair through the same corner, so the
    two outlines cross and no painting order can give back both: such values are traced by
    4-connected pieces. A corner that only one value's pixels touch across is harmless: the
    outline passes through it twice and paints nothing more there."""
    a, b, c, d = codes[:-1, :-1], codes[:-1, 1:], codes[1:, :-1], codes[1:, 1:]
    crossed = (a == d) & (b == c) & (a != b)
    return set(np.unique(a[crossed]).tolist()) | set(np.unique(b[crossed]).tolist())


def _outer(mask: np.ndarray, enclosed_only: bool) -> list[np.ndarray]:
    """The outer outlines of the 8-connected pieces of a mask; see :func:`_pieces` for
    ``enclosed_only``."""
    contours, hierarchy = cv2.findContours(mask.view(np.uint8), cv2.RETR_CCOMP,
                                           cv2.CHAIN_APPROX_SIMPLE)
    rings = [c.reshape(-1, 2) for c, parent in zip(contours, hierarchy[0, :, 3] if contours
                                                   else [], strict=True) if parent < 0]
    if enclosed_only:
        height, width = mask.shape
        rings = [r for r in rings if r.min() > 0 and (r[:, 0].max() < width - 1)
                 and (r[:, 1].max() < height - 1)]
    return rings


def _pieces(mask: np.ndarray, enclosed_only: bool) -> tuple[list[np.ndarray], np.ndarray]:
    """The outer outline of every 4-connected piece of a mask, and apart, as (K, 2) pixels,
    the pieces of one pixel that touch others at a corner. OpenCV's tracer follows 8-connected
    pieces: those made of several 4-connected ones are split, in their own bounding box, and
    traced piece by piece. ``enclosed_only`` leaves out pieces touching the image's edge: no
    outline can enclose them, so unlabelled ones there never need reopening."""
    mask = mask.view(np.uint8)
    height, width = mask.shape
    _, piece8 = cv2.connectedComponents(mask, connectivity=8)
    contours, hierarchy = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    rings: list[np.ndarray] = []
    singles: list[np.ndarray] = []
    for contour, parent in zip(contours, hierarchy[0, :, 3], strict=True):
        if parent >= 0:
            continue
        x, y, w, h = cv2.boundingRect(contour)
        cx, cy = contour[0, 0]
        crop = (piece8[y:y + h, x:x + w] == piece8[cy, cx]).view(np.uint8)
        count, piece4, stats, _ = cv2.connectedComponentsWithStats(crop, connectivity=4)
        if count == 2:  # one 4-connected piece: the tracer's outline is its own
            if not enclosed_only or (x > 0 and y > 0 and x + w < width and y + h < height):
                rings.append(contour.reshape(-1, 2))
            continue
        px, py, pw, ph, area = (stats[1:, i] for i in range(5))
        keep = np.ones(count - 1, bool)
        if enclosed_only:
            keep = (px + x > 0) & (py + y > 0) & (px + x + pw < width) & (py + y + ph < height)
        one = keep & (area == 1)
        singles.append(np.stack((px[one] + x, py[one] + y), 1))
        for i in np.flatnonzero(keep & (area > 1)):
            part = (piece4[py[i]:py[i] + ph[i], px[i]:px[i] + pw[i]] == i + 1).view(np.uint8)
            found, _ = cv2.findContours(part, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
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
