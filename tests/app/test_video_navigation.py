"""Video mode as a user drives it: open a clip, step, seek, jump, play; bad files."""

import cv2
import numpy as np
import pytest
from app_test_helpers import key
from app_video_helpers import (
    FRAMES,
    BatchPredictor,
    H,
    W,
    decode_all,
    synthetic_frames,
    write_clip,
)
from PySide6 import QtCore, QtGui
from PySide6.QtTest import QTest

pytestmark = pytest.mark.prelabel_by_hand  # these tests start pre-labelling themselves

Qt = QtCore.Qt


@pytest.fixture
def reference(clip):
    frames = decode_all(clip)
    assert len(frames) == FRAMES
    return frames


def shown(window) -> np.ndarray:
    """The frame's pixels as the canvas holds them (RGB)."""
    return cv2.cvtColor(window.canvas._image_bgra, cv2.COLOR_BGRA2RGB)


def assert_on_frame(window, reference, k):
    assert window.video.frame == k
    np.testing.assert_array_equal(window.doc.image, reference[k])
    np.testing.assert_array_equal(shown(window), reference[k])
    assert window.videos.timeline.slider.value() == k and window.videos.timeline.spin.value() == k


def test_open_a_video_step_seek_and_jump_land_on_the_right_frames(make_window, clip, reference, qtbot):
    window = make_window(clip, predictor=BatchPredictor())
    assert window.video is not None and window.project is None
    assert window.videos.timeline.isVisible() and window.doc.shape == (H, W)
    assert_on_frame(window, reference, 0)
    assert "frame 0" in window.windowTitle() and "street" in window.windowTitle()
    # Labels go beside the video, never into the folder the user sees.
    assert window.video.store.folder == clip.parent / ".srcrm" / "street.mp4.frames"

    key(window, Qt.Key.Key_Right)
    assert_on_frame(window, reference, 1)
    key(window, Qt.Key.Key_Period)
    key(window, Qt.Key.Key_D)  # the image keys step frames in a video
    assert_on_frame(window, reference, 3)
    key(window, Qt.Key.Key_Left)
    assert_on_frame(window, reference, 2)
    key(window, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)  # one second: 15 frames
    assert_on_frame(window, reference, 17)
    key(window, Qt.Key.Key_End)
    assert_on_frame(window, reference, FRAMES - 1)
    key(window, Qt.Key.Key_Right)  # past the end: stays
    assert_on_frame(window, reference, FRAMES - 1)

    # Backwards seeks, forward seeks far away, and the same frame again.
    for k in (40, 3, 29, 29, 0, 46, 12):
        window.videos.timeline.slider.setValue(k)
        assert_on_frame(window, reference, k)

    # The jump box: type a number, press Enter.
    key(window, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    assert window.videos.timeline.spin.hasFocus() or not window.isActiveWindow()
    window.videos.timeline.spin.lineEdit().selectAll()
    QTest.keyClicks(window.videos.timeline.spin.lineEdit(), "33")
    QTest.keyClick(window.videos.timeline.spin.lineEdit(), Qt.Key.Key_Return)
    assert_on_frame(window, reference, 33)
    assert window.videos.timeline.time_label.text().startswith("0:02.20")  # 33 / 15 fps

    # A click on the flicker strip jumps to the frame under it.
    strip = window.videos.timeline.strip
    QTest.mouseClick(
        strip.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        window.videos.timeline.strip_point(20),
    )
    assert abs(window.video.frame - 20) <= 1
    assert_on_frame(window, reference, window.video.frame)


def test_play_advances_with_the_clock_and_stops_at_the_end(make_window, clip, reference, qtbot):
    window = make_window(clip, predictor=BatchPredictor())
    window.videos.show_frame(30)
    key(window, Qt.Key.Key_K)
    assert window.videos.timeline.play_button.isChecked()
    qtbot.waitUntil(lambda: window.video.frame == FRAMES - 1, timeout=5000)
    qtbot.waitUntil(lambda: not window.videos._play_timer.isActive(), timeout=2000)
    assert not window.videos.timeline.play_button.isChecked()
    assert_on_frame(window, reference, FRAMES - 1)
    # A seek while playing plays on from there; pausing holds the frame.
    window.videos.show_frame(25)
    window.videos.toggle_play(True)
    qtbot.waitUntil(lambda: window.video.frame >= 27, timeout=5000)
    window.videos.timeline.slider.setValue(5)
    qtbot.waitUntil(lambda: window.video.frame >= 8, timeout=5000)
    assert window.video.frame < 25
    key(window, Qt.Key.Key_K)
    held = window.video.frame
    qtbot.wait(300)
    assert window.video.frame == held and held < FRAMES - 1
    assert_on_frame(window, reference, held)


def test_an_image_sequence_folder_opens_as_a_video(make_window, tmp_path, qtbot, dialogs):
    folder = tmp_path / "seq"
    folder.mkdir()
    frames = synthetic_frames(12)
    for k, f in enumerate(frames):  # natural order: f2 before f10
        cv2.imwrite(str(folder / f"f{k}.png"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    dialogs.open_sequence = lambda parent, start: folder
    window = make_window(predictor=BatchPredictor())
    window.menus.action("video.open_sequence").trigger()
    assert window.video is not None and window.video.frame_count == 12
    for k in (10, 2, 11):
        window.videos.show_frame(k)
        np.testing.assert_array_equal(window.doc.image, frames[k])  # lossless: exact
    assert window.video.store.folder == tmp_path / ".srcrm" / "seq.frames"


def test_an_image_sequence_reopens_as_a_video_in_the_next_session(make_window, tmp_path, dialogs):
    folder = tmp_path / "seq"
    folder.mkdir()
    for k, f in enumerate(synthetic_frames(8)):
        cv2.imwrite(str(folder / f"f{k}.png"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    dialogs.open_sequence = lambda parent, start: folder
    window = make_window(predictor=BatchPredictor())
    window.menus.action("video.open_sequence").trigger()
    window.videos.show_frame(5)
    window.close()
    again = make_window(restore=True, predictor=BatchPredictor())
    assert again.video is not None and again.project is None  # a video, not a folder of images
    assert again.video.path == folder and again.video.frame == 5


def test_a_corrupt_video_gives_a_notice_and_the_app_stays_usable(make_window, clip, tmp_path, qtbot):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 20)
    window = make_window(clip, predictor=BatchPredictor())
    window.videos.show_frame(7)
    before = window.doc
    window.session.open_path(bad)  # what File > Open Video… and a drop do
    assert window.notice.isVisible() and window.notice.level == "error"
    assert "broken.mp4" in window.notice.text and "video" in window.notice.text
    assert window.doc is before and window.video.frame == 7  # what was open stays open
    key(window, Qt.Key.Key_Right)
    assert window.video.frame == 8
    window.session.open_path(tmp_path / "missing.mov")
    assert "missing.mov" in window.notice.text


def test_a_truncated_video_says_where_it_ends_and_shrinks_the_timeline(make_window, tmp_path, qtbot):
    full = write_clip(tmp_path / "full.avi", fourcc="MJPG")
    cut = tmp_path / "cut.avi"
    data = full.read_bytes()
    cut.write_bytes(data[: len(data) // 2])  # the header still says 48 frames
    window = make_window(cut, predictor=BatchPredictor())
    assert window.video.frame_count == FRAMES
    window.videos.show_frame(40)
    assert window.notice.level == "error" and "frame 40" in window.notice.text.lower()
    assert "truncated" in window.notice.text
    assert window.video.frame == 0 and window.doc is not None
    last = window.video.frame_count - 1
    assert 0 < last < FRAMES - 1 and window.videos.timeline.slider.maximum() == last
    window.videos.show_frame(last // 2)  # the app goes on with the frames that are there
    assert window.video.frame == last // 2


def test_drop_a_video_file_opens_it(make_window, clip, image_folder, qtbot):
    window = make_window(image_folder / "frame_00.png", predictor=BatchPredictor())
    assert window.project is not None
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(clip))])
    drop = QtGui.QDropEvent(
        QtCore.QPointF(100, 100),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(drop)
    assert window.video is not None and window.project is None
    videos = window.image_list.tree  # the Images panel shows the video
    assert videos.topLevelItemCount() == 1 and videos.topLevelItem(0).text(0) == clip.name
    # And back to images: video mode ends, the timeline goes.
    window.session.open_path(image_folder)
    assert window.video is None and window.project is not None and not window.videos.timeline.isVisible()
    key(window, Qt.Key.Key_D)
    assert window.doc.path.name == "frame_01.png"


def test_main_py_opens_a_video_given_on_the_command_line(qapp, clip, tmp_path, tiny_checkpoint, qtbot):
    from app.main import create_window

    window = create_window(
        ["--settings", str(tmp_path / "s.ini"), "--device", "cpu", "--model", str(tiny_checkpoint), str(clip)]
    )
    qtbot.addWidget(window)
    try:
        assert window.video is not None and window.video.path == clip.resolve()
        assert window.video.frame == 0 and window.doc.shape == (H, W)
    finally:
        window.close()


def test_the_bundled_clip_keeps_its_labels_out_of_resources(make_window, qtbot):
    from app.settings import SAMPLES_DIR

    sample = SAMPLES_DIR / "camvid_0016E5_15hz.mp4"
    if not sample.is_file():
        pytest.skip("the sample clip is not there")
    window = make_window(sample, predictor=BatchPredictor())
    video = window.video
    assert (video.frame_count, video.source.width, video.source.height) == (101, 480, 360)
    assert video.source.fps == pytest.approx(15)
    assert SAMPLES_DIR.resolve() not in video.store.folder.resolve().parents
    assert window.settings.data_dir in video.store.folder.parents
    window.videos.show_frame(100)
    assert window.video.frame == 100
