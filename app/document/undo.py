"""Undo/redo of label-map edits, storing only the changed pixels.

A :class:`StrokeRecorder` watches one stroke: before a region is first written it copies the
64x64 tiles it touches; when the stroke ends each tile is compared with its copy and only the
changed part of each tile is kept as a :class:`Patch` (its before and after bytes). One stroke
is one :class:`UndoStep`. The :class:`UndoStack` holds any number of steps as long as their
total size stays under a memory bound; past it the oldest steps are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .events import Event
from .geometry import Rect

TILE = 64
DEFAULT_MAX_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class Patch:
    rect: Rect
    before: np.ndarray
    after: np.ndarray

    @property
    def nbytes(self) -> int:
        return self.before.nbytes + self.after.nbytes


@dataclass
class UndoStep:
    name: str
    patches: list[Patch]
    # Optional whole-document extras (used when a prediction replaces the map).
    extra_before: dict[str, Any] = field(default_factory=dict)
    extra_after: dict[str, Any] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        extra = sum(
            getattr(v, "nbytes", 0) for v in (*self.extra_before.values(), *self.extra_after.values())
        )
        return sum(p.nbytes for p in self.patches) + extra

    @property
    def rect(self) -> Rect | None:
        out = None
        for p in self.patches:
            out = p.rect if out is None else out.union(p.rect)
        return out

    def apply(self, labels: np.ndarray, redo: bool) -> Rect | None:
        for p in self.patches:
            labels[p.rect.slices] = p.after if redo else p.before
        return self.rect


class StrokeRecorder:
    """Collects the before-state of the tiles a stroke touches."""

    def __init__(self, labels: np.ndarray, name: str):
        self.labels = labels
        self.name = name
        self._before: dict[tuple[int, int], np.ndarray] = {}

    def touch(self, rect: Rect) -> None:
        """Call before writing into ``rect``."""
        h, w = self.labels.shape
        for ty in range(rect.y0 // TILE, (rect.y1 - 1) // TILE + 1):
            for tx in range(rect.x0 // TILE, (rect.x1 - 1) // TILE + 1):
                if (ty, tx) not in self._before:
                    self._before[(ty, tx)] = self.labels[
                        ty * TILE : min(h, (ty + 1) * TILE), tx * TILE : min(w, (tx + 1) * TILE)
                    ].copy()

    def finish(self) -> UndoStep | None:
        """The step holding exactly the pixels that changed, or None if nothing did."""
        patches = []
        for (ty, tx), before in self._before.items():
            y0, x0 = ty * TILE, tx * TILE
            after = self.labels[y0 : y0 + before.shape[0], x0 : x0 + before.shape[1]]
            diff = before != after
            if not diff.any():
                continue
            rows = np.flatnonzero(diff.any(axis=1))
            cols = np.flatnonzero(diff.any(axis=0))
            r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
            patches.append(
                Patch(
                    Rect(int(x0 + c0), int(y0 + r0), int(x0 + c1), int(y0 + r1)),
                    before[r0:r1, c0:c1].copy(),
                    after[r0:r1, c0:c1].copy(),
                )
            )
        self._before.clear()
        return UndoStep(self.name, patches) if patches else None


class UndoStack:
    """Unlimited undo/redo within ``max_bytes``; the newest step is always kept."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES):
        self.max_bytes = int(max_bytes)
        self._undo: list[UndoStep] = []
        self._redo: list[UndoStep] = []
        self.dropped = 0  # steps evicted by the memory bound
        self.changed = Event()  # () -> None

    def push(self, step: UndoStep) -> None:
        self._undo.append(step)
        self._redo.clear()
        self._evict()
        self.changed.emit()

    def _evict(self) -> None:
        total = self.nbytes
        while len(self._undo) > 1 and total > self.max_bytes:
            total -= self._undo.pop(0).nbytes
            self.dropped += 1
        while self._redo and total > self.max_bytes:
            total -= self._redo.pop(0).nbytes

    def pop_undo(self) -> UndoStep | None:
        if not self._undo:
            return None
        step = self._undo.pop()
        self._redo.append(step)
        self.changed.emit()
        return step

    def pop_redo(self) -> UndoStep | None:
        if not self._redo:
            return None
        step = self._redo.pop()
        self._undo.append(step)
        self.changed.emit()
        return step

    def clear(self) -> None:
        self._undo.clear()
        self._redo.clear()
        self.changed.emit()

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_name(self) -> str | None:
        return self._undo[-1].name if self._undo else None

    @property
    def redo_name(self) -> str | None:
        return self._redo[-1].name if self._redo else None

    @property
    def nbytes(self) -> int:
        return sum(s.nbytes for s in self._undo) + sum(s.nbytes for s in self._redo)

    def __len__(self) -> int:
        return len(self._undo)
