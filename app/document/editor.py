"""What the mouse does with the current tool: the editing state machine, without Qt.

The canvas turns mouse events into image coordinates and calls :meth:`Editor.press`,
:meth:`Editor.move` and :meth:`Editor.release`; everything else (which tool, brush size,
class, protected class, polygon in progress) lives here, so it can be driven by tests,
scripts or a future video view alike.
"""

from __future__ import annotations

import math

from . import tools
from .events import Event
from .handlers.base import ToolHandler
from .label_document import LabelDocument
from .model_port import ModelPort
from .tool_table import DEFAULT_TOOL, ToolSpec, tool_spec
from .tools import Edit

MIN_BRUSH, MAX_BRUSH = 1, 500


class Editor:
    """Events: ``changed()`` (tool, size, class or protected class), ``outline_changed(points)``
    (the corners of a multi-click gesture in progress), ``marks_changed(marks)`` (strokes drawn
    but not yet applied, as ``(class id, points)``), ``preview_changed(edit or None)`` (what
    committing now would change), ``message(text)`` (a status-bar hint), ``notice(text)`` (a
    gesture the tool could not act on; nothing changed).

    The mouse goes to the current tool's handler (see :mod:`~.tool_table`)."""

    def __init__(self) -> None:
        self.doc: LabelDocument | None = None
        self.tool = DEFAULT_TOOL
        self._previous_tool = DEFAULT_TOOL
        self.brush_size = 15
        self.current_class = 0
        self.protect_target: int | None = None  # None: the class under the stroke's first point
        self.outline: list[tuple[float, float]] = []
        self.marks: list[tuple[int, list[tuple[float, float]]]] = []
        self.preview: Edit | None = None
        self._hover: tuple[float, float] | None = None  # the mouse, with no button held
        self._handlers: dict[str, ToolHandler] = {}
        self.model: ModelPort | None = None  # for tools that run the model (zoom)
        self.changed = Event()
        self.outline_changed = Event()
        self.marks_changed = Event()
        self.preview_changed = Event()
        self.message = Event()
        self.notice = Event()

    # --- state --------------------------------------------------------------------------------

    @property
    def spec(self) -> ToolSpec:
        return tool_spec(self.tool)

    @property
    def tool_label(self) -> str:
        """The current tool's name (an undo step is named after it)."""
        return self.spec.label

    @property
    def handler(self) -> ToolHandler:
        handler = self._handlers.get(self.tool)
        if handler is None:
            handler = self._handlers[self.tool] = self.spec.handler(self)
        return handler

    def set_document(self, doc: LabelDocument | None) -> None:
        self.cancel()
        self.doc = doc
        self.refresh_preview()

    def set_tool(self, tool: str) -> None:
        tool_spec(tool)  # refuse unknown ids before touching any state
        if tool == self.tool:
            return
        self.cancel()
        if not self.spec.transient:
            self._previous_tool = self.tool
        self.tool = tool
        self._changed()

    def restore_tool(self) -> None:
        """Back to the tool used before a transient one (the eyedropper)."""
        self.set_tool(self._previous_tool)

    def set_outline(self, points: list[tuple[float, float]]) -> None:
        self.outline = list(points)
        self.outline_changed.emit(list(points))

    def set_marks(self, marks: list[tuple[int, list[tuple[float, float]]]]) -> None:
        """Strokes a multi-click tool holds until it is committed, each in its class."""
        self.marks = [(c, list(points)) for c, points in marks]
        self.marks_changed.emit(self.marks)

    def _changed(self) -> None:
        self.changed.emit()
        self.refresh_preview()

    # --- the preview --------------------------------------------------------------------------

    def hover(self, x: float | None, y: float | None = None) -> None:
        """The mouse is at ``(x, y)`` with no button held (None: it left the image)."""
        self._hover = None if x is None or y is None else (float(x), float(y))
        self.refresh_preview()

    def refresh_preview(self) -> None:
        """Work out again what committing now would change (the labels, the tool or its
        options changed)."""
        doc, hover = self.doc, self._hover
        if (
            hover is not None
            and doc is not None
            and not (0 <= hover[0] < doc.width and 0 <= hover[1] < doc.height)
        ):
            hover = None
        preview = None if doc is None or doc.in_stroke else self.handler.preview(hover)
        if preview is not None or self.preview is not None:
            self.preview = preview
            self.preview_changed.emit(preview)

    def set_brush_size(self, size: float) -> None:
        size = int(min(MAX_BRUSH, max(MIN_BRUSH, round(size))))
        if size != self.brush_size:
            self.brush_size = size
            self._changed()

    def grow_brush(self, steps: int = 1) -> None:
        size = self.brush_size
        for _ in range(abs(steps)):
            if steps > 0:
                size = size + 1 if size < 10 else math.ceil(size * 1.15)
            else:
                size = size - 1 if size <= 10 else math.floor(size / 1.15)
        self.set_brush_size(size)

    def set_class(self, class_id: int) -> None:
        if self.doc is not None and (
            not 0 <= class_id < len(self.doc.classes) or class_id == self.doc.classes.ignore_index
        ):
            return
        if class_id != self.current_class:
            self.current_class = int(class_id)
            self._changed()

    def set_protect_target(self, class_id: int | None) -> None:
        if class_id != self.protect_target:
            self.protect_target = class_id
            self._changed()

    # --- mouse --------------------------------------------------------------------------------

    def press(self, x: float, y: float) -> None:
        if self.doc is not None:
            self.handler.press(x, y)
            self.refresh_preview()

    def move(self, x: float, y: float) -> None:
        """Mouse moved with the button held."""
        if self.doc is not None:
            self.handler.move(x, y)

    def release(self) -> None:
        self.handler.release()
        self.refresh_preview()

    def commit(self) -> bool:
        """Finish a multi-click gesture (fill the polygon); True if the labels changed."""
        done = self.handler.commit()
        self.refresh_preview()
        return done

    def step_back(self) -> None:
        """Remove the last click of a multi-click gesture."""
        self.handler.step_back()
        self.refresh_preview()

    def cancel(self) -> None:
        """Drop a gesture in progress and close an open stroke."""
        self.handler.cancel()
        self.refresh_preview()

    def pick(self, x: float, y: float) -> int | None:
        """The eyedropper: make the class under ``(x, y)`` current."""
        if self.doc is None:
            return None
        class_id = tools.pick(self.doc.labels, x, y)
        if class_id is None or class_id == self.doc.classes.ignore_index:
            return None
        self.set_class(class_id)
        self.message.emit(f"Picked {self.doc.classes.name(class_id)}")
        return class_id

    # --- whole-map operations -----------------------------------------------------------------

    def fill_gaps(self) -> bool:
        """Give unlabelled pixels the class of the nearest labelled pixel (one undo step)."""
        if self.doc is None:
            return False
        found = tools.fill_gaps(self.doc.labels, self.doc.classes.ignore_index)
        if found is None:
            return False
        self.doc.set_region(*found, name="Fill gaps")
        return True
