"""The questions of :class:`app.dialogs.Dialogs` as Qt dialogs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtGui, QtWidgets

from srcrm.video import VIDEO_SUFFIXES

from .dialogs import OVERWRITE, SKIP, Parent
from .document.classes import ClassTable
from .finetune.options_dialog import FinetuneOptionsDialog
from .io_actions.export_dialog import ExportOptionsDialog
from .io_actions.options import ClassItem, ExportOptions
from .video.tasks import PrelabelRequest
from .video.video_dialogs import ClassPickerDialog, PrelabelVideoDialog

if TYPE_CHECKING:
    from srcrm.train.finetune import FinetuneConfig

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.webp);;All files (*)"
CHECKPOINT_FILTER = "SRCRM checkpoints (*.pt *.json);;All files (*)"
VIDEO_FILTER = f"Videos ({' '.join('*' + s for s in sorted(VIDEO_SUFFIXES))});;All files (*)"
ACCEPTED = QtWidgets.QDialog.DialogCode.Accepted
YES, NO = QtWidgets.QMessageBox.StandardButton.Yes, QtWidgets.QMessageBox.StandardButton.No


def _path(text: str) -> Path | None:
    return Path(text) if text else None


class QtDialogs:
    # --- opening ------------------------------------------------------------------------------

    def open_image(self, parent: Parent, start: str) -> Path | None:
        return _path(QtWidgets.QFileDialog.getOpenFileName(parent, "Open Image", start, IMAGE_FILTER)[0])

    def open_folder(self, parent: Parent, start: str) -> Path | None:
        return _path(QtWidgets.QFileDialog.getExistingDirectory(parent, "Open Folder", start))

    def open_video(self, parent: Parent, start: str) -> Path | None:
        return _path(QtWidgets.QFileDialog.getOpenFileName(parent, "Open Video", start, VIDEO_FILTER)[0])

    def open_sequence(self, parent: Parent, start: str) -> Path | None:
        title = "Open Image Sequence: a folder of frames"
        return _path(QtWidgets.QFileDialog.getExistingDirectory(parent, title, start))

    def open_checkpoint(self, parent: Parent, start: str) -> Path | None:
        return _path(QtWidgets.QFileDialog.getOpenFileName(parent, "Load Model", start, CHECKPOINT_FILTER)[0])

    # --- before replacing or losing work ------------------------------------------------------

    def confirm_replace_edits(self, parent: Parent, name: str) -> bool:
        answer = QtWidgets.QMessageBox.question(
            parent,
            "Replace your edits?",
            f"{name} has labels you edited by hand.\n\nReplace them with the model's "
            f"pre-labels? (Edit > Undo brings your labels back.)",
            YES | NO,
            NO,
        )
        return answer == YES

    def confirm_quit_unsaved(self, parent: Parent, names: list[str], reason: str) -> bool:
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        answer = QtWidgets.QMessageBox.warning(
            parent,
            "Quit and lose edits?",
            f"The labels of {shown} could not be saved ({reason}) and exist only in memory.\n\n"
            f"Quit anyway and lose them? Choose No, free some space or fix the permissions, "
            f"then press Ctrl+S.",
            YES | NO,
            NO,
        )
        return answer == YES

    def folder_edits_policy(self, parent: Parent, edited: int, total: int) -> str | None:
        box = QtWidgets.QMessageBox(parent)
        box.setIcon(QtWidgets.QMessageBox.Icon.Question)
        box.setWindowTitle("Pre-label the folder")
        box.setText(f"{edited} of {total} images have labels edited by hand.")
        box.setInformativeText(
            "Skip them and pre-label only the others, or replace their labels with the model's too?"
        )
        skip = box.addButton("Skip Edited Images", QtWidgets.QMessageBox.ButtonRole.AcceptRole)
        over = box.addButton("Replace All", QtWidgets.QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QtWidgets.QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(skip)
        box.exec()
        clicked = box.clickedButton()
        return SKIP if clicked is skip else OVERWRITE if clicked is over else None

    # --- classes ------------------------------------------------------------------------------

    def pick_color(
        self, parent: Parent, rgb: tuple[int, int, int], title: str
    ) -> tuple[int, int, int] | None:
        color = QtWidgets.QColorDialog.getColor(QtGui.QColor(*rgb), parent, title)
        return (color.red(), color.green(), color.blue()) if color.isValid() else None

    def ask_text(self, parent: Parent, title: str, label: str, text: str = "") -> str | None:
        value, ok = QtWidgets.QInputDialog.getText(parent, title, label, text=text)
        return value if ok and value.strip() else None

    # --- help ---------------------------------------------------------------------------------

    def show_info(self, parent: Parent, title: str, html: str) -> None:
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Information, title, html, parent=parent)
        box.setTextFormat(QtCore.Qt.TextFormat.RichText)
        box.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextBrowserInteraction)
        box.exec()

    def open_url(self, url: str) -> None:
        QtGui.QDesktopServices.openUrl(QtCore.QUrl(url))

    # --- exports and imports ------------------------------------------------------------------

    def save_file(self, parent: Parent, title: str, start: Path, file_filter: str) -> Path | None:
        return _path(QtWidgets.QFileDialog.getSaveFileName(parent, title, str(start), file_filter)[0])

    def open_file(self, parent: Parent, title: str, start: Path, file_filter: str) -> Path | None:
        return _path(QtWidgets.QFileDialog.getOpenFileName(parent, title, str(start), file_filter)[0])

    def export_folder(self, parent: Parent, title: str, start: Path) -> Path | None:
        return _path(QtWidgets.QFileDialog.getExistingDirectory(parent, title, str(start)))

    def export_options(
        self,
        parent: Parent,
        title: str,
        options: ExportOptions,
        fields: Sequence[str],
        classes: Sequence[ClassItem] = (),
        total_pixels: int = 1,
    ) -> ExportOptions | None:
        dialog = ExportOptionsDialog(parent, title, options, fields, classes, total_pixels)
        return dialog.options() if dialog.exec() == ACCEPTED else None

    # --- video --------------------------------------------------------------------------------

    def prelabel_options(
        self, parent: Parent, frame_count: int, current: int, labelled: int
    ) -> PrelabelRequest | None:
        dialog = PrelabelVideoDialog(parent, frame_count, current, labelled)
        return dialog.request() if dialog.exec() == ACCEPTED else None

    def smooth_radius(self, parent: Parent) -> int | None:
        value, ok = QtWidgets.QInputDialog.getInt(
            parent,
            "Smooth Labels",
            "Majority vote over each frame and this many frames either side\n(frames you edited are kept):",
            1,
            1,
            5,
        )
        return value if ok else None

    def propagate_count(self, parent: Parent, default: int, maximum: int) -> int | None:
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

    def confirm_propagation(self, parent: Parent, preview: QtWidgets.QDialog) -> bool:
        return preview.exec() == ACCEPTED

    def matte_classes(self, parent: Parent, classes: ClassTable, current: int) -> list[int] | None:
        dialog = ClassPickerDialog(parent, classes, current)
        return dialog.chosen() if dialog.exec() == ACCEPTED else None

    # --- fine-tuning --------------------------------------------------------------------------

    def finetune_options(
        self, parent: Parent, defaults: FinetuneConfig, names: list[str], train_only: Sequence[str] = ()
    ) -> FinetuneConfig | None:
        dialog = FinetuneOptionsDialog(defaults, names, parent, train_only)
        return dialog.config() if dialog.exec() == ACCEPTED else None
