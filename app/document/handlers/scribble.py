"""Scribble re-segment: drag scribbles, each in the class current when it starts; Enter (or a
double-click) re-segments the region around them among their classes, one undo step.

Every scribble stays on the canvas in its class colour until it is applied, and once two
classes are scribbled the canvas previews the result."""

from __future__ import annotations

from ..smart import SmartToolError
from ..smart.evidence import Evidence
from ..smart.scribble import resegment
from ..tools import Edit
from .base import Point, ToolHandler


class ScribbleHandler(ToolHandler):
    multi_click = True

    def __init__(self, editor) -> None:
        super().__init__(editor)
        self.scribbles: list[tuple[int, list[Point]]] = []
        self._result: tuple[object, Edit | None] | None = None  # (what it was made of, the edit)

    def press(self, x: float, y: float) -> None:
        self.scribbles.append((self.editor.current_class, [(float(x), float(y))]))
        self._show()

    def move(self, x: float, y: float) -> None:
        if self.scribbles:
            self.scribbles[-1][1].append((float(x), float(y)))
            self._show()

    def _show(self) -> None:
        self.editor.set_marks(self.scribbles)

    def _edit(self) -> Edit | None:
        ed, doc = self.editor, self.doc
        evidence = Evidence(doc.image, doc.labels, len(doc.classes), doc.confidence)
        return resegment(
            evidence, doc.labels, self.scribbles, ed.brush_size, 2 * ed.brush_size, ed.protect_target
        )

    def preview(self, hover: Point | None) -> Edit | None:
        if len({c for c, _ in self.scribbles}) < 2:
            return None
        ed, doc = self.editor, self.doc
        made_of = (
            doc,
            doc.revision,
            [(c, len(s)) for c, s in self.scribbles],
            ed.brush_size,
            ed.protect_target,
        )
        if self._result is None or self._result[0] != made_of:  # the hover alone changes nothing
            try:
                self._result = (made_of, self._edit())
            except SmartToolError:
                self._result = (made_of, None)
        return self._result[1]

    def commit(self) -> bool:
        ed = self.editor
        if ed.doc is None:
            self.cancel()
            return False
        try:
            edit = self._edit()
        except SmartToolError as exc:
            ed.notice.emit(str(exc))
            self.cancel()
            return False
        self.cancel()
        self.doc.apply(edit, ed.tool_label)
        return edit is not None

    def step_back(self) -> None:
        if self.scribbles:
            self.scribbles.pop()
            self._show()

    def cancel(self) -> None:
        self._result = None
        if self.scribbles:
            self.scribbles = []
            self.editor.set_marks([])
