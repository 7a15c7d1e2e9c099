"""The annotation app as a user drives it (offscreen Qt, pytest-qt)."""

import json
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from app_test_helpers import SAMPLE, FakePredictor, click, drag, expected_disk, key
from PySide6 import QtCore, QtGui

from app.document import ImageState, OverlayMode
from srcrm.base.io import read_label_png

Qt = QtCore.Qt


def wait_prelabelled(qtbot, window, timeout=30000):
    qtbot.waitUntil(
        lambda: (
            window.doc is not None and window.doc.state == ImageState.PRELABELLED and not window.model.busy
        ),
        timeout=timeout,
    )


def wait_saved(qtbot, window):
    qtbot.waitUntil(lambda: window.saver.idle, timeout=10000)


def viewport_point(window, x, y):
    return QtCore.QPointF(window.canvas.image_to_widget(x, y))


# --- opening and pre-labelling ----------------------------------------------------------------


def test_open_sample_and_prelabel_it_in_the_worker(make_window, qtbot):
    """The real engine Predictor with the bundled trained model (an untrained one predicts one
    class everywhere, so no comparison could fail), on the bundled sample, off the GUI thread."""
    from srcrm.inference.predictor import Predictor
    from srcrm.models.checkpoint import default_checkpoint_path

    bundled = default_checkpoint_path()
    window = make_window(SAMPLE, model=bundled)
    assert window.model.info is not None, window.notice.text
    wait_prelabelled(qtbot, window)
    doc = window.doc
    assert doc.path.name == SAMPLE.name and doc.shape == (360, 480)
    assert window.jobs.jobs() == [] and window.model._predictor is not None
    # The same labels the engine gives directly.
    direct = Predictor.from_checkpoint(bundled, "cpu").predict(
        cv2.cvtColor(cv2.imread(str(SAMPLE)), cv2.COLOR_BGR2RGB)
    )
    assert len(np.unique(direct.labels)) >= 5
    assert (doc.labels == direct.labels).mean() > 0.999
    assert doc.confidence is not None and doc.confidence.shape == (360, 480)
    assert "CPU" in window.status.device_label.text() and "default" in window.status.device_label.text()
    assert window.image_list.tree.topLevelItem(0).text(1) == "pre-labelled"
    # Labels of the bundled sample go to the app's data folder, never into resources/.
    wait_saved(qtbot, window)
    assert not (SAMPLE.parent / ".srcrm").exists()
    assert window.project.label_path(doc.path).is_file()


def test_prelabel_runs_off_the_gui_thread_with_progress_and_cancel(make_window, image_folder, qtbot):
    for k in range(4, 10):
        cv2.imwrite(str(image_folder / f"frame_{k:02d}.png"), np.zeros((120, 160, 3), np.uint8))
    slow = FakePredictor(delay=0.15)
    window = make_window(image_folder / "frame_00.png", predictor=slow)
    wait_prelabelled(qtbot, window)  # auto pre-label of the new image that opened
    progress = []
    window.prelabel.prelabel_folder()
    window.prelabel.job.progress.connect(lambda p: progress.append((p.done, p.total)))
    assert window.status.progress_bar.isVisible() and window.status.cancel_button.isVisible()
    qtbot.waitUntil(lambda: slow.calls >= 4, timeout=10000)
    window.status.cancel_button.click()
    qtbot.waitUntil(lambda: not window.model.busy, timeout=10000)
    assert not window.status.progress_bar.isVisible()
    assert "cancelled" in window.statusBar().currentMessage()
    assert slow.calls < 1 + 9  # it stopped before the end (10 images, one corrupt)
    assert progress[0][1] == 10 and all(t == 10 for _, t in progress)
    assert all(name != threading.main_thread().name for name in slow.threads)
    wait_saved(qtbot, window)
    states = [e.state for e in window.project.entries]
    assert ImageState.PRELABELLED in states[1:] and ImageState.NEW in states


def test_a_first_start_prelabels_at_once_and_times_the_faster_paths_afterwards(
    make_window, image_folder, tiny_checkpoint, tmp_path, monkeypatch, qtbot
):
    """On a CPU never timed before, the first labels come from the plain path, before any
    path is timed; the others are timed after, in the background, and the fastest is kept."""
    import json

    import srcrm.inference.fast_path as fi

    monkeypatch.delenv(fi.ENV_PATH, raising=False)  # the suite forces fp32 elsewhere
    monkeypatch.setenv(fi.ENV_CACHE, str(tmp_path / "cache"))
    monkeypatch.setattr(fi, "candidate_paths", lambda device: ["fp32", "channels_last"])
    timed: list[list[str]] = []
    shown_then: list[object] = []  # what the window showed as each path began to be timed
    measure = fi.measure_paths

    def measure_and_note(model, paths, *args):
        shown_then.append(window.doc.state if window.doc is not None else None)
        timed.append(paths)
        return measure(model, paths, *args)

    monkeypatch.setattr(fi, "measure_paths", measure_and_note)
    window = make_window(image_folder / "frame_00.png", model=str(tiny_checkpoint), wait_model=False)
    cache = tmp_path / "cache" / "inference_paths.json"
    qtbot.waitUntil(
        lambda: cache.exists() and "path" in next(iter(json.loads(cache.read_text()).values())), timeout=60000
    )
    assert timed == [["fp32"], ["channels_last"]]
    assert shown_then == [ImageState.PRELABELLED] * 2, "the first labels waited for the timing"
    qtbot.waitUntil(lambda: not window.jobs.busy(), timeout=10000)
    assert window.model.refusal() is None  # the model is free for the next pre-label


def test_gpu_failure_falls_back_to_cpu_with_a_visible_notice(make_window, image_folder, qtbot):
    gpu = FakePredictor(device="cuda", delay=0.5, fail_on_gpu=True)  # time to see the GPU name
    window = make_window(image_folder / "frame_00.png", predictor=gpu)
    assert "Fake GPU 9000" in window.status.device_label.text()
    wait_prelabelled(qtbot, window)
    assert window.notice.isVisible() and window.notice.level == "warning"
    assert "GPU" in window.notice.text and "CPU" in window.notice.text
    assert window.status.device_label.text().endswith("CPU")


def test_re_prelabelling_an_edited_image_asks_first(make_window, image_folder, dialogs, qtbot):
    window = make_window(image_folder / "frame_00.png", predictor=FakePredictor())
    wait_prelabelled(qtbot, window)
    window.editor.set_class(5)
    drag(window.canvas, [viewport_point(window, 80, 60)])
    assert window.doc.state == ImageState.EDITED
    edited = window.doc.labels.copy()

    dialogs.replace_answer = False
    window.menus.action("model.prelabel").trigger()
    assert dialogs.asked == ["replace:frame_00.png"]
    qtbot.wait(300)
    np.testing.assert_array_equal(window.doc.labels, edited)  # said no: nothing changes

    dialogs.replace_answer = True
    window.menus.action("model.prelabel").trigger()
    wait_prelabelled(qtbot, window)
    assert not (window.doc.labels == 5).any()
    window.menus.action("edit.undo").trigger()  # the edits come back
    np.testing.assert_array_equal(window.doc.labels, edited)


def test_folder_prelabel_skips_edited_images_when_told(make_window, image_folder, dialogs, qtbot):
    window = make_window(image_folder / "frame_00.png", predictor=FakePredictor())
    wait_prelabelled(qtbot, window)
    window.editor.set_class(7)
    drag(window.canvas, [viewport_point(window, 30, 30)])
    edited = window.doc.labels.copy()
    dialogs.folder_policy = "skip"
    window.prelabel.prelabel_folder()
    qtbot.waitUntil(lambda: not window.model.busy, timeout=10000)
    assert dialogs.asked == ["folder:1/4"]
    np.testing.assert_array_equal(window.doc.labels, edited)
    wait_saved(qtbot, window)
    states = [e.state for e in window.project.entries]
    assert states[:3] == [ImageState.EDITED, ImageState.PRELABELLED, ImageState.PRELABELLED]
    assert "frame_03.png" in window.notice.text  # the corrupt one is reported, not fatal


# --- tools ------------------------------------------------------------------------------------


def test_a_brush_stroke_changes_exactly_the_pixels_under_the_brush(make_window, image_folder, qtbot):
    window = make_window(image_folder / "frame_00.png", predictor=FakePredictor())
    wait_prelabelled(qtbot, window)
    before = window.doc.labels.copy()
    key(window, Qt.Key.Key_5)  # class 5 = id 4 (sidewalk)
    window.editor.set_brush_size(9)
    pos = viewport_point(window, 70.3, 90.6)
    x, y = window.canvas.widget_to_image(pos)
    click(window.canvas, pos)
    changed = window.doc.labels != before
    expected = expected_disk(before.shape, x, y, 9) & (before != 4)
    np.testing.assert_array_equal(changed, expected)
    assert (window.doc.labels[expected] == 4).all()
    assert len(window.doc.undo_stack) == 2  # pre-label + one stroke


def test_protected_brush_only_paints_over_the_chosen_class(make_window, image_folder, qtbot):
    window = make_window(image_folder / "frame_00.png", predictor=FakePredictor())
    wait_prelabelled(qtbot, window)
    before = window.doc.labels.copy()  # rows 0-39 sky(0), 40-79 building(1), 80-119 road(3)
    key(window, Qt.Key.Key_R)
    assert window.editor.tool == "protected"
    window.editor.set_class(8)  # car
    window.editor.set_brush_size(60)
    # Start on building, sweep across sky, building and road.
    points = [
        viewport_point(window, 20, 60),
        viewport_point(window, 80, 20),
        viewport_point(window, 140, 100),
    ]
    drag(window.canvas, points)
    after = window.doc.labels
    changed = after != before
    assert changed.sum() > 1000
    assert (before[changed] == 1).all(), "only building pixels may change"
    np.testing.assert_array_equal(after[before != 1], before[before != 1])
    assert (after[changed] == 8).all()


def test_undo_redo_keys_restore_the_exact_bytes(make_window, image_folder, qtbot):
    window = make_window(image_folder / "frame_00.png", predictor=FakePredictor())
    wait_prelabelled(qtbot, window)
    states = [window.doc.labels.tobytes()]
    window.editor.set_brush_size(15)
    for k, (a, b) in enumerate([((10, 10), (150, 20)), ((20, 100), (60, 30)), ((90, 90), (91, 91))]):
        window.editor.set_class(4 + k)
        drag(window.canvas, [viewport_point(window, *a), viewport_point(window, *b)])
        states.append(window.doc.labels.tobytes())
    assert len(set(states)) == 4
    for expected in reversed(states[:-1]):
        key(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert window.doc.labels.tobytes() == expected
    for expected in states[1:]:
        key(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        assert window.doc.labels.tobytes() == expected


def test_tool_keys_brush_size_keys_eyedropper_fill_and_polygon(make_window, image_folder, qtbot):
    window = make_window(image_folder / "frame_00.png", predictor=FakePredictor())
    wait_prelabelled(qtbot, window)
    ed = window.editor
    key(window, Qt.Key.Key_3)
    assert ed.current_class == 2
    size = ed.brush_size
    key(window, Qt.Key.Key_BracketRight)
    assert ed.brush_size > size and window.toolbar.size_spin.value() == ed.brush_size
    key(window, Qt.Key.Key_BracketLeft)
    assert ed.brush_size == size
    click(window.canvas, viewport_point(window, 50, 110), Qt.KeyboardModifier.AltModifier)
    assert ed.current_class == 3  # Alt+click picked road
    key(window, Qt.Key.Key_F)
    key(window, Qt.Key.Key_6)  # tree
    click(window.canvas, viewport_point(window, 50, 10))  # fill the sky band
    assert (window.doc.labels[:40] == 5).all() and (window.doc.labels[40:] != 5).all()
    key(window, Qt.Key.Key_G)
    key(window, Qt.Key.Key_9)  # car
    for p in [(100, 85), (150, 85), (150, 115)]:
        click(window.canvas, viewport_point(window, *p))
    window.canvas.setFocus()
    key(window.canvas, Qt.Key.Key_Return)
    assert (window.doc.labels[90:108, 140:148] == 8).all()  # inside the triangle, off its edge
    assert len(window.doc.undo_stack) == 3


# --- saving and restoring ---------------------------------------------------------------------


def test_autosave_after_a_stroke_writes_atomically(make_window, image_folder, qtbot, monkeypatch):
    import os

    replaced = []
    real_replace = os.replace
    monkeypatch.setattr(
        os, "replace", lambda a, b: (replaced.append((Path(a).name, Path(b).name)), real_replace(a, b))[-1]
    )
    window = make_window(image_folder / "frame_01.png")  # no model: by hand
    doc = window.doc
    window.editor.set_class(2)
    drag(window.canvas, [viewport_point(window, 20, 20), viewport_point(window, 120, 80)])
    wait_saved(qtbot, window)
    png = window.project.label_path(doc.path)
    np.testing.assert_array_equal(read_label_png(png), doc.labels)
    side = json.loads(window.project.sidecar_path(doc.path).read_text())
    assert side["state"] == "edited" and side["classes"][2]["name"] == "pole"
    # Written to a temporary sibling, then moved over the real name.
    assert ("frame_01.png" in [b for _, b in replaced]) and ("frame_01.json" in [b for _, b in replaced])
    assert all(a.startswith(".") and a.endswith(".tmp") for a, _ in replaced)
    qtbot.waitUntil(lambda: window.status.save_label.text() == "All changes saved", timeout=5000)


def test_a_failing_save_is_reported_and_keeps_the_previous_file(
    make_window, image_folder, qtbot, monkeypatch
):
    import os

    window = make_window(image_folder / "frame_01.png")
    window.editor.set_class(2)
    drag(window.canvas, [viewport_point(window, 20, 20)])
    wait_saved(qtbot, window)
    png = window.project.label_path(window.doc.path)
    saved = read_label_png(png)

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    drag(window.canvas, [viewport_point(window, 100, 100)])
    qtbot.waitUntil(lambda: window.notice.level == "error" and window.notice.isVisible(), timeout=5000)
    assert "No space left" in window.notice.text and "frame_01.png" in window.notice.text
    np.testing.assert_array_equal(read_label_png(png), saved)
    monkeypatch.undo()
    key(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # fixed: save again
    np.testing.assert_array_equal(read_label_png(png), window.doc.labels)
    qtbot.waitUntil(lambda: "No space left" not in window.notice.text or not window.notice.isVisible())
    assert window.status.save_label.text() == "All changes saved"  # the banner went with its cause


def test_a_restart_restores_exactly_where_the_user_was(make_window, image_folder, qtbot):
    window = make_window(image_folder, predictor=FakePredictor())
    window.session.open_document(2)
    wait_prelabelled(qtbot, window)
    window.editor.set_class(6)
    drag(window.canvas, [viewport_point(window, 30, 30), viewport_point(window, 60, 50)])
    labels = window.doc.labels.copy()
    key(window, Qt.Key.Key_E)
    window.editor.set_brush_size(33)
    window.editor.set_class(9)
    window.toolbar.set_opacity(0.8)
    window.toolbar.set_mode(OverlayMode.BOUNDARIES)
    window.canvas.set_view_rect([40, 30, 60, 45])
    view = window.canvas.view_rect()
    window.close()

    again = make_window(restore=True, predictor=FakePredictor())
    assert again.doc is not None and again.doc.path.name == "frame_02.png"
    np.testing.assert_array_equal(again.doc.labels, labels)
    assert again.doc.state == ImageState.EDITED
    assert again.editor.tool == "eraser" and again.editor.brush_size == 33
    assert again.editor.current_class == 9
    assert again.canvas.opacity() == pytest.approx(0.8, abs=0.01)
    assert again.canvas.mode == OverlayMode.BOUNDARIES
    np.testing.assert_allclose(again.canvas.view_rect(), view, atol=1.0)
    assert again.settings.recent()[0].path == str(image_folder.resolve())


def test_a_video_is_remembered_and_a_missing_one_is_said_so(make_window, clip, image_folder, qtbot):
    video = clip  # videos/street.mp4
    window = make_window(video, predictor=FakePredictor(), auto_prelabel=False)
    window.session.open_path(image_folder)
    recent = window.settings.recent()
    assert [(r.path, r.kind) for r in recent[:2]] == [
        (str(image_folder.resolve()), "folder"),
        (str(video.resolve()), "video"),
    ]
    menu = window.menus.menu("file.recent")
    menu.aboutToShow.emit()
    assert any(a.text().startswith(str(video.resolve())) and "video" in a.text() for a in menu.actions())
    window.images.open_recent(recent[1])
    assert window.video is not None and window.video.path == video.resolve()
    window.close()

    video.unlink()  # deleted since the last session
    again = make_window(restore=True, predictor=FakePredictor(), auto_prelabel=False)
    assert again.notice.isVisible() and again.notice.level == "warning"
    assert "street.mp4 is no longer there" in again.notice.text and "sample" in again.notice.text
    (gone,) = [r for r in again.settings.recent() if r.kind == "video"]
    again.images.open_recent(gone)
    assert "no longer there" in again.notice.text and again.video is None
    again.session.open_path(image_folder)  # something that opens: the warning goes
    assert "no longer there" not in again.notice.text or not again.notice.isVisible()
    assert str(video.resolve()) not in [r.path for r in again.settings.recent()]


def test_mark_done_updates_the_list_and_progress(make_window, image_folder, qtbot):
    window = make_window(image_folder / "frame_00.png", predictor=FakePredictor())
    wait_prelabelled(qtbot, window)
    key(window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert window.doc.state == ImageState.DONE
    assert window.image_list.summary.text().startswith("1 / 4 done")
    key(window, Qt.Key.Key_D)
    assert window.doc.path.name == "frame_01.png"
    key(window, Qt.Key.Key_A)
    assert window.doc.path.name == "frame_00.png" and window.doc.state == ImageState.DONE


# --- bad input --------------------------------------------------------------------------------


def test_a_corrupt_image_shows_an_error_and_the_app_stays_usable(make_window, image_folder, qtbot):
    window = make_window(image_folder / "frame_02.png")
    key(window, Qt.Key.Key_D)  # on to the corrupt frame_03
    assert window.doc is None
    assert window.notice.isVisible() and window.notice.level == "error"
    assert "frame_03.png" in window.notice.text and "not a readable image" in window.notice.text
    assert window.image_list.tree.topLevelItem(3).text(1) == "unreadable"
    key(window, Qt.Key.Key_A)  # back: still works
    assert window.doc.path.name == "frame_02.png"
    window.editor.set_class(1)
    drag(window.canvas, [viewport_point(window, 50, 50)])
    assert (window.doc.labels == 1).any()


def test_a_label_png_of_the_wrong_size_gets_a_message_and_is_kept(make_window, image_folder, qtbot):
    label_dir = image_folder / ".srcrm"
    label_dir.mkdir()
    cv2.imwrite(str(label_dir / "frame_01.png"), np.zeros((10, 20), np.uint8))
    window = make_window(image_folder / "frame_01.png")
    assert window.notice.level == "warning" and "20x10" in window.notice.text
    assert "160x120" in window.notice.text
    assert any("wrong-size" in p.name for p in label_dir.iterdir())
    assert window.doc is not None and window.doc.state == ImageState.NEW


def test_a_checkpoint_that_does_not_load_gets_a_clear_message(make_window, image_folder, tmp_path, qtbot):
    bad = tmp_path / "broken.pt"
    bad.write_bytes(b"definitely not a checkpoint")
    window = make_window(image_folder / "frame_00.png", model=bad)
    assert window.model.info is None
    assert "broken.pt" in window.notice.text and "not a readable checkpoint" in window.notice.text
    assert window.status.device_label.text() == "No model"
    assert not window.menus.action("model.prelabel").isEnabled()
    window.editor.set_class(3)
    drag(window.canvas, [viewport_point(window, 50, 50)])
    assert window.doc.state == ImageState.EDITED


def test_drop_a_folder_opens_it(make_window, image_folder, tmp_path, qtbot):
    window = make_window(SAMPLE)
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(image_folder))])
    pos = QtCore.QPointF(200, 200)
    drop = QtGui.QDropEvent(
        pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier
    )
    window.dropEvent(drop)
    assert window.project.folder == image_folder.resolve()
    assert window.image_list.tree.topLevelItemCount() == 4


def test_classes_can_be_renamed_recoloured_hidden_and_added(make_window, image_folder, dialogs, qtbot):
    window = make_window(image_folder / "frame_00.png", predictor=FakePredictor())
    wait_prelabelled(qtbot, window)
    panel = window.class_panel
    item = panel.tree.topLevelItem(0)
    item.setText(1, "heaven")
    assert window.project.classes.names[0] == "heaven"
    panel.set_current(0)
    panel.color_button.click()
    assert window.project.classes.display[0] == (255, 0, 255)
    assert window.project.classes.colors[0] == (128, 128, 128)  # exports keep CamVid's sky
    assert window.canvas.renderer.buffer[5, 5].tolist() == [255, 0, 255, 255]
    item = panel.tree.topLevelItem(0)
    item.setCheckState(0, Qt.CheckState.Unchecked)
    assert window.canvas.renderer.buffer[5, 5].tolist() == [0, 0, 0, 0]
    panel.add_button.click()
    assert window.project.classes.names[-1] == "new class"
    wait_saved(qtbot, window)
    window.session.save_now()
    side = json.loads(window.project.sidecar_path(window.doc.path).read_text())
    assert side["classes"][0]["name"] == "heaven" and side["classes"][0]["display"] == [255, 0, 255]


# --- what a user sees -------------------------------------------------------------------------


def test_screenshot_shows_the_overlay_colours(make_window, qtbot):
    window = make_window(SAMPLE, predictor=FakePredictor())
    wait_prelabelled(qtbot, window)
    classes = window.project.classes
    window.toolbar.set_opacity(1.0)
    qtbot.wait(50)
    shot = window.grab().toImage().convertToFormat(QtGui.QImage.Format.Format_RGB888)
    out = Path(__file__).resolve().parents[2] / "out" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    shot.save(str(out / "main_window_opaque.png"))
    arr = np.frombuffer(shot.constBits(), np.uint8).reshape(shot.height(), shot.bytesPerLine())
    arr = arr[:, : shot.width() * 3].reshape(shot.height(), shot.width(), 3)

    def count(rgb):
        return int(np.all(arr == np.array(rgb, np.uint8), axis=-1).sum())

    canvas_area = window.canvas.width() * window.canvas.height()
    for class_id in (0, 1, 3):  # sky, building, road fill a third of the image each
        assert count(classes.display[class_id]) > canvas_area * 0.05, classes.names[class_id]

    window.toolbar.set_opacity(0.5)
    qtbot.wait(50)
    window.grab().save(str(out / "main_window.png"))
    half = window.grab().toImage()
    p = window.canvas.viewport().mapTo(window, window.canvas.image_to_widget(240.5, 300.5))
    seen = QtGui.QColor(half.pixel(p.x(), p.y()))
    seen = np.array([seen.red(), seen.green(), seen.blue()], float)
    # Half photo, half road colour (nearest sampling may show a neighbouring photo pixel).
    photos = window.doc.image[299:302, 239:242].reshape(-1, 3).astype(float)
    mixes = 0.5 * photos + 0.5 * np.array(classes.display[3], float)
    assert np.abs(mixes - seen).max(axis=1).min() <= 3, (seen, mixes)

    window.toolbar.set_opacity(0.0)
    qtbot.wait(50)
    none = window.grab().toImage().convertToFormat(QtGui.QImage.Format.Format_RGB888)
    arr = np.frombuffer(none.constBits(), np.uint8).reshape(none.height(), none.bytesPerLine())
    arr = arr[:, : none.width() * 3].reshape(none.height(), none.width(), 3)
    assert count(classes.display[3]) < canvas_area * 0.01


def test_confidence_view_marks_where_the_model_is_unsure(make_window, image_folder, qtbot):
    window = make_window(image_folder / "frame_00.png", predictor=FakePredictor())
    wait_prelabelled(qtbot, window)
    key(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.canvas.mode == OverlayMode.CONFIDENCE
    alpha = window.canvas.renderer.buffer[..., 3]
    assert (alpha[37:43] > 200).all()  # the unsure border band
    assert (alpha[:30] < 40).all() and (alpha[50:] < 40).all()
    key(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.canvas.mode == OverlayMode.BOUNDARIES
    alpha = window.canvas.renderer.buffer[..., 3]
    assert (alpha[39:41] == 255).all() and (alpha[10:30] == 0).all()


def test_main_opens_the_bundled_sample(qapp, tmp_path, qtbot):
    """What ``python main.py`` shows with a fresh profile (everything but the event loop): the
    sample, pre-labelled if the default model is installed, else a message saying it is not."""
    from app.main import create_window

    window = create_window(["--settings", str(tmp_path / "s.ini"), "--device", "cpu"])
    qtbot.addWidget(window)
    try:
        assert window.isVisible() and window.doc.path.name == SAMPLE.name
        qtbot.waitUntil(lambda: not window.model.loading and not window.model.busy, timeout=60000)
        if window.model.info is not None:
            wait_prelabelled(qtbot, window)
        else:
            assert window.doc.state == ImageState.NEW
            assert "default model is not installed" in window.notice.text
            assert "default model not installed" in window.status.device_label.text()
    finally:
        window.close()


def test_classes_come_from_the_checkpoint_unless_the_folder_has_its_own(make_window, image_folder, qtbot):
    other = FakePredictor()
    other.class_names = ["background", "cat", "dog", "bird"]
    other.palette = np.array([[0, 0, 0], [200, 0, 0], [0, 200, 0], [0, 0, 200]], np.uint8)
    other.ignore_index = 255
    window = make_window(image_folder / "frame_00.png", predictor=other, wait_model=False)
    window.memory.save()  # the project file exists before the model has said anything
    assert window.project.project_file.is_file() and window.model.info is None
    qtbot.waitUntil(lambda: window.model.info is not None, timeout=10000)
    assert window.project.classes.names == ["background", "cat", "dog", "bird"]
    assert window.class_panel.tree.topLevelItem(1).text(1) == "cat"
    window.class_panel.tree.topLevelItem(1).setText(1, "kitten")
    window.close()

    # Reopened with the CamVid-like model: the folder keeps its own (edited) classes, and says
    # the model's do not match.
    again = make_window(image_folder / "frame_00.png", predictor=FakePredictor())
    assert again.project.classes.names[:2] == ["background", "kitten"]
    assert "predicts 11 classes but this folder uses 4" in again.notice.text


def test_ctrl_wheel_sizes_the_brush_and_plain_wheel_zooms(make_window, image_folder, qtbot):
    window = make_window(image_folder / "frame_00.png")
    canvas = window.canvas
    size, view = window.editor.brush_size, canvas.view_rect()

    def wheel(dy, mods):
        pos = QtCore.QPointF(canvas.viewport().width() / 2, canvas.viewport().height() / 2)
        ev = QtGui.QWheelEvent(
            pos,
            canvas.viewport().mapToGlobal(pos),
            QtCore.QPoint(0, 0),
            QtCore.QPoint(0, dy),
            Qt.MouseButton.NoButton,
            mods,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QtGui.QGuiApplication.sendEvent(canvas.viewport(), ev)

    wheel(240, Qt.KeyboardModifier.ControlModifier)
    assert window.editor.brush_size > size and canvas.view_rect() == view
    wheel(120, Qt.KeyboardModifier.NoModifier)
    assert canvas.view_rect()[2] < view[2]  # zoomed in


def test_help_has_about_with_the_version_model_and_licence_and_links_to_the_docs(
    make_window, image_folder, dialogs, qtbot
):
    window = make_window(image_folder / "frame_00.png", predictor=FakePredictor())
    shown, opened = [], []
    dialogs.show_info = lambda parent, title, html: shown.append((title, html))
    dialogs.open_url = opened.append
    window.menus.action("help.about").trigger()
    ((title, html),) = shown
    assert title == "About SRCRM Studio" and "0.1.0" in html  # pyproject's version
    assert window.model.info.name in html and "MIT" in html and "non-commercial" in html
    docs = window.menus.menu("help.docs")
    titles = [a.text().replace("&", "") for a in docs.actions()]
    assert "User Guide (README)" in titles and "Refine Edge" in titles
    docs.actions()[0].trigger()
    assert opened and opened[0].startswith("file://") and opened[0].endswith("README.md")
