"""A class's colour as a small framed square, for lists and menus."""

from __future__ import annotations

from PySide6 import QtGui


def swatch(rgb: tuple[int, int, int], size: int = 14) -> QtGui.QIcon:
    pix = QtGui.QPixmap(size, size)
    pix.fill(QtGui.QColor(*rgb))
    p = QtGui.QPainter(pix)
    p.setPen(QtGui.QColor(0, 0, 0, 160))
    p.drawRect(0, 0, size - 1, size - 1)
    p.end()
    return QtGui.QIcon(pix)
