"""The fine-tuning window: live loss and holdout-mIoU curves, the step count, the time left,
and Cancel. It is not modal: the user keeps labelling while the model trains."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

LOSS_PEN = pg.mkPen("#4f9de0", width=1.5)
MIOU_PEN = pg.mkPen("#5cc46a", width=2)


class StepAxis(pg.AxisItem):
    """An axis of training steps: ticks on whole steps only (a run of a few steps would
    otherwise read 0.5, 1.5, ...)."""

    def tickValues(self, minVal, maxVal, size):
        levels = [
            (spacing, [v for v in values if float(v).is_integer()])
            for spacing, values in super().tickValues(minVal, maxVal, size)
            if spacing >= 1
        ]
        if not levels:
            first, last = math.ceil(minVal), math.floor(maxVal)
            levels = [(1.0, [float(v) for v in range(first, last + 1)])]
        return levels


def format_duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "…"
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class FinetuneProgressDialog(QtWidgets.QDialog):
    """Signal ``cancel_requested``. Feed it the runner's events; it ends in one of
    :meth:`show_failed`, :meth:`show_cancelled`, or is closed by the caller on success."""

    cancel_requested = QtCore.Signal()

    def __init__(self, summary: str, total_steps: int, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Fine-tuning the model")
        self.setModal(False)
        self.resize(760, 520)
        self.total_steps = max(1, int(total_steps))
        self.losses: list[tuple[int, float]] = []
        self.mious: list[tuple[int, float]] = []
        self.finished_running = False

        layout = QtWidgets.QVBoxLayout(self)
        self.summary_label = QtWidgets.QLabel(summary)
        self.summary_label.setWordWrap(True)
        self.status_label = QtWidgets.QLabel()
        self.progress = QtWidgets.QProgressBar()
        plots = QtWidgets.QHBoxLayout()
        self.loss_plot = self._plot("Training loss", "loss")
        self.miou_plot = self._plot("Set-aside images", "mIoU (%)")
        self.loss_curve = self.loss_plot.plot([], [], pen=LOSS_PEN)
        self.miou_curve = self.miou_plot.plot(
            [], [], pen=MIOU_PEN, symbol="o", symbolSize=7, symbolBrush="#5cc46a"
        )
        plots.addWidget(self.loss_plot, 1)
        plots.addWidget(self.miou_plot, 1)
        self.details = QtWidgets.QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setMaximumHeight(130)
        self.details.hide()
        buttons = QtWidgets.QHBoxLayout()
        buttons.addStretch(1)
        self.cancel_button = QtWidgets.QPushButton("Cancel Training")
        self.cancel_button.setToolTip("Stop now; the current model and your labels stay as they are")
        self.cancel_button.clicked.connect(self._on_cancel)
        self.close_button = QtWidgets.QPushButton("Close")
        self.close_button.clicked.connect(self.close)
        self.close_button.hide()
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.close_button)
        for w in (self.summary_label, self.status_label, self.progress):
            layout.addWidget(w)
        layout.addLayout(plots, 1)
        layout.addWidget(self.details)
        layout.addLayout(buttons)
        self.show_training(summary)

    def _plot(self, title: str, y_label: str) -> pg.PlotWidget:
        """A chart against the training step: the x axis spans the run (0 to its steps) and
        reads in steps; the holdout mIoU is drawn at the step it was measured at."""
        plot = pg.PlotWidget(title=title, axisItems={"bottom": StepAxis("bottom")})
        plot.setLabel("bottom", "step")
        plot.enableAutoRange(x=False)
        plot.setXRange(0, self.total_steps, padding=0.02)
        plot.setLabel("left", y_label)
        plot.showGrid(x=True, y=True, alpha=0.25)
        plot.setMinimumHeight(200)
        return plot

    # --- events -------------------------------------------------------------------------------

    def show_staging(self, text: str, done: int, total: int) -> None:
        """Before the training: the labels being staged (``text`` says what, e.g.
        "Preparing 40 images…"), ``done`` of ``total``."""
        self.status_label.setText(text)
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)
        self.progress.setFormat("%v / %m")

    def show_training(self, summary: str) -> None:
        """The labels are staged and the training process is starting."""
        self.summary_label.setText(summary)
        self.status_label.setText("Starting; measuring the current model on the set-aside images…")
        self.progress.setRange(0, self.total_steps)
        self.progress.setValue(0)
        self.progress.setFormat("step %v / %m")

    def _set_total(self, total: int) -> None:
        """The run's length in steps (a time budget shortens it as the pace is known)."""
        self.total_steps = total
        self.progress.setRange(0, total)
        for plot in (self.loss_plot, self.miou_plot):
            plot.setXRange(0, total, padding=0.02)

    def on_started(self, event: dict) -> None:
        total = event.get("total") or event.get("steps")
        if isinstance(total, int) and total > 0:
            self._set_total(total)
        self.status_label.setText("Training…")
        self.on_eval(event)  # the current model's score: the curve's first point

    def on_step(self, event: dict) -> None:
        step = int(event.get("step", len(self.losses) + 1))
        total = int(event.get("total") or self.total_steps)
        loss = event.get("loss")
        if isinstance(loss, (int, float)) and math.isfinite(loss):
            self.losses.append((step, float(loss)))
            xs, ys = zip(*self.losses)
            self.loss_curve.setData(list(xs), list(ys))
        if total != self.total_steps:
            self._set_total(total)
        self.progress.setValue(min(step, total))
        loss_text = f" · loss {loss:.3f}" if isinstance(loss, (int, float)) else ""
        left = (
            "measuring the new model…"
            if step >= total
            else f"about {format_duration(event.get('eta_s'))} left"
        )
        self.status_label.setText(f"Step {step} of {total}{loss_text} · {left}")

    def on_eval(self, event: dict) -> None:
        miou = event.get("miou")
        if not isinstance(miou, (int, float)):
            return
        self.mious.append((int(event.get("step", 0)), 100 * float(miou)))  # x: the training step
        xs, ys = zip(*self.mious)
        self.miou_curve.setData(list(xs), list(ys))

    # --- endings ------------------------------------------------------------------------------

    def _on_cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancelling…")
        self.status_label.setText("Stopping…")
        self.cancel_requested.emit()

    def _finish(self, text: str) -> None:
        self.finished_running = True
        self.status_label.setText(text)
        self.cancel_button.hide()
        self.close_button.show()

    def show_failed(self, message: str, tail: list[str]) -> None:
        self._finish(f"<b>Fine-tuning failed.</b> {message} The current model and your labels are unchanged.")
        if tail:
            self.details.setPlainText("\n".join(tail))
            self.details.show()

    def show_cancelled(self) -> None:
        self._finish(
            "Fine-tuning was cancelled. The current model and your labels are unchanged; "
            "no new model was written."
        )

    def closeEvent(self, ev) -> None:
        if not self.finished_running:  # closing the window is not a way to stop the training
            self.hide()
            ev.ignore()
            return
        super().closeEvent(ev)

    def reject(self) -> None:  # Escape: hide while running, close when over
        if self.finished_running:
            super().reject()
        else:
            self.hide()
