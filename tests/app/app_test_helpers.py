"""Shared helpers for the app tests (reference maths written independently of the app)."""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtTest import QTest

from app.document.classes import ClassTable

Qt = QtCore.Qt
SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "samples" / "camvid_0016E5_08085.jpg"


class FakePredictor:
    """Deterministic and instant: sky over building over road, unsure along the borders.
    ``device`` mimics torch's; set ``fail_on_gpu`` to simulate a CUDA error."""

    def __init__(self, device="cpu", delay=0.0, fail_on_gpu=False):
        camvid = ClassTable.default()
        self.class_names = list(camvid.names)
        self.palette = np.array(camvid.colors, np.uint8)
        self.ignore_index = camvid.ignore_index
        self.delay = delay
        self.fail_on_gpu = fail_on_gpu
        self.threads: list[str] = []
        self.calls = 0
        self._set(device)

    def _set(self, device):
        self.device = SimpleNamespace(type=device)
        self.device_name = "Fake GPU 9000" if device == "cuda" else "CPU"

    def to(self, device):
        self._set(device)
        return self

    def predict(self, image):
        self.calls += 1
        self.threads.append(threading.current_thread().name)
        if self.delay:
            time.sleep(self.delay)
        if self.fail_on_gpu and self.device.type == "cuda":
            raise RuntimeError("CUDA error: out of memory\nmore details")
        h, w = image.shape[:2]
        labels = np.full((h, w), 3, np.uint8)  # road
        labels[: h // 3] = 0  # sky
        labels[h // 3 : 2 * h // 3] = 1  # building
        conf = np.full((h, w), 0.95, np.float32)
        conf[h // 3 - 3 : h // 3 + 3] = 0.3  # unsure along a border
        return SimpleNamespace(labels=labels, confidence=conf)


def expected_disk(shape, cx, cy, diameter):
    """Pixels whose centre lies within d/2 of (cx, cy), plus the pixel under it: brute force."""
    h, w = shape
    r = max(diameter, 1) / 2
    ii, jj = np.mgrid[0:h, 0:w]
    out = (jj + 0.5 - cx) ** 2 + (ii + 0.5 - cy) ** 2 <= r * r
    j, i = math.floor(cx), math.floor(cy)
    if 0 <= j < w and 0 <= i < h:
        out[i, j] = True
    return out


def _send(widget, kind, pos, button, buttons, modifiers=Qt.KeyboardModifier.NoModifier):
    local = QtCore.QPointF(pos)
    ev = QtGui.QMouseEvent(kind, local, widget.mapToGlobal(local), button, buttons, modifiers)
    QtWidgets.QApplication.sendEvent(widget, ev)


def drag(canvas, points, modifiers=Qt.KeyboardModifier.NoModifier):
    """Press at the first viewport point, move through the others with the left button held,
    release at the last."""
    vp = canvas.viewport()
    left = Qt.MouseButton.LeftButton
    _send(vp, QtCore.QEvent.Type.MouseButtonPress, points[0], left, left, modifiers)
    for p in points[1:]:
        _send(vp, QtCore.QEvent.Type.MouseMove, p, Qt.MouseButton.NoButton, left, modifiers)
    _send(vp, QtCore.QEvent.Type.MouseButtonRelease, points[-1], left, Qt.MouseButton.NoButton, modifiers)


def hover(canvas, point):
    """Move the mouse to a viewport point with no button held."""
    none = Qt.MouseButton.NoButton
    _send(canvas.viewport(), QtCore.QEvent.Type.MouseMove, point, none, none)


def click(canvas, point, modifiers=Qt.KeyboardModifier.NoModifier):
    drag(canvas, [point], modifiers)


def key(widget, key, modifiers=Qt.KeyboardModifier.NoModifier):
    QTest.keyClick(widget, key, modifiers)


def synthetic_image(h=120, w=160, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
