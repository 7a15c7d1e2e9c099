"""The image list: every image of the folder with its state, and the progress count."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from .document.label_document import ImageState
from .document.project import Project

STATE_COLORS = {
    ImageState.NEW: QtGui.QColor(140, 140, 140),
    ImageState.PRELABELLED: QtGui.QColor(70, 150, 240),
    ImageState.EDITED: QtGui.QColor(240, 160, 40),
    ImageState.DONE: QtGui.QColor(60, 190, 90),
}


def state_icon(state: ImageState) -> QtGui.QIcon:
    pix = QtGui.QPixmap(12, 12)
    pix.fill(QtCore.Qt.GlobalColor.transparent)
    p = QtGui.QPainter(pix)
    p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    p.setBrush(STATE_COLORS[state])
    p.setPen(QtCore.Qt.PenStyle.NoPen)
    p.drawEllipse(1, 1, 10, 10)
    p.end()
    return QtGui.QIcon(pix)


class ImageList(QtWidgets.QWidget):
    """Signal ``image_chosen(index)`` when the user picks an image."""

    image_chosen = QtCore.Signal(int)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.project: Project | None = None
        self._icons = {s: state_icon(s) for s in ImageState}
        self._error_icon = QtWidgets.QApplication.style().standardIcon(
            QtWidgets.QStyle.StandardPixmap.SP_MessageBoxCritical)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.summary = QtWidgets.QLabel("No folder open")
        self.progress = QtWidgets.QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setMaximumHeight(16)
        self.tree = QtWidgets.QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Image", "State"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        self.tree.itemActivated.connect(lambda item, _c: self._choose(item))
        self.tree.itemClicked.connect(lambda item, _c: self._choose(item))
        layout.addWidget(self.summary)
        layout.addWidget(self.progress)
        layout.addWidget(self.tree, 1)

    def set_project(self, project: Project | None) -> None:
        if self.project is not None:
            self.project.entry_changed.disconnect(self.update_entry)
        self.project = project
        self.tree.clear()
        if project is None:
            self.summary.setText("No folder open")
            return
        items = []
        for i, entry in enumerate(project.entries):
            item = QtWidgets.QTreeWidgetItem([entry.path.name, entry.state.label])
            item.setData(0, QtCore.Qt.ItemDataRole.UserRole, i)
            item.setToolTip(0, str(entry.path))
            items.append(item)
        self.tree.addTopLevelItems(items)
        for i in range(len(items)):
            self._style(i)
        project.entry_changed.connect(self.update_entry)
        self._update_summary()

    def _style(self, index: int) -> None:
        entry = self.project.entries[index]
        item = self.tree.topLevelItem(index)
        item.setText(1, entry.state.label)
        item.setIcon(0, self._icons[entry.state])
        item.setForeground(1, QtGui.QBrush(STATE_COLORS[entry.state]))

    def mark_error(self, index: int, message: str) -> None:
        """Flag an image that could not be opened (until the list is rebuilt)."""
        item = self.tree.topLevelItem(index)
        if item is not None:
            item.setText(1, "unreadable")
            item.setIcon(0, self._error_icon)
            item.setForeground(1, QtGui.QBrush(QtGui.QColor(220, 60, 60)))
            item.setToolTip(1, message)

    def update_entry(self, index: int) -> None:
        if self.project is not None and 0 <= index < self.tree.topLevelItemCount():
            self._style(index)
            self._update_summary()

    def _update_summary(self) -> None:
        counts = self.project.counts()
        total = len(self.project)
        done = counts[ImageState.DONE]
        self.summary.setText(
            f"{done} / {total} done · {counts[ImageState.EDITED]} edited · "
            f"{counts[ImageState.PRELABELLED]} pre-labelled · {counts[ImageState.NEW]} new")
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"{done}/{total} done")

    def set_current(self, index: int | None) -> None:
        if index is None or not 0 <= index < self.tree.topLevelItemCount():
            self.tree.clearSelection()
            return
        item = self.tree.topLevelItem(index)
        blocker = QtCore.QSignalBlocker(self.tree)
        self.tree.setCurrentItem(item)
        del blocker
        self.tree.scrollToItem(item)

    def _choose(self, item: QtWidgets.QTreeWidgetItem) -> None:
        self.image_chosen.emit(int(item.data(0, QtCore.Qt.ItemDataRole.UserRole)))
