"""Editing video frames with the image tools: edits survive navigation, a failed write and a
restart, and are stored as a person's work."""

import json
import time

import numpy as np
import pytest
from app_test_helpers import drag, key
from app_video_helpers import BatchPredictor, wait_video_idle
from PySide6 import QtCore

from app.document import ImageState

pytestmark = pytest.mark.prelabel_by_hand  # these tests start pre-labelling themselves

Qt = QtCore.Qt


def paint(window, class_id, points):
    window.editor.set_class(class_id)
    window.editor.set_brush_size(9)
    drag(window.canvas, [QtCore.QPointF(window.canvas.image_to_widget(x, y)) for x, y in points])


def test_an_edit_survives_navigation_and_a_restart(make_window, clip, qtbot):
    window = make_window(clip, predictor=BatchPredictor())
    window.videos.show_frame(10)
    assert window.doc.state == ImageState.NEW
    paint(window, 4, [(20, 20), (70, 50)])
    painted = window.doc.labels.copy()
    assert (painted == 4).sum() > 300 and window.doc.state == ImageState.EDITED
    assert "(edited)" in window.windowTitle()

    key(window, Qt.Key.Key_Right)
    assert window.video.frame == 11 and not (window.doc.labels == 4).any()
    key(window, Qt.Key.Key_Left)
    np.testing.assert_array_equal(window.doc.labels, painted)
    assert window.doc.state == ImageState.EDITED

    wait_video_idle(qtbot, window)
    store = window.video.store
    np.testing.assert_array_equal(store.read(10), painted)
    assert store.is_edited(10) and store.labelled() == [10]
    assert 10 in window.video.labelled
    window.close()

    # A new window on the last session: the same video, the same frame, the same labels.
    again = make_window(restore=True, predictor=BatchPredictor())
    assert again.video is not None and again.video.path == clip.resolve()
    assert again.video.frame == 10
    np.testing.assert_array_equal(again.doc.labels, painted)
    assert again.doc.state == ImageState.EDITED
    again.videos.show_frame(0)
    again.close()

    # Opening the video again (not from the session) comes back to the frame last viewed.
    third = make_window(clip, predictor=BatchPredictor())
    assert third.video.frame == 0
    meta = json.loads((third.video.store.folder / "studio.json").read_text())
    assert meta["last_frame"] == 0 and meta["classes"][4]["name"] == "sidewalk"


def test_stepping_back_before_the_write_lands_shows_the_new_labels(make_window, clip, qtbot, monkeypatch):
    window = make_window(clip, predictor=BatchPredictor())
    store = window.video.store
    real_write = store.write

    def slow_write(index, labels, edited=False):
        time.sleep(0.4)
        real_write(index, labels, edited)

    monkeypatch.setattr(store, "write", slow_write)
    window.videos.show_frame(5)
    paint(window, 6, [(40, 30)])
    painted = window.doc.labels.copy()
    key(window, Qt.Key.Key_Right)
    key(window, Qt.Key.Key_Left)  # long before the 0.4 s write is done
    assert not window.saver.idle
    np.testing.assert_array_equal(window.doc.labels, painted)
    wait_video_idle(qtbot, window)
    np.testing.assert_array_equal(store.read(5), painted)


def test_a_failed_write_keeps_the_edit_and_ctrl_s_writes_it(make_window, clip, qtbot, monkeypatch):
    window = make_window(clip, predictor=BatchPredictor())
    store = window.video.store

    def disk_full(index, labels, edited=False):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "write", disk_full)
    window.videos.show_frame(3)
    paint(window, 2, [(30, 30), (60, 40)])
    painted = window.doc.labels.copy()
    qtbot.waitUntil(lambda: window.notice.level == "error" and window.notice.isVisible(), timeout=5000)
    assert "No space left" in window.notice.text and "000003.png" in window.notice.text
    key(window, Qt.Key.Key_Right)
    key(window, Qt.Key.Key_Left)
    np.testing.assert_array_equal(window.doc.labels, painted)  # still there, in memory
    assert store.read(3) is None
    monkeypatch.undo()
    key(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    wait_video_idle(qtbot, window)
    np.testing.assert_array_equal(store.read(3), painted)
    assert store.is_edited(3)


def test_undo_works_on_a_frame_and_the_flicker_strip_follows_edits(make_window, clip, qtbot, dialogs):
    from app.video.tasks import PrelabelRequest

    dialogs.prelabel_options = lambda parent, count, current, labelled: PrelabelRequest()
    window = make_window(clip, predictor=BatchPredictor())
    window.menus.action("video.prelabel").trigger()
    wait_video_idle(qtbot, window)
    flicker = window.videos.timeline.flicker.copy()
    assert np.isnan(flicker[0]) and np.isfinite(flicker[1:]).all()
    window.videos.show_frame(20)
    before = window.doc.labels.copy()
    paint(window, 9, [(10, 10), (90, 60)])  # a big stroke: frame 20 now differs a lot
    key(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    np.testing.assert_array_equal(window.doc.labels, before)
    key(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert (window.doc.labels == 9).sum() > 500
    key(window, Qt.Key.Key_Right)
    after = window.videos.timeline.flicker
    assert after[20] > flicker[20] + 0.05 and after[21] > flicker[21] + 0.05
    np.testing.assert_array_equal(after[:20], flicker[:20])
