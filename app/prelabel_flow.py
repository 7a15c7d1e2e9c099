"""Model loading and pre-labelling as the user sees it (a mixin of
:class:`~app.main_window.MainWindow`): the questions before overwriting human edits, progress,
cancel, results into the open document or onto disk, and the device in the status bar. The
work itself runs in :mod:`app.workers`, off the GUI thread."""

from __future__ import annotations

from pathlib import Path

from .dialogs import OVERWRITE
from .document.classes import ClassTable
from .document.label_document import ImageState
from .document.overlay import OverlayMode
from .workers import PrelabelResult


class PrelabelMixin:
    def choose_model(self) -> None:
        path = self.dialogs.open_checkpoint(self, str(Path.home()))
        if path is not None:
            self.load_model(str(path))

    def load_model(self, path: str | None) -> None:
        if self.prelabeller.busy:
            self.show_notice("Wait for pre-labelling to finish (or cancel it) before changing the model.", "warning")
            return
        self.model_path = path
        self.device_label.setText("Model: loading…")
        self.prelabeller.load_model(path, self.device)

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
                and not self.prelabeller.busy):
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
        info = self.prelabeller.info
        self.device_label.setText(f"{info.name if info else 'Model'} · {name}")

    def prelabel_current(self) -> None:
        doc = self.doc
        if doc is None or not self._model_usable():
            return
        if doc.state.has_human_work:
            if not self.dialogs.confirm_replace_edits(self, doc.name):
                return
            self._overwrite_ok.add(doc.path)
        self._start_prelabel([doc.path])

    def prelabel_folder(self) -> None:
        if self.project is None or not len(self.project) or not self._model_usable():
            return
        entries = self.project.entries
        edited = [e.path for e in entries if e.state.has_human_work]
        policy = OVERWRITE
        if edited:
            policy = self.dialogs.folder_edits_policy(self, len(edited), len(entries))
            if policy is None:
                return
        if policy == OVERWRITE:
            self._overwrite_ok.update(edited)
            paths = [e.path for e in entries]
        else:
            paths = [e.path for e in entries if not e.state.has_human_work]
        if self.current_index is not None:  # the open image first, so the user sees it at once
            current = entries[self.current_index].path
            if current in paths:
                paths.remove(current)
                paths.insert(0, current)
        if paths:
            self._start_prelabel(paths)
        else:
            self.statusBar().showMessage("Nothing to pre-label", 3000)

    def _model_usable(self) -> bool:
        if self.prelabeller.busy:
            self.statusBar().showMessage("Pre-labelling is already running", 3000)
            return False
        if self.prelabeller.info is None:
            what = "still loading" if self.prelabeller.loading else "not loaded"
            self.show_notice(f"The model is {what}; pre-labelling is not available yet.", "warning")
            return False
        return True

    def _start_prelabel(self, paths: list[Path]) -> None:
        self._skipped_edited = 0
        self.prelabeller.start(paths)
        self.progress_bar.setRange(0, len(paths))
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat(f"Pre-labelling 0/{len(paths)}")
        self.progress_bar.show()
        self.cancel_button.show()
        self._update_actions()

    def cancel_prelabel(self) -> None:
        if self.prelabeller.busy:
            self.prelabeller.cancel()
            self.progress_bar.setFormat("Cancelling…")

    def _on_prelabel_progress(self, _job: int, done: int, total: int, name: str) -> None:
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(done)
        self.progress_bar.setFormat(f"Pre-labelling {done}/{total}")
        if name:
            self.progress_bar.setToolTip(f"Now: {name}")

    def _on_prelabel_result(self, res: PrelabelResult) -> None:
        project = self.project
        index = project.index_of(res.path) if project is not None else None
        if index is None:
            return  # the folder was closed meanwhile
        approved = res.path in self._overwrite_ok
        self._overwrite_ok.discard(res.path)
        doc = self.doc
        if doc is not None and doc.path == res.path:
            if doc.state.has_human_work and not approved:
                # Edited while the model was running: never overwrite without asking.
                if not self.dialogs.confirm_replace_edits(self, doc.name):
                    self.statusBar().showMessage(f"Kept your edits of {doc.name}", 4000)
                    return
            if res.labels.shape != doc.shape:
                return
            doc.set_prediction(res.labels, res.confidence, res.model)
            if self.canvas.mode == OverlayMode.CONFIDENCE:
                self.canvas.refresh_overlay()
            return
        if project.entries[index].state.has_human_work and not approved:
            self._skipped_edited += 1
            return
        if self._closed:
            return
        snap = project.prediction_snapshot(index, res.labels, res.confidence, res.model)
        self.saver.submit(res.path, lambda: project.write_snapshot(snap))

    def _on_prelabel_image_failed(self, _job: int, path: str, message: str) -> None:
        name = Path(path).name if path else "pre-labelling"
        self.show_notice(f"{name}: {message}", "error")

    def _on_prelabel_finished(self, _job: int, cancelled: bool, done: int) -> None:
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
                and self.prelabeller.info is not None):
            self._start_prelabel([doc.path])

    def _toggle_auto_prelabel(self, on: bool) -> None:
        self.settings.set_auto_prelabel(on)

    def _toggle_cpu(self, on: bool) -> None:
        self.device = "cpu" if on else "auto"
        self.settings.set_device(self.device)
        self.load_model(self.model_path)

