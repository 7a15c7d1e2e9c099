"""Model loading and pre-labelling as the user sees it: the questions before overwriting human
edits, progress, cancel, results into the open document or onto disk, and the model and device
in the status bar. The work runs in the model's lane of the job runner (:mod:`app.jobs`), off
the GUI thread; where each result goes is decided by the Qt-free image mode."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .canvas import Canvas
from .dialogs import OVERWRITE, Dialogs
from .document.classes import ClassTable
from .document.label_document import ImageState
from .document.overlay import OverlayMode
from .jobs import Job, JobProgress, ModelInfo, PrelabelResult
from .session import Session
from .settings import AppSettings
from .status_view import StatusView

if TYPE_CHECKING:
    from .menus import WindowMenus


class PrelabelHost(Protocol):
    """What the flow uses of the window."""

    session: Session
    dialogs: Dialogs
    canvas: Canvas
    settings: AppSettings
    status: StatusView
    menus: WindowMenus
    model_path: str | None
    device: str

    def show_notice(self, text: str, level: str = "info", key: str | None = None) -> None: ...

    def _update_actions(self) -> None: ...


class PrelabelFlow:
    def __init__(self, host: PrelabelHost) -> None:
        self.host = host
        self.session = host.session
        self.model = host.session.model
        self.job: Job | None = None  # the image pre-label running
        self.model_classes: ClassTable | None = None  # the loaded model's classes
        self._skipped_edited = self._labelled_count = 0
        self.model.ready.connect(self._on_model_ready)
        self.model.load_failed.connect(self._on_model_failed)
        self.model.notice.connect(lambda text: host.show_notice(text, "warning"))
        self.model.device_changed.connect(self._on_device_changed)

    def _message(self, text: str, ms: int) -> None:
        self.host.status.bar.showMessage(text, ms)

    @property
    def _auto(self) -> bool:
        return self.host.menus.act_auto_prelabel.isChecked()

    # --- the model ----------------------------------------------------------------------------

    def choose_model(self) -> None:
        path = self.host.dialogs.open_checkpoint(self.host, str(Path.home()))
        if path is not None:
            self.load_model(str(path))

    def load_model(self, path: str | None) -> None:
        """Switch the model; jobs predicting with the old one are cancelled and the load waits
        for them to stop (the menu entries are greyed out while they run)."""
        self.host.model_path = path
        label = self.host.status.device_label
        label.setText("Model: loading…")
        job = self.model.load(path, self.host.device)
        job.progress.connect(lambda p: label.setText(_measuring_text(p.done, p.total, p.text)))
        self.host._update_actions()

    def set_cpu_only(self, on: bool) -> None:
        self.host.device = "cpu" if on else "auto"
        self.host.settings.set_device(self.host.device)
        self.load_model(self.host.model_path)

    def _on_model_ready(self, info: ModelInfo) -> None:
        host, label = self.host, self.host.status.device_label
        host.settings.set_model_path(host.model_path)
        label.setText(f"{info.name} · {info.device_name}")
        label.setToolTip(f"Pre-labelling runs on: {info.device_name}")
        self.model_classes = ClassTable(info.class_names, info.palette, info.ignore_index)
        if self.session.project is not None:
            self.adopt_model_classes(self.session.project, warn=True)
        self._message(f"Model ready: {info.name} on {info.device_name}", 4000)
        host._update_actions()
        self.auto_prelabel()

    def adopt_model_classes(self, project, warn: bool) -> None:
        """A folder whose classes nobody chose yet takes the model's (names, colours, ignore
        index); one with its own classes keeps them, with a warning if the model disagrees."""
        model = self.model_classes
        if model is None:
            return
        if project.classes_source == "default" and not any(e.state.has_human_work for e in project.entries):
            project.classes.replace_with(model.copy())
            project.classes_source = "model"
        elif warn and (
            len(project.classes) != len(model) or project.classes.ignore_index != model.ignore_index
        ):
            self.host.show_notice(
                f"The model predicts {len(model)} classes but this folder uses "
                f"{len(project.classes)}: its pre-labels may not mean the same "
                f"classes here.",
                "warning",
            )

    def _on_model_failed(self, message: str) -> None:
        label = self.host.status.device_label
        missing_default = "default model is not installed" in message
        label.setText("No model (default model not installed)" if missing_default else "No model")
        label.setToolTip(message)
        self.host.show_notice(
            f"{message} You can still label by hand; Model > Load Model… picks another checkpoint.", "warning"
        )
        self.host._update_actions()

    def _on_device_changed(self, name: str) -> None:
        info = self.model.info
        self.host.status.device_label.setText(f"{info.name if info else 'Model'} · {name}")

    # --- starting -----------------------------------------------------------------------------

    def auto_prelabel(self) -> None:
        """ "Pre-label New Images When Opened": the open image, if it has no labels yet."""
        doc = self.session.doc
        if (
            doc is not None
            and doc.path is not None  # a video frame has no path of its own
            and doc.state == ImageState.NEW
            and self._auto
            and self.model.info is not None
            and not self.model.busy
        ):
            self.start([doc.path])

    def prelabel_current(self) -> None:
        doc = self.session.doc
        if doc is None or not self.usable():
            return
        if doc.state.has_human_work:
            if not self.host.dialogs.confirm_replace_edits(self.host, doc.name):
                return
            self.session.saves.approve_overwrite([doc.path])
        self.start([doc.path])

    def prelabel_folder(self) -> None:
        project = self.session.project
        if project is None or not len(project) or not self.usable():
            return
        edited = sum(e.state.has_human_work for e in project.entries)
        policy = OVERWRITE
        if edited:
            policy = self.host.dialogs.folder_edits_policy(self.host, edited, len(project))
            if policy is None:
                return
        paths = self.session.mode.prelabel_paths(replace_edited=policy == OVERWRITE)
        if paths:
            self.start(paths)
        else:
            self._message("Nothing to pre-label", 3000)

    def usable(self) -> bool:
        if self.model.busy:
            self._message("Pre-labelling is already running", 3000)
            return False
        if self.model.info is None:
            what = "still loading" if self.model.loading else "not loaded"
            self.host.show_notice(f"The model is {what}; pre-labelling is not available yet.", "warning")
            return False
        return True

    def start(self, paths: list[Path]) -> None:
        self._skipped_edited = self._labelled_count = 0
        job = self.job = self.model.prelabel(paths)
        job.progress.connect(self._on_progress)
        job.partial.connect(self._on_result)
        job.finished.connect(self._on_finished)
        status = self.host.status
        status.progress_bar.setRange(0, len(paths))
        status.progress_bar.setValue(0)
        status.progress_bar.setFormat(f"Pre-labelling 0/{len(paths)}")
        status.progress_bar.show()
        status.cancel_button.show()
        self.host._update_actions()

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.host.status.progress_bar.setFormat("Cancelling…")

    # --- while it runs ------------------------------------------------------------------------

    def _on_progress(self, p: JobProgress) -> None:
        if self.session.closed:
            return
        bar = self.host.status.progress_bar
        bar.setRange(0, max(p.total, 1))
        bar.setValue(p.done)
        bar.setFormat(f"Pre-labelling {p.done}/{p.total}")
        if p.text:
            bar.setToolTip(f"Now: {p.text}")

    def _on_result(self, res: PrelabelResult) -> None:
        if self.session.closed:
            return
        if res.error is not None:
            self.host.show_notice(f"{res.path.name}: {res.error}", "error")
            return
        self._labelled_count += 1
        if self.session.project is None:
            return  # the folder was closed meanwhile
        doc = self.session.doc
        outcome = self.session.mode.receive_prediction(
            res, doc, lambda name: self.host.dialogs.confirm_replace_edits(self.host, name)
        )
        if outcome == "applied" and self.host.canvas.mode == OverlayMode.CONFIDENCE:
            self.host.canvas.refresh_overlay()
        elif outcome == "kept" and doc is not None and doc.path == res.path:
            self._message(f"Kept your edits of {doc.name}", 4000)
        elif outcome == "kept":
            self._skipped_edited += 1

    def _on_finished(self, job: Job) -> None:
        if job is self.job:
            self.job = None
        if self.session.closed:
            return
        cancelled, done = job.cancelled, self._labelled_count
        self.host.status.progress_bar.hide()
        self.host.status.cancel_button.hide()
        text = (
            f"Pre-labelling cancelled after {done} image(s)" if cancelled else f"Pre-labelled {done} image(s)"
        )
        if self._skipped_edited:
            text += f"; kept {self._skipped_edited} image(s) you edited meanwhile"
        self._message(text, 6000)
        self.host._update_actions()
        if not cancelled:  # the user moved on to a new image while the model was busy
            self.auto_prelabel()


def _measuring_text(done: int, total: int, path: str) -> str:
    """The status line while a first start on this CPU times its inference paths (once)."""
    if not path:
        return "Model: loading…"
    return f"Model: loading… first start on this CPU: timing inference path {done + 1} of {total} ({path})"
