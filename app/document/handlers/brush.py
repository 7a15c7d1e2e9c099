"""Stroke tools: the brush, the eraser and the protected brush differ only in the class they
write and the one class they may write over."""

from __future__ import annotations

import math

from .. import tools
from .base import ToolHandler


class BrushHandler(ToolHandler):
    """Paints the current class along the drag; a stroke is one undo step."""

    def __init__(self, editor) -> None:
        super().__init__(editor)
        self._last: tuple[float, float] | None = None
        self._target: int | None = None

    def value(self) -> int:
        return self.editor.current_class

    def target(self, x: float, y: float) -> tuple[bool, int | None]:
        """``(go, only_over)``: whether a stroke starts here, and the only class it may change."""
        return True, None

    def press(self, x: float, y: float) -> None:
        ed, doc = self.editor, self.doc
        go, self._target = self.target(x, y)
        if not go:
            return
        doc.begin_stroke(ed.tool_label)
        self._last = (x, y)
        doc.apply(tools.brush(doc.labels, (x, y), (x, y), ed.brush_size, self.value(), self._target))

    def move(self, x: float, y: float) -> None:
        doc = self.doc
        if self._last is None or not doc.in_stroke:
            return
        size = self.editor.brush_size
        (ax, ay), (bx, by) = self._last, (x, y)
        # Long jumps are cut into pieces so each edit's rectangle stays small.
        length = math.hypot(bx - ax, by - ay)
        pieces = max(1, math.ceil(length / max(16.0, 2.0 * size)))
        prev = (ax, ay)
        for k in range(1, pieces + 1):
            cur = (ax + (bx - ax) * k / pieces, ay + (by - ay) * k / pieces)
            doc.apply(tools.brush(doc.labels, prev, cur, size, self.value(), self._target))
            prev = cur
        self._last = (x, y)

    def release(self) -> None:
        self._last = None
        self._target = None
        doc = self.editor.doc
        if doc is not None and doc.in_stroke:
            doc.end_stroke()


class EraserHandler(BrushHandler):
    """Makes pixels unlabelled."""

    def value(self) -> int:
        return self.doc.classes.ignore_index


class ProtectedBrushHandler(BrushHandler):
    """Paints only over one class (the chosen one, else the class under the first point), so
    every other class is protected."""

    def target(self, x: float, y: float) -> tuple[bool, int | None]:
        ed = self.editor
        target = ed.protect_target
        if target is None:
            target = tools.pick(self.doc.labels, x, y)
        if target is None:
            return False, None
        names = self.doc.classes
        ed.message.emit(f"Painting {names.name(self.value())} only over {names.name(target)}")
        return True, target
