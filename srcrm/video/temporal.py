"""Temporal consistency of per-frame labels: how much they flicker, and optional smoothing.

A model labels each frame on its own, so a pixel may hop between classes from one frame to
the next although nothing moved: flicker. :func:`flicker_series` measures it along a video
(a plot shows where the labels are unstable); :func:`smooth_store` removes short blips by a
per-pixel majority vote over neighbouring frames. Both stream the store, holding only a few
label maps at a time, so any length works.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence

import numpy as np

from srcrm.video.label_store import FrameLabelStore


def flicker(prev: np.ndarray, cur: np.ndarray, ignore_index: int | None = None) -> float:
    """Share of pixels whose label differs between two maps; pixels that are ``ignore_index``
    in either map are left out (NaN when none is left)."""
    if prev.shape != cur.shape:
        raise ValueError(f"label maps differ in size: {prev.shape} and {cur.shape}")
    changed = prev != cur
    if ignore_index is None:
        return float(changed.mean()) if changed.size else float("nan")
    counted = (prev != ignore_index) & (cur != ignore_index)
    n = int(counted.sum())
    return float((changed & counted).sum() / n) if n else float("nan")


def flicker_series(store: FrameLabelStore, frame_count: int, ignore_index: int | None = None) -> np.ndarray:
    """Flicker of each frame against the one before (index 0, and frames next to one without
    labels, are NaN)."""
    series = np.full(frame_count, np.nan)
    prev = None
    for i in range(frame_count):
        cur = store.read(i)
        if prev is not None and cur is not None:
            series[i] = flicker(prev, cur, ignore_index)
        prev = cur
    return series


def smooth_window(maps: Sequence[np.ndarray], num_classes: int, centre: int | None = None) -> np.ndarray:
    """Per-pixel majority of class ids over ``maps``. Ties, and pixels where no map has a
    class (only ids >= ``num_classes``, e.g. ignore), keep the centre map's label."""
    centre_map = maps[len(maps) // 2 if centre is None else centre]
    counts = np.zeros((num_classes, *centre_map.shape), np.uint16)
    for labels in maps:
        for c in range(num_classes):
            counts[c] += labels == c
    winner = counts.argmax(axis=0).astype(centre_map.dtype)
    best = counts.max(axis=0)
    centre_votes = np.take_along_axis(
        counts, np.minimum(centre_map, num_classes - 1)[None].astype(np.intp), axis=0
    )[0]
    keep = (centre_map >= num_classes) | (centre_votes == best)
    return np.where(keep, centre_map, winner)


def smooth_store(
    store: FrameLabelStore,
    num_classes: int,
    radius: int = 1,
    on_progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> int:
    """Replace each frame's labels by the majority over frames ``i - radius .. i + radius``
    (the original labels of its neighbours, never already smoothed ones). Frames a person
    edited still vote but are never changed; frames without labels are skipped. Holds
    ``2 * radius + 1`` maps at a time. Returns how many frames changed."""
    if radius < 1:
        raise ValueError(f"radius must be at least 1, got {radius}")
    count = store.frame_count
    if count is None:
        count = max(store.labelled(), default=-1) + 1
    window: deque[tuple[int, np.ndarray | None]] = deque()
    changed = 0
    ahead = 0  # next frame to read into the window
    for i in range(count):
        if should_stop and should_stop():
            break
        while ahead <= min(i + radius, count - 1):
            window.append((ahead, store.read(ahead)))
            ahead += 1
        while window[0][0] < i - radius:
            window.popleft()
        current = next(labels for index, labels in window if index == i)
        if current is not None and not store.is_edited(i):
            present = [(index, labels) for index, labels in window if labels is not None]
            maps = [labels for _, labels in present]
            smoothed = smooth_window(maps, num_classes, [index for index, _ in present].index(i))
            if not np.array_equal(smoothed, current) and store.write_unless_edited(i, smoothed):
                changed += 1
        if on_progress:
            on_progress(i + 1, count)
    return changed
