"""The form an export's options are asked in (:meth:`app.dialogs.Dialogs.export_options`): only
the fields that export needs."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6 import QtWidgets

from ..swatch import swatch
from .options import ClassItem, ExportOptions

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
