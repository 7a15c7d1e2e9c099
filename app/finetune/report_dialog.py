"""Before and after on the set-aside images: a table of the summary scores and a bar chart of
each class's IoU, and the choice to keep the new model or discard it."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from .progress_dialog import format_duration

# (key in the metrics dict, row title, higher is better)
SUMMARY_ROWS = (
    ("miou", "Mean IoU", True),
    ("boundary_f", "Boundary F-score", True),
    ("pixel_acc", "Pixel accuracy", True),
    ("to_change", "Labelled pixels still to change", False),
)
BEFORE_COLOR, AFTER_COLOR = "#8a8f98", "#4f9de0"
BETTER, WORSE = QtGui.QColor("#2e9d48"), QtGui.QColor("#c8453c")


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


def class_ious(metrics: dict, class_names: list[str]) -> list[float | None]:
    """Each class's IoU in id order (None where the set-aside images hold none of it)."""
    raw = metrics.get("iou") or {}
    if isinstance(raw, dict):
        return [_number(raw.get(name)) for name in class_names]
    return [_number(v) for v in list(raw)[: len(class_names)]] + [None] * (len(class_names) - len(raw))


def score_fell(before: dict, after: dict) -> bool:
    """Whether the set-aside images' mean IoU is lower after the training than before."""
    b, a = _number(before.get("miou")), _number(after.get("miou"))
    return b is not None and a is not None and a < b


def fell_warning(before: dict, after: dict) -> str:
    """Why keeping a model whose score fell is not suggested (one line for the report)."""
    return (
        f"The held-out mIoU fell from {100 * before['miou']:.1f}% to {100 * after['miou']:.1f}%: "
        f"keeping this model would make the pre-labels worse. Discard is preselected."
    )


class FinetuneReportDialog(QtWidgets.QDialog):
    """``accepted``: keep the new model; ``rejected``: discard it. An hour of training is not
    thrown away by a stray Escape: only the Discard button rejects. Keep is the preselected
    button (Enter) unless the set-aside images' mIoU fell; then Discard is, and a red line
    says why."""

    def __init__(self, report: dict, new_name: str, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Fine-tuning: before and after")
        self.setModal(True)
        self.resize(820, 640)
        self.report = report
        before, after = report.get("before") or {}, report.get("after") or {}
        layout = QtWidgets.QVBoxLayout(self)

        train, holdout = report.get("train_names") or [], report.get("holdout_names") or []
        shown = ", ".join(holdout[:6]) + (f" and {len(holdout) - 6} more" if len(holdout) > 6 else "")
        self.summary_label = QtWidgets.QLabel(
            f"Trained for {report.get('steps', '?')} steps ({format_duration(report.get('seconds'))}) "
            f"on {len(train)} image(s) you labelled. Scores below are on the {len(holdout)} "
            f"image(s) set aside, which the training never saw: {shown}."
        )
        self.summary_label.setWordWrap(True)
        layout.addWidget(self.summary_label)

        self.table = QtWidgets.QTableWidget(len(SUMMARY_ROWS), 3)
        self.table.setHorizontalHeaderLabels(["Before", "After", "Change"])
        self.table.setVerticalHeaderLabels([title for _, title, _ in SUMMARY_ROWS])
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.table.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Stretch)
        for row, (key, _title, higher_better) in enumerate(SUMMARY_ROWS):
            self._fill_row(row, _number(before.get(key)), _number(after.get(key)), higher_better)
        self.table.setFixedHeight(
            self.table.horizontalHeader().height()
            + 4
            + sum(self.table.rowHeight(r) for r in range(len(SUMMARY_ROWS)))
        )
        layout.addWidget(self.table)

        self.chart = self._class_chart(report.get("class_names") or [], before, after)
        layout.addWidget(self.chart, 1)

        # A score that fell is said in red, and Keep is not what Enter chooses then.
        self.score_fell = score_fell(before, after)
        self.warning_label = QtWidgets.QLabel(
            fell_warning(before, after) if self.score_fell else "", wordWrap=True
        )
        self.warning_label.setStyleSheet(f"color: {WORSE.name()}; font-weight: bold")
        self.warning_label.setVisible(self.score_fell)
        layout.addWidget(self.warning_label)

        buttons = QtWidgets.QHBoxLayout()
        self.hint_label = QtWidgets.QLabel("")
        buttons.addWidget(self.hint_label, 1)
        self.discard_button = QtWidgets.QPushButton("Discard")
        self.discard_button.setToolTip("Delete the new model; keep using the current one")
        self.keep_button = QtWidgets.QPushButton(f"Keep as {new_name} and Use It")
        self.keep_button.setToolTip("Save it beside the project as a new version and pre-label with it")
        preselected = self.discard_button if self.score_fell else self.keep_button
        for button in (self.discard_button, self.keep_button):
            button.setAutoDefault(False)  # only the preselected one answers Enter
        preselected.setDefault(True)
        preselected.setFocus()
        self.discard_button.clicked.connect(self.discard)
        self.keep_button.clicked.connect(self.accept)
        buttons.addWidget(self.discard_button)
        buttons.addWidget(self.keep_button)
        layout.addLayout(buttons)

    def _fill_row(self, row: int, before: float | None, after: float | None, higher_better: bool) -> None:
        def cell(text: str) -> QtWidgets.QTableWidgetItem:
            item = QtWidgets.QTableWidgetItem(text)
            item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
            return item

        pct = lambda v: "–" if v is None else f"{100 * v:.1f}%"  # noqa: E731
        self.table.setItem(row, 0, cell(pct(before)))
        self.table.setItem(row, 1, cell(pct(after)))
        if before is None or after is None:
            self.table.setItem(row, 2, cell("–"))
            return
        delta = 100 * (after - before)
        change = cell(f"{delta:+.1f} points")
        if abs(delta) >= 0.05:
            change.setForeground(BETTER if (delta > 0) == higher_better else WORSE)
        self.table.setItem(row, 2, change)

    def _class_chart(self, names: list[str], before: dict, after: dict) -> pg.PlotWidget:
        """Grouped bars per class present in the set-aside images: grey before, blue after."""
        b, a = class_ious(before, names), class_ious(after, names)
        shown = [i for i in range(len(names)) if b[i] is not None or a[i] is not None]
        plot = pg.PlotWidget(
            title=f"IoU per class on the set-aside images (%): "
            f"<span style='color:{BEFORE_COLOR}'>■ before</span> "
            f"<span style='color:{AFTER_COLOR}'>■ after</span>"
        )
        plot.setMinimumHeight(260)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        x = np.arange(len(shown), dtype=float)
        for offset, values, color in ((-0.2, b, BEFORE_COLOR), (0.2, a, AFTER_COLOR)):
            heights = [100 * (values[i] or 0.0) for i in shown]
            plot.addItem(
                pg.BarGraphItem(
                    x=x + offset, height=heights, width=0.38, brush=pg.mkBrush(color), pen=pg.mkPen(None)
                )
            )
        plot.getAxis("bottom").setTicks([[(float(k), names[i]) for k, i in enumerate(shown)]])
        plot.setYRange(0, 100)
        plot.setXRange(-0.7, max(len(shown) - 0.3, 0.7))
        self.shown_classes = [names[i] for i in shown]
        return plot

    def discard(self) -> None:
        super().reject()

    def reject(self) -> None:
        """Escape and the close box (QDialog routes it here) ask for an explicit choice."""
        self.hint_label.setText("Choose Keep or Discard.")
