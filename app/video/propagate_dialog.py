"""The preview of a propagated correction: a slider over the frames it would change, each shown
with its new labels laid over it and the carried region outlined. Apply writes them all (one
action); Discard writes nothing."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from srcrm.inference.overlay import blend

from ..document.classes import ClassTable
from .tasks import Propagation

OUTLINE_RGB = (255, 230, 0)
MAX_SIZE = QtCore.QSize(960, 640)


def render_preview(
    frame: np.ndarray, labels: np.ndarray, region: np.ndarray, classes: ClassTable, alpha: float = 0.5
) -> np.ndarray:
    """The frame with its labels blended in (unlabelled pixels left as they are) and the
    outline of ``region`` drawn over it."""
    palette = np.asarray(classes.display, np.uint8)
    out = blend(frame, labels, palette, alpha)
    out = np.where((labels == classes.ignore_index)[..., None], frame, out)
    contours, _ = cv2.findContours(region.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out = np.ascontiguousarray(out)
    cv2.drawContours(out, contours, -1, OUTLINE_RGB, max(1, frame.shape[1] // 480))
    return out


class PropagationPreviewDialog(QtWidgets.QDialog):
    def __init__(
        self, parent, propagation: Propagation, read_frame: Callable[[int], np.ndarray], classes: ClassTable
    ):
        super().__init__(parent)
        self.propagation = propagation
        self._read_frame = read_frame
        self._classes = classes
        frames = propagation.frames
        self.setWindowTitle(f"Propagate the correction of frame {propagation.source_index}")
        self.picture = QtWidgets.QLabel()
        self.picture.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(320, 240)
        self.caption = QtWidgets.QLabel()
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setRange(0, max(0, len(frames) - 1))
        self.slider.valueChanged.connect(self.show_frame)
        buttons = QtWidgets.QDialogButtonBox()
        self.apply_button = buttons.addButton(
            f"Apply to {len(frames)} Frames", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.discard_button = buttons.addButton("Discard", QtWidgets.QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.picture, 1)
        layout.addWidget(self.slider)
        layout.addWidget(self.caption)
        layout.addWidget(buttons)
        self.image: np.ndarray | None = None  # what is on screen, RGB
        self.show_frame(0)

    def show_frame(self, k: int) -> None:
        item = self.propagation.frames[k]
        self.image = render_preview(self._read_frame(item.index), item.labels, item.region, self._classes)
        h, w = self.image.shape[:2]
        qimage = QtGui.QImage(
            self.image.data, w, h, self.image.strides[0], QtGui.QImage.Format.Format_RGB888
        ).copy()
        pixmap = QtGui.QPixmap.fromImage(qimage)
        if w > MAX_SIZE.width() or h > MAX_SIZE.height():
            pixmap = pixmap.scaled(
                MAX_SIZE,
                QtCore.Qt.AspectRatioMode.KeepAspectRatio,
                QtCore.Qt.TransformationMode.SmoothTransformation,
            )
        self.picture.setPixmap(pixmap)
        share = 100.0 * item.changed / max(1, item.labels.size)
        self.caption.setText(
            f"Frame {item.index} ({k + 1} of {len(self.propagation.frames)}): "
            f"{item.changed} pixels change ({share:.1f}%). The outline shows "
            f"where your correction lands."
        )
