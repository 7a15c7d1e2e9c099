"""Scribble re-segment: drag scribbles, each in the class current when it starts; Enter (or a
double-click) re-segments the region around them among their classes, one undo step."""

from __future__ import annotations

from ..smart import SmartToolError
from ..smart.evidence import Evidence
from ..smart.scribble import resegment
from .base import ToolHandler


class ScribbleHandler(ToolHandler):
    multi_click = True

    def __init__(self, editor) -> None:
        super().__init__(editor)
        self.scribbles: list[tuple[int, list[tuple[float, float]]]] = []

    def press(self, x: float, y: float) -> None:
        self.scribbles.append((self.editor.current_class, [(float(x), float(y))]))
        self.editor.set_outline(self.scribbles[-1][1])

    def move(self, x: float, y: float) -> None:
        if self.scribbles:
            self.scribbles[-1][1].append((float(x), float(y)))
            self.editor.set_outline(self.scribbles[-1][1])

    def commit(self) -> bool:
        ed, doc = self.editor, self.doc
        scribbles, self.scribbles = self.scribbles, []
        ed.set_outline([])
        if doc is None:
            return False
        evidence = Evidence(doc.image, doc.labels, len(doc.classes), doc.confidence)
        try:
            edit = resegment(
                evidence, doc.labels, scribbles, ed.brush_size, 2 * ed.brush_size, ed.protect_target
            )
        except SmartToolError as exc:
            ed.notice.emit(str(exc))
            return False
        doc.apply(edit, ed.tool_label)
        return edit is not None

    def step_back(self) -> None:
        if self.scribbles:
            self.scribbles.pop()
            self.editor.set_outline(self.scribbles[-1][1] if self.scribbles else [])

    def cancel(self) -> None:
        if self.scribbles:
            self.scribbles = []
            self.editor.set_outline([])
