"""The commands of editing and viewing the open document: undo and redo, the tools (one per
entry of the tool table), brush size, classes, fill gaps, done; zoom and the overlay; save,
quit and the shortcut list. Entries of the command table (:mod:`app.session.commands`)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from PySide6 import QtWidgets

from .canvas import Canvas
from .document.label_document import ImageState
from .document.overlay import OverlayMode
from .document.tool_table import TOOLS, ToolSpec
from .menus import shortcuts_help
from .session import Command, Menu, Session
from .toolbar import EditToolBar
from .ui import Ui

#: The menus on the bar, in order; the controllers put their commands and submenus in them.
MENU_BAR = (
    Menu("file", "&File"),
    Menu("edit", "&Edit"),
    Menu("view", "&View"),
    Menu("image", "&Image"),
    Menu("video", "Vi&deo"),
    Menu("model", "&Model"),
    Menu("help", "&Help"),
)


def edit_commands(
    session: Session, canvas: Canvas, toolbar: EditToolBar, ui: Ui, quit_app: Callable[[], object]
) -> list[Command | Menu]:
    editor = session.editor

    def has_doc() -> bool:
        return session.doc is not None

    def stack():
        return session.doc.undo_stack if session.doc is not None else None

    def can(redo: bool) -> bool:
        s = stack()
        # (not ``s and ...``: a stack whose steps are all undone has length 0, so is falsy)
        return s is not None and (s.can_redo if redo else s.can_undo)

    def step_title(redo: bool) -> str:
        s = stack()
        verb = "&Redo" if redo else "&Undo"
        if s is None or not can(redo):
            return verb
        return f"{verb} {s.redo_name if redo else s.undo_name}"

    def undo(redo: bool) -> None:
        if session.doc is not None:
            session.doc.redo() if redo else session.doc.undo()

    def fill_gaps() -> None:
        if not editor.fill_gaps():
            ui.notify("No unlabelled pixels to fill", "status")

    def overlay(mode: OverlayMode) -> None:
        toolbar.set_mode(mode)
        doc = session.doc
        if mode == OverlayMode.CONFIDENCE and (doc is None or doc.confidence is None):
            ui.notify("No confidence map for this image: pre-label it first", "status")

    def is_done() -> bool:
        return session.doc is not None and session.doc.state == ImageState.DONE

    commands: list[Command | Menu] = [
        Command(
            "file.save",
            "&Save Now",
            session.save_now,
            "file",
            "2_save",
            ("Ctrl+S",),
            "Labels are saved automatically after every stroke; this forces it",
        ),
        Command("file.quit", "&Quit", quit_app, "file", "9_quit", ("Ctrl+Q",)),
        Command(
            "edit.undo",
            lambda: step_title(False),
            lambda: undo(False),
            "edit",
            "1_undo",
            ("Ctrl+Z",),
            enabled=lambda: can(False),
        ),
        Command(
            "edit.redo",
            lambda: step_title(True),
            lambda: undo(True),
            "edit",
            "1_undo",
            ("Ctrl+Shift+Z", "Ctrl+Y"),
            enabled=lambda: can(True),
        ),
        Menu("edit.tools", "&Tools", "edit", "2_tools", enabled=lambda: True),
        Command("edit.smaller", "Smaller Brush", lambda: editor.grow_brush(-1), "edit", "2_tools", ("[",)),
        Command("edit.larger", "Larger Brush", lambda: editor.grow_brush(+1), "edit", "2_tools", ("]",)),
        Command(
            "edit.fill_gaps",
            "Fill Unlabelled &Gaps",
            fill_gaps,
            "edit",
            "3_fill",
            ("Ctrl+Shift+G",),
            "Give every unlabelled pixel the class of its nearest neighbour",
            enabled=has_doc,
        ),
        Command("view.fit", "&Fit to Window", canvas.fit_to_window, "view", "1_zoom", ("Ctrl+0",)),
        Command(
            "view.zoom_in", "Zoom &In", lambda: canvas.zoom(1.25), "view", "1_zoom", ("Ctrl++", "Ctrl+=")
        ),
        Command("view.zoom_out", "Zoom &Out", lambda: canvas.zoom(0.8), "view", "1_zoom", ("Ctrl+-",)),
        Command("view.overlay", "Hide/Show &Overlay", toolbar.toggle_overlay, "view", "2_overlay", ("V",)),
        Command(
            "image.done",
            lambda: f"Mark {session.mode.noun.title() if session.mode else 'Image'} &Done",
            session.toggle_done,
            "image",
            "2_state",
            ("Ctrl+Return", "Ctrl+Enter"),
            "Finished: the learning mode learns from the images you mark done",
            enabled=has_doc,
            checked=is_done,
        ),
        Command(
            "help.shortcuts",
            "&Keyboard Shortcuts",
            lambda: QtWidgets.QMessageBox.information(ui.parent, "Keyboard Shortcuts", shortcuts_help()),
            "help",
            "",
            ("F1",),
        ),
    ]

    def tool(spec: ToolSpec) -> Command:
        return Command(
            f"tool.{spec.id}",
            spec.label,
            functools.partial(editor.set_tool, spec.id),
            "edit.tools",
            shortcuts=(spec.shortcut,),
            tip=f"{spec.label} ({spec.shortcut}): {spec.tip}",
            checked=lambda: editor.tool == spec.id,
            radio="tools",
        )

    def overlay_mode(k: int, mode: OverlayMode) -> Command:
        return Command(
            f"view.overlay.{mode.value}",
            mode.label,
            functools.partial(overlay, mode),
            "view",
            "3_modes",
            (f"Ctrl+{k}",),
            checked=lambda: canvas.mode == mode,
            radio="overlay",
        )

    def pick_class(class_id: int) -> Command:
        """1..9, 0 pick the first ten classes, Alt+1..Alt+0 the next ten; no menu entry."""
        key = str((class_id + 1) % 10)
        shortcut = key if class_id < 10 else f"Alt+{key}"
        return Command(
            f"class.{class_id + 1}",
            f"Class {class_id + 1}",
            functools.partial(editor.set_class, class_id),
            shortcuts=(shortcut,),
        )

    commands += [tool(spec) for spec in TOOLS]
    commands += [overlay_mode(k, mode) for k, mode in enumerate(OverlayMode, start=1)]
    commands += [pick_class(class_id) for class_id in range(20)]
    return commands
