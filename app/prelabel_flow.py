"""Model loading and pre-labelling as the user sees it (a mixin of
:class:`~app.main_window.MainWindow`): the questions before overwriting human edits, progress,
cancel, results into the open document or onto disk, and the device in the status bar. The
work itself runs in the model's lane of the job runner (:mod:`app.jobs`), off the GUI thread."""

from __future__ import annotations

from pathlib import Path

from .dialogs import OVERWRITE
from .document.classes import ClassTable
from .document.label_document import ImageState
from .document.overlay import OverlayMode
from .jobs import Job, JobProgress, PrelabelResult


class PrelabelMixin:
    def choose_model(self) -> None:
        path = self.dialogs.open_checkpoint(self, str(Path.home()))
        if path is not None:
            self.load_model(str(path))

    def load_model(self, path: str | None) -> None:
        """Switch the model; jobs predicting with the old one are cancelled and the load waits
        for them to stop (the menu entries are greyed out while they run)."""
        self.model_path = path
        self.device_label.setText("Model: loading…")
        self.model.load(path, self.device)
        self._update_actions()

    def _on_model_ready(self, info) -> None:
        self.settings.set_model_path(self.model_path)
        self.device_label.setText(f"{info.name} · {info.device_name}")
        self.device_label.setToolTip(f"Pre-labelling runs on: {info.device_name}")
        self._model_classes = ClassTable(info.class_names, info.palette, info.ignore_index)
        if self.project is not None:
            self._adopt_model_classes(self.project, warn=True)
        self.statusBar().showMessage(f"Model ready: {info.name} on {info.device_name}", 4000)
        self._update_actions()
        doc = self.doc
        if (doc is not None and doc.path is not None  # a video frame has no path of its own
                and doc.state == ImageState.NEW and self.act_auto_prelabel.isChecked()
                and not self.model.busy):
            self._start_prelabel([doc.path])

    def _adopt_model_classes(self, project, warn: bool) -> None:
        """A folder whose classes nobody chose yet takes the model's (names, colours, ignore
        index); one with its own classes keeps them, with a warning if the model disagrees."""
        model = self._model_classes
        if model is None:
            return
        if project.classes_source == "default" and not any(
                e.state.has_human_work for e in project.entries):
            project.classes.replace_with(model.copy())
            project.classes_source = "model"
        elif warn and (len(project.classes) != len(model)
                       or project.classes.ignore_index != model.ignore_index):
            self.show_notice(f"The model predicts {len(model)} classes but this folder uses "
                             f"{len(project.classes)}: its pre-labels may not mean the same classes "
                             f"here.", "warning")

    def _on_model_failed(self, message: str) -> None:
        missing_default = "default model is not installed" in message
        self.device_label.setText("No model (default model not installed)" if missing_default
                                  else "No model")
        self.device_label.setToolTip(message)
        self.show_notice(f"{message} You can still label by hand; Model > Load Model… picks "
                         f"another checkpoint.", "warning")
        self._update_actions()

    def _on_device_changed(self, name: str) -> None:
        info = self.model.info
        self.device_label.setText(f"{info.name if info else 'Model'} · {name}")

    def prelabel_current(self) -> None:
        doc = self.doc
        if doc is None or not self._model_usable():
            return
        if doc.state.has_human_work:
            if not self.dialogs.confirm_replace_edits(self, doc.name):
                return
            self.session.saves.approve_overwrite([doc.path])
        self._start_prelabel([doc.path])

    def prelabel_folder(self) -> None:
        if self.project is None or not len(self.project) or not self._model_usable():
            return
        edited = sum(e.state.has_human_work for e in self.project.entries)
        policy = OVERWRITE
        if edited:
            policy = self.dialogs.folder_edits_policy(self, edited, len(self.project))
            if policy is None:
                return
        paths = self.session.mode.prelabel_paths(replace_edited=policy == OVERWRITE)
        if paths:
            self._start_prelabel(paths)
        else:
            self.statusBar().showMessage("Nothing to pre-label", 3000)

    def _model_usable(self) -> bool:
        if self.model.busy:
            self.statusBar().showMessage("Pre-labelling is already running", 3000)
            return False
        if self.model.info is None:
            what = "still loading" if self.model.loading else "not loaded"
            self.show_notice(f"The model is {what}; pre-labelling is not available yet.", "warning")
            return False
        return True

    def _start_prelabel(self, paths: list[Path]) -> None:
        self._skipped_edited = self._labelled_count = 0
        job = self._prelabel_job = self.model.prelabel(paths)
        job.progress.connect(self._on_prelabel_progress)
        job.partial.connect(self._on_prelabel_result)
        job.finished.connect(self._on_prelabel_finished)
        self.progress_bar.setRange(0, len(paths))
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat(f"Pre-labelling 0/{len(paths)}")
        self.progress_bar.show()
        self.cancel_button.show()
        self._update_actions()

    def cancel_prelabel(self) -> None:
        if self._prelabel_job is not None:
            self._prelabel_job.cancel()
            self.progress_bar.setFormat("Cancelling…")

    def _on_prelabel_progress(self, p: JobProgress) -> None:
        if self._closed:
            return
        self.progress_bar.setRange(0, max(p.total, 1))
        self.progress_bar.setValue(p.done)
        self.progress_bar.setFormat(f"Pre-labelling {p.done}/{p.total}")
        if p.text:
            self.progress_bar.setToolTip(f"Now: {p.text}")

    def _on_prelabel_result(self, res: PrelabelResult) -> None:
        if self._closed:
            return
        if res.error is not None:
            self.show_notice(f"{res.path.name}: {res.error}", "error")
            return
        self._labelled_count += 1
        if self.project is None:
            return  # the folder was closed meanwhile
        outcome = self.session.mode.receive_prediction(
            res, self.doc, lambda name: self.dialogs.confirm_replace_edits(self, name))
        if outcome == "applied" and self.canvas.mode == OverlayMode.CONFIDENCE:
            self.canvas.refresh_overlay()
        elif outcome == "kept" and self.doc is not None and self.doc.path == res.path:
            self.statusBar().showMessage(f"Kept your edits of {self.doc.name}", 4000)
        elif outcome == "kept":
            self._skipped_edited += 1

    def _on_prelabel_finished(self, job: Job) -> None:
        if job is self._prelabel_job:
            self._prelabel_job = None
        if self._closed:
            return
        cancelled, done = job.cancelled, self._labelled_count
        self.progress_bar.hide()
        self.cancel_button.hide()
        text = f"Pre-labelling cancelled after {done} image(s)" if cancelled else \
            f"Pre-labelled {done} image(s)"
        if self._skipped_edited:
            text += f"; kept {self._skipped_edited} image(s) you edited meanwhile"
        self.statusBar().showMessage(text, 6000)
        self._update_actions()
        doc = self.doc  # the user moved on to a new image while the model was busy
        if (doc is not None and doc.path is not None and doc.state == ImageState.NEW
                and not cancelled and self.act_auto_prelabel.isChecked()
                and self.model.info is not None and not self.model.busy):
            self._start_prelabel([doc.path])

    def _toggle_auto_prelabel(self, on: bool) -> None:
        self.settings.set_auto_prelabel(on)

    def _toggle_cpu(self, on: bool) -> None:
        self.device = "cpu" if on else "auto"
        self.settings.set_device(self.device)
        self.load_model(self.model_path)

