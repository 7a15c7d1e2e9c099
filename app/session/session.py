"""The session: what the app has open and what it is doing, without Qt (the counterpart of
napari's ``ViewerModel``). The window builds views onto it and turns clicks into calls on it;
tests drive it directly.

It owns the mode (a folder of images or a video, :mod:`~.modes`), the document on screen, the
tool state (:class:`~app.document.editor.Editor`), the model and the background jobs
(:mod:`app.jobs`), and what is saved and what is not (:class:`~.save_state.SaveState`, the
background writer). Every stroke, undo or state change of the open document is autosaved here.
"""

from __future__ import annotations

from ..document.editor import Editor
from ..document.events import Event
from ..document.label_document import ImageState, LabelDocument
from ..document.saver import SaveQueue
from ..jobs import JobRunner, ModelService
from .modes import Mode
from .save_state import SaveState


class Session:
    """Events: ``mode_changed(mode)``, ``document_changed(doc)`` (None: nothing open),
    ``edited(doc)`` (a stroke, undo or redo changed it), ``changed()`` (its undo stack or state
    changed: time to refresh the commands), ``saving()`` (labels went to the writer)."""

    def __init__(self, jobs: JobRunner, model: ModelService, saver: SaveQueue | None = None):
        self.jobs = jobs
        self.model = model
        self.saver = saver or SaveQueue()
        self.saves = SaveState()
        self.editor = Editor()
        self.editor.model = model  # tools that run the model (zoomed re-inference) go through it
        self.mode: Mode | None = None
        self.doc: LabelDocument | None = None
        self._followed: LabelDocument | None = None  # the document whose events we follow
        self.closed = False
        self.mode_changed = Event()
        self.document_changed = Event()
        self.edited = Event()
        self.changed = Event()
        self.saving = Event()

    # --- what is open -------------------------------------------------------------------------

    @property
    def project(self):
        """The folder of images, in image mode."""
        return getattr(self.mode, "project", None)

    @property
    def video(self):
        """The video, in video mode."""
        return getattr(self.mode, "video", None)

    def set_mode(self, mode: Mode | None) -> None:
        """Open ``mode`` (None: nothing); the document on screen is saved and closed first."""
        self.close_document()
        if self.mode is not None:
            self.mode.classes.changed.disconnect(self._on_classes_changed)
            self.mode.close()
        self.mode = mode
        if mode is not None:
            mode.classes.changed.connect(self._on_classes_changed)
        self.mode_changed.emit(mode)

    def show(self, doc: LabelDocument) -> None:
        """Make ``doc`` (an image, or a frame of the video) the one being edited."""
        self.leave_document()
        self.doc = self._followed = doc
        doc.edited.connect(self._on_edited)
        doc.state_changed.connect(self._on_state_changed)
        doc.undo_stack.changed.connect(self.changed.emit)
        self.editor.set_document(doc)
        self.document_changed.emit(doc)

    def leave_document(self) -> None:
        """Close the gesture in progress, save the open document and stop following it."""
        self.editor.cancel()
        doc, self._followed = self._followed, None
        if doc is None:  # (left already)
            return
        self.autosave(doc)
        doc.edited.disconnect(self._on_edited)
        doc.state_changed.disconnect(self._on_state_changed)
        doc.undo_stack.changed.disconnect(self.changed.emit)

    def close_document(self) -> None:
        """Leave the open document and show none."""
        self.leave_document()
        if self.doc is not None:
            self.doc = None
            self.editor.set_document(None)
            self.document_changed.emit(None)

    # --- saving -------------------------------------------------------------------------------

    def autosave(self, doc: LabelDocument | None = None, force: bool = False) -> bool:
        doc = doc or self.doc
        if self.closed or self.mode is None or doc is None:
            return False
        queued = self.mode.autosave(doc, force)
        if queued:
            self.saving.emit()
        return queued

    def toggle_done(self) -> None:
        doc = self.doc
        if doc is None:
            return
        doc.set_state(ImageState.EDITED if doc.state == ImageState.DONE else ImageState.DONE)
        self.autosave(doc)

    def _on_edited(self, _step) -> None:
        self.autosave()
        self.edited.emit(self.doc)
        self.changed.emit()

    def _on_state_changed(self, state: ImageState) -> None:
        if self.mode is not None and self.doc is not None:
            self.mode.state_changed(self.doc, state)
        self.changed.emit()

    def _on_classes_changed(self) -> None:
        if self.mode is not None:
            self.mode.classes_changed(self.doc)
        self.autosave()

    # --- closing ------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """The app is closing: save the open document, stop every job, finish the writes."""
        if self.closed:
            return
        self.leave_document()
        self.closed = True
        self.jobs.shutdown()
        self.saver.close()
