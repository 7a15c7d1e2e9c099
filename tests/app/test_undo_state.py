"""Undoing back to the pre-label: the image is pre-labelled again, everywhere a person looks."""

from app_test_helpers import FakePredictor, drag, key
from PySide6 import QtCore

from app.document import ImageState, Project

Qt = QtCore.Qt


def test_undoing_every_edit_shows_the_image_as_prelabelled_again(make_window, image_folder, qtbot):
    window = make_window(image_folder / "frame_00.png", predictor=FakePredictor())
    qtbot.waitUntil(
        lambda: window.doc is not None and window.doc.state == ImageState.PRELABELLED, timeout=20000
    )
    window.editor.set_class(5)
    for y in (30, 60):
        drag(window.canvas, [QtCore.QPointF(window.canvas.image_to_widget(x, y)) for x in (20, 90)])
    assert window.doc.state == ImageState.EDITED and "edited" in window.windowTitle()
    for _ in range(2):
        key(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.doc.state == ImageState.PRELABELLED
    assert "edited" not in window.windowTitle() and "pre-labelled" in window.windowTitle()
    assert window.project.entries[0].state == ImageState.PRELABELLED  # the image list's mark
    assert not window.doc.human_edits.any()  # open to the model again, as before the edits
    window.session.save_now()
    assert window.flush_saves()
    again = Project(image_folder, label_dir=window.project.label_dir)
    assert again.entries[0].state == ImageState.PRELABELLED  # and so it reopens
