"""Model loading and pre-labelling of images as the user sees it: the questions before
overwriting human edits, results into the open document or onto disk, the model's commands.
The work runs in the model's lane of the job runner (:mod:`app.jobs`), off the GUI thread, as a
foreground job (its progress and Cancel are the status bar's); where each result goes is
decided by the Qt-free mode."""

from __future__ import annotations

from pathlib import Path

from .canvas import Canvas
from .dialogs import OVERWRITE
from .document.label_document import ImageState, LabelDocument
from .document.overlay import OverlayMode
from .jobs import Job, ModelInfo, PrelabelResult
from .session import Command, Session
from .settings import AppSettings
from .ui import Ui


class PrelabelFlow:
    def __init__(self, session: Session, ui: Ui, settings: AppSettings, canvas: Canvas) -> None:
        self.session = session
        self.model = session.model
        self.ui = ui
        self.settings = settings
        self.canvas = canvas
        self.job: Job | None = None  # the image pre-label running
        self._left = False  # it stopped because another folder or video was opened
        self._skipped_edited = self._labelled_count = 0
        self.model.ready.connect(self._on_model_ready)
        self.model.load_failed.connect(self._on_model_failed)
        self.model.notice.connect(lambda text: ui.notify(text, "warning"))
        session.document_changed.connect(self._on_document_changed)
        session.mode_changed.connect(self._on_mode_changed)
        session.jobs.finished.connect(self._on_any_finished)

    def commands(self) -> list[Command]:
        session, model = self.session, self.model

        def idle() -> bool:
            return not model.busy  # never swap the model under a running job

        def can_prelabel() -> bool:
            return (
                model.info is not None
                and not model.busy
                and bool(session.mode and session.mode.image_commands)
            )

        return [
            Command(
                "model.prelabel",
                "Pre-label This &Image",
                self.prelabel_current,
                "model",
                "1_run",
                ("Ctrl+L",),
                enabled=lambda: can_prelabel() and session.doc is not None,
            ),
            Command(
                "model.prelabel_folder",
                "Pre-label the Whole &Folder",
                self.prelabel_folder,
                "model",
                "1_run",
                ("Ctrl+Shift+L",),
                enabled=can_prelabel,
            ),
            Command(
                "model.cancel",
                "&Cancel Pre-labelling",
                self.cancel,
                "model",
                "1_run",
                enabled=lambda: self.job is not None,
            ),
            Command("model.load", "&Load Model…", self.choose_model, "model", "2_load", enabled=idle),
            Command(
                "model.default",
                "Use the &Default Model",
                lambda: session.load_model(None),
                "model",
                "2_load",
                enabled=idle,
            ),
            Command(
                "model.auto_prelabel",
                "Pre-label New Images When Opened",
                self.toggle_auto,
                "model",
                "3_options",
                checked=lambda: session.auto_prelabel,
            ),
            Command(
                "model.cpu_only",
                "Use the CPU Only",
                self.toggle_cpu_only,
                "model",
                "3_options",
                enabled=idle,
                checked=lambda: session.device == "cpu",
            ),
            Command(
                "model.reprelabel_untouched",
                "Re-pre-label &Untouched Images",
                self.reprelabel_untouched,
                "model",
                "5_versions",
                tip="Pre-label again, with the current model, every image nobody edited (new or "
                "pre-labelled); edited and done images are never touched",
            ),
        ]

    # --- the model ----------------------------------------------------------------------------

    def choose_model(self) -> None:
        path = self.ui.dialogs.open_checkpoint(self.ui.parent, str(Path.home()))
        if path is not None:
            self.session.load_model(str(path))

    def toggle_auto(self) -> None:
        self.session.set_auto_prelabel(not self.session.auto_prelabel)
        self.settings.set_auto_prelabel(self.session.auto_prelabel)

    def toggle_cpu_only(self) -> None:
        self.session.set_device("auto" if self.session.device == "cpu" else "cpu")
        self.settings.set_device(self.session.device)

    def _on_model_ready(self, info: ModelInfo) -> None:
        self.ui.dismiss("model")  # "still loading", "could not be loaded": no longer so
        self.settings.set_model_path(self.session.model_path)
        self.auto_prelabel()

    def _on_model_failed(self, message: str) -> None:
        self.ui.notify(
            f"{message} You can still label by hand; Model > Load Model… picks another checkpoint.",
            "warning",
            "model",
        )

    # --- starting -----------------------------------------------------------------------------

    def _on_document_changed(self, doc: LabelDocument | None) -> None:
        self.auto_prelabel()

    def _on_mode_changed(self, _mode) -> None:
        """Another folder or video: the pre-label of the images left stops there."""
        if self.job is not None:
            self._left = True
            self.job.cancel()

    def _on_any_finished(self, job: Job) -> None:
        """The model may be free now: for an image opened while it was busy, and "busy" is
        no longer so."""
        if self.session.closed or not job.uses_model:
            return
        if self.model.refusal() is None:
            self.ui.dismiss("model")
        if job is not self.job and job.foreground:
            self.auto_prelabel()

    def auto_prelabel(self) -> None:
        """ "Pre-label New Images When Opened": the open image, if it has no labels yet."""
        doc = self.session.doc
        if (
            doc is not None
            and doc.path is not None  # a video frame has no path of its own
            and doc.state == ImageState.NEW
            and self.session.auto_prelabel
            and self.model.refusal() is None
        ):
            self.start([doc.path])

    def prelabel_current(self) -> None:
        doc = self.session.doc
        if doc is None or doc.path is None or not self.usable():
            return
        if doc.state.has_human_work:
            if not self.ui.dialogs.confirm_replace_edits(self.ui.parent, doc.name):
                return
            self.session.saves.approve_overwrite([doc.path])
        self.start([doc.path])

    def prelabel_folder(self) -> None:
        project, mode = self.session.project, self.session.mode
        if mode is None or project is None or not len(project) or not self.usable():
            return
        edited = sum(e.state.has_human_work for e in project.entries)
        policy: str | None = OVERWRITE
        if edited:
            policy = self.ui.dialogs.folder_edits_policy(self.ui.parent, edited, len(project))
            if policy is None:
                return
        self._start_or_say(mode.prelabel_paths(replace_edited=policy == OVERWRITE), "Nothing to pre-label")

    def reprelabel_untouched(self) -> None:
        """Pre-label every NEW or PRELABELLED image with the current model. Edited and done
        images are not even sent to the model (and a result for an image edited meanwhile is
        dropped, as always). Images only: a video's own pre-labelling already leaves the edited
        frames alone."""
        mode = self.session.mode
        if mode is not None and not mode.image_commands:
            self.ui.notify(
                "Re-pre-labelling untouched images is for a folder of images; in a video, Video > "
                "Pre-label the Video does it (frames you edited are never replaced).",
                "info",
                key="finetune",
            )
            return
        if mode is None or not self.usable():
            return
        self._start_or_say(
            mode.prelabel_paths(), "Every image was edited or marked done: nothing to re-pre-label"
        )

    def _start_or_say(self, paths: list[Path], nothing: str) -> None:
        if paths:
            self.start(paths)
        else:
            self.ui.notify(nothing, "status")

    def usable(self) -> bool:
        why = self.model.refusal()
        if why is not None:
            self.ui.notify(why, "warning", key="model")
        return why is None

    def start(self, paths: list[Path]) -> None:
        self._skipped_edited = self._labelled_count = 0
        job = self.job = self.model.prelabel(paths)
        job.partial.connect(self._on_result)
        job.finished.connect(self._on_finished)

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    # --- while it runs ------------------------------------------------------------------------

    def _on_result(self, res: PrelabelResult) -> None:
        if self.session.closed or self._left:
            return  # (an image of the folder left, finished as it stopped: not this folder's)
        if res.error is not None:
            self.ui.notify(f"{res.path.name}: {res.error}", "error")
            return
        self._labelled_count += 1
        mode = self.session.mode
        if mode is None:
            return  # the folder was closed meanwhile
        doc = self.session.doc
        outcome = mode.receive_prediction(
            res, doc, lambda name: self.ui.dialogs.confirm_replace_edits(self.ui.parent, name)
        )
        if outcome == "applied" and self.canvas.mode == OverlayMode.CONFIDENCE:
            self.canvas.refresh_overlay()
        elif outcome == "kept" and doc is not None and doc.path == res.path:
            self.ui.notify(f"Kept your edits of {doc.name}", "status")
        elif outcome == "kept":
            self._skipped_edited += 1

    def _on_finished(self, job: Job) -> None:
        if job is self.job:
            self.job = None
        if self.session.closed:
            return
        cancelled, done, left = job.cancelled, self._labelled_count, self._left
        self._left = False
        if left:
            text = f"Pre-labelling of the folder left stopped after {done} image(s)"
        elif cancelled:
            text = f"Pre-labelling cancelled after {done} image(s)"
        else:
            text = f"Pre-labelled {done} image(s)"
        if self._skipped_edited:
            text += f"; kept {self._skipped_edited} image(s) you edited meanwhile"
        self.ui.notify(text, "status")
        if not cancelled or left:  # the person moved on while the model was busy
            self.auto_prelabel()
