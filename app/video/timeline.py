"""The timeline under the canvas in video mode: play/pause, a slider over the frames, a "jump to
frame" box, the frame number and time, and a strip that shows where the labels flicker (the
share of pixels whose class changes from the previous frame) with the video's mean, and which
frames have labels or were edited by hand. A click on the strip jumps to that frame.

The widget only shows and asks: it emits ``frame_requested(index)`` and ``play_toggled(on)``;
the main window decides what happens (:mod:`app.video.video_flow`)."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

# Colours of the state band under the flicker strip, by state code.
NO_LABELS, LABELLED, EDITED = 0, 1, 2
BAND_COLORS = np.array([[70, 70, 76, 255], [70, 150, 240, 255], [240, 160, 40, 255]], np.uint8)
FLICKER_PEN = pg.mkPen((230, 90, 90), width=1)
MEAN_PEN = pg.mkPen((200, 200, 200), width=1, style=QtCore.Qt.PenStyle.DashLine)
CURSOR_PEN = pg.mkPen((255, 230, 0), width=1)
SCRUB_INTERVAL_MS = 40  # while the slider is dragged, at most one frame request per interval


def format_time(seconds: float) -> str:
    """``m:ss.ss`` (``h:mm:ss.ss`` past an hour)."""
    if not math.isfinite(seconds) or seconds < 0:
        return "–"
    minutes, secs = divmod(seconds, 60.0)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{secs:05.2f}" if hours else f"{minutes}:{secs:05.2f}"


class Timeline(QtWidgets.QWidget):
    """Signals: ``frame_requested(index)``, ``play_toggled(playing)``."""

    frame_requested = QtCore.Signal(int)
    play_toggled = QtCore.Signal(bool)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.frame_count = 0
        self.fps = 0.0
        self.index = 0
        self.flicker = np.zeros(0)
        self._scrub_timer = QtCore.QTimer(self, singleShot=True, interval=SCRUB_INTERVAL_MS)
        self._scrub_timer.timeout.connect(self._emit_slider)

        self.play_button = QtWidgets.QToolButton()
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Play / pause (K)")
        self.play_button.toggled.connect(self._on_play_toggled)
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setToolTip("Drag to scrub through the frames")
        self.slider.valueChanged.connect(self._on_slider)
        self.slider.sliderReleased.connect(self._emit_slider)
        self.spin = QtWidgets.QSpinBox()
        self.spin.setKeyboardTracking(False)  # jump when Enter is pressed, not on every digit
        self.spin.setToolTip("Jump to frame (Ctrl+J)")
        self.spin.setPrefix("frame ")
        self.spin.valueChanged.connect(self.frame_requested.emit)
        self.time_label = QtWidgets.QLabel()
        self.flicker_label = QtWidgets.QLabel()
        self.flicker_label.setMinimumWidth(40)  # clipped in a narrow window, never pushing it wider
        self.flicker_label.setToolTip(
            "Share of pixels whose class changes from the previous frame: high spikes show labels that jump"
        )

        # The slider has a row of its own, the width of the canvas: in a narrow window the
        # labels beside it left it a bare handle.
        row = QtWidgets.QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.play_button)
        row.addWidget(self.spin)
        row.addWidget(self.time_label)
        row.addStretch(1)
        row.addWidget(self.flicker_label)

        self.strip = pg.GraphicsLayoutWidget()
        self.strip.setBackground((40, 40, 44))
        self.strip.setFixedHeight(64)
        self.strip.ci.layout.setContentsMargins(2, 2, 2, 2)
        self.strip.ci.layout.setSpacing(1)
        self.strip.setToolTip(
            "Label flicker per frame (red), its mean (dashed), and the frames "
            "with labels (blue) or edited by hand (orange). Click to jump."
        )
        self.plot_vb = self.strip.addViewBox(row=0, col=0, enableMenu=False)
        self.band_vb = self.strip.addViewBox(row=1, col=0, enableMenu=False)
        self.strip.ci.layout.setRowFixedHeight(1, 8)
        for vb in (self.plot_vb, self.band_vb):
            vb.setMouseEnabled(False, False)
        self.band_vb.setXLink(self.plot_vb)
        self.curve = pg.PlotDataItem(pen=FLICKER_PEN, connect="finite", fillLevel=0, brush=(230, 90, 90, 60))
        self.mean_line = pg.InfiniteLine(angle=0, pen=MEAN_PEN)
        self.cursor = pg.InfiniteLine(angle=90, pen=CURSOR_PEN)
        self.band_cursor = pg.InfiniteLine(angle=90, pen=CURSOR_PEN)
        self.band = pg.ImageItem(axisOrder="row-major")
        self.plot_vb.addItem(self.curve)
        self.plot_vb.addItem(self.mean_line, ignoreBounds=True)
        self.plot_vb.addItem(self.cursor, ignoreBounds=True)
        self.band_vb.addItem(self.band)
        self.band_vb.addItem(self.band_cursor, ignoreBounds=True)
        self.strip.scene().sigMouseClicked.connect(self._on_strip_clicked)

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.slider)
        layout.addLayout(row)
        layout.addWidget(self.strip)
        self.set_playing(False)
        self.set_video(0, 0.0)

    # --- what the window tells it -------------------------------------------------------------

    def set_video(self, frame_count: int, fps: float) -> None:
        self.frame_count = max(0, int(frame_count))
        self.fps = float(fps)
        last = max(0, self.frame_count - 1)
        for w in (self.slider, self.spin):
            blocker = QtCore.QSignalBlocker(w)
            w.setRange(0, last)
            del blocker
        self.spin.setSuffix(f" / {last}")
        self.slider.setPageStep(max(1, round(self.fps)) if self.fps > 0 else 10)
        self.plot_vb.setXRange(-0.5, last + 0.5, padding=0)
        self.band_vb.setYRange(0, 1, padding=0)
        self.set_flicker(np.full(self.frame_count, np.nan))
        self.set_marks((), ())
        self.set_frame(0)

    def set_frame(self, index: int) -> None:
        """Show ``index`` as the current frame (emits nothing)."""
        self.index = int(index)
        for w in (self.slider, self.spin):
            if w.value() != self.index:
                blocker = QtCore.QSignalBlocker(w)
                w.setValue(self.index)
                del blocker
        self.cursor.setValue(self.index)
        self.band_cursor.setValue(self.index)
        now = self.index / self.fps if self.fps > 0 else math.nan
        total = self.frame_count / self.fps if self.fps > 0 else math.nan
        self.time_label.setText(f"{format_time(now)} / {format_time(total)}")
        self._update_flicker_label()

    def set_flicker(self, series: np.ndarray) -> None:
        """Per-frame flicker as a fraction 0..1 (NaN where unknown): drawn in percent."""
        self.flicker = np.asarray(series, np.float64)
        x = np.arange(len(self.flicker), dtype=np.float64)
        y = 100.0 * self.flicker
        self.curve.setData(x, y)
        known = y[np.isfinite(y)]
        self.mean_line.setVisible(bool(len(known)))
        if len(known):
            self.mean_line.setValue(float(known.mean()))
        top = max(1.0, float(known.max()) if len(known) else 1.0)
        self.plot_vb.setYRange(0, top * 1.1, padding=0)
        self._update_flicker_label()

    def set_marks(self, labelled, edited) -> None:
        """Colour the band: frames with labels, frames edited by hand."""
        codes = np.full(max(1, self.frame_count), NO_LABELS, np.uint8)
        n = self.frame_count
        for frames, code in ((labelled, LABELLED), (edited, EDITED)):
            idx = np.fromiter((i for i in frames if 0 <= i < n), np.int64)
            codes[idx] = code
        self.band.setImage(BAND_COLORS[codes][None], levels=None, autoLevels=False)
        self.band.setRect(QtCore.QRectF(-0.5, 0, max(1, n), 1))

    def set_playing(self, playing: bool) -> None:
        blocker = QtCore.QSignalBlocker(self.play_button)
        self.play_button.setChecked(playing)
        del blocker
        icon = (
            QtWidgets.QStyle.StandardPixmap.SP_MediaPause
            if playing
            else QtWidgets.QStyle.StandardPixmap.SP_MediaPlay
        )
        self.play_button.setIcon(self.style().standardIcon(icon))

    def focus_jump_box(self) -> None:
        self.spin.setFocus()
        self.spin.selectAll()

    # --- what the user does -------------------------------------------------------------------

    def _on_play_toggled(self, on: bool) -> None:
        self.set_playing(on)
        self.play_toggled.emit(on)

    def _on_slider(self, value: int) -> None:
        if self.slider.isSliderDown():  # scrubbing: coalesce, decoding every step would lag
            if not self._scrub_timer.isActive():
                self._scrub_timer.start()
        else:
            self._emit_slider()

    def _emit_slider(self) -> None:
        if self.slider.value() != self.index:
            self.frame_requested.emit(self.slider.value())

    def _on_strip_clicked(self, ev) -> None:
        if self.frame_count == 0 or ev.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        x = self.plot_vb.mapSceneToView(ev.scenePos()).x()
        self.frame_requested.emit(int(np.clip(round(x), 0, self.frame_count - 1)))
        ev.accept()

    def _update_flicker_label(self) -> None:
        known = self.flicker[np.isfinite(self.flicker)] if len(self.flicker) else self.flicker
        if not len(known):
            self.flicker_label.setText("flicker: –")
            return
        here = self.flicker[self.index] if self.index < len(self.flicker) else math.nan
        here_text = f"{100 * here:.1f}%" if math.isfinite(here) else "–"
        self.flicker_label.setText(f"flicker {here_text} (mean {100 * known.mean():.1f}%)")

    def strip_point(self, index: int) -> QtCore.QPoint:
        """Where frame ``index`` lies on the strip, in the strip's widget coordinates."""
        y = self.plot_vb.viewRange()[1][1] / 2
        scene = self.plot_vb.mapViewToScene(QtCore.QPointF(index, y))
        return self.strip.mapFromScene(scene)
