"""Video work in the background: pre-label (progress, cancel, resume, edits kept), smoothing,
and propagating a correction with its preview."""

import threading

import numpy as np
import pytest
from app_test_helpers import drag
from app_video_helpers import FRAMES, BatchPredictor, square_box, wait_video_idle
from PySide6 import QtCore

from app.document import ImageState
from app.video.propagate_dialog import PropagationPreviewDialog
from app.video.tasks import PrelabelRequest

pytestmark = pytest.mark.prelabel_by_hand  # these tests start pre-labelling themselves

Qt = QtCore.Qt
CAR = 8


@pytest.fixture
def ask_prelabel(dialogs):
    """Answer the pre-label dialog with the request set here (and record what it showed)."""
    state = {"request": PrelabelRequest(), "shown": []}

    def answer(parent, frame_count, current, labelled):
        state["shown"].append((frame_count, current, labelled))
        return state["request"]

    dialogs.prelabel_options = answer
    return state


def paint(window, class_id, points, size=9):
    window.editor.set_class(class_id)
    window.editor.set_brush_size(size)
    drag(window.canvas, [QtCore.QPointF(window.canvas.image_to_widget(x, y)) for x, y in points])


def test_prelabel_runs_in_a_worker_with_progress_and_refreshes_the_frame(
    make_window, clip, qtbot, ask_prelabel
):
    predictor = BatchPredictor(delay=0.02)
    window = make_window(clip, predictor=predictor)
    window.videos.show_frame(6)
    assert window.doc.state == ImageState.NEW
    texts = []
    window.menus.action("video.prelabel").trigger()
    job = window.videos.tasks.job
    assert (
        job is not None and window.status.progress_bar.isVisible() and window.status.cancel_button.isVisible()
    )
    job.progress.connect(lambda p: texts.append(window.status.job_label.text()))
    assert not window.menus.action("video.prelabel").isEnabled()  # one task at a time
    wait_video_idle(qtbot, window)
    assert ask_prelabel["shown"] == [(FRAMES, 6, 0)]
    assert predictor.frames_seen == FRAMES
    assert all(name != threading.main_thread().name for name in predictor.threads)
    assert any("frames/s" in t and "left" in t for t in texts), texts
    assert not window.status.progress_bar.isVisible() and "Pre-labelled 48 frames" in window.notice.text
    store = window.video.store
    assert store.labelled() == list(range(FRAMES)) and not store.edited
    # The frame on screen got its labels as they arrived, untouched by the user.
    assert window.doc.state == ImageState.PRELABELLED and window.video.frame == 6
    x0, y0, x1, y1 = square_box(6)
    assert (window.doc.labels[y0 + 2 : y1 - 2, x0 + 2 : x1 - 2] == CAR).all()
    assert window.video.labelled == set(range(FRAMES))
    assert np.isfinite(window.videos.timeline.flicker[1:]).all()
    assert store.model and "model" in store.model
    # Every prediction ran on the model's own thread (the one that loaded it).
    assert set(predictor.threads) == {"srcrm-model"}
    # Model changes wait while the model is busy: greyed out during a pre-label.
    assert window.menus.action("model.load").isEnabled() and window.menus.action("model.cpu_only").isEnabled()


def test_opening_a_video_with_auto_prelabel_on_labels_it_and_the_images_panel_shows_it(
    make_window, clip, qtbot
):
    predictor = BatchPredictor(delay=0.05)
    window = make_window(clip, predictor=predictor, auto_prelabel=True)
    qtbot.waitUntil(lambda: window.videos.tasks.job is not None, timeout=10000)
    assert (
        not window.menus.action("model.load").isEnabled()
        and not window.menus.action("model.cpu_only").isEnabled()
    )
    assert not window.menus.menu("model.versions").menuAction().isEnabled()  # Versions swaps the model too
    wait_video_idle(qtbot, window)
    assert window.menus.menu("model.versions").menuAction().isEnabled()
    assert window.video.store.labelled() == list(range(FRAMES)) and predictor.frames_seen == FRAMES
    assert window.doc.state == ImageState.PRELABELLED and window.menus.action("model.load").isEnabled()
    row = window.image_list.tree.topLevelItem(0)
    assert row.text(0) == clip.name and row.text(1) == f"{FRAMES}/{FRAMES} labelled"
    # An edited frame gets a row of its own; choosing it goes there.
    window.videos.show_frame(7)
    paint(window, CAR, [(10, 10), (30, 30)])
    window.videos.show_frame(0)
    wait_video_idle(qtbot, window)
    assert row.childCount() == 1 and row.child(0).text(0) == "frame 7"
    window.image_list.tree.itemClicked.emit(row.child(0), 0)
    assert window.video.frame == 7


def test_cancel_keeps_what_was_labelled_and_a_rerun_resumes(make_window, clip, qtbot, ask_prelabel):
    predictor = BatchPredictor(delay=0.15)
    window = make_window(clip, predictor=predictor)
    window.menus.action("video.prelabel").trigger()
    qtbot.waitUntil(lambda: predictor.batches >= 3, timeout=10000)
    window.status.cancel_button.click()
    wait_video_idle(qtbot, window)
    store = window.video.store
    done = store.labelled()
    assert 8 <= len(done) < FRAMES and done == list(range(len(done)))
    assert "cancelled" in window.notice.text and f"{len(done)} frames" in window.notice.text

    # An edit on a frame not labelled yet, then the rerun: only the missing frames are
    # predicted, and the edited one is never replaced.
    window.videos.show_frame(40)
    paint(window, 5, [(50, 30)])
    edited = window.doc.labels.copy()
    seen = predictor.frames_seen
    window.menus.action("video.prelabel").trigger()
    wait_video_idle(qtbot, window)
    assert predictor.frames_seen - seen == FRAMES - len(done) - 1
    assert store.labelled() == list(range(FRAMES))
    np.testing.assert_array_equal(store.read(40), edited)
    np.testing.assert_array_equal(window.doc.labels, edited)
    assert store.edited == {40}
    assert f"{len(done) + 1} frames kept" in window.notice.text


def test_a_range_without_resume_relabels_but_never_touches_edited_frames(
    make_window, clip, qtbot, ask_prelabel
):
    predictor = BatchPredictor()
    window = make_window(clip, predictor=predictor)
    window.menus.action("video.prelabel").trigger()
    wait_video_idle(qtbot, window)
    window.videos.show_frame(12)
    paint(window, 2, [(30, 20), (60, 20)])
    edited = window.doc.labels.copy()
    window.videos.show_frame(0)
    ask_prelabel["request"] = PrelabelRequest(start=10, stop=20, skip_labelled=False)
    seen = predictor.frames_seen
    window.menus.action("video.prelabel").trigger()
    wait_video_idle(qtbot, window)
    assert predictor.frames_seen - seen == 9  # frames 10..19 but the edited 12
    np.testing.assert_array_equal(window.video.store.read(12), edited)
    assert "Pre-labelled 9 frames" in window.notice.text and "1 frame kept" in window.notice.text


def test_smoothing_removes_a_one_frame_blip_and_keeps_edits(make_window, clip, qtbot, ask_prelabel, dialogs):
    window = make_window(clip, predictor=BatchPredictor())
    window.menus.action("video.prelabel").trigger()
    wait_video_idle(qtbot, window)
    store = window.video.store
    blip = store.read(30)
    blip[50:60, 60:80] = 9  # a one-frame blip, as a model may make
    store.write(30, blip)  # (machine-made: not edited)
    window.videos.show_frame(20)
    paint(window, 6, [(50, 55)])  # an edit smoothing must keep
    edited = window.doc.labels.copy()
    dialogs.smooth_radius = lambda parent: 1
    window.menus.action("video.smooth").trigger()
    wait_video_idle(qtbot, window)
    assert not (store.read(30)[50:60, 60:80] == 9).any()
    np.testing.assert_array_equal(store.read(20), edited)
    assert "Smoothing changed" in window.notice.text


def test_propagate_a_correction_preview_then_apply_or_discard(
    make_window, clip, qtbot, dialogs, ask_prelabel
):
    window = make_window(clip, predictor=BatchPredictor())
    window.menus.action("video.prelabel").trigger()
    wait_video_idle(qtbot, window)
    store = window.video.store
    window.videos.show_frame(10)
    # The correction: the square is a bicyclist (10), not a car.
    x0, y0, x1, y1 = square_box(10)
    window.editor.set_tool("fill")
    window.editor.set_class(10)
    drag(window.canvas, [QtCore.QPointF(window.canvas.image_to_widget(x0 + 8, y0 + 8))])
    assert (window.doc.labels[y0:y1, x0:x1] == 10).mean() > 0.9
    before = {k: store.read(k) for k in range(11, 17)}
    dialogs.propagate_count = lambda parent, default, maximum: 5

    previews = []

    def look_then(answer):
        def confirm(parent, dialog):
            assert isinstance(dialog, PropagationPreviewDialog)
            frames = dialog.propagation.frames
            previews.append([f.index for f in frames])
            dialog.slider.setValue(4)
            assert "Frame 15" in dialog.caption.text()
            assert dialog.image.shape == (64, 96, 3) and not dialog.picture.pixmap().isNull()
            return answer

        return confirm

    dialogs.confirm_propagation = look_then(False)
    window.menus.action("video.propagate").trigger()
    wait_video_idle(qtbot, window)
    assert previews == [[11, 12, 13, 14, 15]]
    for k, labels in before.items():  # discarded: nothing written
        np.testing.assert_array_equal(store.read(k), labels)
    assert not store.edited - {10}

    dialogs.confirm_propagation = look_then(True)
    window.menus.action("video.propagate").trigger()
    wait_video_idle(qtbot, window)
    assert store.edited == {10, 11, 12, 13, 14, 15}
    for k in range(11, 16):
        x0, y0, x1, y1 = square_box(k)
        inner = store.read(k)[y0 + 3 : y1 - 3, x0 + 3 : x1 - 3]
        assert (inner == 10).mean() > 0.9, k  # followed the square as it moved
        outside = np.ones_like(before[k], bool)
        outside[y0 - 3 : y1 + 3, x0 - 4 : x1 + 4] = False
        np.testing.assert_array_equal(store.read(k)[outside], before[k][outside])
    np.testing.assert_array_equal(store.read(16), before[16])  # only the 5 asked for
    assert "frames 11–15" in window.notice.text

    # The same correction is not carried twice: the frame's baseline moved on.
    window.menus.action("video.propagate").trigger()
    assert "Nothing to propagate" in window.notice.text and window.videos.tasks.job is None


def test_propagate_carries_the_last_correction_after_looking_at_other_frames(
    make_window, clip, qtbot, dialogs, ask_prelabel
):
    window = make_window(clip, predictor=BatchPredictor())
    window.menus.action("video.prelabel").trigger()
    wait_video_idle(qtbot, window)
    store = window.video.store
    window.videos.show_frame(10)
    x0, y0, x1, y1 = square_box(10)
    window.editor.set_tool("fill")
    window.editor.set_class(10)
    drag(window.canvas, [QtCore.QPointF(window.canvas.image_to_widget(x0 + 8, y0 + 8))])
    window.videos.show_frame(12)  # a look at the next frames before propagating
    window.videos.show_frame(30)
    dialogs.propagate_count = lambda parent, default, maximum: 3
    shown = []
    dialogs.confirm_propagation = lambda parent, dialog: (
        shown.append([f.index for f in dialog.propagation.frames]) or True
    )
    window.menus.action("video.propagate").trigger()
    wait_video_idle(qtbot, window)
    assert shown == [[11, 12, 13]]  # frame 10's correction, from frame 10
    for k in (11, 12, 13):
        x0, y0, x1, y1 = square_box(k)
        assert (store.read(k)[y0 + 3 : y1 - 3, x0 + 3 : x1 - 3] == 10).mean() > 0.9, k
    window.menus.action("video.propagate").trigger()  # carried once
    assert "Nothing to propagate" in window.notice.text


def test_opening_images_stops_the_videos_prelabel_and_reopening_goes_on(
    make_window, clip, image_folder, qtbot, ask_prelabel
):
    window = make_window(clip, predictor=BatchPredictor(delay=0.1), auto_prelabel=True)
    qtbot.waitUntil(lambda: len(window.video.store.labelled()) >= 1, timeout=20000)
    window.session.open_path(image_folder)
    assert window.video is None and window.project is not None
    qtbot.waitUntil(lambda: window.videos.tasks.job is None, timeout=20000)  # stopped, not run out
    assert "stopped when you opened another folder" in window.notice.text
    # The model is free for the images: the one opened gets its pre-label.
    qtbot.waitUntil(
        lambda: window.doc is not None and window.doc.state == ImageState.PRELABELLED, timeout=20000
    )
    window.session.open_path(clip)
    labelled = len(window.video.store.labelled())
    assert 1 <= labelled < FRAMES
    wait_video_idle(qtbot, window)  # it goes on from there
    assert window.video.store.labelled() == list(range(FRAMES))
