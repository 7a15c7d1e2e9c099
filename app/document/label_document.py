"""One image being labelled: the image, its label map, the model's confidence, its state and
its undo history. No Qt: views subscribe to the plain :class:`Event` attributes."""

from __future__ import annotations

import enum
from pathlib import Path

import numpy as np

from .classes import ClassTable
from .events import Event
from .geometry import Rect
from .tools import Edit, apply_edit, patch
from .undo import DEFAULT_MAX_BYTES, StrokeRecorder, UndoStack, UndoStep


class ImageState(str, enum.Enum):
    NEW = "new"  # no labels yet
    PRELABELLED = "prelabelled"  # labels from the model, untouched by a person
    EDITED = "edited"  # a person changed the labels
    DONE = "done"  # a person marked the image finished

    @property
    def label(self) -> str:
        return {"new": "new", "prelabelled": "pre-labelled", "edited": "edited", "done": "done"}[self.value]

    @property
    def has_human_work(self) -> bool:
        return self in (ImageState.EDITED, ImageState.DONE)


class LabelDocument:
    """Events: ``labels_changed(rect)``, ``confidence_changed()``, ``state_changed(state)``,
    ``edited(step)`` (a step was pushed, undone or redone: time to autosave)."""

    def __init__(
        self,
        image: np.ndarray,
        labels: np.ndarray | None = None,
        *,
        classes: ClassTable,
        confidence: np.ndarray | None = None,
        state: ImageState = ImageState.NEW,
        path: Path | None = None,
        model: str | None = None,
        max_undo_bytes: int = DEFAULT_MAX_BYTES,
    ):
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError("the image must be an HxWx3 uint8 RGB array")
        h, w = image.shape[:2]
        if labels is None:
            labels = np.full((h, w), classes.ignore_index, np.uint8)
        if labels.shape != (h, w):
            raise ValueError(f"label map is {labels.shape[1]}x{labels.shape[0]} but the image is {w}x{h}")
        if confidence is not None and confidence.shape != (h, w):
            raise ValueError("confidence map does not match the image size")
        self.image = image
        self.labels = np.ascontiguousarray(labels, dtype=np.uint8)
        self.confidence = None if confidence is None else confidence.astype(np.float32, copy=False)
        self.classes = classes
        self.state = ImageState(state)
        self.path = Path(path) if path is not None else None
        self.model = model
        # Pixels a person has written (kept through undo): zoomed re-inference never replaces them.
        self.human_edits = np.zeros((h, w), bool)
        self.undo_stack = UndoStack(max_undo_bytes)
        self.revision = 0
        self._stroke: StrokeRecorder | None = None
        self._stroke_state: ImageState | None = None
        self._stroke_by_model = False  # the model wrote the stroke (zoomed re-inference)

        self.labels_changed = Event()
        self.confidence_changed = Event()
        self.state_changed = Event()
        self.edited = Event()

    # --- basic properties ---------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, int]:
        return self.labels.shape

    @property
    def width(self) -> int:
        return self.labels.shape[1]

    @property
    def height(self) -> int:
        return self.labels.shape[0]

    @property
    def name(self) -> str:
        return self.path.name if self.path else "untitled"

    def set_state(self, state: ImageState) -> None:
        state = ImageState(state)
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    # --- strokes ------------------------------------------------------------------------------

    @property
    def in_stroke(self) -> bool:
        return self._stroke is not None

    def begin_stroke(self, name: str) -> None:
        if self._stroke is not None:
            self.end_stroke()
        self._stroke = StrokeRecorder(self.labels, name)
        self._stroke_state = self.state
        self._stroke_by_model = False

    def apply(self, edit: Edit | None, name: str = "edit", by_person: bool = True) -> Rect | None:
        """Apply one tool edit (one class or a patch of several) inside the current stroke; with
        none open, the edit is its own undo step called ``name``. ``by_person`` False: the model
        wrote it (zoomed re-inference), so its pixels stay open to the model."""
        if edit is None:
            return None
        auto = self._stroke is None
        if auto:
            self.begin_stroke(name)
        assert self._stroke is not None
        self._stroke.touch(edit.rect)
        rect = apply_edit(self.labels, edit)
        if by_person:
            self.human_edits[edit.rect.slices] |= edit.mask
        else:
            self._stroke_by_model = True
        self.revision += 1
        self.labels_changed.emit(rect)
        if auto:
            self.end_stroke()
        return rect

    def set_region(self, rect: Rect, values: np.ndarray, name: str) -> None:
        """Replace ``rect`` with ``values`` as one undo step (e.g. "fill gaps")."""
        self.end_stroke()
        self.apply(patch(self.labels, rect, values), name)

    def end_stroke(self) -> UndoStep | None:
        """Close the stroke: one undo step with only the changed pixels."""
        if self._stroke is None:
            return None
        recorder, self._stroke = self._stroke, None
        step = recorder.finish()
        if step is None:
            return None
        before = self._stroke_state
        if self.state in (ImageState.NEW, ImageState.PRELABELLED):
            self.set_state(ImageState.EDITED)
        step.extra_before["state"] = before
        step.extra_after["state"] = self.state
        step.extra_after["by_person"] = not self._stroke_by_model
        self.undo_stack.push(step)
        self.edited.emit(step)
        return step

    # --- model predictions --------------------------------------------------------------------

    def set_prediction(
        self, labels: np.ndarray, confidence: np.ndarray | None, model: str | None
    ) -> UndoStep | None:
        """Replace the whole label map with a model's prediction, as one undoable step."""
        if labels.shape != self.shape:
            raise ValueError("the prediction does not match the image size")
        if self._stroke is not None:
            self.end_stroke()
        before_state, before_conf, before_model = self.state, self.confidence, self.model
        recorder = StrokeRecorder(self.labels, "pre-label")
        recorder.touch(Rect.full(self.shape))
        self.labels[...] = labels
        self.human_edits[...] = False
        self.confidence = None if confidence is None else confidence.astype(np.float32)
        self.model = model
        self.revision += 1
        step = recorder.finish() or UndoStep("pre-label", [])
        step.extra_before.update(state=before_state, confidence=before_conf, model=before_model)
        step.extra_after.update(state=ImageState.PRELABELLED, confidence=self.confidence, model=model)
        self.undo_stack.push(step)
        self.labels_changed.emit(Rect.full(self.shape))
        self.confidence_changed.emit()
        self.set_state(ImageState.PRELABELLED)
        self.edited.emit(step)
        return step

    # --- undo / redo --------------------------------------------------------------------------

    def undo(self) -> bool:
        return self._step(redo=False)

    def redo(self) -> bool:
        return self._step(redo=True)

    def _step(self, redo: bool) -> bool:
        if self._stroke is not None:
            self.end_stroke()
        step = self.undo_stack.pop_redo() if redo else self.undo_stack.pop_undo()
        if step is None:
            return False
        rect = step.apply(self.labels, redo)
        self.revision += 1
        extra = step.extra_after if redo else step.extra_before
        if rect is not None:
            self.labels_changed.emit(rect)
        if "confidence" in extra:
            self.confidence = extra["confidence"]
            self.model = extra.get("model")
            self.confidence_changed.emit()
        if "state" in extra and self.state != ImageState.DONE:  # "done" is the user's call
            self.set_state(extra["state"])
        if not self.state.has_human_work:  # back to the model's labels: no pixel is a person's
            self.human_edits[...] = False
        elif redo and step.extra_after.get("by_person", True):
            for p in step.patches:
                self.human_edits[p.rect.slices] |= p.before != p.after
        self.edited.emit(step)
        return True
