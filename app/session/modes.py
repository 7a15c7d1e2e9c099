"""Image mode and video mode: the two ways a session holds its documents, behind one interface.

The window never asks which mode it is in; it asks the mode: how to read a document and what
happens when one cannot be read, what to save after a stroke, where A / D go, what the title
says, what to fine-tune on, what an export must not overwrite, whether the image-only commands
(pre-label the folder, mark done) apply.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path

import numpy as np

from srcrm.video import VideoReadError

from ..document.classes import ClassTable
from ..document.label_document import ImageState, LabelDocument
from ..document.project import Project
from ..document.saver import SaveQueue
from ..jobs import PrelabelResult
from ..video.session import VideoSession
from .save_state import SaveState


class DocumentError(Exception):
    """An image or frame that cannot be shown; the message says so to the person."""


def next_not_done(count: int, current: int | None, done: Callable[[int], bool]) -> int | None:
    """The first of ``count`` documents after ``current`` (wrapping around, ``current`` itself
    last) for which ``done`` is false; None if every one is done."""
    start = -1 if current is None else current
    return next((i for k in range(1, count + 1) if not done(i := (start + k) % count)), None)


class Mode(ABC):
    """What a session has open. ``index`` is the image or frame on screen (None: none yet)."""

    image_commands = False  # pre-label the folder
    noun = "image"  # what one document is, for messages
    fit_each_document = True  # each image fits the window; a video's frames share one view

    @property
    @abstractmethod
    def count(self) -> int:
        """How many images or frames there are."""

    @property
    @abstractmethod
    def index(self) -> int | None: ...

    @property
    @abstractmethod
    def classes(self) -> ClassTable: ...

    @property
    @abstractmethod
    def label_dir(self) -> Path:
        """The folder the labels (and fine-tuned model versions) live in."""

    @property
    @abstractmethod
    def finetune_target(self) -> Project | VideoSession: ...

    # --- opening documents --------------------------------------------------------------------

    @abstractmethod
    def first_index(self, select: Path | str | None = None) -> int | None:
        """The document to show first (``select``: an image's name or path)."""

    def next_unfinished(self) -> int | None:
        """The next document after the open one not marked done (None: none, or no such
        notion here)."""
        return None

    @abstractmethod
    def read(self, index: int) -> Callable[[], tuple[LabelDocument, list[str]]]:
        """Read document ``index`` off disk or out of the video: raises :class:`DocumentError`
        (and nothing changed). Calling the function returned makes it the open document and
        gives it with the warnings to show; the session leaves the one before in between."""

    def failed(self, index: int) -> bool:
        """Document ``index`` could not be read; True when the one on screen closes."""
        return False

    def prelabel_paths(self, replace_edited: bool = False) -> list[Path]:
        """The files a pre-label of everything sends to the model (none: not this way)."""
        return []

    def receive_prediction(
        self, result: PrelabelResult, doc: LabelDocument | None, confirm_replace: Callable[[str], bool]
    ) -> str:
        """Put the pre-label of one file where it belongs; what happened (see ImageMode)."""
        return "gone"

    # --- what happens to them -----------------------------------------------------------------

    @abstractmethod
    def autosave(self, doc: LabelDocument, force: bool = False) -> bool:
        """Hand ``doc``'s labels to the writer if they changed since loaded or last saved
        (``force``: Ctrl+S, even if not); True if something was queued."""

    def state_changed(self, doc: LabelDocument, state: ImageState) -> None:  # noqa: B027 - an optional hook
        """The document's state changed (a person edited it, marked it done)."""

    def classes_changed(self, doc: LabelDocument | None) -> None:  # noqa: B027 - an optional hook
        """The class table changed (a class added, renamed, recoloured)."""

    @abstractmethod
    def adopt_model_classes(self, model: ClassTable, warn: bool) -> str | None:
        """Take the model's classes if nobody chose any yet; with ``warn``, a warning to show
        when the model's classes differ from the ones kept."""

    @abstractmethod
    def own_files(self) -> tuple[set[Path], list[Path]]:
        """What an export must never write over: the images or video being labelled, and the
        folders holding the app's own label files."""

    # --- about it -----------------------------------------------------------------------------

    #: How a new model reaches the other documents (a message).
    relabel_hint = ""

    @property
    @abstractmethod
    def training_source(self) -> str:
        """What a fine-tune trains on (a message)."""

    @abstractmethod
    def session_fields(self, doc: LabelDocument | None) -> dict:
        """What a restart needs to come back here (folder, video, image)."""

    @abstractmethod
    def title(self, doc: LabelDocument | None) -> str: ...

    @abstractmethod
    def save_meta(self) -> None:
        """Write what is kept beside the labels (the class table, where the person was);
        raises OSError."""

    def close(self, final: bool = False) -> None:  # noqa: B027 - an optional hook
        """Another folder or video is opening (``final``: the app is closing, every job has
        stopped); labels were saved before this is called."""


class ImageMode(Mode):
    """A folder of images (a :class:`~app.document.project.Project`), one open at a time."""

    image_commands = True

    def __init__(self, project: Project, saver: SaveQueue, saves: SaveState):
        self.project = project
        self.saver = saver
        self.saves = saves
        self._index: int | None = None

    @property
    def count(self) -> int:
        return len(self.project)

    @property
    def index(self) -> int | None:
        return self._index

    @property
    def classes(self) -> ClassTable:
        return self.project.classes

    @property
    def label_dir(self) -> Path:
        return self.project.label_dir

    @property
    def finetune_target(self) -> Project:
        return self.project

    def first_index(self, select: Path | str | None = None) -> int | None:
        """The image to open first: ``select`` (a name or path), else the one open last time,
        else the first not marked done; None for an empty folder."""
        entries = self.project.entries
        for name in (Path(select).name if select is not None else None, self.project.last_image):
            found = next((i for i, e in enumerate(entries) if name and e.path.name == name), None)
            if found is not None:
                return found
        if not entries:
            return None
        return next((i for i, e in enumerate(entries) if e.state != ImageState.DONE), 0)

    def next_unfinished(self) -> int | None:
        """The next image after the open one (wrapping around) not marked done."""
        entries = self.project.entries
        return next_not_done(len(entries), self.index, lambda i: entries[i].state == ImageState.DONE)

    def read(self, index: int) -> Callable[[], tuple[LabelDocument, list[str]]]:
        self.saver.flush()  # its labels as last saved, if a save of them is still queued
        try:
            doc, warnings = self.project.load_document(index)
        except (OSError, ValueError) as exc:  # srcrm's ImageReadError is a ValueError
            name = self.project.entries[index].path.name
            raise DocumentError(
                f"Cannot open {name}: {exc}. Your other images and labels are unaffected; "
                f"press D for the next image."
            ) from exc

        def enter() -> tuple[LabelDocument, list[str]]:
            self._index = index
            self.saves.loaded(doc.path, doc.revision)
            return doc, warnings

        return enter

    def failed(self, index: int) -> bool:
        self._index = index  # D goes on from the image that failed
        return True

    def adopt_model_classes(self, model: ClassTable, warn: bool) -> str | None:
        """A folder whose classes nobody chose yet takes the model's (names, colours, ignore
        index); one with its own classes keeps them."""
        project = self.project
        if project.classes_source == "default" and not any(e.state.has_human_work for e in project.entries):
            project.classes.replace_with(model.copy())
            project.classes_source = "model"
            return None
        if warn and (
            len(project.classes) != len(model) or project.classes.ignore_index != model.ignore_index
        ):
            return (
                f"The model predicts {len(model)} classes but this folder uses "
                f"{len(project.classes)}: its pre-labels may not mean the same classes here."
            )
        return None

    def own_files(self) -> tuple[set[Path], list[Path]]:
        return {e.path for e in self.project.entries}, [self.project.label_dir]

    def save_meta(self) -> None:
        self.project.save_project_file()

    def autosave(self, doc: LabelDocument, force: bool = False) -> bool:
        if doc.path is None:
            return False
        if force:
            self.saves.unsaved(doc.path)
        if not self.saves.needs_save(doc.path, doc.revision):
            return False
        self.saves.submitted(doc.path, doc.revision)
        project, snap = self.project, self.project.snapshot(doc)
        self.saver.submit(doc.path, lambda: project.write_snapshot(snap))
        return True

    @property
    def training_source(self) -> str:
        return f"images you labelled in {self.project.folder.name}"

    relabel_hint = "Model > Re-pre-label Untouched Images applies it to the images nobody edited"

    def prelabel_paths(self, replace_edited: bool = False) -> list[Path]:
        """The images a folder pre-label sends to the model, the open one first (so the user
        sees it at once). With ``replace_edited`` those a person edited go too, their
        replacement approved; without, they are left out."""
        entries = self.project.entries
        if replace_edited:
            self.saves.approve_overwrite(e.path for e in entries if e.state.has_human_work)
        paths = [e.path for e in entries if replace_edited or not e.state.has_human_work]
        current = entries[self.index].path if self.index is not None else None
        if current in paths:
            paths.remove(current)
            paths.insert(0, current)
        return paths

    def receive_prediction(
        self, result: PrelabelResult, doc: LabelDocument | None, confirm_replace: Callable[[str], bool]
    ) -> str:
        """Put a pre-label ``result`` where it belongs: into the open ``doc`` (one undo step),
        else onto disk. Edits a person made are replaced only if that was approved, or
        ``confirm_replace(name)`` says yes for the open image. Returns what happened:
        "applied", "written", "kept" (a person's edits stay), or "gone" (not in the folder)."""
        index = self.project.index_of(result.path)
        if index is None or result.labels is None:
            return "gone"
        approved = self.saves.take_approval(result.path)
        if doc is not None and doc.path == result.path:
            # Edited while the model was running: never overwrite without asking.
            if doc.state.has_human_work and not approved and not confirm_replace(doc.name):
                return "kept"
            if result.labels.shape != doc.shape:
                return "gone"
            doc.set_prediction(result.labels, result.confidence, result.model)
            return "applied"
        if self.project.entries[index].state.has_human_work and not approved:
            return "kept"
        project = self.project
        snap = project.prediction_snapshot(index, result.labels, result.confidence, result.model)
        self.saver.submit(result.path, lambda: project.write_snapshot(snap))
        return "written"

    def state_changed(self, doc: LabelDocument, state: ImageState) -> None:
        if self.index is not None:
            self.project.set_state(self.index, state)
        self.saves.meta_changed(doc.path)

    def classes_changed(self, doc: LabelDocument | None) -> None:
        if self.project.classes_source == "default":
            self.project.classes_source = "user"  # (adopting a model's classes resets it)
        if doc is not None and doc.state != ImageState.NEW:  # the sidecars carry the classes
            self.saves.meta_changed(doc.path)

    def session_fields(self, doc: LabelDocument | None) -> dict:
        image = (
            doc.path.name
            if doc is not None and doc.path is not None
            else self.project.entries[self.index].path.name
            if self.index is not None
            else None
        )
        return {"folder": str(self.project.folder), "video": None, "image": image}

    def title(self, doc: LabelDocument | None) -> str:
        if self.index is None:
            return "SRCRM Studio"
        entry = self.project.entries[self.index]
        return f"{entry.path.name} ({entry.state.label}) — {self.project.folder} — SRCRM Studio"


class VideoMode(Mode):
    """A video (a :class:`~app.video.session.VideoSession`), one frame at a time. A frame's
    document has no path: its labels go to the video's label store, through
    :class:`~app.video.session.PendingWrites` until they are on disk."""

    noun = "frame"

    def __init__(self, video: VideoSession, saver: SaveQueue):
        self.video = video
        self.saver = saver
        self._doc: LabelDocument | None = None  # the frame on screen
        self._saved_revision = 0
        self.baseline: np.ndarray | None = None  # the frame as shown: what "changed" means
        # The last frame left with a change on it: (index, its labels, what changed), so a
        # correction can be propagated after looking at other frames.
        self.last_correction: tuple[int, np.ndarray, np.ndarray] | None = None

    @property
    def count(self) -> int:
        return self.video.frame_count

    @property
    def index(self) -> int | None:
        return self.video.frame if self.video.frame >= 0 else None

    @property
    def classes(self) -> ClassTable:
        return self.video.classes

    @property
    def label_dir(self) -> Path:
        return self.video.label_dir

    @property
    def finetune_target(self) -> VideoSession:
        return self.video

    fit_each_document = False

    def first_index(self, select: Path | str | None = None) -> int | None:
        """The frame viewed last."""
        return self.video.last_frame if self.video.frame_count else None

    def next_unfinished(self) -> int | None:
        """The next frame after the one on screen (wrapping around) not marked done."""
        done = self.video.done
        return next_not_done(self.video.frame_count, self.index, done.__contains__)

    def read(self, index: int) -> Callable[[], tuple[LabelDocument, list[str]]]:
        video = self.video
        try:
            image = video.source.read(index)
        except (VideoReadError, IndexError) as exc:
            raise DocumentError(
                f"Frame {index} of {video.source.name} cannot be shown: {exc}. The other frames "
                f"and every label are unaffected."
            ) from exc
        return lambda: self.load(index, image)

    def load(self, index: int, image: np.ndarray) -> tuple[LabelDocument, list[str]]:
        """The document of frame ``index`` (its pixels already decoded), and warnings to show:
        strokes recovered from the frame's journal are written to the store at once."""
        doc, recovery = self.video.document(index, image)
        self._keep_correction()
        self.video.frame = index
        self._doc = doc
        self._saved_revision = doc.revision
        self.baseline = doc.labels.copy()
        journal = self.video.journal(index)
        doc.edited.connect(lambda step: journal.record(doc.labels, step.rect))
        if recovery.count:
            self.submit(index, doc.labels.copy())
        return doc, recovery.notices(f"frame {index}")

    def _keep_correction(self) -> None:
        """The frame being left: remember what changed on it since it was shown."""
        doc, baseline, index = self._doc, self.baseline, self.video.frame
        if doc is not None and baseline is not None and index >= 0:
            region = doc.labels != baseline
            if region.any():
                self.last_correction = (index, doc.labels.copy(), region)

    def correction(self) -> tuple[int, np.ndarray, np.ndarray] | None:
        """The correction to propagate: this frame's changes since it was shown, else the last
        frame left with changes; ``(frame index, its labels, what changed)``."""
        doc, baseline = self._doc, self.baseline
        if doc is not None and baseline is not None and self.video.frame >= 0:
            region = doc.labels != baseline
            if region.any():
                return self.video.frame, doc.labels.copy(), region
        return self.last_correction

    def correction_carried(self, index: int) -> None:
        """The correction of frame ``index`` went to the frames after it."""
        if self.last_correction is not None and self.last_correction[0] == index:
            self.last_correction = None
        if self._doc is not None and self.video.frame == index:
            self.baseline = self._doc.labels.copy()

    @property
    def training_source(self) -> str:
        return f"frames you edited in {self.video.path.name}"

    relabel_hint = "Video > Pre-label the Video applies it to the frames nobody edited"

    def state_changed(self, doc: LabelDocument, state: ImageState) -> None:
        """Marked done (or no longer): remembered beside the labels; a frame marked done is
        a person's work from then on, so its labels are written as theirs (pre-labelling and
        learning leave it alone)."""
        video, index = self.video, self.video.frame
        if doc is not self._doc or index < 0:
            return
        if state == ImageState.DONE:
            video.done.add(index)
            if not video.store.is_edited(index):
                self._saved_revision = doc.revision
                self.submit(index, doc.labels.copy())
        else:
            video.done.discard(index)
        try:
            video.save_meta()
        except OSError:
            pass  # written again when the video closes; the frame's labels say the rest

    def receive_prediction(
        self, result: PrelabelResult, doc: LabelDocument | None, confirm_replace: Callable[[str], bool]
    ) -> str:
        """A pre-label of the frame whose label file is ``result.path`` (the learning mode's),
        onto disk unless a person edited the frame or has it on screen: "written", "kept" or
        "gone" (not a frame of this video)."""
        video = self.video
        if (
            result.labels is None
            or result.path.parent != video.store.folder
            or not result.path.stem.isdigit()
        ):
            return "gone"
        index = int(result.path.stem)
        if not 0 <= index < video.frame_count:
            return "gone"
        if (
            index == video.frame
            or index in video.done
            or index in video.pending
            or video.store.is_edited(index)
        ):
            return "kept"
        labels, store = result.labels, video.store
        video.labelled.add(index)

        def write() -> None:
            store.write_unless_edited(index, labels)  # an edit made meanwhile wins

        self.saver.submit(result.path, write)
        return "written"

    def classes_changed(self, doc: LabelDocument | None) -> None:
        if self.video.classes_source == "default":
            self.video.classes_source = "user"

    def adopt_model_classes(self, model: ClassTable, warn: bool) -> str | None:
        self.video.adopt_classes(model)
        return None

    def own_files(self) -> tuple[set[Path], list[Path]]:
        return {self.video.path}, [self.video.store.folder]

    def save_meta(self) -> None:
        self.video.save_meta()

    def close(self, final: bool = False) -> None:
        """Remembers the frame for a next opening; the video itself stays open while a job
        still works on it (the job closes it when it ends)."""
        video = self.video
        video.last_frame, video.frame = max(0, video.frame), -1
        if final or not video.held:
            video.close()

    def autosave(self, doc: LabelDocument, force: bool = False) -> bool:
        """Also queues again every frame whose write failed (Ctrl+S after a full disk)."""
        queued = False
        for index, labels in self.video.pending.take_failed():
            self.submit(index, labels)
            queued = True
        if doc is self._doc and doc.revision != self._saved_revision:
            self._saved_revision = doc.revision
            self.submit(self.video.frame, doc.labels.copy())
            queued = True
        return queued

    def submit(self, index: int, labels: np.ndarray) -> None:
        """Queue frame ``index``'s labels as a person's (pre-labelling leaves them alone)."""
        video = self.video
        store, pending = video.store, video.pending
        token = pending.add(index, labels)
        journal = video.journal(index)
        covered = journal.mark()  # the journal's records these labels already hold
        video.labelled.add(index)
        try:  # marked now, not when the write lands: pre-labelling must leave it alone already
            store.mark_edited(index)
        except OSError:
            pass  # the write below fails the same way, and says so

        def write() -> None:
            try:
                store.write(index, labels, edited=True)
            except BaseException:
                pending.failed(index, token)  # the window's notice says so; Ctrl+S tries again
                raise
            pending.written(index, token)
            journal.drop_through(covered)

        self.saver.submit(store.path(index), write)

    def session_fields(self, doc: LabelDocument | None) -> dict:
        return {"folder": None, "video": str(self.video.path), "image": None}

    def title(self, doc: LabelDocument | None) -> str:
        edited = f" ({doc.state.label})" if doc is not None and doc.state.has_human_work else ""
        video = self.video
        return f"{video.source.name} — frame {video.frame}{edited} — {video.path.parent} — SRCRM Studio"
