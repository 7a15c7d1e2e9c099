"""The flood fill: a click fills the connected region of one class."""

from __future__ import annotations

from .. import tools
from .base import ToolHandler


class FillHandler(ToolHandler):
    def press(self, x: float, y: float) -> None:
        doc = self.doc
        doc.apply(tools.flood_fill(doc.labels, x, y, self.editor.current_class))
