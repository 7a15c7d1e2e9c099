"""The questions the Export and Import menus ask: where to write or read, and the export's
options. Each is a method of :class:`IoDialogs`; the window's own ``dialogs`` object answers
instead where it has a method of the same name (tests give it stubs, as for the other dialogs)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6 import QtWidgets

from ..class_panel import swatch

JSON_FILTER = "JSON files (*.json);;All files (*)"
PNG_FILTER = "PNG images (*.png);;All files (*)"
TXT_FILTER = "YOLO label files (*.txt);;All files (*)"
SVG_FILTER = "SVG images (*.svg);;All files (*)"


@dataclass(frozen=True)
class ExportOptions:
    """Every option an export may ask for; each dialog shows only the ones it needs."""

    tolerance: float = 1.0  # polygon simplification (about tolerance**2 px of area per vertex)
    min_area: float = 0.0  # pieces smaller than this (px) merge into their neighbours
    embed_image: bool = False  # labelme: the image's bytes in imageData
    rle_all: bool = False  # COCO: every object as RLE
    class_id: int | None = None  # cut-out, SVG
    feather: float = 0.0  # cut-out: soft edge, px
    crop: bool = False  # cut-out: trim to the class's bounding box

    def with_(self, **changes) -> ExportOptions:
        return replace(self, **changes)


@dataclass(frozen=True)
class ClassItem:
    """A class the user may pick: id, name, colour and its pixel count in this image."""

    id: int
    name: str
    color: tuple[int, int, int]
    pixels: int


FIELDS = ("class", "tolerance", "min_area", "feather", "crop", "embed_image", "rle_all")


class ExportOptionsDialog(QtWidgets.QDialog):
    """A small form with the fields asked for (:data:`FIELDS`)."""

    def __init__(
        self,
        parent,
        title: str,
        options: ExportOptions,
        fields: Sequence[str],
        classes: Sequence[ClassItem] = (),
        total_pixels: int = 1,
    ):
        super().__init__(parent)
        self.setWindowTitle(title)
        self._options = options
        self._fields = tuple(fields)
        form = QtWidgets.QFormLayout()
        self.class_combo = QtWidgets.QComboBox()
        for item in classes:
            share = 100.0 * item.pixels / max(1, total_pixels)
            self.class_combo.addItem(swatch(item.color), f"{item.name}  ({share:.1f}%)", item.id)
        if options.class_id is not None:
            self.class_combo.setCurrentIndex(max(0, self.class_combo.findData(options.class_id)))
        self.tolerance = self._spin(
            options.tolerance,
            0.0,
            100.0,
            0.25,
            " px",
            "0 keeps the polygons exact, pixel for pixel; 1 removes the "
            "staircase of pixel edges; larger values give fewer vertices",
        )
        self.min_area = self._spin(
            options.min_area, 0.0, 1e7, 10.0, " px²", "Pieces smaller than this merge into their neighbours"
        )
        self.feather = self._spin(
            options.feather, 0.0, 200.0, 1.0, " px", "Soften the edge over about this many pixels either side"
        )
        self.crop = QtWidgets.QCheckBox("Trim to the class's bounding box")
        self.crop.setChecked(options.crop)
        self.crop.setToolTip("Unticked, the cut-out has the image's size and lines up with it")
        self.embed = QtWidgets.QCheckBox("Embed the image in the JSON (imageData)")
        self.embed.setChecked(options.embed_image)
        self.rle = QtWidgets.QCheckBox("Write every object as RLE (holes always are)")
        self.rle.setChecked(options.rle_all)
        rows = {
            "class": ("Class:", self.class_combo),
            "tolerance": ("Simplify:", self.tolerance),
            "min_area": ("Smallest piece:", self.min_area),
            "feather": ("Feather:", self.feather),
            "crop": ("", self.crop),
            "embed_image": ("", self.embed),
            "rle_all": ("", self.rle),
        }
        for name in FIELDS:
            if name in self._fields:
                form.addRow(*rows[name])
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    @staticmethod
    def _spin(
        value: float, lo: float, hi: float, step: float, suffix: str, tip: str
    ) -> QtWidgets.QDoubleSpinBox:
        spin = QtWidgets.QDoubleSpinBox()
        spin.setRange(lo, hi)
        spin.setDecimals(2)
        spin.setSingleStep(step)
        spin.setSuffix(suffix)
        spin.setValue(value)
        spin.setToolTip(tip)
        return spin

    def options(self) -> ExportOptions:
        o = self._options
        f = self._fields
        class_id = self.class_combo.currentData() if "class" in f else o.class_id
        return o.with_(
            class_id=None if class_id is None else int(class_id),
            tolerance=self.tolerance.value() if "tolerance" in f else o.tolerance,
            min_area=self.min_area.value() if "min_area" in f else o.min_area,
            feather=self.feather.value() if "feather" in f else o.feather,
            crop=self.crop.isChecked() if "crop" in f else o.crop,
            embed_image=self.embed.isChecked() if "embed_image" in f else o.embed_image,
            rle_all=self.rle.isChecked() if "rle_all" in f else o.rle_all,
        )


class IoDialogs:
    def save_file(self, parent, title: str, start: Path, file_filter: str) -> Path | None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(parent, title, str(start), file_filter)
        return Path(path) if path else None

    def open_file(self, parent, title: str, start: Path, file_filter: str) -> Path | None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(parent, title, str(start), file_filter)
        return Path(path) if path else None

    def export_folder(self, parent, title: str, start: Path) -> Path | None:
        path = QtWidgets.QFileDialog.getExistingDirectory(parent, title, str(start))
        return Path(path) if path else None

    def export_options(
        self,
        parent,
        title: str,
        options: ExportOptions,
        fields: Sequence[str],
        classes: Sequence[ClassItem] = (),
        total_pixels: int = 1,
    ) -> ExportOptions | None:
        """The options of one export, or None if the user cancels."""
        dialog = ExportOptionsDialog(parent, title, options, fields, classes, total_pixels)
        return dialog.options() if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted else None


_DEFAULT = IoDialogs()


def ask(window, question: str):
    """The method answering ``question``: the window's dialogs object's, else the default."""
    return getattr(window.dialogs, question, None) or getattr(_DEFAULT, question)
