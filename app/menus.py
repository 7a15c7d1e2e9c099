"""The main window's actions, shortcuts and menus (owned by
:class:`~app.main_window.MainWindow` as ``window.menus``)."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtGui, QtWidgets

from . import actions, io_actions, refine_edge
from .document.label_document import ImageState
from .document.overlay import OverlayMode
from .document.tool_table import TOOLS
from .video import video_menu

SHORTCUTS_HELP = """<table>
<tr><td><b>A</b> / <b>D</b></td><td>previous / next image (Shift+D: next unfinished)</td></tr>
<tr><td><b>1</b>…<b>9</b>, <b>0</b></td><td>classes 1–10 (Alt+1…0: classes 11–20)</td></tr>
{tools}
<tr><td><b>[</b> / <b>]</b>, Ctrl+wheel</td><td>smaller / larger brush</td></tr>
<tr><td>Ctrl+Shift+G</td><td>fill unlabelled gaps from the neighbouring classes</td></tr>
<tr><td>Alt+click</td><td>pick the class under the cursor</td></tr>
<tr><td>Wheel, Space+drag, middle drag</td><td>zoom, pan</td></tr>
<tr><td>Ctrl+0</td><td>fit to window</td></tr>
<tr><td><b>V</b></td><td>hide / show the overlay</td></tr>
<tr><td>Ctrl+1 / 2 / 3</td><td>classes / boundaries only / model confidence</td></tr>
<tr><td>Ctrl+Z; Ctrl+Y or Ctrl+Shift+Z</td><td>undo; redo (a step per stroke)</td></tr>
<tr><td>Ctrl+Enter</td><td>mark the image done (or not)</td></tr>
<tr><td>Ctrl+L, Ctrl+Shift+L</td><td>pre-label this image, the whole folder</td></tr>
<tr><td>Left / Right, <b>,</b> / <b>.</b></td><td>video: previous / next frame (A / D too;
Shift: one second)</td></tr>
<tr><td><b>K</b>, Home / End, Ctrl+J</td><td>video: play / pause, first / last frame, jump to a
frame</td></tr>
<tr><td>Ctrl+Alt+O, Ctrl+Alt+L, Ctrl+Alt+P</td><td>open a video, pre-label it, propagate a
correction</td></tr>
<tr><td>Ctrl+Alt+E</td><td>Refine Edge: a soft cut-out of a class (alpha matting)</td></tr>
</table>"""


class WindowMenus:
    """Builds every QAction of the window (with its shortcut) and the menu bar, and keeps
    them enabled after what is open."""

    def __init__(self, window: QtWidgets.QMainWindow) -> None:
        self.window = window
        self._build_actions()
        self._build_menus()

    def _action(
        self, text: str, slot, shortcut=None, tip: str | None = None, checkable: bool = False
    ) -> QtGui.QAction:
        action = QtGui.QAction(text, self.window, checkable=checkable)
        if shortcut is not None:
            shortcuts = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([QtGui.QKeySequence(s) for s in shortcuts])
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.window.addAction(action)  # shortcuts work even with the menus hidden
        return action

    def _build_actions(self) -> None:
        K = QtGui.QKeySequence.StandardKey
        a = self._action
        self.act_open_image = a("Open &Image…", self.window.images.choose_image, K.Open)
        self.act_open_folder = a("Open &Folder…", self.window.images.choose_folder, "Ctrl+Shift+O")
        self.act_save = a(
            "&Save Now",
            self.window.save_now,
            K.Save,
            "Labels are saved automatically after every stroke; this forces it",
        )
        self.act_quit = a("&Quit", self.window.close, K.Quit)
        self.act_undo = a("&Undo", lambda: self.window.session.doc and self.window.session.doc.undo(), K.Undo)
        self.act_redo = a(
            "&Redo",
            lambda: self.window.session.doc and self.window.session.doc.redo(),
            [K.Redo, "Ctrl+Y", "Ctrl+Shift+Z"],
        )
        self.act_fill_gaps = a(
            "Fill Unlabelled &Gaps",
            self._fill_gaps,
            "Ctrl+Shift+G",
            "Give every unlabelled pixel the class of its nearest neighbour",
        )
        self.act_done = a(
            "Mark Image &Done", self.window.session.toggle_done, ["Ctrl+Return", "Ctrl+Enter"], checkable=True
        )
        self.act_refine_edge = a(
            "&Refine Edge…",
            lambda: refine_edge.open_panel(self.window),
            "Ctrl+Alt+E",
            "Soft alpha matte of a class for cut-outs (the labels stay hard)",
        )
        self.act_prev = a("&Previous Image", lambda: self.window.images.step(-1), "A")
        self.act_next = a("&Next Image", lambda: self.window.images.step(+1), "D")
        self.act_next_open = a("Next &Unfinished Image", self.window.images.next_unfinished, "Shift+D")
        self.act_fit = a("&Fit to Window", self.window.canvas.fit_to_window, "Ctrl+0")
        self.act_zoom_in = a("Zoom &In", lambda: self.window.canvas.zoom(1.25), [K.ZoomIn, "Ctrl+="])
        self.act_zoom_out = a("Zoom &Out", lambda: self.window.canvas.zoom(0.8), K.ZoomOut)
        self.act_toggle_overlay = a("Hide/Show &Overlay", self.window.toolbar.toggle_overlay, "V")
        self.mode_actions = {}
        group = QtGui.QActionGroup(self.window)
        for k, mode in enumerate(OverlayMode, start=1):
            act = a(
                mode.label,
                lambda _=False, m=mode: self.window.toolbar.set_mode(m),
                f"Ctrl+{k}",
                checkable=True,
            )
            group.addAction(act)
            self.mode_actions[mode] = act
        self.mode_actions[OverlayMode.FILL].setChecked(True)
        self.window.toolbar.mode_combo.currentIndexChanged.connect(self._on_overlay_mode)
        self.act_smaller = a("Smaller Brush", lambda: self.window.editor.grow_brush(-1), "[")
        self.act_larger = a("Larger Brush", lambda: self.window.editor.grow_brush(+1), "]")
        for class_id in range(20):
            key = str((class_id + 1) % 10)
            seq = key if class_id < 10 else f"Alt+{key}"
            shortcut = QtGui.QShortcut(QtGui.QKeySequence(seq), self.window)
            shortcut.activated.connect(lambda c=class_id: self.window.editor.set_class(c))
        flow = self.window.prelabel
        self.act_load_model = a("&Load Model…", flow.choose_model)
        self.act_default_model = a("Use the &Default Model", lambda: flow.load_model(None))
        self.act_prelabel = a("Pre-label This &Image", flow.prelabel_current, "Ctrl+L")
        self.act_prelabel_folder = a("Pre-label the Whole &Folder", flow.prelabel_folder, "Ctrl+Shift+L")
        self.act_cancel_prelabel = a("&Cancel Pre-labelling", flow.cancel)
        self.act_auto_prelabel = a(
            "Pre-label New Images When Opened", self.window.settings.set_auto_prelabel, checkable=True
        )
        self.act_auto_prelabel.setChecked(self.window.settings.auto_prelabel())
        self.act_cpu_only = a("Use the CPU Only", flow.set_cpu_only, checkable=True)
        self.act_cpu_only.setChecked(self.window.device == "cpu")
        self.act_shortcuts = a("&Keyboard Shortcuts", self.show_shortcuts, K.HelpContents)
        self.window.finetuning.build_actions(self._action)
        video_menu.build_actions(self.window.videos, self._action)

    def _build_menus(self) -> None:
        mb = self.window.menuBar()
        file_menu = mb.addMenu("&File")
        file_menu.addActions(
            [
                self.act_open_image,
                self.act_open_folder,
                self.window.videos.act_open_video,
                self.window.videos.act_open_sequence,
            ]
        )
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.act_save)
        io_actions.register()
        self.import_menu = file_menu.addMenu("&Import")
        self.export_menu = file_menu.addMenu("&Export")
        for menu, entries in ((self.import_menu, actions.IMPORTERS), (self.export_menu, actions.EXPORTERS)):
            menu.aboutToShow.connect(lambda m=menu, e=entries: actions.fill_menu(m, self.window, e))
            actions.fill_menu(menu, self.window, entries)
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)

        edit = mb.addMenu("&Edit")
        edit.addActions([self.act_undo, self.act_redo])
        edit.addSeparator()
        tools = edit.addMenu("&Tools")
        tools.addActions(list(self.window.tool_palette.tool_actions.values()))
        edit.addActions([self.act_smaller, self.act_larger])
        edit.addSeparator()
        edit.addAction(self.act_fill_gaps)

        view = mb.addMenu("&View")
        view.addActions([self.act_fit, self.act_zoom_in, self.act_zoom_out])
        view.addSeparator()
        view.addAction(self.act_toggle_overlay)
        view.addActions(list(self.mode_actions.values()))

        image = mb.addMenu("&Image")
        image.addActions([self.act_prev, self.act_next, self.act_next_open])
        image.addSeparator()
        image.addAction(self.act_done)
        image.addAction(self.act_refine_edge)
        video_menu.build_menu(self.window.videos, mb)

        model = mb.addMenu("&Model")
        model.addActions([self.act_prelabel, self.act_prelabel_folder, self.act_cancel_prelabel])
        model.addSeparator()
        model.addActions([self.act_load_model, self.act_default_model])
        model.addSeparator()
        model.addActions([self.act_auto_prelabel, self.act_cpu_only])
        self.window.finetuning.add_menu(model)

        help_menu = mb.addMenu("&Help")
        help_menu.addAction(self.act_shortcuts)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        folders = self.window.settings.recent_folders()
        for folder in folders:
            act = self.recent_menu.addAction(folder)
            act.triggered.connect(lambda _=False, f=folder: self.window.images.open_folder(Path(f)))
        if not folders:
            self.recent_menu.addAction("No recent folders").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear the List").triggered.connect(
                self.window.settings.clear_recent_folders
            )

    def _on_overlay_mode(self, _index: int) -> None:
        window = self.window
        mode = window.canvas.mode
        self.mode_actions[mode].setChecked(True)
        doc = window.session.doc
        if mode == OverlayMode.CONFIDENCE and (doc is None or doc.confidence is None):
            window.statusBar().showMessage("No confidence map for this image: pre-label it first", 5000)
        window._session_timer.start()

    def _fill_gaps(self) -> None:
        if not self.window.editor.fill_gaps():
            self.window.statusBar().showMessage("No unlabelled pixels to fill", 3000)

    def show_shortcuts(self) -> None:
        QtWidgets.QMessageBox.information(self.window, "Keyboard Shortcuts", shortcuts_help())

    def update(self) -> None:
        """Enable, tick and name the actions after what the window has open and runs."""
        session = self.window.session
        doc, model = session.doc, session.model
        has_doc = doc is not None
        stack = doc.undo_stack if doc else None
        # (not ``stack and ...``: a stack whose steps are all undone has length 0, so is falsy)
        can_undo = stack is not None and stack.can_undo
        can_redo = stack is not None and stack.can_redo
        self.act_undo.setEnabled(can_undo)
        self.act_redo.setEnabled(can_redo)
        self.act_undo.setText(f"&Undo {stack.undo_name}" if can_undo else "&Undo")
        self.act_redo.setText(f"&Redo {stack.redo_name}" if can_redo else "&Redo")
        self.act_fill_gaps.setEnabled(has_doc)
        self.act_done.setEnabled(has_doc)
        self.act_done.setChecked(bool(doc and doc.state == ImageState.DONE))
        model_ok = model.info is not None and not model.busy
        self.act_prelabel.setEnabled(has_doc and model_ok)
        self.act_prelabel_folder.setEnabled(session.project is not None and model_ok)
        self.act_cancel_prelabel.setEnabled(self.window.prelabel.job is not None)
        for act in (
            self.act_load_model,
            self.act_default_model,
            self.act_cpu_only,
            self.window.finetuning.versions_menu.menuAction(),
        ):
            act.setEnabled(not model.busy)  # never swap the model under a running job
        mode = session.mode
        self.window.setWindowTitle(mode.title(doc) if mode is not None else "SRCRM Studio")
        if mode is not None and not mode.image_commands:
            for act in (self.act_prelabel, self.act_prelabel_folder, self.act_done, self.act_next_open):
                act.setEnabled(False)
        self.window.videos.update_actions()


def shortcuts_help() -> str:
    """The Help > Keyboard Shortcuts table; the tool rows come from the tool table."""
    tools = "\n".join(
        f"<tr><td><b>{spec.shortcut}</b></td><td>{spec.label.lower()}</td></tr>" for spec in TOOLS
    )
    return SHORTCUTS_HELP.format(tools=tools)
