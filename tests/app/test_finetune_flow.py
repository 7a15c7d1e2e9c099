"""Fine-tuning from the app, end to end: the real trainer in a child process, the progress
window, the report, keep or discard, cancel, failure, and re-pre-labelling the untouched images."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from app_test_helpers import FakePredictor, drag
from PySide6 import QtCore, QtWidgets
from test_finetune_staging import band_labels, make_labelled_project, save_labels

from app.document.label_document import ImageState
from app.document.model_versions import ModelVersions
from app.finetune import staging
from app.finetune.options_dialog import FinetuneOptionsDialog
from app.finetune.process import FinetuneProcess
from srcrm.base.io import read_label_png
from srcrm.models.checkpoint import default_checkpoint_path, load_checkpoint
from srcrm.train.finetune import FinetuneConfig

# A few steps on small crops: the whole run takes seconds on a CPU.
QUICK = FinetuneConfig(steps=2, lr=0.005, batch_size=2, crop=(64, 64), device="cpu")
CHECKED = [ImageState.EDITED, ImageState.DONE, ImageState.EDITED, ImageState.NEW]


def sha256(paths) -> str:
    digest = hashlib.sha256()
    for p in paths:
        digest.update(Path(p).read_bytes())
    return digest.hexdigest()


def label_files(folder: Path) -> dict[str, bytes]:
    """Every image's label map, sidecar and confidence map, as bytes."""
    return {
        p.name: p.read_bytes()
        for p in sorted((folder / ".srcrm").glob("*.*"))
        if p.is_file() and p.name != "project.json"
    }


def wait_staged(qtbot, run, timeout=30000):
    """Until the labels are staged (on a worker thread) and the training process started."""
    qtbot.waitUntil(lambda: run.staging is None, timeout=timeout)
    assert run.process.running, run.progress.status_label.text()


def wait_ended(qtbot, window, timeout=180000):
    qtbot.waitUntil(
        lambda: window.finetuning.run is None or window.finetuning.run.report_dialog is not None,
        timeout=timeout,
    )


# --- end to end -------------------------------------------------------------------------------


def test_fine_tune_keep_registers_a_version_and_switches_to_it(make_window, dialogs, tmp_path, qtbot):
    folder = make_labelled_project(tmp_path / "shots", CHECKED)
    default_parts = sorted(default_checkpoint_path().parent.glob("default.*"))
    default_hash = sha256(default_parts)
    window = make_window(folder)  # the bundled default model
    assert window.model.info is not None, window.notice.text
    # A class the user adds (after CamVid's ignore id) and paints, and a renamed one.
    dialogs.text = "crane"
    window.class_panel.add_class()
    window.project.classes.rename(5, "vegetation")
    crane = window.project.classes.names.index("crane")
    labels = band_labels()
    labels[60:80, 40:100] = crane
    save_labels(window.project, 2, labels, ImageState.EDITED)
    window.flush_saves()
    before_labels = label_files(folder)

    run = window.finetuning.start(QUICK)
    assert run is not None and run.progress.isVisible()
    wait_staged(qtbot, run)
    assert "3 images you labelled" in run.progress.summary_label.text()
    assert "2 to train on, 1 set aside" in run.progress.summary_label.text()
    staged = Path(run.scratch.name) / "data"
    assert (staged / "classes.txt").read_text().splitlines()[crane] == "crane"
    steps = []
    run.process.step.connect(steps.append)
    wait_ended(qtbot, window)

    assert [e["step"] for e in steps] == [1, 2]
    assert len(run.progress.losses) == 2 and run.progress.mious[0][0] == 0  # before, at step 0
    assert run.progress.progress.value() == 2
    dialog = run.report_dialog
    assert dialog.isVisible() and not run.progress.isVisible()
    assert dialog.table.item(0, 0).text().endswith("%") and "points" in dialog.table.item(0, 2).text()
    assert "crane" in dialog.shown_classes and "vegetation" in dialog.shown_classes
    assert dialog.keep_button.text() == "Keep as v1 and Use It"
    assert label_files(folder) == before_labels  # nothing of the user's changed meanwhile

    dialog.keep_button.click()
    qtbot.waitUntil(
        lambda: window.model.info is not None and "v1.pt" in window.model.info.name, timeout=30000
    )
    registry = ModelVersions(folder / ".srcrm" / "models")
    v1 = registry.get("v1")
    assert registry.current == "v1" and window.session.model_path == str(registry.file_of(v1))
    assert v1.parent == "default" and v1.steps == 2 and len(v1.holdout_names) == 1
    assert set(v1.train_names + v1.holdout_names) == {"shot_00", "shot_01", "shot_02"}
    assert 0 <= v1.miou <= 1 and "miou" in v1.before
    ckpt = load_checkpoint(registry.file_of(v1))
    assert ckpt.meta["finetune"]["data"]["holdout"] == v1.holdout_names
    # The app's classes match the new model's: the added class predicts the id the user painted.
    assert window.model.info.class_names == window.project.classes.names
    assert window.model.info.ignore_index == window.project.classes.ignore_index
    assert "classes" not in window.notice.text
    assert not Path(run.scratch.name).exists() and window.finetuning.run is None
    assert sha256(default_parts) == default_hash and label_files(folder) == before_labels


def test_discard_deletes_the_new_model_and_keeps_the_current_one(
    make_window, tiny_checkpoint, tmp_path, qtbot
):
    folder = make_labelled_project(tmp_path / "shots", CHECKED)
    window = make_window(folder, model=tiny_checkpoint)
    run = window.finetuning.start(QUICK)
    wait_ended(qtbot, window)
    assert run.out_path.is_file()
    run.report_dialog.reject()  # Escape: asks for a choice, throws nothing away
    assert run.report_dialog.isVisible() and run.out_path.is_file()
    run.report_dialog.discard_button.click()
    assert not run.out_path.exists() and not Path(run.scratch.name).exists()
    assert window.session.model_path == str(tiny_checkpoint) and window.finetuning.run is None
    assert not (folder / ".srcrm" / "models" / "versions.json").exists()


def test_cancel_mid_way_leaves_the_model_and_writes_no_version(make_window, tiny_checkpoint, tmp_path, qtbot):
    parent = tmp_path / "parent.pt"
    shutil.copyfile(tiny_checkpoint, parent)
    original = parent.read_bytes()
    folder = make_labelled_project(tmp_path / "shots", CHECKED)
    before_labels = label_files(folder)
    window = make_window(folder, model=parent)
    run = window.finetuning.start(FinetuneConfig(steps=2000, batch_size=2, crop=(64, 64), device="cpu"))
    qtbot.waitUntil(lambda: len(run.progress.losses) >= 1, timeout=120000)
    # Meanwhile the app is free: nothing modal, the user moves on to the next image.
    assert not run.progress.isModal() and QtWidgets.QApplication.activeModalWidget() is None
    window.session.step(+1)
    assert window.doc.path.name == "shot_01.png"
    run.progress.cancel_button.click()
    assert not run.progress.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: window.finetuning.run is None, timeout=30000)
    assert "cancelled" in run.progress.status_label.text() and run.progress.isVisible()
    assert len(run.progress.losses) < 2000 and run.report_dialog is None
    assert parent.read_bytes() == original and window.session.model_path == str(parent)
    assert not Path(run.scratch.name).exists()
    assert not (folder / ".srcrm" / "models").exists() and label_files(folder) == before_labels


def test_cancel_while_staging_starts_no_process_and_leaves_no_temp_folder(
    make_window, tiny_checkpoint, tmp_path, qtbot, monkeypatch
):
    folder = make_labelled_project(tmp_path / "shots", CHECKED)
    window = make_window(folder, model=tiny_checkpoint)
    first_image_staged, release = threading.Event(), threading.Event()

    def slow_link(source, name, folder):  # the first image takes until the test lets it go
        shutil.copyfile(source, folder / name)
        first_image_staged.set()
        release.wait(10)

    monkeypatch.setattr(staging, "_link_into", slow_link)
    started = []
    monkeypatch.setattr(FinetuneProcess, "start", lambda self, argv: started.append(argv))
    run = window.finetuning.start(QUICK)
    assert first_image_staged.wait(10)
    assert run.progress.isVisible() and "Preparing 3 images" in run.progress.status_label.text()
    window.session.step(+1)  # the window is not waiting on the staging
    run.progress.cancel_button.click()
    release.set()
    qtbot.waitUntil(lambda: window.finetuning.run is None, timeout=10000)
    assert started == [] and not run.process.running
    assert not Path(run.scratch.name).exists()
    assert "cancelled" in run.progress.status_label.text()
    assert window.menus.action("model.finetune").text() == "&Fine-tune on My Labels…"


def test_labels_that_cannot_be_staged_say_why_and_start_nothing(
    make_window, tiny_checkpoint, tmp_path, qtbot
):
    folder = make_labelled_project(tmp_path / "shots", CHECKED)
    window = make_window(folder, model=tiny_checkpoint)
    window.flush_saves()
    damaged = window.project.label_path(window.project.entries[1].path)
    damaged.write_bytes(b"not a png")  # behind the app's back
    run = window.finetuning.start(QUICK)
    qtbot.waitUntil(lambda: window.finetuning.run is None, timeout=10000)
    assert window.notice.level == "error" and "could not start" in window.notice.text
    assert "shot_01" in window.notice.text and not run.process.running
    assert not Path(run.scratch.name).exists() and not run.progress.isVisible()


def test_a_failed_training_says_why_and_changes_nothing(make_window, tiny_checkpoint, tmp_path, qtbot):
    parent = tmp_path / "parent.pt"
    shutil.copyfile(tiny_checkpoint, parent)
    folder = make_labelled_project(tmp_path / "shots", CHECKED)
    window = make_window(folder, model=parent)
    model_name = window.model.info.name
    parent.write_bytes(parent.read_bytes()[:5000])  # damaged on disk after it was loaded
    damaged = parent.read_bytes()
    before_labels = label_files(folder)
    run = window.finetuning.start(QUICK)
    wait_ended(qtbot, window)
    assert run.report_dialog is None and window.finetuning.run is None
    assert window.notice.level == "error" and "Fine-tuning failed" in window.notice.text
    assert "not a readable checkpoint" in window.notice.text
    assert "unchanged" in run.progress.status_label.text() and run.progress.details.isVisible()
    assert run.progress.details.toPlainText().strip()  # the child's last words
    assert window.model.info.name == model_name and parent.read_bytes() == damaged
    assert label_files(folder) == before_labels and not (folder / ".srcrm" / "models").exists()


def test_fewer_than_two_checked_images_are_refused_before_any_dialog(make_window, tmp_path, fake_predictor):
    folder = make_labelled_project(tmp_path / "shots", [ImageState.EDITED, ImageState.PRELABELLED])
    window = make_window(folder, predictor=fake_predictor)
    model_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Model")
    entries = [a.text() for a in model_menu.actions()]
    assert {"&Fine-tune on My Labels…", "&Versions", "Re-pre-label &Untouched Images"} <= set(entries)
    window.menus.action("model.finetune").trigger()  # would block on the options dialog if it got that far
    assert window.finetuning.run is None
    assert "at least 2 images you edited or marked done; this folder has 1" in window.notice.text


def test_the_options_dialog_starts_from_the_engine_defaults(qtbot):
    defaults = FinetuneConfig(device="cpu")
    dialog = FinetuneOptionsDialog(defaults, [f"img{k}" for k in range(10)])
    qtbot.addWidget(dialog)
    assert dialog.steps.value() == defaults.steps and dialog.lr.value() == pytest.approx(defaults.lr)
    assert dialog.crop.value() == 256 and not dialog.freeze.isChecked()  # CPU: small crops
    assert "<b>8</b> to train on, <b>2</b> set aside" in dialog.intro.text()
    dialog.steps.setValue(40)
    dialog.crop.setValue(128)
    dialog.freeze.setChecked(True)
    cfg = dialog.config()
    assert (cfg.steps, cfg.crop, cfg.freeze_backbone, cfg.lr, cfg.device) == (
        40,
        (128, 128),
        True,
        defaults.lr,
        "cpu",
    )


# --- re-pre-labelling -------------------------------------------------------------------------


class ShiftingPredictor(FakePredictor):
    """The fake model, whose answer changes when ``road`` is set: a "new model"."""

    road = 3

    def predict(self, image):
        out = super().predict(image)
        out.labels[out.labels == 3] = self.road
        return out


def test_re_prelabel_untouched_images_never_touches_edited_or_done_ones(
    make_window, image_folder, tmp_path, qtbot
):
    (image_folder / "frame_04.png").write_bytes((image_folder / "frame_00.png").read_bytes())
    model = ShiftingPredictor()
    window = make_window(image_folder / "frame_00.png", predictor=model)
    qtbot.waitUntil(
        lambda: window.doc.state == ImageState.PRELABELLED and not window.model.busy, timeout=10000
    )
    window.prelabel.prelabel_folder()
    qtbot.waitUntil(lambda: not window.model.busy, timeout=10000)
    window.editor.set_class(7)
    drag(window.canvas, [QtCore.QPointF(window.canvas.image_to_widget(80, 60))])  # frame_00: edited
    window.session.open_document(1)
    window.session.toggle_done()  # frame_01: done
    window.flush_saves()
    (image_folder / "frame_05.png").write_bytes((image_folder / "frame_00.png").read_bytes())
    window.session.open_path(image_folder, select="frame_01.png")  # frame_05: new
    states = {e.path.name: e.state for e in window.project.entries}
    assert states == {
        "frame_00.png": ImageState.EDITED,
        "frame_01.png": ImageState.DONE,
        "frame_02.png": ImageState.PRELABELLED,
        "frame_03.png": ImageState.NEW,
        "frame_04.png": ImageState.PRELABELLED,
        "frame_05.png": ImageState.NEW,
    }
    kept = {
        name: data
        for name, data in label_files(image_folder).items()
        if name.startswith(("frame_00", "frame_01"))
    }
    assert {"frame_00.png", "frame_00.json", "frame_01.png", "frame_01.json"} <= set(kept)
    old_02 = read_label_png(image_folder / ".srcrm" / "frame_02.png")

    model.road = 8  # "the new model": pre-labels road as car
    window.session.load_model("new-model.pt")
    qtbot.waitUntil(lambda: window.model.info is not None, timeout=10000)
    calls = model.calls
    window.menus.action("model.reprelabel_untouched").trigger()
    qtbot.waitUntil(lambda: not window.model.busy, timeout=10000)
    window.flush_saves()

    assert model.calls - calls == 3  # frames 02, 04, 05 (03 is not a readable image)
    assert {
        name: data
        for name, data in label_files(image_folder).items()
        if name.startswith(("frame_00", "frame_01"))
    } == kept
    for name in ("frame_02", "frame_04", "frame_05"):
        side = json.loads((image_folder / ".srcrm" / f"{name}.json").read_text())
        assert side["model"].startswith("new-model.pt") and side["state"] == "prelabelled"
    new_02 = read_label_png(image_folder / ".srcrm" / "frame_02.png")
    assert (new_02 == 8).any() and not (old_02 == 8).any()
    np.testing.assert_array_equal(new_02[old_02 != 3], old_02[old_02 != 3])
