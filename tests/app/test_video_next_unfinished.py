"""Next Unfinished (Shift+D) in a video: the frames marked done are skipped, as the images marked
done in a folder are; it wraps around, and says so when every frame is done."""

import pytest
from app_test_helpers import key
from app_video_helpers import FRAMES, BatchPredictor
from PySide6 import QtCore

pytestmark = pytest.mark.prelabel_by_hand

Qt = QtCore.Qt


def test_next_unfinished_skips_the_frames_marked_done(make_window, clip):
    window = make_window(clip, predictor=BatchPredictor())
    window.learning.set_active(False)  # no update in between: only the navigation
    for index in (3, 4, FRAMES - 1, 0):
        window.videos.show_frame(index)
        assert window.commands.run("image.done")
    assert sorted(window.video.done) == [0, 3, 4, FRAMES - 1]
    action = window.menus.action("image.next_unfinished")
    assert action.isEnabled() and action.text().replace("&", "") == "Next Unfinished Frame"

    window.videos.show_frame(2)
    key(window, Qt.Key.Key_D, Qt.KeyboardModifier.ShiftModifier)
    assert window.video.frame == 5  # 3 and 4 are done
    assert window.videos.timeline.slider.value() == 5
    window.videos.show_frame(FRAMES - 2)
    assert window.commands.run("image.next_unfinished")
    assert window.video.frame == 1  # past the last frame and frame 0, both done

    window.video.done.update(range(FRAMES))  # (as if each were marked done)
    assert window.commands.run("image.next_unfinished")
    assert window.video.frame == 1 and window.statusBar().currentMessage() == "Every frame is done"
