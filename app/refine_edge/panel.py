"""The Refine Edge panel: turn one class of the image on screen into a soft cut-out.

The person picks the class, the band width and the matting method, paints the refine brush
on the preview where hair or twigs need a wider band, and runs the matting in the background
(progress, cancel). The preview shows the result over a checkerboard, black, white or a
colour. The result is kept beside the labels, in the label folder as
``NAME.refined-<class id>.png`` (RGBA, straight alpha), so the label map stays hard and every
label export stays exact; it can be exported as an RGBA cut-out or as a greyscale matte.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from srcrm.base.io import write_png
from srcrm.formats import cutout
from srcrm.matting import (
    Cancelled,
    Matte,
    RefineConfig,
    kernels,
    make_trimap,
    paint_band,
    refine,
)

from ..document.label_document import LabelDocument
from ..document.project import Project
from ..io_actions.common import ExportPlaces, safe_name
from ..jobs import Job
from ..session import Command, Session
from ..ui import Ui
from .preview import BACKGROUNDS, band_view, composite

METHOD_NAMES = {
    "cf": "Closed-form (best)",
    "guided": "Guided filter (fastest)",
    "knn": "KNN",
    "lkm": "Large kernel",
}
PNG_FILTER = "PNG images (*.png)"


def kept_path(project: Project, image: Path, class_id: int) -> Path:
    """Where a refined class of ``image`` is kept: beside its label map."""
    labels = project.label_path(image)
    return labels.with_name(f"{labels.stem}.refined-{class_id}.png")


class PreviewLabel(QtWidgets.QLabel):
    """Shows an image scaled to fit; a drag reports the image pixels it passes over."""

    stroke = QtCore.Signal(list)  # [(x, y), ...] in image pixels

    def __init__(self):
        super().__init__()
        self.setMinimumSize(360, 270)
        self.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Expanding)
        self._image: np.ndarray | None = None
        self._last: tuple[float, float] | None = None

    def show_image(self, rgb: np.ndarray) -> None:
        self._image = np.ascontiguousarray(rgb)
        h, w = rgb.shape[:2]
        qimage = QtGui.QImage(
            self._image.data, w, h, self._image.strides[0], QtGui.QImage.Format.Format_RGB888
        )
        self.setPixmap(
            QtGui.QPixmap.fromImage(qimage).scaled(
                self.size(),
                QtCore.Qt.AspectRatioMode.KeepAspectRatio,
                QtCore.Qt.TransformationMode.SmoothTransformation,
            )
        )

    def to_image(self, pos: QtCore.QPointF) -> tuple[float, float]:
        assert self._image is not None  # (strokes come only over an image shown)
        h, w = self._image.shape[:2]
        scale = min(self.width() / w, self.height() / h)
        left, top = (self.width() - w * scale) / 2, (self.height() - h * scale) / 2
        return (pos.x() - left) / scale, (pos.y() - top) / scale

    def mousePressEvent(self, event):
        if self._image is not None:
            self._last = self.to_image(event.position())
            self.stroke.emit([self._last])

    def mouseMoveEvent(self, event):
        if self._last is not None:
            point = self.to_image(event.position())
            self.stroke.emit([self._last, point])
            self._last = point

    def mouseReleaseEvent(self, event):
        self._last = None

    def resizeEvent(self, event):
        super().resizeEvent(event)
        if self._image is not None:
            self.show_image(self._image)


class RefineEdgePanel(QtWidgets.QDialog):
    """Non-modal; one per window, owned by :class:`RefineEdge`. Works on ``doc``, an image of
    ``project``; ``matte`` is the current result."""

    def __init__(self, session: Session, ui: Ui, places: ExportPlaces):
        super().__init__(ui.parent)
        self.session = session
        self.ui = ui
        self.places = places
        self.setWindowTitle("Refine Edge")
        self.doc: LabelDocument | None = None
        self.project: Project | None = None
        self.matte: Matte | None = None
        self.widen: np.ndarray | None = None
        self.job: Job | None = None
        self._delivered = False  # whether the running job handed over a matte
        self.colour = (0, 160, 255)

        self.class_box = QtWidgets.QComboBox()
        self.band = QtWidgets.QSpinBox(minimum=1, maximum=200, value=RefineConfig.band, suffix=" px")
        self.method = QtWidgets.QComboBox()
        for key, name in METHOD_NAMES.items():
            self.method.addItem(name, key)
        self.see_through = QtWidgets.QCheckBox("See through thin structures")
        self.see_through.setChecked(RefineConfig.see_through)
        self.see_through.setToolTip(
            "Where the class's inside shows the colour of the class around it (sky between "
            "branches, a fence's gaps), let the matting make it transparent"
        )
        self.brush = QtWidgets.QCheckBox("Refine brush (paint on the preview)")
        self.brush_radius = QtWidgets.QSpinBox(minimum=1, maximum=200, value=12, suffix=" px")
        self.backdrop = QtWidgets.QComboBox()
        for kind in BACKGROUNDS:
            self.backdrop.addItem(kind.capitalize(), kind)
        self.pick_colour = QtWidgets.QPushButton("Colour…")
        self.preview = PreviewLabel()
        self.progress = QtWidgets.QProgressBar(maximum=100)
        self.status = QtWidgets.QLabel("")
        self.run_button = QtWidgets.QPushButton("Refine")
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.clear_brush = QtWidgets.QPushButton("Clear Brush")
        self.crop = QtWidgets.QCheckBox("Crop to the cut-out")
        self.crop.setChecked(True)
        self.export_cut = QtWidgets.QPushButton("Export Cut-out (RGBA PNG)…")
        self.export_alpha = QtWidgets.QPushButton("Export Matte (PNG)…")

        form = QtWidgets.QFormLayout()
        form.addRow("Class", self.class_box)
        form.addRow("Band width", self.band)
        form.addRow("Method", self.method)
        form.addRow(self.see_through)
        brush_row = QtWidgets.QHBoxLayout()
        brush_row.addWidget(self.brush)
        brush_row.addWidget(self.brush_radius)
        brush_row.addWidget(self.clear_brush)
        form.addRow(brush_row)
        back_row = QtWidgets.QHBoxLayout()
        back_row.addWidget(self.backdrop)
        back_row.addWidget(self.pick_colour)
        form.addRow("Preview over", back_row)
        buttons = QtWidgets.QHBoxLayout()
        for w in (self.run_button, self.cancel_button, self.crop, self.export_cut, self.export_alpha):
            buttons.addWidget(w)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

        self.class_box.currentIndexChanged.connect(self._region_changed)
        self.band.valueChanged.connect(self._settings_changed)
        self.method.currentIndexChanged.connect(self._settings_changed)
        self.see_through.toggled.connect(self._settings_changed)
        self.backdrop.currentIndexChanged.connect(self.refresh)
        self.pick_colour.clicked.connect(self._choose_colour)
        self.preview.stroke.connect(self._paint)
        self.clear_brush.clicked.connect(self._clear_brush)
        self.run_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.export_cut.clicked.connect(lambda: self.export_cutout())
        self.export_alpha.clicked.connect(lambda: self.export_matte())
        self.resize(760, 640)

    # --- state ----------------------------------------------------------------------------

    def set_document(self, doc: LabelDocument, project: Project) -> None:
        """Work on ``doc`` (the image on screen): its classes, no brush, its kept result."""
        self.doc, self.project = doc, project
        self.widen = np.zeros(doc.shape, bool)
        present = np.bincount(doc.labels.ravel(), minlength=256)
        classes = doc.classes
        self.class_box.blockSignals(True)
        self.class_box.clear()
        for class_id in range(len(classes)):
            if present[class_id]:
                self.class_box.addItem(classes.name(class_id), class_id)
        current = self.class_box.findData(self.session.editor.current_class)
        self.class_box.setCurrentIndex(max(current, 0))
        self.class_box.blockSignals(False)
        self._region_changed()

    @property
    def class_id(self) -> int | None:
        return self.class_box.currentData()

    def config(self) -> RefineConfig:
        return RefineConfig(
            band=self.band.value(), method=self.method.currentData(), see_through=self.see_through.isChecked()
        )

    def _image_open(self) -> tuple[LabelDocument, Project, Path]:
        """The image worked on (the panel is shown only after :meth:`set_document`)."""
        doc, project = self.doc, self.project
        if doc is None or project is None or doc.path is None:
            raise RuntimeError("the Refine Edge panel has no image")
        return doc, project, doc.path

    def _region(self) -> np.ndarray:
        """Where the chosen class is."""
        return self._image_open()[0].labels == self.class_id

    def _region_changed(self) -> None:
        self.matte = self._read_kept()
        self.refresh()

    def _settings_changed(self) -> None:
        self.matte = None  # a result made with other settings no longer matches them
        self.refresh()

    def refresh(self) -> None:
        """Redraw the preview and enable what can be done now."""
        running = self.job is not None
        doc = self.doc
        has_region = doc is not None and self.class_id is not None
        self.run_button.setEnabled(has_region and not running)
        self.cancel_button.setEnabled(running)
        self.export_cut.setEnabled(self.matte is not None and not running)
        self.export_alpha.setEnabled(self.matte is not None and not running)
        self.pick_colour.setEnabled(self.backdrop.currentData() == "colour")
        if doc is None or not has_region:
            self.preview.clear()
            self.status.setText("This image has no labelled class to refine.")
            return
        if self.matte is not None:
            self.preview.show_image(composite(self.matte, self.backdrop.currentData(), self.colour))
        else:
            trimap = make_trimap(self._region(), self.band.value(), self.widen)
            self.preview.show_image(band_view(doc.image, trimap))

    # --- refine brush -----------------------------------------------------------------------

    def _paint(self, points: list) -> None:
        if not self.brush.isChecked() or self.widen is None or self.job is not None:
            return
        paint_band(self.widen, points, self.brush_radius.value())
        self._settings_changed()

    def _clear_brush(self) -> None:
        if self.widen is not None:
            self.widen[:] = False
            self._settings_changed()

    def _choose_colour(self) -> None:
        chosen = self.ui.dialogs.pick_color(self, self.colour, "Preview Colour")
        if chosen is not None:
            self.colour = chosen
            self.refresh()

    # --- the job ----------------------------------------------------------------------------

    def start(self) -> Job | None:
        """Refine the chosen class in the background; returns the job."""
        class_id = self.class_id
        if self.job is not None or class_id is None or self.widen is None:
            return None
        doc, project, image_path = self._image_open()
        image, mask, widen, config = doc.image, self._region(), self.widen.copy(), self.config()
        labels = doc.labels.copy()
        self._delivered = False

        def work(job):
            try:
                return refine(
                    image,
                    mask,
                    config,
                    widen,
                    on_progress=lambda f, stage: job.report(round(100 * f), 100, stage),
                    should_stop=job.should_stop,
                    labels=labels,
                )
            except Cancelled:
                return None

        self.job = self.session.jobs.submit("Refining the edge", work, lane="refine-edge")
        self.job.progress.connect(self._show_progress)
        kept = kept_path(project, image_path, class_id)
        self.job.succeeded.connect(lambda matte: self._done(doc, class_id, kept, matte))
        self.job.failed.connect(lambda message: self.status.setText(f"Refining failed: {message}"))
        self.job.finished.connect(self._finished)
        self.progress.setValue(0)
        self.status.setText(f"Refining the edge of {self.class_box.currentText()}…")
        self.refresh()
        return self.job

    def _show_progress(self, p) -> None:
        self.progress.setValue(p.done)
        if p.text and self.job is not None and not self.job.cancelled:
            self.status.setText(f"{p.text}…")

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.status.setText("Cancelling…")

    def _done(self, doc: LabelDocument, class_id: int, kept: Path, matte: Matte | None) -> None:
        if matte is None:  # cancelled while matting
            return
        self._delivered = True
        write_png(kept, matte.rgba())
        if doc is self.doc and class_id == self.class_id:
            self.matte = matte
        soft = int(((matte.alpha > 0) & (matte.alpha < 1)).sum())
        self.status.setText(
            f"Refined: {soft} soft edge pixels. Kept beside the labels; the label map is unchanged."
        )

    def _finished(self, job) -> None:
        self.job = None
        if job.cancelled and not self._delivered:
            self.status.setText("Cancelled: nothing was kept.")
        self.refresh()

    def _read_kept(self) -> Matte | None:
        if self.doc is None or self.class_id is None or self.doc.path is None or self.project is None:
            return None
        path = kept_path(self.project, self.doc.path, self.class_id)
        if not path.is_file():
            return None
        bgra = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if bgra is None or bgra.ndim != 3 or bgra.shape != (*self.doc.shape, 4):
            return None  # unreadable or stale: refine again
        rgba = cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGBA)
        return Matte(
            rgba[..., 3].astype(np.float32) / 255,
            rgba[..., :3].copy(),
            make_trimap(self._region(), self.band.value()),
        )

    # --- exports ----------------------------------------------------------------------------

    def _save_path(self, title: str, suffix: str) -> Path | None:
        name = f"{self._image_open()[2].stem}_{safe_name(self.class_box.currentText())}{suffix}.png"
        start = self.places.start_path(self.session, name)
        chosen = self.ui.dialogs.save_file(self.ui.parent, title, start, PNG_FILTER)
        if not chosen:
            return None
        self.places.remember(Path(chosen))
        return Path(chosen).with_suffix(".png")

    def export_cutout(self, path: str | Path | None = None) -> Path | None:
        """The cut-out as an RGBA PNG with straight alpha (cropped if asked)."""
        if self.matte is None:
            return None
        path = Path(path) if path else self._save_path("Save the Cut-out (RGBA PNG)", "")
        if path is not None:
            write_png(path, cutout.rgba(self.matte, crop=self.crop.isChecked()))
            self.ui.notify(f"Saved the refined cut-out as {path.name}.")
        return path

    def export_matte(self, path: str | Path | None = None) -> Path | None:
        """The alpha alone as a greyscale PNG at the image's size."""
        if self.matte is None:
            return None
        path = Path(path) if path else self._save_path("Save the Matte (PNG)", "_matte")
        if path is not None:
            cutout.write_matte(path, self.matte)
            self.ui.notify(f"Saved the matte as {path.name}.")
        return path


class RefineEdge:
    """Image > Refine Edge: the window's one panel, made the first time and kept here."""

    def __init__(self, session: Session, ui: Ui, places: ExportPlaces) -> None:
        self.session = session
        self.ui = ui
        self.places = places
        self.panel: RefineEdgePanel | None = None

    def commands(self) -> list[Command]:
        return [
            Command(
                "image.refine_edge",
                "&Refine Edge…",
                self.open_panel,
                "image",
                "2_state",
                ("Ctrl+Alt+E",),
                "Soft alpha matte of a class for cut-outs (the labels stay hard)",
            )
        ]

    def open_panel(self) -> RefineEdgePanel | None:
        """Show the panel on the image on screen (a notice if there is none)."""
        session = self.session
        doc, project = session.doc, session.project
        if project is None and doc is not None:
            self.ui.notify(
                "Refine Edge works on images; for a video, Video > Export writes mattes with refined edges.",
                "warning",
            )
            return None
        if doc is None or doc.path is None or project is None:
            self.ui.notify("Open an image first: Refine Edge works on the image on screen.", "warning")
            return None
        if self.panel is None:
            self.panel = RefineEdgePanel(session, self.ui, self.places)
            kernels.preload()  # the solver is ready by the time Refine is pressed
        self.panel.set_document(doc, project)
        self.panel.show()
        self.panel.raise_()
        return self.panel
