"""The fine-tune windows on their own: the report's choice when the score fell, the progress
chart's step axis, and the options dialog's time-budgeted default."""

from __future__ import annotations

import pytest
from PySide6 import QtCore

from app.finetune.options_dialog import DEFAULT_BUDGET_S, FinetuneOptionsDialog, default_config
from app.finetune.progress_dialog import FinetuneProgressDialog
from app.finetune.report_dialog import WORSE, FinetuneReportDialog

CLASSES = ["sky", "road", "car"]


def report(before: float, after: float) -> dict:
    def scores(miou: float) -> dict:
        return {"miou": miou, "pixel_acc": 0.9, "to_change": 0.1, "iou": dict.fromkeys(CLASSES, miou)}

    return {
        "before": scores(before),
        "after": scores(after),
        "train_names": ["a", "b", "c"],
        "holdout_names": ["d"],
        "steps": 40,
        "seconds": 118.0,
        "class_names": CLASSES,
    }


def test_a_score_that_fell_preselects_discard_and_says_why_in_red(qtbot):
    dialog = FinetuneReportDialog(report(0.612, 0.587), "v2")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.score_fell
    assert not dialog.keep_button.isDefault() and not dialog.keep_button.autoDefault()
    assert dialog.discard_button.isDefault()
    warning = dialog.warning_label
    assert warning.isVisible()
    assert "fell from 61.2% to 58.7%" in warning.text() and "pre-labels worse" in warning.text()
    assert WORSE.name() in warning.styleSheet()  # red
    results = []
    dialog.finished.connect(results.append)
    qtbot.keyClick(dialog, QtCore.Qt.Key.Key_Return)  # Enter takes the preselected choice
    assert results == [0]  # discarded, not kept


@pytest.mark.parametrize(("before", "after"), [(0.5, 0.55), (0.5, 0.5)])
def test_a_score_that_held_or_rose_preselects_keep_with_no_warning(qtbot, before, after):
    dialog = FinetuneReportDialog(report(before, after), "v2")
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.score_fell and not dialog.warning_label.isVisible()
    assert dialog.keep_button.isDefault() and not dialog.discard_button.isDefault()
    results = []
    dialog.finished.connect(results.append)
    qtbot.keyClick(dialog, QtCore.Qt.Key.Key_Return)
    assert results == [1]


def test_without_set_aside_images_nothing_is_said_to_have_fallen(qtbot):
    dialog = FinetuneReportDialog({**report(0.5, 0.4), "before": {}, "after": {}}, "v2")
    qtbot.addWidget(dialog)
    assert not dialog.score_fell and dialog.warning_label.isHidden()


def test_the_miou_chart_reads_in_steps(qtbot):
    dialog = FinetuneProgressDialog("Fine-tuning", 200)
    qtbot.addWidget(dialog)
    dialog.on_started({"kind": "start", "step": 0, "total": 200, "miou": 0.50})
    for step in range(1, 41):
        dialog.on_step({"kind": "step", "step": step, "total": 60, "loss": 1.0 / step})
    dialog.on_eval({"kind": "eval", "step": 40, "total": 60, "miou": 0.55})
    dialog.on_eval({"kind": "eval", "step": 60, "total": 60, "miou": 0.57})
    axis = dialog.miou_plot.getAxis("bottom")
    assert axis.labelText == "step"
    xs, ys = dialog.miou_curve.getData()
    assert list(xs) == [0, 40, 60] and list(ys) == pytest.approx([50, 55, 57])  # steps, not eval counts
    # The axis spans the run as the time budget shortened it, in whole steps.
    low, high = dialog.miou_plot.viewRange()[0]
    assert low <= 0 and 60 <= high < 62
    ticks = [v for _, values in axis.tickValues(0, 3, 400) for v in values]
    assert ticks and all(float(v).is_integer() for v in ticks)  # a short run: 0, 1, 2, 3
    assert all(float(v).is_integer() for _, values in axis.tickValues(0, 60, 400) for v in values)


def test_the_options_dialog_defaults_to_a_two_minute_budget(qtbot):
    defaults = default_config("cpu")
    assert defaults.budget_s == DEFAULT_BUDGET_S == 120 and defaults.steps >= 100
    dialog = FinetuneOptionsDialog(defaults, [f"img{k}" for k in range(10)])
    qtbot.addWidget(dialog)
    assert dialog.budget.value() == pytest.approx(2.0)
    assert dialog.config().budget_s == pytest.approx(120.0)
    dialog.budget.setValue(0)  # "no limit": the steps alone end the run
    dialog.steps.setValue(30)
    cfg = dialog.config()
    assert cfg.budget_s is None and cfg.steps == 30
