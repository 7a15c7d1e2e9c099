"""Shared helpers for the app tests (reference maths written independently of the app)."""

from __future__ import annotations

import math

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtTest import QTest

Qt = QtCore.Qt


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


def click(canvas, point, modifiers=Qt.KeyboardModifier.NoModifier):
    drag(canvas, [point], modifiers)


def key(widget, key, modifiers=Qt.KeyboardModifier.NoModifier):
    QTest.keyClick(widget, key, modifiers)


def synthetic_image(h=120, w=160, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
