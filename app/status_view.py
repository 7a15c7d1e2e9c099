"""The status bar as a view of the session: what is under the cursor, whether the labels are
saved, the model and its device, and the progress and Cancel button of a running job."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from .document.file_stamp import LabelsChangedOnDisk
from .session import Session

Notify = Callable[[str, str, "str | None"], None]


class _SaverBridge(QtCore.QObject):
    """Carries the writer thread's events to the GUI thread."""

    saved = QtCore.Signal(object)
    failed = QtCore.Signal(object, object)


class StatusView:
    """Built on ``bar``; follows ``session`` (its document, editor and writer). ``notify(text,
    level, key)`` puts what the person must see about a save (it failed, or it found the file
    changed by another program) in the notice bar."""

    def __init__(self, bar: QtWidgets.QStatusBar, session: Session, notify: Notify) -> None:
        self.bar = bar
        self.session = session
        self._notify = notify
        self.cursor_label = QtWidgets.QLabel("")
        self.save_label = QtWidgets.QLabel("")
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
            self.progress_bar,
            self.cancel_button,
            self.device_label,
        ):
            if isinstance(w, QtWidgets.QLabel):
                w.setContentsMargins(10, 0, 10, 0)
            bar.addPermanentWidget(w)
        self.progress_bar.hide()
        self.cancel_button.hide()

        self._bridge = _SaverBridge()
        saver = session.saver
        saver.saved.connect(self._bridge.saved.emit)
        saver.failed.connect(self._bridge.failed.emit)
        self._bridge.saved.connect(self._on_saved)
        self._bridge.failed.connect(self._on_failed)
        session.saving.connect(lambda: self.save_label.setText("Saving…"))
        session.editor.changed.connect(self._on_tool_changed)
        session.editor.message.connect(lambda text: bar.showMessage(text, 3000))

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

    def _on_saved(self, _key) -> None:
        if self.session.saver.idle:
            self.save_label.setText("All changes saved")

    def _on_failed(self, key, exc: Exception) -> None:
        name = Path(key).name if isinstance(key, (str, Path)) else str(key)
        if isinstance(exc, LabelsChangedOnDisk):  # saved, beside the other program's file
            self.save_label.setText(f"Saved as {exc.kept.name}")
            self._notify(str(exc), "warning", f"conflict:{name}")
            return
        self.save_label.setText("<b style='color:#e55'>Not saved</b>")
        doc = self.session.doc
        if doc is not None and isinstance(key, (str, Path)) and Path(key) == doc.path:
            self.session.saves.unsaved(doc.path)  # written again at the next autosave
        self._notify(
            f"Could not save the labels of {name}: {exc}. Your edits are kept in memory; free "
            f"some space or fix the permissions, then press Ctrl+S.",
            "error",
            None,
        )
