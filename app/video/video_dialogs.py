"""The questions video mode asks. Like :mod:`app.dialogs`, each is a method of one object,
and the window's own ``dialogs`` answers instead where it has a method of the same name (tests
give it stubs)."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

from srcrm.video import VIDEO_SUFFIXES

from ..class_panel import swatch
from ..document.classes import ClassTable
from ..io_actions.dialogs import ask as ask_io
from .tasks import PrelabelRequest

VIDEO_FILTER = f"Videos ({' '.join('*' + s for s in sorted(VIDEO_SUFFIXES))});;All files (*)"
MAX_PROPAGATE = 100  # frames held in memory while the user looks at the preview


class PrelabelVideoDialog(QtWidgets.QDialog):
    """All frames or a range; keep the frames that have labels (resume); smooth afterwards."""

    def __init__(self, parent, frame_count: int, current: int, labelled: int):
        super().__init__(parent)
        self.setWindowTitle("Pre-label the Video")
        last = max(0, frame_count - 1)
        self.all_frames = QtWidgets.QRadioButton(f"All {frame_count} frames")
        self.some_frames = QtWidgets.QRadioButton("Frames from")
        self.all_frames.setChecked(True)
        self.first = QtWidgets.QSpinBox()
        self.last = QtWidgets.QSpinBox()
        for spin, value in ((self.first, current), (self.last, last)):
            spin.setRange(0, last)
            spin.setValue(value)
            spin.valueChanged.connect(lambda _v: self.some_frames.setChecked(True))
        span = QtWidgets.QHBoxLayout()
        for w in (self.some_frames, self.first, QtWidgets.QLabel("to"), self.last):
            span.addWidget(w)
        span.addStretch(1)
        self.skip = QtWidgets.QCheckBox(
            f"Keep the {labelled} frames that have labels already (continue an earlier run)"
        )
        self.skip.setChecked(True)
        self.skip.setToolTip(
            "Unticked, frames labelled by the model are labelled again. Frames you edited are never replaced."
        )
        self.smooth = QtWidgets.QCheckBox("Then smooth the labels over neighbouring frames")
        self.smooth.setToolTip(
            "A per-pixel majority vote over each frame and its neighbours "
            "removes one-frame flicker; frames you edited are kept"
        )
        self.radius = QtWidgets.QSpinBox()
        self.radius.setRange(1, 5)
        self.radius.setPrefix("± ")
        self.radius.setSuffix(" frames")
        smooth_row = QtWidgets.QHBoxLayout()
        smooth_row.addWidget(self.smooth)
        smooth_row.addWidget(self.radius)
        smooth_row.addStretch(1)
        note = QtWidgets.QLabel(
            "Frames you edited by hand are never overwritten. Cancel keeps every frame labelled so far."
        )
        note.setWordWrap(True)
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok).setText("Pre-label")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        for item in (self.all_frames, span, self.skip, smooth_row, note, buttons):
            (layout.addLayout if isinstance(item, QtWidgets.QLayout) else layout.addWidget)(item)

    def request(self) -> PrelabelRequest:
        start, stop = 0, None
        if self.some_frames.isChecked():
            a, b = sorted((self.first.value(), self.last.value()))
            start, stop = a, b + 1
        return PrelabelRequest(
            start, stop, self.skip.isChecked(), self.smooth.isChecked(), self.radius.value()
        )


class ClassPickerDialog(QtWidgets.QDialog):
    """Tick the classes a matte covers."""

    def __init__(self, parent, classes: ClassTable, current: int):
        super().__init__(parent)
        self.setWindowTitle("Matte Video: Classes")
        self.list = QtWidgets.QListWidget()
        for i, (name, rgb) in enumerate(zip(classes.names, classes.colors)):
            if i == classes.ignore_index:
                continue
            item = QtWidgets.QListWidgetItem(swatch(rgb), name)
            item.setData(QtCore.Qt.ItemDataRole.UserRole, i)
            item.setCheckState(
                QtCore.Qt.CheckState.Checked if i == current else QtCore.Qt.CheckState.Unchecked
            )
            self.list.addItem(item)
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(QtWidgets.QLabel("White where the label is one of:"))
        layout.addWidget(self.list)
        layout.addWidget(buttons)

    def chosen(self) -> list[int]:
        items = (self.list.item(k) for k in range(self.list.count()))
        return [
            int(it.data(QtCore.Qt.ItemDataRole.UserRole))
            for it in items
            if it.checkState() == QtCore.Qt.CheckState.Checked
        ]


class VideoDialogs:
    def open_video(self, parent, start: str) -> Path | None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(parent, "Open Video", start, VIDEO_FILTER)
        return Path(path) if path else None

    def open_sequence(self, parent, start: str) -> Path | None:
        path = QtWidgets.QFileDialog.getExistingDirectory(
            parent, "Open Image Sequence: a folder of frames", start
        )
        return Path(path) if path else None

    def prelabel_options(
        self, parent, frame_count: int, current: int, labelled: int
    ) -> PrelabelRequest | None:
        dialog = PrelabelVideoDialog(parent, frame_count, current, labelled)
        return dialog.request() if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted else None

    def smooth_radius(self, parent) -> int | None:
        value, ok = QtWidgets.QInputDialog.getInt(
            parent,
            "Smooth Labels",
            "Majority vote over each frame and this many frames either side\n(frames you edited are kept):",
            1,
            1,
            5,
        )
        return value if ok else None

    def propagate_count(self, parent, default: int, maximum: int) -> int | None:
        value, ok = QtWidgets.QInputDialog.getInt(
            parent,
            "Propagate Correction",
            "Carry what you changed on this frame to the next "
            "frames (you see the result before anything is written):",
            default,
            1,
            maximum,
        )
        return value if ok else None

    def confirm_propagation(self, parent, dialog) -> bool:
        """Show the preview (:class:`~app.video.propagate_dialog.PropagationPreviewDialog`);
        True to write it."""
        return dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted

    def matte_classes(self, parent, classes: ClassTable, current: int) -> list[int] | None:
        dialog = ClassPickerDialog(parent, classes, current)
        return dialog.chosen() if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted else None


_DEFAULT = VideoDialogs()


def ask(window, question: str):
    """The method answering ``question``: the window's dialogs object's, else the default
    (these, then the Export menu's own)."""
    return (
        getattr(window.dialogs, question, None)
        or getattr(_DEFAULT, question, None)
        or ask_io(window, question)
    )
