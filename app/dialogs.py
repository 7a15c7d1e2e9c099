"""Every question the app asks the user, in one replaceable object (tests swap in answers)."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtGui, QtWidgets

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.webp);;All files (*)"
CHECKPOINT_FILTER = "SRCRM checkpoints (*.pt *.json);;All files (*)"

SKIP, OVERWRITE = "skip", "overwrite"


class Dialogs:
    def open_image(self, parent, start: str) -> Path | None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(parent, "Open Image", start, IMAGE_FILTER)
        return Path(path) if path else None

    def open_folder(self, parent, start: str) -> Path | None:
        path = QtWidgets.QFileDialog.getExistingDirectory(parent, "Open Folder", start)
        return Path(path) if path else None

    def open_checkpoint(self, parent, start: str) -> Path | None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(parent, "Load Model", start, CHECKPOINT_FILTER)
        return Path(path) if path else None

    def confirm_replace_edits(self, parent, name: str) -> bool:
        answer = QtWidgets.QMessageBox.question(
            parent,
            "Replace your edits?",
            f"{name} has labels you edited by hand.\n\nReplace them with the model's "
            f"pre-labels? (Edit > Undo brings your labels back.)",
            QtWidgets.QMessageBox.StandardButton.Yes | QtWidgets.QMessageBox.StandardButton.No,
            QtWidgets.QMessageBox.StandardButton.No,
        )
        return answer == QtWidgets.QMessageBox.StandardButton.Yes

    def confirm_quit_unsaved(self, parent, names: list[str], reason: str) -> bool:
        """True to quit although the labels of ``names`` could not be saved."""
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        answer = QtWidgets.QMessageBox.warning(
            parent,
            "Quit and lose edits?",
            f"The labels of {shown} could not be saved ({reason}) and exist only in memory.\n\n"
            f"Quit anyway and lose them? Choose No, free some space or fix the permissions, "
            f"then press Ctrl+S.",
            QtWidgets.QMessageBox.StandardButton.Yes | QtWidgets.QMessageBox.StandardButton.No,
            QtWidgets.QMessageBox.StandardButton.No,
        )
        return answer == QtWidgets.QMessageBox.StandardButton.Yes

    def folder_edits_policy(self, parent, edited: int, total: int) -> str | None:
        """SKIP or OVERWRITE the images with human edits, or None to cancel."""
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

    def pick_color(self, parent, rgb: tuple[int, int, int], title: str) -> tuple[int, int, int] | None:
        color = QtWidgets.QColorDialog.getColor(QtGui.QColor(*rgb), parent, title)
        return (color.red(), color.green(), color.blue()) if color.isValid() else None

    def ask_text(self, parent, title: str, label: str, text: str = "") -> str | None:
        value, ok = QtWidgets.QInputDialog.getText(parent, title, label, text=text)
        return value if ok and value.strip() else None
