"""The image list: every image of the folder with its state, and the progress count; in video
mode, the video with its labelled-frame count and the frames a person edited."""

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
    """Signals ``image_chosen(index)`` when the user picks an image, ``frame_chosen(index)``
    when they pick a frame of the video."""

    image_chosen = QtCore.Signal(int)
    frame_chosen = QtCore.Signal(int)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.project: Project | None = None
        self._icons = {s: state_icon(s) for s in ImageState}
        self._error_icon = QtWidgets.QApplication.style().standardIcon(
            QtWidgets.QStyle.StandardPixmap.SP_MessageBoxCritical
        )
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
        self.tree.setHeaderLabels(["Image", "State"])
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
        item = self.tree.topLevelItem(index)
        if self.project is None or item is None:
            return
        entry = self.project.entries[index]
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
        if self.project is None:
            return
        counts = self.project.counts()
        total = len(self.project)
        done = counts[ImageState.DONE]
        self.summary.setText(
            f"{done} / {total} done · {counts[ImageState.EDITED]} edited · "
            f"{counts[ImageState.PRELABELLED]} pre-labelled · {counts[ImageState.NEW]} new"
        )
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"{done}/{total} done")

    def set_current(self, index: int | None) -> None:
        item = self.tree.topLevelItem(index) if index is not None else None
        if item is None:
            self.tree.clearSelection()
            return
        blocker = QtCore.QSignalBlocker(self.tree)
        self.tree.setCurrentItem(item)
        del blocker
        self.tree.scrollToItem(item)

    def set_video(self, name: str, path: str) -> None:
        """Video mode: one row for the video; :meth:`show_frames` fills in its state."""
        self.set_project(None)
        self.tree.setHeaderLabels(["Video", "State"])
        item = QtWidgets.QTreeWidgetItem([name, ""])
        item.setToolTip(0, path)
        self.tree.addTopLevelItem(item)
        item.setExpanded(True)

    def show_frames(
        self,
        frame_count: int,
        labelled: set[int],
        edited: set[int],
        done: frozenset[int] | set[int] = frozenset(),
    ) -> None:
        """The video's counts, and one row per frame a person edited or marked done (click: go
        there)."""
        video = self.tree.topLevelItem(0)
        if video is None:
            return
        n = frame_count
        state = ImageState.EDITED if edited else ImageState.PRELABELLED if labelled else ImageState.NEW
        video.setText(1, f"{len(labelled)}/{n} labelled")
        video.setIcon(0, self._icons[state])
        video.takeChildren()
        for index in sorted(edited | done):
            frame_state = ImageState.DONE if index in done else ImageState.EDITED
            child = QtWidgets.QTreeWidgetItem([f"frame {index}", frame_state.label])
            child.setData(0, QtCore.Qt.ItemDataRole.UserRole, ("frame", index))
            child.setIcon(0, self._icons[frame_state])
            child.setForeground(1, QtGui.QBrush(STATE_COLORS[frame_state]))
            video.addChild(child)
        video.setExpanded(True)
        finished = f" · {len(done)} done" if done else ""
        self.summary.setText(f"{len(labelled)} / {n} frames labelled · {len(edited)} edited{finished}")
        self.progress.setRange(0, max(n, 1))
        self.progress.setValue(len(labelled))
        self.progress.setFormat(f"{len(labelled)}/{n} labelled")

    def _choose(self, item: QtWidgets.QTreeWidgetItem) -> None:
        data = item.data(0, QtCore.Qt.ItemDataRole.UserRole)
        if isinstance(data, tuple):
            self.frame_chosen.emit(int(data[1]))
        elif data is not None:  # (the video's own row holds none)
            self.image_chosen.emit(int(data))
