"""The polygon fill: clicks place corners, committing fills the polygon (one undo step)."""

from __future__ import annotations

from .. import tools
from .base import ToolHandler


class PolygonHandler(ToolHandler):
    multi_click = True

    def __init__(self, editor) -> None:
        super().__init__(editor)
        self.points: list[tuple[float, float]] = []

    def press(self, x: float, y: float) -> None:
        self.points.append((float(x), float(y)))
        self.editor.set_outline(self.points)

    def commit(self) -> bool:
        points, self.points = self.points, []
        self.editor.set_outline([])
        doc = self.editor.doc
        if doc is None or len(points) < 3:
            return False
        edit = tools.polygon_fill(doc.labels, points, self.editor.current_class)
        doc.apply(edit)
        return edit is not None

    def step_back(self) -> None:
        if self.points:
            self.points.pop()
            self.editor.set_outline(self.points)

    def cancel(self) -> None:
        if self.points:
            self.points = []
            self.editor.set_outline([])
