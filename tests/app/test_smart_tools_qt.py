"""The smart tools in the app: tool bar entries, shortcuts, mouse gestures, notices, a video
frame, and zoomed re-inference running through the model's background lane."""

import cv2
import numpy as np
import pytest
from app_test_helpers import FakePredictor, click, drag, expected_disk, hover, key
from app_video_helpers import BatchPredictor, wait_video_idle
from PySide6 import QtCore

from app.document import ImageState
from app.document.tool_table import TOOLS
from srcrm.base.io import read_label_png

Qt = QtCore.Qt
SMART = {
    "quick_select": Qt.Key.Key_Q,
    "superpixel": Qt.Key.Key_S,
    "scribble": Qt.Key.Key_W,
    "snap_polygon": Qt.Key.Key_L,
    "zoom": Qt.Key.Key_Z,
}


def at(window, x, y):
    return QtCore.QPointF(window.canvas.image_to_widget(x, y))


def open_prelabelled(make_window, image_folder, qtbot, predictor=None):
    window = make_window(image_folder / "frame_00.png", predictor=predictor or FakePredictor())
    qtbot.waitUntil(
        lambda: (
            window.doc is not None and window.doc.state == ImageState.PRELABELLED and not window.model.busy
        ),
        timeout=30000,
    )
    return window


def test_each_smart_tool_has_a_toolbar_entry_and_a_shortcut(make_window, image_folder, qtbot):
    window = open_prelabelled(make_window, image_folder, qtbot)
    shortcuts = {spec.id: spec.shortcut for spec in TOOLS}
    for tool_id, qt_key in SMART.items():
        action = window.tool_palette.tool_actions[tool_id]
        assert action.shortcut().toString() == shortcuts[tool_id]
        key(window, qt_key)
        assert window.editor.tool == tool_id and action.isChecked()
    window.tool_palette.tool_actions["quick_select"].trigger()
    assert window.editor.tool == "quick_select"


def test_every_tool_and_option_is_on_screen_in_a_laptop_sized_window(make_window, image_folder, qtbot):
    window = open_prelabelled(make_window, image_folder, qtbot)
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.width() <= 1024)
    for action in window.tool_palette.tool_actions.values():  # none pushed into an overflow menu
        assert window.tool_palette.widgetForAction(action).isVisible(), action.text()
    bar = window.toolbar
    key(window, Qt.Key.Key_Q)  # a smart tool: its "only over" choice shows too
    qtbot.waitUntil(bar.only_combo.isVisible, timeout=2000)
    for widget in (bar.size_spin, bar.only_combo, bar.opacity_slider, bar.mode_combo):
        assert widget.isVisible() and widget.geometry().right() <= bar.width()


def test_a_video_fits_a_1024x700_window_with_a_usable_slider(make_window, clip, qtbot):
    window = make_window(clip, predictor=BatchPredictor(), auto_prelabel=False)
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.width() <= 1024 and window.height() <= 700)
    slider = window.timeline.slider
    assert slider.isVisible() and slider.width() >= 250  # a track to drag along, not a bare handle
    right = slider.mapTo(window, slider.rect().bottomRight())
    assert right.x() <= window.width() and right.y() <= window.height()
    assert window.canvas.width() >= 350


def test_a_quick_select_drag_on_the_canvas_fills_up_to_the_models_border(make_window, image_folder, qtbot):
    window = open_prelabelled(make_window, image_folder, qtbot)
    before = window.doc.labels.copy()  # rows 0-39 sky, 40-79 building, 80-119 road (sure)
    key(window, Qt.Key.Key_Q)
    key(window, Qt.Key.Key_9)  # car
    window.editor.set_brush_size(60)  # spreads up to 30 px where nothing stops it
    drag(window.canvas, [at(window, 20, 100), at(window, 60, 100), at(window, 100, 100)])
    changed = window.doc.labels != before
    assert changed.sum() > 2000 and (window.doc.labels[changed] == 8).all()
    assert not changed[:80].any(), "the model's sure road/building border stops it"
    assert len(window.doc.undo_stack) == 2  # pre-label + one drag
    qtbot.waitUntil(lambda: window.saver.idle, timeout=10000)  # autosaved like a brush stroke
    saved = read_label_png(window.project.label_path(window.doc.path))
    np.testing.assert_array_equal(saved, window.doc.labels)
    key(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.doc.labels.tobytes() == before.tobytes()


def shown_preview(window, qtbot):
    """The pixels the canvas previews (image coordinates), once the hover has settled."""
    item = window.canvas.preview_item
    qtbot.waitUntil(lambda: item._buffer is not None, timeout=5000)
    h, w = window.doc.shape
    out = np.zeros((h, w), bool)
    x0, y0 = int(item.pos().x()), int(item.pos().y())
    alpha = item._buffer[..., 3] > 0
    out[y0 : y0 + alpha.shape[0], x0 : x0 + alpha.shape[1]] = alpha
    return out


@pytest.mark.parametrize("tool", [Qt.Key.Key_S, Qt.Key.Key_Q], ids=["superpixels", "quick select"])
def test_a_smart_click_near_a_roofline_changes_exactly_the_previewed_pixels(
    make_window, image_folder, qtbot, tool
):
    """Sky over a building whose roof is row 40 (where the pre-label puts it): hovering in
    the sky shows what a click would paint, and the click paints that, inside the brush."""
    roof = np.full((120, 160, 3), (235, 190, 150), np.uint8)  # BGR sky
    roof[40:] = (80, 90, 120)
    cv2.imwrite(str(image_folder / "frame_00.png"), roof)
    window = open_prelabelled(make_window, image_folder, qtbot)
    before = window.doc.labels.copy()
    key(window, tool)
    key(window, Qt.Key.Key_2)  # building
    window.editor.set_brush_size(34)
    hover(window.canvas, at(window, 80.5, 30.5))
    preview = shown_preview(window, qtbot)
    click(window.canvas, at(window, 80.5, 30.5))
    changed = window.doc.labels != before
    np.testing.assert_array_equal(changed, preview)
    assert changed.sum() > 100 and (window.doc.labels[changed] == 1).all()
    x, y = window.canvas.widget_to_image(at(window, 80.5, 30.5))  # where the click landed
    assert not (changed & ~expected_disk(changed.shape, x, y, 34)).any(), "outside the brush"
    assert window.editor.preview is None, "after the click, nothing is left for it to change"


def test_scribbles_show_in_their_class_colours_until_applied(make_window, image_folder, qtbot):
    window = open_prelabelled(make_window, image_folder, qtbot)
    classes = window.doc.classes
    before = window.doc.labels.copy()
    key(window, Qt.Key.Key_W)
    for cls_key, y in ((Qt.Key.Key_9, 60), (Qt.Key.Key_4, 100), (Qt.Key.Key_9, 70)):  # car, road, car
        key(window, cls_key)
        drag(window.canvas, [at(window, 50, y), at(window, 90, y), at(window, 110, y)])
    marks = window.canvas.mark_items
    assert len(marks) == 3
    assert [m.pen().color().getRgb()[:3] for m in marks] == [
        classes.display[8],
        classes.display[3],
        classes.display[8],
    ]
    assert (window.doc.labels == before).all(), "nothing changes before Enter"
    hover(window.canvas, at(window, 10, 10))
    preview = shown_preview(window, qtbot)
    window.canvas.setFocus()
    key(window.canvas, Qt.Key.Key_Return)
    np.testing.assert_array_equal(window.doc.labels != before, preview)
    assert window.canvas.mark_items == [] and window.doc.undo_stack.undo_name == "Scribble re-segment"


def test_a_bad_gesture_shows_a_notice_and_changes_nothing(make_window, image_folder, qtbot):
    window = open_prelabelled(make_window, image_folder, qtbot)
    before = window.doc.labels.tobytes()
    key(window, Qt.Key.Key_W)
    click(window.canvas, at(window, 30, 30))
    click(window.canvas, at(window, 90, 90))
    window.canvas.setFocus()
    key(window.canvas, Qt.Key.Key_Return)
    assert window.notice.isVisible() and window.notice.level == "warning"
    assert "two classes" in window.notice.text
    assert window.doc.labels.tobytes() == before and len(window.doc.undo_stack) == 1
    key(window, Qt.Key.Key_B)  # a stroke that works: the warning about the last one goes
    key(window, Qt.Key.Key_4)  # road, over the sky
    drag(window.canvas, [at(window, 20, 20), at(window, 40, 20)])
    assert "two classes" not in window.notice.text or not window.notice.isVisible()


def test_zoomed_reinference_runs_the_model_in_the_background(make_window, image_folder, qtbot):
    predictor = FakePredictor()
    window = open_prelabelled(make_window, image_folder, qtbot, predictor)
    calls = predictor.calls
    doc = window.doc
    doc.labels[10:20, 10:20] = 5  # a person's edit inside the rectangle, and the model's own work
    doc.human_edits[10:20, 10:20] = True
    doc.labels[100:110, 100:110] = 6
    key(window, Qt.Key.Key_Z)
    drag(window.canvas, [at(window, 5, 5), at(window, 150, 115)])
    qtbot.waitUntil(lambda: doc.undo_stack.undo_name == "Zoomed re-inference", timeout=20000)
    assert predictor.calls == calls + 1 and predictor.threads[-1] != "MainThread"
    assert (doc.labels[10:20, 10:20] == 5).all(), "a person's pixels are kept"
    assert (doc.labels[100:110, 100:110] == 3).all(), "the model's own pixels are looked at again"


def test_smart_tools_work_on_a_video_frame(make_window, clip, qtbot):
    window = make_window(clip, predictor=BatchPredictor(), auto_prelabel=False)
    window.videos.show_frame(5)
    doc = window.doc
    doc.labels[:] = 3
    key(window, Qt.Key.Key_S)
    key(window, Qt.Key.Key_5)  # sidewalk
    window.editor.set_brush_size(16)
    click(window.canvas, at(window, 30, 30))
    painted = window.doc.labels.copy()
    assert 0 < (painted == 4).sum() < painted.size // 4
    assert window.doc.state == ImageState.EDITED
    wait_video_idle(qtbot, window)
    np.testing.assert_array_equal(window.video.store.read(5), painted)
    assert window.video.store.is_edited(5)
    # Back on the frame later, a person's work there is safe from zoomed re-inference.
    key(window, Qt.Key.Key_Right)
    key(window, Qt.Key.Key_Left)
    assert window.video.frame == 5 and window.doc.human_edits.all()


@pytest.fixture
def image_folder(image_folder):
    """The shared folder of noise images, made flat per band so edges are the model's alone."""
    import cv2

    for k in range(3):
        flat = np.full((120, 160, 3), 120, np.uint8)
        cv2.imwrite(str(image_folder / f"frame_{k:02d}.png"), flat)
    return image_folder
