"""Axis-aligned pixel rectangles: the unit of dirty-region signalling and undo patches."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rect:
    """Half-open pixel rectangle ``[x0, x1) x [y0, y1)`` in image coordinates."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return max(0, self.x1 - self.x0)

    @property
    def height(self) -> int:
        return max(0, self.y1 - self.y0)

    @property
    def area(self) -> int:
        return self.width * self.height

    def is_empty(self) -> bool:
        return self.x1 <= self.x0 or self.y1 <= self.y0

    @property
    def slices(self) -> tuple[slice, slice]:
        """``(rows, cols)`` for indexing an HxW array."""
        return slice(self.y0, self.y1), slice(self.x0, self.x1)

    def union(self, other: Rect | None) -> Rect:
        if other is None or other.is_empty():
            return self
        if self.is_empty():
            return other
        return Rect(
            min(self.x0, other.x0), min(self.y0, other.y0), max(self.x1, other.x1), max(self.y1, other.y1)
        )

    def intersect(self, other: Rect) -> Rect:
        return Rect(
            max(self.x0, other.x0), max(self.y0, other.y0), min(self.x1, other.x1), min(self.y1, other.y1)
        )

    def clip(self, width: int, height: int) -> Rect:
        return self.intersect(Rect(0, 0, width, height))

    def expand(self, n: int) -> Rect:
        return Rect(self.x0 - n, self.y0 - n, self.x1 + n, self.y1 + n)

    @classmethod
    def full(cls, shape: tuple[int, ...]) -> Rect:
        return cls(0, 0, int(shape[1]), int(shape[0]))
