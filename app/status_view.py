"""The status bar as a view of the session: what is under the cursor, whether the labels are
saved, the model and its device, and the task running in the foreground.

It is the one owner of the progress bar, the task's line and the Cancel button: it follows the
job runner's ``started`` / ``progress`` / ``finished`` events and shows the session's foreground
job (the newest task the person waits for, :attr:`~app.session.Session.foreground_job`); when
that one ends, the next still running; Cancel stops the one shown. Nobody else touches them."""

from __future__ import annotations

import math
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from .document.file_stamp import LabelsChangedOnDisk
from .jobs import Job, JobProgress, ModelInfo, describe_progress
from .session import Session
from .ui import Ui


class _SaverBridge(QtCore.QObject):
    """Carries the writer thread's events to the GUI thread."""

    saved = QtCore.Signal(object)
    failed = QtCore.Signal(object, object)


class StatusView:
    def __init__(self, bar: QtWidgets.QStatusBar, session: Session, ui: Ui) -> None:
        self.bar = bar
        self.session = session
        self._ui = ui
        self.cursor_label = QtWidgets.QLabel("")
        self.save_label = QtWidgets.QLabel("")
        self.job_label = QtWidgets.QLabel("")
        self.device_label = QtWidgets.QLabel("Model: loading…")
        self.progress_bar = QtWidgets.QProgressBar()
        self.progress_bar.setMaximumWidth(220)
        self.progress_bar.setMaximumHeight(16)
        self.cancel_button = QtWidgets.QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop the running task after its current step")
        for w in (
            self.cursor_label,
            self.save_label,
            self.job_label,
            self.progress_bar,
            self.cancel_button,
            self.device_label,
        ):
            if isinstance(w, QtWidgets.QLabel):
                w.setContentsMargins(10, 0, 10, 0)
            bar.addPermanentWidget(w)
        for w in (self.job_label, self.progress_bar, self.cancel_button):
            w.hide()
        for label in (self.job_label, self.device_label, self.cursor_label):
            label.setMinimumWidth(60)  # clipped in a narrow window rather than widening it
        self._shown: Job | None = None  # the job the bar shows
        self.cancel_button.clicked.connect(self.cancel)

        self._bridge = _SaverBridge()
        saver = session.saver
        saver.saved.connect(self._bridge.saved.emit)
        saver.failed.connect(self._bridge.failed.emit)
        self._bridge.saved.connect(self._on_saved)
        self._bridge.failed.connect(self._on_failed)
        saver.queued.connect(lambda _key: self.save_label.setText("Saving…"))
        session.editor.changed.connect(self._on_tool_changed)
        session.editor.message.connect(lambda text: bar.showMessage(text, 3000))
        session.jobs.started.connect(self._follow)
        session.jobs.progress.connect(self._on_job_progress)
        session.jobs.finished.connect(self._follow)
        model = session.model
        model.load_started.connect(self._on_model_loading)
        model.ready.connect(self._on_model_ready)
        model.load_failed.connect(self._on_model_failed)
        model.device_changed.connect(self._on_device_changed)

    # --- the foreground task ------------------------------------------------------------------

    def cancel(self) -> None:
        """Stop the task shown (after its current step)."""
        if self._shown is not None:
            self._shown.cancel()
            self._show_job()

    def _follow(self, _job: Job) -> None:
        """A job started or ended: show the foreground job, if it is another one now."""
        job = self.session.foreground_job
        if job is not self._shown and not self.session.closed:
            self._shown = job
            self._show_job()

    def _on_job_progress(self, job: Job, p: JobProgress) -> None:
        if job is self._shown and not self.session.closed:
            self._show_job(p)

    def _show_job(self, p: JobProgress | None = None) -> None:
        """The bar, line and Cancel button for the task shown (hidden when none runs)."""
        job = self._shown
        widgets = (self.job_label, self.progress_bar, self.cancel_button)
        if job is None:
            for w in widgets:
                w.hide()
            return
        bar = self.progress_bar
        if job.cancelled:
            bar.setFormat("Cancelling…")
            self.job_label.setText(f"Cancelling {job.title.lower()}…")
        elif p is None:
            bar.setRange(0, 0)  # busy until the first progress report
            bar.setFormat(job.title)
            self.job_label.setText(f"{job.title}…")
        else:
            bar.setRange(0, max(p.total, 1))
            bar.setValue(p.done)
            bar.setFormat(f"{job.title} {p.done}/{p.total}")
            bar.setToolTip(f"Now: {p.text}" if p.text else "")
            self.job_label.setText(describe_progress(job.title, p))
        for w in widgets:
            w.show()

    # --- the model ----------------------------------------------------------------------------

    def _on_model_loading(self, _job: Job) -> None:
        self.device_label.setText("Model: loading…")

    def _on_model_ready(self, info: ModelInfo) -> None:
        self.device_label.setText(f"{info.name} · {info.device_name}")
        self.device_label.setToolTip(f"Pre-labelling runs on: {info.device_name}")
        self.bar.showMessage(f"Model ready: {info.name} on {info.device_name}", 4000)

    def _on_model_failed(self, message: str) -> None:
        missing_default = "default model is not installed" in message
        self.device_label.setText("No model (default model not installed)" if missing_default else "No model")
        self.device_label.setToolTip(message)

    def _on_device_changed(self, name: str) -> None:
        info = self.session.model.info
        self.device_label.setText(f"{info.name if info else 'Model'} · {name}")

    # --- the cursor and the tool --------------------------------------------------------------

    def show_hover(self, x: float, y: float) -> None:
        """The pixel under the cursor: position, class and how sure the model was."""
        doc = self.session.doc
        if doc is None or math.isnan(x):
            self.cursor_label.setText("")
            return
        j, i = int(x), int(y)
        text = f"x {j}, y {i} · {doc.classes.name(int(doc.labels[i, j]))}"
        if doc.confidence is not None:
            text += f" ({100 * float(doc.confidence[i, j]):.0f}% sure)"
        self.cursor_label.setText(text)

    def _on_tool_changed(self) -> None:
        ed, mode = self.session.editor, self.session.mode
        if mode is None:
            return
        cls = mode.classes.name(ed.current_class)
        self.bar.showMessage(f"{ed.spec.label} · {cls} · {ed.brush_size} px", 2000)

    # --- saving -------------------------------------------------------------------------------

    def _on_saved(self, _key) -> None:
        if self.session.saver.idle:
            self.save_label.setText("All changes saved")
            self._ui.dismiss("save")  # a failed save's banner: saved now

    def _on_failed(self, key, exc: Exception) -> None:
        name = Path(key).name if isinstance(key, (str, Path)) else str(key)
        if isinstance(exc, LabelsChangedOnDisk):  # saved, beside the other program's file
            self.save_label.setText(f"Saved as {exc.kept.name}")
            self._ui.notify(str(exc), "warning", f"conflict:{name}")
            return
        self.save_label.setText("<b style='color:#e55'>Not saved</b>")
        doc = self.session.doc
        if doc is not None and isinstance(key, (str, Path)) and Path(key) == doc.path:
            self.session.saves.unsaved(doc.path)  # written again at the next autosave
        self._ui.notify(
            f"Could not save the labels of {name}: {exc}. Your edits are kept in memory; free "
            f"some space or fix the permissions, then press Ctrl+S.",
            "error",
            "save",
        )
