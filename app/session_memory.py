"""What a restart brings back: the folder or video and the image in it, the view, the tool,
brush size, class, protected class, overlay opacity and mode, kept in the app's settings.

It follows what changes them (a document shown, the view moved, a tool or class picked, the
overlay changed, the classes edited) and writes them a moment after the last change, with what
the open folder or video keeps beside its labels (its last image or frame, its classes)."""

from __future__ import annotations

from PySide6 import QtCore

from .canvas import Canvas
from .class_panel import ClassPanel
from .document.overlay import OverlayMode
from .session import Session
from .settings import AppSettings
from .toolbar import EditToolBar

DELAY_MS = 800


class SessionMemory:
    def __init__(
        self,
        settings: AppSettings,
        session: Session,
        canvas: Canvas,
        toolbar: EditToolBar,
        class_panel: ClassPanel,
    ) -> None:
        self.settings = settings
        self.session = session
        self.canvas = canvas
        self.toolbar = toolbar
        self.class_panel = class_panel
        self._timer = QtCore.QTimer(singleShot=True, interval=DELAY_MS)
        self._timer.timeout.connect(self.save)
        for source in (
            session.document_changed,
            session.editor.changed,
            canvas.view_changed,
            toolbar.opacity_slider.valueChanged,
            toolbar.mode_combo.currentIndexChanged,
        ):
            source.connect(self.schedule)
        session.mode_changed.connect(self._on_mode_changed)

    def schedule(self, *_args: object) -> None:
        """Save a moment after the last of a burst of changes."""
        self._timer.start()

    def _on_mode_changed(self, mode) -> None:
        if mode is not None:
            mode.classes.changed.connect(self.schedule)

    def state(self) -> dict:
        session, ed = self.session, self.session.editor
        mode = session.mode
        where = (
            mode.session_fields(session.doc)
            if mode is not None
            else {"folder": None, "video": None, "image": None}
        )
        return {
            **where,
            "view": self.canvas.view_rect() if session.doc else None,
            "tool": ed.tool,
            "brush_size": ed.brush_size,
            "class_id": ed.current_class,
            "protect_target": ed.protect_target,
            "opacity": self.canvas.opacity(),
            "mode": self.canvas.mode.value,
        }

    def save(self) -> None:
        self._timer.stop()
        self.settings.save_session(self.state())
        mode = self.session.mode
        if mode is not None and not self.session.closed:
            try:
                mode.save_meta()
            except OSError:
                pass  # the labels themselves report their own save errors

    def apply_tools(self, saved: dict) -> None:
        """The tool, brush, classes and overlay of a saved session (bad values are skipped)."""
        ed = self.session.editor
        try:
            ed.set_tool(str(saved.get("tool", ed.tool)))
        except ValueError:
            pass
        ed.set_brush_size(saved.get("brush_size", ed.brush_size))
        if isinstance(saved.get("class_id"), int):
            ed.current_class = saved["class_id"]
        target = saved.get("protect_target")
        ed.set_protect_target(target if isinstance(target, int) else None)
        if isinstance(saved.get("opacity"), (int, float)):
            self.toolbar.set_opacity(float(saved["opacity"]))
        try:
            self.toolbar.set_mode(OverlayMode(saved.get("mode", "fill")))
        except ValueError:
            pass
        self.class_panel.set_current(ed.current_class)
