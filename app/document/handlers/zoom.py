"""Zoomed re-inference: drag a rectangle; the model looks at it again, enlarged, in the
background, and its labels replace the pixels no person has edited (one undo step)."""

from __future__ import annotations

import numpy as np

from ..geometry import Rect
from ..label_document import LabelDocument
from ..smart import SmartToolError
from ..smart.zoom import ZoomConfig, zoom_edit, zoom_labels, zoom_rect
from .base import ToolHandler

NAME = "Zoomed re-inference"


class ZoomHandler(ToolHandler):
    config = ZoomConfig()

    def __init__(self, editor) -> None:
        super().__init__(editor)
        self._start: tuple[float, float] | None = None
        self._end: tuple[float, float] | None = None

    def press(self, x: float, y: float) -> None:
        self._start = self._end = (float(x), float(y))

    def move(self, x: float, y: float) -> None:
        if self._start is not None:
            self._end = (float(x), float(y))
            (x0, y0), (x1, y1) = self._start, self._end
            self.editor.set_outline([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])

    def release(self) -> None:
        start, end = self._start, self._end
        self.cancel()
        if start is None or end is None:
            return
        ed, doc = self.editor, self.doc
        try:
            rect = zoom_rect(doc.shape, *start, *end, self.config)
        except SmartToolError as exc:
            ed.notice.emit(str(exc))
            return
        model = ed.model
        if model is None or model.info is None:
            ed.notice.emit("Zoomed re-inference needs a model: load one first.")
            return
        image, config, only_over = doc.image, self.config, ed.protect_target
        job = model.submit(NAME, lambda _job: zoom_labels(model.predict, image, rect, config))
        job.succeeded.connect(lambda values: self._done(doc, rect, values, only_over))
        job.failed.connect(lambda message: ed.notice.emit(f"{NAME} failed: {message}"))
        ed.message.emit(f"{NAME} of {rect.width}x{rect.height} pixels...")

    def _done(self, doc: LabelDocument, rect: Rect, values: np.ndarray, only_over: int | None) -> None:
        """Back on the GUI thread: made against the labels as they are now."""
        if doc is not self.editor.doc:
            return  # another image is open: its labels are not the ones the model saw
        edit = zoom_edit(doc.labels, rect, values, doc.human_edits, only_over)
        if edit is None:
            why = (
                "a person edited every pixel here"
                if doc.human_edits[rect.slices].all()
                else "the model's second look changes nothing here"
            )
            self.editor.message.emit(f"{NAME}: {why}")
            return
        doc.apply(edit, NAME, by_person=False)

    def cancel(self) -> None:
        if self._start is not None:
            self._start = self._end = None
            self.editor.set_outline([])
