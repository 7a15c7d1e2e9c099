"""Smart drag tools: quick-select and the superpixel brush grow each piece of the drag into the
image's regions as the mouse moves, so the result shows at once; the whole drag is one undo step.

A click is a one-point drag (the superpixel click), and before it the canvas previews exactly
what it would change under the cursor. Neither tool reaches past the brush circle. Protected
mode: with an "only over" class chosen, only pixels of that class change.
"""

from __future__ import annotations

import math

from ..smart import SmartToolError
from ..smart.evidence import Evidence
from ..smart.quick_select import quick_select
from ..smart.superpixels import superpixel_fill
from ..tools import Edit
from .base import Point, ToolHandler

MIN_STEP = 3.0  # pixels the mouse moves before the next piece is computed


class SmartStrokeHandler(ToolHandler):
    def __init__(self, editor) -> None:
        super().__init__(editor)
        self._last: tuple[float, float] | None = None

    def edit(self, points: list[Point]) -> Edit | None:
        """The edit for the drag through ``points`` (one point: a click); each tool defines it."""
        raise NotImplementedError

    def preview(self, hover: Point | None) -> Edit | None:
        if hover is None:
            return None
        try:
            return self.edit([hover])
        except SmartToolError:
            return None

    def press(self, x: float, y: float) -> None:
        ed, doc = self.editor, self.doc
        try:
            edit = self.edit([(x, y)])
        except SmartToolError as exc:
            ed.notice.emit(str(exc))
            return
        doc.begin_stroke(ed.tool_label)
        self._last = (x, y)
        doc.apply(edit)

    def move(self, x: float, y: float) -> None:
        doc = self.doc
        if self._last is None or not doc.in_stroke or math.dist(self._last, (x, y)) < MIN_STEP:
            return
        try:
            doc.apply(self.edit([self._last, (x, y)]))
        except SmartToolError:
            pass  # the drag left the image for a while: nothing to do there
        self._last = (x, y)

    def release(self) -> None:
        self._last = None
        doc = self.editor.doc
        if doc is not None and doc.in_stroke:
            doc.end_stroke()


class QuickSelectHandler(SmartStrokeHandler):
    """The brush circle is the reach: the farthest the class may spread from the drag, where
    no edge stops it first. The seed is a thin line along the drag."""

    SEED = 5.0

    def __init__(self, editor) -> None:
        super().__init__(editor)
        # The labels as the drag found them: its own paint must not stop it as a model border.
        self._evidence: Evidence | None = None

    def press(self, x: float, y: float) -> None:
        doc = self.doc
        self._evidence = Evidence(doc.image, doc.labels.copy(), len(doc.classes), doc.confidence)
        super().press(x, y)

    def release(self) -> None:
        self._evidence = None
        super().release()

    def edit(self, points):
        ed, doc = self.editor, self.doc
        evidence = self._evidence or Evidence(doc.image, doc.labels, len(doc.classes), doc.confidence)
        return quick_select(
            evidence,
            doc.labels,
            points,
            min(self.SEED, ed.brush_size),
            ed.current_class,
            ed.brush_size / 2,
            ed.protect_target,
        )


class SuperpixelHandler(SmartStrokeHandler):
    """The brush circle is the reach; the superpixels under the drag's centre fill inside it."""

    SEED = 3.0

    def edit(self, points):
        ed, doc = self.editor, self.doc
        return superpixel_fill(
            doc.image, doc.labels, points, self.SEED, ed.brush_size, ed.current_class, ed.protect_target
        )
