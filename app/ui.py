"""What a controller may use of the window, as a small typed protocol: the questions it asks,
the widget its dialogs and child objects sit on, and the ways it tells the person something.
Controllers take this and the session, never the window (which implements it with
:class:`WindowUi`)."""

from __future__ import annotations

from typing import Protocol

from PySide6 import QtWidgets

from .dialogs import Dialogs
from .notice import NoticeBar


class Ui(Protocol):
    @property
    def dialogs(self) -> Dialogs: ...

    @property
    def parent(self) -> QtWidgets.QWidget: ...

    def notify(self, text: str, level: str = "info", key: str | None = None) -> None:
        """A message the person must see (the notice bar above the canvas); one with a
        ``key`` replaces the last with that key. ``level`` "status": a passing status line."""
        ...

    def dismiss(self, key: str) -> None:
        """The notice with ``key`` no longer applies."""
        ...


class WindowUi:
    """The window's notice bar and status bar, its dialogs, and itself as the parent."""

    def __init__(
        self, parent: QtWidgets.QWidget, notice: NoticeBar, status: QtWidgets.QStatusBar, dialogs: Dialogs
    ):
        self._parent = parent
        self._notice = notice
        self._status = status
        self._dialogs = dialogs

    @property
    def dialogs(self) -> Dialogs:
        return self._dialogs

    @property
    def parent(self) -> QtWidgets.QWidget:
        return self._parent

    def notify(self, text: str, level: str = "info", key: str | None = None) -> None:
        if level == "status":
            self._status.showMessage(text, 4000)
            return
        self._notice.show_message(text, level, key=key)
        self._status.showMessage(text.split(". ")[0], 8000)

    def dismiss(self, key: str) -> None:
        self._notice.dismiss(key)
