"""The forms video mode asks in (:class:`app.dialogs.Dialogs` asks with them): what to
pre-label, and which classes a matte covers."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ..document.classes import ClassTable
from ..swatch import swatch
from .tasks import PrelabelRequest


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
        layout.addWidget(self.all_frames)
        layout.addLayout(span)
        layout.addWidget(self.skip)
        layout.addLayout(smooth_row)
        layout.addWidget(note)
        layout.addWidget(buttons)

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
        for i, (name, rgb) in enumerate(zip(classes.names, classes.display)):
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
