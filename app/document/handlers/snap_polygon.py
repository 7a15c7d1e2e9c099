"""The edge-snapping polygon: each click's side snaps to the image's edges at once (the outline
shows the snapped path); Enter or a double-click fills it, one undo step."""

from __future__ import annotations

from ..smart import SmartToolError
from ..smart.scissors import snap_segment
from ..tools import polygon_fill
from .base import ToolHandler


class SnapPolygonHandler(ToolHandler):
    multi_click = True

    def __init__(self, editor) -> None:
        super().__init__(editor)
        self.corners: list[tuple[float, float]] = []
        self.sides: list[list[tuple[float, float]]] = []  # the snapped path into each corner

    def press(self, x: float, y: float) -> None:
        doc, corner = self.doc, (float(x), float(y))
        if not (0 <= x < doc.width and 0 <= y < doc.height):
            self.editor.notice.emit("Click the polygon's corners inside the image.")
            return
        side = (
            [corner]
            if not self.corners
            else [tuple(p) for p in snap_segment(doc.image, self.corners[-1], corner)]
        )
        self.corners.append(corner)
        self.sides.append(side)
        self._show()

    def _show(self) -> None:
        self.editor.set_outline([p for side in self.sides for p in side])

    def commit(self) -> bool:
        ed, doc = self.editor, self.doc
        corners, sides = self.corners, self.sides
        self.cancel()
        if doc is None:
            return False
        if len(corners) < 3:
            ed.notice.emit("A polygon needs at least three corners.")
            return False
        try:
            closing = [tuple(p) for p in snap_segment(doc.image, corners[-1], corners[0])]
        except SmartToolError as exc:
            ed.notice.emit(str(exc))
            return False
        path = [p for side in sides for p in side] + closing
        edit = polygon_fill(doc.labels, path, ed.current_class, ed.protect_target)
        doc.apply(edit, ed.tool_label)
        return edit is not None

    def step_back(self) -> None:
        if self.corners:
            self.corners.pop()
            self.sides.pop()
            self._show()

    def cancel(self) -> None:
        if self.corners:
            self.corners, self.sides = [], []
            self.editor.set_outline([])
