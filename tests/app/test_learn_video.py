"""Learn-as-you-go on a video: frames marked done (Ctrl+Enter, remembered, listed), an update
after K of them, the frames just ahead pre-labelled again, a frame the person edited never
overwritten, and the kept model a version of the video's labels. The child is the stand-in
of ``test_learn_mode.py``."""

from __future__ import annotations

import numpy as np
import pytest
from app_video_helpers import BatchPredictor, wait_video_idle
from test_learn_mode import SIDEWALK, stub_child, stub_said  # noqa: F401 - a fixture

from app.document import ImageState
from app.document.model_versions import ModelVersions

pytestmark = pytest.mark.prelabel_by_hand


def paint_frame(window, index: int, cls: int) -> None:
    window.videos.show_frame(index)
    editor = window.session.editor
    editor.set_class(cls)
    editor.press(10, 10)
    editor.move(50, 30)
    editor.release()


def test_frames_marked_done_teach_the_model_and_the_frames_ahead_are_relabelled(
    make_window,
    clip,
    qtbot,
    stub_child,  # noqa: F811 - the fixture
):
    window = make_window(clip, predictor=BatchPredictor())
    assert window.learning.active  # 48 frames: on
    window.learning.set_every(2)
    paint_frame(window, 5, 4)  # edited, ahead of the done frames: never re-labelled
    edited = window.doc.labels.copy()
    paint_frame(window, 1, 4)
    assert window.commands.run("image.done")
    assert window.doc.state == ImageState.DONE and "(done)" in window.windowTitle()
    assert window.menus.action("image.done").text().replace("&", "") == "Mark Frame Done"
    assert window.learning.run is None
    paint_frame(window, 2, 4)
    window.commands.run("image.done")
    assert window.learning.run is not None
    qtbot.waitUntil(lambda: window.learning.run is None, timeout=30000)
    wait_video_idle(qtbot, window)
    window.flush_saves()
    asked = stub_said(stub_child)
    assert asked["done"] == ["000001", "000002"]
    assert asked["order"][2:5] == ["000003", "000004", "000005"]  # the frames just ahead
    store = window.video.store
    for index in (3, 4, 6, 20):
        assert (store.read(index) == SIDEWALK).all(), index
        assert not store.is_edited(index)
    np.testing.assert_array_equal(store.read(5), edited)
    assert store.read(0) is None  # behind the person: not this update's
    registry = ModelVersions.for_label_dir(window.video.label_dir)
    assert registry.current == "v1" and window.session.model_path == str(registry.file_of("v1"))
    assert window.notice.text.startswith("Learned from 1 of your images;")
    # Done is remembered with the video and shown in the list.
    assert sorted(window.video.done) == [1, 2]
    assert "2 done" in window.image_list.summary.text()
    window.close()
    again = make_window(clip, predictor=BatchPredictor())
    assert sorted(again.video.done) == [1, 2]
    again.videos.show_frame(2)
    assert again.doc.state == ImageState.DONE
