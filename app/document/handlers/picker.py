"""The eyedropper: a click makes the class under it current, then the previous tool returns."""

from __future__ import annotations

from .base import ToolHandler


class PickerHandler(ToolHandler):
    def press(self, x: float, y: float) -> None:
        self.editor.pick(x, y)
        self.editor.restore_tool()
