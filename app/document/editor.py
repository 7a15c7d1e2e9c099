"""What the mouse does with the current tool: the editing state machine, without Qt.

The canvas turns mouse events into image coordinates and calls :meth:`Editor.press`,
:meth:`Editor.move` and :meth:`Editor.release`; everything else (which tool, brush size,
class, protected class, polygon in progress) lives here, so it can be driven by tests,
scripts or a future video view alike.
"""

from __future__ import annotations

import enum
import math

from app.document import tools
from app.document.events import Event
from app.document.label_document import LabelDocument

MIN_BRUSH, MAX_BRUSH = 1, 500


class Tool(str, enum.Enum):
    BRUSH = "brush"
    PROTECTED = "protected"  # paints only over one class; the others are protected
    ERASER = "eraser"
    FILL = "fill"
    POLYGON = "polygon"
    PICKER = "picker"
    PAN = "pan"

    @property
    def label(self) -> str:
        return {"brush": "Brush", "protected": "Protected brush", "eraser": "Eraser",
                "fill": "Flood fill", "polygon": "Polygon fill", "picker": "Eyedropper",
                "pan": "Pan"}[self.value]

    @property
    def paints(self) -> bool:
        return self in (Tool.BRUSH, Tool.PROTECTED, Tool.ERASER)


class Editor:
    """Events: ``changed()`` (tool, size, class or protected class), ``polygon_changed(points)``,
    ``message(text)`` (a hint for the status bar)."""

    def __init__(self) -> None:
        self.doc: LabelDocument | None = None
        self.tool = Tool.BRUSH
        self._previous_tool = Tool.BRUSH
        self.brush_size = 15
        self.current_class = 0
        self.protect_target: int | None = None  # None: the class under the stroke's first point
        self.polygon: list[tuple[float, float]] = []
        self._last: tuple[float, float] | None = None
        self._stroke_target: int | None = None
        self.changed = Event()
        self.polygon_changed = Event()
        self.message = Event()

    # --- state --------------------------------------------------------------------------------

    def set_document(self, doc: LabelDocument | None) -> None:
        self.cancel()
        self.doc = doc

    def set_tool(self, tool: Tool) -> None:
        tool = Tool(tool)
        if tool == self.tool:
            return
        self.cancel()
        if self.tool != Tool.PICKER:
            self._previous_tool = self.tool
        self.tool = tool
        self.changed.emit()

    def set_brush_size(self, size: float) -> None:
        size = int(min(MAX_BRUSH, max(MIN_BRUSH, round(size))))
        if size != self.brush_size:
            self.brush_size = size
            self.changed.emit()

    def grow_brush(self, steps: int = 1) -> None:
        size = self.brush_size
        for _ in range(abs(steps)):
            if steps > 0:
                size = size + 1 if size < 10 else math.ceil(size * 1.15)
            else:
                size = size - 1 if size <= 10 else math.floor(size / 1.15)
        self.set_brush_size(size)

    def set_class(self, class_id: int) -> None:
        if self.doc is not None and (not 0 <= class_id < len(self.doc.classes)
                                     or class_id == self.doc.classes.ignore_index):
            return
        if class_id != self.current_class:
            self.current_class = int(class_id)
            self.changed.emit()

    def set_protect_target(self, class_id: int | None) -> None:
        if class_id != self.protect_target:
            self.protect_target = class_id
            self.changed.emit()

    # --- mouse --------------------------------------------------------------------------------

    def press(self, x: float, y: float) -> None:
        doc = self.doc
        if doc is None:
            return
        if self.tool.paints:
            value = doc.classes.ignore_index if self.tool == Tool.ERASER else self.current_class
            target = None
            if self.tool == Tool.PROTECTED:
                target = self.protect_target
                if target is None:
                    target = tools.pick(doc.labels, x, y)
                self._stroke_target = target
                if target is None:
                    return
                self.message.emit(f"Painting {doc.classes.name(value)} only over "
                                  f"{doc.classes.name(target)}")
            doc.begin_stroke(self.tool.label)
            self._last = (x, y)
            doc.apply(tools.brush(doc.labels, (x, y), (x, y), self.brush_size, value, target))
        elif self.tool == Tool.FILL:
            doc.apply(tools.flood_fill(doc.labels, x, y, self.current_class))
        elif self.tool == Tool.POLYGON:
            self.polygon.append((float(x), float(y)))
            self.polygon_changed.emit(list(self.polygon))
        elif self.tool == Tool.PICKER:
            self.pick(x, y)
            self.set_tool(self._previous_tool)

    def move(self, x: float, y: float) -> None:
        """Mouse moved with the button held."""
        doc = self.doc
        if doc is None or self._last is None or not doc.in_stroke:
            return
        value = doc.classes.ignore_index if self.tool == Tool.ERASER else self.current_class
        target = self._stroke_target if self.tool == Tool.PROTECTED else None
        (ax, ay), (bx, by) = self._last, (x, y)
        # Long jumps are cut into pieces so each edit's rectangle stays small.
        length = math.hypot(bx - ax, by - ay)
        pieces = max(1, math.ceil(length / max(16.0, 2.0 * self.brush_size)))
        prev = (ax, ay)
        for k in range(1, pieces + 1):
            cur = (ax + (bx - ax) * k / pieces, ay + (by - ay) * k / pieces)
            doc.apply(tools.brush(doc.labels, prev, cur, self.brush_size, value, target))
            prev = cur
        self._last = (x, y)

    def release(self) -> None:
        self._last = None
        self._stroke_target = None
        if self.doc is not None and self.doc.in_stroke:
            self.doc.end_stroke()

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

    # --- polygon ------------------------------------------------------------------------------

    def close_polygon(self) -> bool:
        """Fill the polygon drawn so far with the current class (one undo step)."""
        points, self.polygon = self.polygon, []
        self.polygon_changed.emit([])
        if self.doc is None or len(points) < 3:
            return False
        edit = tools.polygon_fill(self.doc.labels, points, self.current_class)
        self.doc.apply(edit)
        return edit is not None

    def remove_last_point(self) -> None:
        if self.polygon:
            self.polygon.pop()
            self.polygon_changed.emit(list(self.polygon))

    def cancel(self) -> None:
        """Drop a polygon in progress and close an open stroke."""
        if self.polygon:
            self.polygon = []
            self.polygon_changed.emit([])
        self.release()

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
