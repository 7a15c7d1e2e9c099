"""A message bar above the canvas: errors and warnings the user must see, without a modal
dialog stopping their work."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

STYLES = {
    "error": "background:#5c1f24; color:#ffd9dc; border:1px solid #b3404a;",
    "warning": "background:#5a4a16; color:#fff1c2; border:1px solid #b39226;",
    "info": "background:#1f3b5c; color:#d9ecff; border:1px solid #406ab3;",
}


class NoticeBar(QtWidgets.QFrame):
    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("noticeBar")
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self.label = QtWidgets.QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QtWidgets.QToolButton()
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.setAutoRaise(True)
        close.clicked.connect(self.hide)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.level = "info"
        self._messages: list[tuple[str, str, str | None]] = []
        self._timer = QtCore.QTimer(self, singleShot=True)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def show_message(
        self, text: str, level: str = "info", timeout_ms: int | None = None, key: str | None = None
    ) -> None:
        """Show ``text``; while the bar is open, earlier messages stay above it (the last
        three), and the colour is that of the most serious one. A message with a ``key``
        replaces the previous one with that key, and :meth:`dismiss` removes it."""
        if not self.isVisible():
            self._messages = []
        self._messages = [m for m in self._messages if m[0] != text and (key is None or m[2] != key)][-2:] + [
            (text, level, key)
        ]
        self._render(timeout_ms)

    def dismiss(self, key: str) -> None:
        kept = [m for m in self._messages if m[2] != key]
        if len(kept) != len(self._messages):
            self._messages = kept
            if kept:
                self._render(None)
            else:
                self.hide()

    def _render(self, timeout_ms: int | None) -> None:
        order = ("info", "warning", "error")
        self.level = max((m[1] for m in self._messages), key=order.index)
        self.setStyleSheet(
            f"#noticeBar {{{STYLES[self.level]} border-radius:4px;}} "
            f"QLabel, QToolButton {{color:inherit; background:transparent; border:none;}}"
        )
        self.label.setText("\n".join(m[0] for m in self._messages))
        self.show()
        if timeout_ms is None:
            timeout_ms = 10000 if self.level == "info" else 0
        if timeout_ms:
            self._timer.start(timeout_ms)
        else:
            self._timer.stop()

    @property
    def text(self) -> str:
        return self.label.text()
