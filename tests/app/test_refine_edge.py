"""Image > Refine Edge as a user drives it: the matte of a class with a known soft edge,
previews over backdrops, cancel, exports, and a label map that stays hard."""

from __future__ import annotations

import cv2
import numpy as np
from app_test_helpers import FakePredictor
from PySide6 import QtCore, QtGui, QtWidgets

from app.document.geometry import Rect
from app.refine_edge import kept_path
from app.refine_edge.preview import background

Qt = QtCore.Qt

RED, BLUE = np.array([200, 30, 30]), np.array([20, 40, 180])
SKY, ROAD = 0, 3


def soft_edge_image(folder):
    """120x160: red on the left, blue on the right, a 10 px blend; returns the true alpha."""
    alpha = np.clip((85 - np.arange(160)) / 10, 0, 1)[None].repeat(120, 0)
    rgb = np.rint(alpha[..., None] * RED + (1 - alpha[..., None]) * BLUE).astype(np.uint8)
    folder.mkdir()
    cv2.imwrite(str(folder / "edge.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return folder / "edge.png", alpha


def drag_on_preview(label, image_points):
    """Press, move and release the left button over ``label`` at these image pixels."""
    h, w = label._image.shape[:2]
    scale = min(label.width() / w, label.height() / h)
    left, top = (label.width() - w * scale) / 2, (label.height() - h * scale) / 2
    pos = [QtCore.QPointF(left + x * scale, top + y * scale) for x, y in image_points]
    E, held, none = QtCore.QEvent.Type, Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    steps = [(E.MouseButtonPress, pos[0], held, held)]
    steps += [(E.MouseMove, p, none, held) for p in pos[1:]]
    steps += [(E.MouseButtonRelease, pos[-1], held, none)]
    for kind, p, button, buttons in steps:
        event = QtGui.QMouseEvent(
            kind, p, label.mapToGlobal(p), button, buttons, Qt.KeyboardModifier.NoModifier
        )
        QtWidgets.QApplication.sendEvent(label, event)


def open_panel(make_window, qtbot, tmp_path):
    path, truth = soft_edge_image(tmp_path / "images")
    window = make_window(path, predictor=FakePredictor(), auto_prelabel=False)
    qtbot.waitUntil(lambda: window.doc is not None, timeout=30000)
    hard = np.where(truth > 0.5, SKY, ROAD).astype(np.uint8)
    window.doc.set_region(Rect(0, 0, 160, 120), hard, "test labels")
    window.editor.set_class(SKY)
    window.menus.action("image.refine_edge").trigger()
    return window, window.refine_edge.panel, truth, hard


def test_refine_keeps_a_soft_matte_beside_hard_labels_and_exports_it(make_window, qtbot, tmp_path, dialogs):
    window, panel, truth, hard = open_panel(make_window, qtbot, tmp_path)
    assert panel.isVisible() and panel.class_box.currentText() == window.project.classes.name(SKY)
    panel.band.setValue(10)
    job = panel.start()
    # Generous: in a fresh environment the first matting call compiles pymatting's numba kernels.
    qtbot.waitUntil(lambda: panel.job is None, timeout=240000)
    assert not job.cancelled and panel.progress.value() == 100
    assert np.abs(panel.matte.alpha - truth).max() < 0.04  # the true soft edge
    visible = truth > 0.1
    assert np.abs(panel.matte.foreground[visible].astype(int) - RED).max() <= 12  # no blue fringe
    np.testing.assert_array_equal(window.doc.labels, hard)  # the labels stay hard
    kept = cv2.imread(str(kept_path(window.project, window.doc.path, SKY)), cv2.IMREAD_UNCHANGED)
    assert np.abs(kept[..., 3] / 255 - truth).max() < 0.04

    # previews: the cut-out over each backdrop
    for kind, corner in (("black", (0, 0, 0)), ("white", (255, 255, 255)), ("colour", (255, 0, 255))):
        if kind == "colour":
            panel.backdrop.setCurrentIndex(panel.backdrop.findData("colour"))
            panel.pick_colour.click()  # FakeDialogs answers magenta
        panel.backdrop.setCurrentIndex(panel.backdrop.findData(kind))
        shown = panel.preview._image
        assert tuple(shown[0, -1]) == corner and tuple(shown[0, 0]) == tuple(RED)
    panel.backdrop.setCurrentIndex(panel.backdrop.findData("checkerboard"))
    assert (panel.preview._image[:, -20:] == background("checkerboard", (120, 160))[:, -20:]).all()

    # exports: straight-alpha RGBA (cropped to the visible part) and the matte at full size
    cut, matte = tmp_path / "cut.png", tmp_path / "matte.png"
    dialogs.save_file = lambda *a: str(cut)
    panel.export_cut.click()
    dialogs.save_file = lambda *a: str(matte)
    panel.export_alpha.click()
    bgra = cv2.imread(str(cut), cv2.IMREAD_UNCHANGED)
    assert bgra.shape[0] == 120 and 85 <= bgra.shape[1] < 100  # cropped to the visible part
    assert (bgra[:, :70, 3] == 255).all() and (bgra[:, :70, :3] == RED[::-1]).all()
    grey = cv2.imread(str(matte), cv2.IMREAD_UNCHANGED)
    assert grey.shape == (120, 160) and np.abs(grey / 255 - truth).max() < 0.04

    # reopening finds the kept result
    window.refine_edge.panel = None
    window.menus.action("image.refine_edge").trigger()
    assert np.abs(window.refine_edge.panel.matte.alpha - truth).max() < 0.04


def test_the_refine_brush_widens_the_band_and_cancel_keeps_nothing(make_window, qtbot, tmp_path):
    window, panel, _, _ = open_panel(make_window, qtbot, tmp_path)
    panel.band.setValue(2)
    band = lambda: int((panel.preview._image != window.doc.image).any(2).sum())
    before = band()
    panel.brush.setChecked(True)
    drag_on_preview(panel.preview, [(60, 60), (85, 60), (110, 60)])
    assert panel.widen.any() and band() > before

    job = panel.start()
    panel.cancel()
    qtbot.waitUntil(lambda: panel.job is None, timeout=240000)
    assert job.cancelled and panel.matte is None
    assert "Cancelled" in panel.status.text()
    assert not kept_path(window.project, window.doc.path, SKY).exists()


def test_progress_names_its_stages_and_cancel_answers_within_half_a_second(
    make_window, qtbot, tmp_path, monkeypatch
):
    """Even in a step that cannot be interrupted (here decontamination, made slow; the
    matrix build and the one-time compile are the same), Cancel ends the job at once."""
    import sys
    import time

    refine_module = sys.modules["srcrm.matting.refine"]
    monkeypatch.setattr(refine_module, "decontaminate", lambda image, alpha: time.sleep(5) or image.copy())
    window, panel, _, _ = open_panel(make_window, qtbot, tmp_path)
    job = panel.start()
    qtbot.waitUntil(lambda: "Cleaning the edge colours" in panel.status.text(), timeout=60000)
    assert 0 < panel.progress.value() < 100
    cancelled_at = time.monotonic()
    panel.cancel_button.click()
    qtbot.waitUntil(lambda: panel.job is None, timeout=5000)
    assert time.monotonic() - cancelled_at < 0.5
    assert job.cancelled and "Cancelled" in panel.status.text() and panel.run_button.isEnabled()
