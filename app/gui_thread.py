"""Carries the job runner's events from worker threads to the GUI thread."""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtCore


class GuiPoster(QtCore.QObject):
    """``post(fn)`` runs ``fn`` on this object's (the GUI) thread at the next event-loop turn,
    even when called from the GUI thread itself, so a caller can connect to a job it has just
    submitted before any of its events arrive."""

    _call = QtCore.Signal(object)

    def __init__(self, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self._call.connect(self._run, QtCore.Qt.ConnectionType.QueuedConnection)

    def post(self, fn: Callable[[], None]) -> None:
        self._call.emit(fn)

    @QtCore.Slot(object)
    def _run(self, fn: Callable[[], None]) -> None:
        fn()
