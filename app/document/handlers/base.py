"""What every tool handler may do with the mouse; a tool that ignores an event inherits a no-op.

A handler holds only its own gesture state (the last point of a stroke, the corners of a polygon)
and reads the shared state (document, class, brush size) from the editor it was made for, so the
same handler works on an image or a video frame alike.
"""

from __future__ import annotations

from typing import Protocol

from ..events import Event
from ..label_document import LabelDocument
from ..model_port import ModelPort
from ..tools import Edit

Point = tuple[float, float]


class ToolContext(Protocol):
    """What a handler reads and calls of the editor that made it
    (:class:`~app.document.editor.Editor` is one): a protocol, so that the handlers and the
    editor, which picks them from the tool table, do not import each other."""

    doc: LabelDocument | None
    brush_size: int
    current_class: int
    protect_target: int | None
    model: ModelPort | None
    message: Event
    notice: Event

    @property
    def tool_label(self) -> str: ...

    def set_outline(self, points: list[tuple[float, float]]) -> None: ...

    def set_marks(self, marks: list[tuple[int, list[tuple[float, float]]]]) -> None: ...

    def pick(self, x: float, y: float) -> int | None: ...

    def restore_tool(self) -> None: ...


class ToolHandler:
    """The base handler: a tool that does nothing with the mouse (the pan tool, say)."""

    #: The tool collects clicks until committed: double-click or Enter commits, Backspace
    #: removes the last click, Esc cancels (the polygon).
    multi_click = False

    def __init__(self, editor: ToolContext) -> None:
        self.editor = editor

    @property
    def doc(self) -> LabelDocument:
        """The document the gesture works on: the editor passes a press, a move or a commit
        only while one is open."""
        doc = self.editor.doc
        if doc is None:
            raise RuntimeError("no document is open")
        return doc

    def press(self, x: float, y: float) -> None:
        """The left button went down at image coordinates ``(x, y)``."""

    def move(self, x: float, y: float) -> None:
        """The mouse moved with the button held."""

    def release(self) -> None:
        """The button came up (also called to close an open stroke when the tool changes)."""

    def commit(self) -> bool:
        """Finish a multi-click gesture; True if it changed the labels."""
        return False

    def step_back(self) -> None:
        """Remove the last click of a multi-click gesture."""

    def cancel(self) -> None:
        """Drop a gesture in progress without changing the labels."""
        self.release()

    def preview(self, hover: Point | None) -> Edit | None:
        """What the tool would change if the gesture were committed now (a click at ``hover``,
        the mouse's place with no button held; None when it is off the image): the canvas
        shows it before anything changes. None: nothing to show."""
        return None
