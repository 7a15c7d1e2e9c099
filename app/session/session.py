"""The session: what the app has open and what it is doing, without Qt (the counterpart of
napari's ``ViewerModel``). The window builds views onto it and turns clicks into calls on it;
tests drive it directly.

It owns the state the controllers share: the mode (a folder of images or a video,
:mod:`~.modes`) and the document on screen, the tool state
(:class:`~app.document.editor.Editor`), the model (which file, on which device, its classes)
and the background jobs (:mod:`app.jobs`), and what is saved and what is not
(:class:`~.save_state.SaveState`, the background writer). Every stroke, undo or state change of
the open document is autosaved here. Controllers never call each other: they call the session
and follow its events.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from srcrm.base.suffixes import IMAGE_SUFFIXES

from ..document.classes import ClassTable
from ..document.editor import Editor
from ..document.events import Event
from ..document.label_document import ImageState, LabelDocument
from ..document.saver import SaveQueue
from ..jobs import Job, JobRunner, ModelInfo, ModelService
from .model_choice import model_for
from .modes import DocumentError, Mode
from .save_state import SaveState


class Opener(Protocol):
    """Opens the paths of one ``kind`` ("folder", "video") as a mode of the session."""

    kind: str

    def accepts(self, path: Path) -> bool: ...

    def open(self, path: Path, select: str | None = None, view: list[float] | None = None) -> bool: ...


class Session:
    """Events:

    * ``mode_changed(mode)``, ``document_changed(doc)`` (None: nothing open),
      ``document_failed(index, message)`` (an image or frame could not be read);
    * ``edited(doc)`` (a stroke, undo or redo changed it), ``changed()`` (its undo stack or
      state changed); labels going to the writer are the writer's ``queued(key)``;
    * ``notice(text, level, key)``: something to tell the person (``level`` "status" for a
      passing line in the status bar, else "info", "warning" or "error"); ``dismiss(key)``:
      the notice with that key no longer applies.

    The model's events are :class:`~app.jobs.ModelService`'s, the jobs' the runner's."""

    def __init__(
        self,
        jobs: JobRunner,
        model: ModelService,
        saver: SaveQueue | None = None,
        *,
        model_path: str | None = None,
        device: str = "auto",
        auto_prelabel: bool = False,
    ):
        self.jobs = jobs
        self.model = model
        self.saver = saver or SaveQueue()
        self.saves = SaveState()
        self.editor = Editor()
        self.editor.model = model  # tools that run the model (zoomed re-inference) go through it
        self.mode: Mode | None = None
        self.doc: LabelDocument | None = None
        self._followed: LabelDocument | None = None  # the document whose events we follow
        self.model_path = model_path  # None: the bundled default model
        self.device = device
        self.model_classes: ClassTable | None = None  # the loaded model's
        self.auto_prelabel = auto_prelabel  # "Pre-label New Images When Opened"
        self.openers: list[Opener] = []
        self.closed = False
        self.mode_changed = Event()
        self.document_changed = Event()
        self.document_failed = Event()
        self.edited = Event()
        self.changed = Event()
        self.notice = Event()
        self.dismiss = Event()
        model.ready.connect(self._on_model_ready)

    # --- what is open -------------------------------------------------------------------------

    @property
    def project(self):
        """The folder of images, in image mode."""
        return getattr(self.mode, "project", None)

    @property
    def video(self):
        """The video, in video mode."""
        return getattr(self.mode, "video", None)

    @property
    def foreground_job(self) -> Job | None:
        """The newest task the person waits for (its progress is in the status bar)."""
        jobs = self.jobs.jobs(foreground=True)
        return jobs[-1] if jobs else None

    def open_path(
        self, path: Path, select: str | None = None, view: list[float] | None = None, kind: str | None = None
    ) -> bool:
        """Open ``path`` with the opener that takes it (a folder, an image in its folder, a
        video), or as ``kind`` says (a folder of frames reopens as a video); a notice when none
        does."""
        path = Path(path)
        opener = next((o for o in self.openers if o.kind == kind or (kind is None and o.accepts(path))), None)
        if opener is not None:
            return opener.open(path, select, view)
        if path.exists():
            self.notice.emit(
                f"{path.name} is not an image this app opens ({', '.join(IMAGE_SUFFIXES)}).", "error", "open"
            )
        else:
            self.notice.emit(f"{path}: no such file or folder.", "error", "open")
        return False

    def open_mode(self, mode: Mode | None) -> None:
        """The one way a folder or a video opens (None: close what is open). The document on
        screen is saved and closed, every label written and the old mode closed; the new one
        takes the model's classes (if nobody chose its own) and the fine-tuned model version
        it was last used with. The opener then shows its first document."""
        self.close_document()
        self.saver.flush()
        old = self.mode
        if old is not None:
            old.classes.changed.disconnect(self._on_classes_changed)
            try:
                old.save_meta()
            except OSError:
                pass  # the label maps report their own save errors; this only costs the place
            old.close()
        self.mode = mode
        if mode is not None:
            self.dismiss.emit("open")  # what could not be opened before no longer matters
            mode.classes.changed.connect(self._on_classes_changed)
            if self.model_classes is not None:
                mode.adopt_model_classes(self.model_classes, warn=False)
            choice = model_for(mode.label_dir, self.model_path)
            if choice.notice is not None:
                self.notice.emit(choice.notice, choice.level, "versions")
            elif choice.switch:
                self.load_model(choice.path)
        self.mode_changed.emit(mode)

    def open_document(self, index: int, reload: bool = False) -> bool:
        """Show document ``index`` of the mode (an image, or a frame), the one on screen saved
        first. False when there is none such, or it cannot be read: the notice says why."""
        mode = self.mode
        if mode is None or not 0 <= index < mode.count:
            return False
        if index == mode.index and self.doc is not None and not reload:
            return True
        try:
            enter = mode.read(index)
        except DocumentError as exc:
            if mode.failed(index):
                self.close_document()
            self.document_failed.emit(index, str(exc))
            self.notice.emit(str(exc), "error", mode.noun)
            return False
        self.leave_document()
        doc, warnings = enter()
        self._show(doc)
        self.dismiss.emit(mode.noun)
        if warnings:
            self.notice.emit(" ".join(warnings), "warning", mode.noun)
        return True

    def step(self, delta: int) -> None:
        """A / D: the next or previous image, or frame."""
        mode = self.mode
        if mode is None or not mode.count:
            return
        index = 0 if mode.index is None else mode.index + delta
        if 0 <= index < mode.count:
            self.open_document(index)
        else:
            self.notice.emit(f"First {mode.noun}" if index < 0 else f"Last {mode.noun}", "status", None)

    def next_unfinished(self) -> None:
        """Shift+D: the next image (or frame) not marked done."""
        index = self.mode.next_unfinished() if self.mode is not None else None
        if index is not None:
            self.open_document(index)
        elif self.mode is not None:
            self.notice.emit(f"Every {self.mode.noun} is done", "status", None)

    def _show(self, doc: LabelDocument) -> None:
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

    # --- the model ----------------------------------------------------------------------------

    def load_model(self, path: str | None) -> Job:
        """Switch to the model in ``path`` (None: the bundled default) on the session's device;
        jobs predicting with the old one are cancelled and the load waits for them."""
        self.model_path = path
        return self.model.load(path, self.device)

    def set_device(self, device: str) -> None:
        """ "cpu" or "auto"; the model is loaded again there."""
        self.device = device
        self.load_model(self.model_path)

    def set_auto_prelabel(self, on: bool) -> None:
        self.auto_prelabel = bool(on)
        self.changed.emit()

    def _on_model_ready(self, info: ModelInfo) -> None:
        self.model_classes = ClassTable(info.class_names, info.palette, info.ignore_index)
        if self.mode is not None:
            warning = self.mode.adopt_model_classes(self.model_classes, warn=True)
            if warning is not None:
                self.notice.emit(warning, "warning", "model-classes")

    # --- saving -------------------------------------------------------------------------------

    def autosave(self, doc: LabelDocument | None = None, force: bool = False) -> bool:
        doc = doc or self.doc
        if self.closed or self.mode is None or doc is None:
            return False
        return self.mode.autosave(doc, force)

    def save_now(self) -> None:
        """Ctrl+S: write the open labels even if unchanged, and wait until everything is on disk."""
        self.autosave(force=True)
        self.saver.flush()
        if self.mode is not None:
            try:
                self.mode.save_meta()
            except OSError as exc:
                self.notice.emit(f"Could not save the class table: {exc}", "error", None)

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
        if self.mode is not None:
            try:
                self.mode.save_meta()  # (the video's last frame, the folder's last image)
            except OSError:
                pass
            self.mode.close(final=True)
