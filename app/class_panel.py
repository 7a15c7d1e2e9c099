"""The class panel: pick the class to paint, show/hide classes, rename and recolour them."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtWidgets

from .dialogs import Dialogs
from .document.classes import ClassTable
from .swatch import swatch

ROLE_ID = QtCore.Qt.ItemDataRole.UserRole


def class_key(class_id: int) -> str:
    """The shortcut that picks a class: 1..9, 0, then Alt+1..Alt+0."""
    digit = str((class_id + 1) % 10)
    if class_id < 10:
        return digit
    if class_id < 20:
        return f"Alt+{digit}"
    return ""


class ClassPanel(QtWidgets.QWidget):
    """Signal ``class_chosen(id)``. Columns: shown (checkbox) + key, colour + name, share."""

    class_chosen = QtCore.Signal(int)

    def __init__(self, dialogs: Dialogs, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.dialogs = dialogs
        self.classes: ClassTable | None = None
        self._current = 0
        self._share: np.ndarray | None = None
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.tree = QtWidgets.QTreeWidget()
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Key", "Class", "Share"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setEditTriggers(
            QtWidgets.QAbstractItemView.EditTrigger.EditKeyPressed
            | QtWidgets.QAbstractItemView.EditTrigger.DoubleClicked
        )
        header = self.tree.header()
        header.setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QtWidgets.QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.tree.setToolTip(
            "Click: paint with this class. Checkbox: show or hide it. "
            "Double-click the name: rename. Double-click the colour: recolour."
        )
        self.tree.currentItemChanged.connect(self._on_current_changed)
        self.tree.itemChanged.connect(self._on_item_changed)
        self.tree.itemDoubleClicked.connect(self._on_double_clicked)
        buttons = QtWidgets.QHBoxLayout()
        self.color_button = QtWidgets.QPushButton("Colour…")
        self.add_button = QtWidgets.QPushButton("Add…")
        self.show_all_button = QtWidgets.QPushButton("Show All")
        self.color_button.clicked.connect(lambda: self.recolor(self._current))
        self.add_button.clicked.connect(self.add_class)
        self.show_all_button.clicked.connect(lambda: self.classes and self.classes.show_all())
        for b in (self.color_button, self.add_button, self.show_all_button):
            buttons.addWidget(b)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)

    def set_classes(self, classes: ClassTable) -> None:
        if self.classes is not None:
            self.classes.changed.disconnect(self.rebuild)
        self.classes = classes
        classes.changed.connect(self.rebuild)
        self.rebuild()

    def rebuild(self) -> None:
        classes = self.classes
        if classes is None:
            return
        blocker = QtCore.QSignalBlocker(self.tree)
        self.tree.clear()
        for i, (name, rgb) in enumerate(zip(classes.names, classes.display)):
            if i == classes.ignore_index:
                continue
            item = QtWidgets.QTreeWidgetItem([class_key(i), name, ""])
            item.setData(0, ROLE_ID, i)
            item.setFlags(
                item.flags() | QtCore.Qt.ItemFlag.ItemIsEditable | QtCore.Qt.ItemFlag.ItemIsUserCheckable
            )
            item.setCheckState(
                0, QtCore.Qt.CheckState.Checked if classes.visible[i] else QtCore.Qt.CheckState.Unchecked
            )
            item.setIcon(1, swatch(rgb))
            item.setToolTip(1, f"id {i} · RGB {rgb[0]}, {rgb[1]}, {rgb[2]}")
            self.tree.addTopLevelItem(item)
        self._apply_share()
        self._select(self._current)
        del blocker

    def set_current(self, class_id: int) -> None:
        self._current = class_id
        blocker = QtCore.QSignalBlocker(self.tree)
        self._select(class_id)
        del blocker

    def _items(self) -> list[QtWidgets.QTreeWidgetItem]:
        items = (self.tree.topLevelItem(k) for k in range(self.tree.topLevelItemCount()))
        return [item for item in items if item is not None]

    def _select(self, class_id: int) -> None:
        for item in self._items():
            if item.data(0, ROLE_ID) == class_id:
                self.tree.setCurrentItem(item)
                return

    def set_share(self, labels: np.ndarray | None) -> None:
        """Show each class's share of the image (after each stroke; a bincount is cheap)."""
        if labels is None:
            self._share = None
        else:
            counts = np.bincount(labels.ravel(), minlength=256)
            self._share = counts / max(1, labels.size)
        blocker = QtCore.QSignalBlocker(self.tree)
        self._apply_share()
        del blocker

    def _apply_share(self) -> None:
        for item in self._items():
            i = item.data(0, ROLE_ID)
            text = "" if self._share is None else f"{100 * self._share[i]:.1f}%"
            item.setText(2, text)
            item.setTextAlignment(2, QtCore.Qt.AlignmentFlag.AlignRight)

    # --- user actions -------------------------------------------------------------------------

    def _on_current_changed(self, item, _previous) -> None:
        if item is not None:
            self._current = int(item.data(0, ROLE_ID))
            self.class_chosen.emit(self._current)

    def _on_item_changed(self, item: QtWidgets.QTreeWidgetItem, column: int) -> None:
        classes = self.classes
        if classes is None:
            return
        i = int(item.data(0, ROLE_ID))
        if column == 0:
            shown = item.checkState(0) == QtCore.Qt.CheckState.Checked
            if shown != classes.visible[i]:
                classes.set_visible(i, shown)
        elif column == 1:
            name = item.text(1).strip()
            if name and name != classes.names[i]:
                classes.rename(i, name)
            elif not name:
                self.rebuild()

    def _on_double_clicked(self, item: QtWidgets.QTreeWidgetItem, column: int) -> None:
        if column == 0:
            self.recolor(int(item.data(0, ROLE_ID)))

    def recolor(self, class_id: int) -> None:
        if self.classes is None or not 0 <= class_id < len(self.classes):
            return
        rgb = self.dialogs.pick_color(
            self, self.classes.display[class_id], f"Colour of {self.classes.names[class_id]}"
        )
        if rgb is not None:
            self.classes.set_color(class_id, rgb)

    def add_class(self) -> None:
        if self.classes is None:
            return
        name = self.dialogs.ask_text(self, "Add Class", "Name of the new class:")
        if name:
            try:
                new_id = self.classes.add(name)
            except ValueError as exc:
                QtWidgets.QMessageBox.warning(self, "Add Class", str(exc))
                return
            self._current = new_id
            self._select(new_id)
