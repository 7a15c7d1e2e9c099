"""The tool palette (left) and the tool-options bar (top): brush size, protected class,
overlay opacity and view mode."""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtCore, QtGui, QtWidgets

from .canvas import Canvas
from .document.classes import ClassTable
from .document.editor import MAX_BRUSH, MIN_BRUSH, Editor
from .document.overlay import OverlayMode
from .document.tool_table import TOOLS

OPACITY_TIP = "Overlay opacity (V hides and shows the overlay)"


class ToolPalette(QtWidgets.QToolBar):
    """The tools, one button each, in a column at the window's left edge (as in an image
    editor): a dozen of them side by side would not fit a laptop's screen width. The buttons
    are the tool commands' own actions (``action(command_id)``, from the menu view), so each
    tool has one action, one shortcut and one ticked state."""

    def __init__(self, action: Callable[[str], QtGui.QAction], parent: QtWidgets.QWidget | None = None):
        super().__init__("Tools", parent)
        self.setObjectName("toolsPalette")
        self.setOrientation(QtCore.Qt.Orientation.Vertical)
        self.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.tool_actions = {spec.id: action(f"tool.{spec.id}") for spec in TOOLS}
        self.addActions(list(self.tool_actions.values()))


class EditToolBar(QtWidgets.QToolBar):
    """The current tool's options and the overlay's: brush size, protected class, opacity and
    view mode."""

    def __init__(self, editor: Editor, canvas: Canvas, parent: QtWidgets.QWidget | None = None):
        super().__init__("Tool Options", parent)
        self.setObjectName("toolsToolBar")
        self.editor = editor
        self.canvas = canvas
        self._last_opacity = 0.5  # what V shows the overlay at again
        self.classes: ClassTable | None = None

        self.addWidget(QtWidgets.QLabel(" Size "))
        self.size_spin = QtWidgets.QSpinBox()
        self.size_spin.setRange(MIN_BRUSH, MAX_BRUSH)
        self.size_spin.setSuffix(" px")
        self.size_spin.setToolTip("Brush diameter in image pixels ([ and ] change it)")
        self.size_spin.valueChanged.connect(editor.set_brush_size)
        self.addWidget(self.size_spin)

        self.only_label = QtWidgets.QLabel(" Only over ")
        self.only_combo = QtWidgets.QComboBox()
        self.only_combo.setToolTip("The one class the protected brush may paint over")
        self.only_combo.currentIndexChanged.connect(self._on_only_changed)
        self._only_actions = [self.addWidget(self.only_label), self.addWidget(self.only_combo)]
        self.addSeparator()

        self.addWidget(QtWidgets.QLabel(" Overlay "))
        self.opacity_slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.opacity_slider.setRange(0, 100)
        self.opacity_slider.setFixedWidth(110)
        self.opacity_slider.setToolTip(OPACITY_TIP)
        self.opacity_slider.valueChanged.connect(lambda v: canvas.set_opacity(v / 100))
        self.addWidget(self.opacity_slider)
        self.mode_combo = QtWidgets.QComboBox()
        for mode in OverlayMode:
            self.mode_combo.addItem(mode.label, mode.value)
        self.mode_combo.setToolTip(
            "Classes: filled colours. Boundaries only: just the class "
            "borders. Model confidence: red where the model is unsure; "
            "look there first."
        )
        self.mode_combo.currentIndexChanged.connect(
            lambda _i: canvas.set_mode(OverlayMode(self.mode_combo.currentData()))
        )
        self.addWidget(self.mode_combo)

        editor.changed.connect(self.sync)
        self.opacity_slider.setValue(round(canvas.opacity() * 100))
        self.sync()

    def set_classes(self, classes: ClassTable) -> None:
        if self.classes is not None:
            self.classes.changed.disconnect(self._fill_only_combo)
        self.classes = classes
        classes.changed.connect(self._fill_only_combo)
        self._fill_only_combo()

    def _fill_only_combo(self) -> None:
        blocker = QtCore.QSignalBlocker(self.only_combo)
        self.only_combo.clear()
        self.only_combo.addItem("class under the stroke", None)
        if self.classes is not None:
            for i, name in enumerate(self.classes.names):
                if i != self.classes.ignore_index:
                    self.only_combo.addItem(name, i)
            self.only_combo.addItem("unlabelled", self.classes.ignore_index)
        del blocker
        self.sync()

    def _on_only_changed(self, _index: int) -> None:
        data = self.only_combo.currentData()
        self.editor.set_protect_target(None if data is None else int(data))

    def sync(self) -> None:
        ed = self.editor
        if self.size_spin.value() != ed.brush_size:
            blocker = QtCore.QSignalBlocker(self.size_spin)
            self.size_spin.setValue(ed.brush_size)
            del blocker
        self.size_spin.setEnabled(ed.spec.paints)
        for action in self._only_actions:
            action.setVisible(ed.spec.only_over)
        k = self.only_combo.findData(ed.protect_target) if ed.protect_target is not None else 0
        if k >= 0 and k != self.only_combo.currentIndex():
            blocker = QtCore.QSignalBlocker(self.only_combo)
            self.only_combo.setCurrentIndex(k)
            del blocker

    def set_mode(self, mode: OverlayMode) -> None:
        self.mode_combo.setCurrentIndex(self.mode_combo.findData(OverlayMode(mode).value))

    def set_opacity(self, opacity: float) -> None:
        self.opacity_slider.setValue(round(opacity * 100))

    def toggle_overlay(self) -> None:
        """V: hide the overlay, or show it again at the opacity it had."""
        if self.canvas.opacity() > 0:
            self._last_opacity = self.canvas.opacity()
            self.set_opacity(0)
        else:
            self.set_opacity(self._last_opacity or 0.5)
