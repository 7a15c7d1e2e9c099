"""The main window: it puts the pieces together (canvas, image list, class panel, tool bar,
status bar), opens folders and images, autosaves, runs pre-labelling and remembers the session.
The data and its operations live in :mod:`app.document`; this module only wires them to Qt."""

from __future__ import annotations

import math
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from srcrm.io import ImageReadError

from app import actions
from app.canvas import Canvas
from app.class_panel import ClassPanel
from app.dialogs import OVERWRITE, Dialogs
from app.document.classes import ClassTable
from app.document.editor import Editor, Tool
from app.document.label_document import ImageState, LabelDocument
from app.document.overlay import OverlayMode
from app.document.project import IMAGE_EXTENSIONS, Project
from app.document.saver import SaveQueue
from app.image_list import ImageList
from app.notice import NoticeBar
from app.settings import SAMPLE_IMAGE, AppSettings
from app.toolbar import EditToolBar
from app.workers import Prelabeller, PrelabelResult, default_predictor_factory

SHORTCUTS_HELP = """<table>
<tr><td><b>A</b> / <b>D</b></td><td>previous / next image (Shift+D: next unfinished)</td></tr>
<tr><td><b>1</b>…<b>9</b>, <b>0</b></td><td>classes 1–10 (Alt+1…0: classes 11–20)</td></tr>
<tr><td><b>B</b> <b>R</b> <b>E</b></td><td>brush, protected brush, eraser</td></tr>
<tr><td><b>F</b> <b>G</b> <b>I</b> <b>H</b></td><td>flood fill, polygon fill, eyedropper, pan</td></tr>
<tr><td><b>[</b> / <b>]</b></td><td>smaller / larger brush</td></tr>
<tr><td>Alt+click</td><td>pick the class under the cursor</td></tr>
<tr><td>Wheel, Space+drag, middle drag</td><td>zoom, pan</td></tr>
<tr><td>Ctrl+0</td><td>fit to window</td></tr>
<tr><td><b>V</b></td><td>hide / show the overlay</td></tr>
<tr><td>Ctrl+1 / 2 / 3</td><td>classes / boundaries only / model confidence</td></tr>
<tr><td>Ctrl+Z, Ctrl+Shift+Z</td><td>undo, redo (a step per stroke)</td></tr>
<tr><td>Ctrl+Enter</td><td>mark the image done (or not)</td></tr>
<tr><td>Ctrl+L, Ctrl+Shift+L</td><td>pre-label this image, the whole folder</td></tr>
</table>"""


class _SaverBridge(QtCore.QObject):
    """Carries the writer thread's events to the GUI thread."""

    saved = QtCore.Signal(object)
    failed = QtCore.Signal(object, str)


class MainWindow(QtWidgets.QMainWindow):
    def __init__(self, settings: AppSettings, *, dialogs: Dialogs | None = None,
                 predictor_factory=None, model_path: str | None = None,
                 device: str | None = None):
        super().__init__()
        self.settings = settings
        self.dialogs = dialogs or Dialogs()
        self.editor = Editor()
        self.project: Project | None = None
        self.doc: LabelDocument | None = None
        self.current_index: int | None = None
        self.model_path = model_path if model_path is not None else settings.model_path()
        self.device = device or settings.device()
        self._model_classes: ClassTable | None = None
        self._overwrite_ok: set[Path] = set()
        self._skipped_edited = 0
        self._last_opacity = 0.5
        self._saved_revision: dict[Path, int] = {}

        self.setWindowTitle("SRCRM Studio")
        self.setAcceptDrops(True)
        self.resize(1400, 900)

        # Central area: notice bar above the canvas.
        self.canvas = Canvas(self.editor)
        self.notice = NoticeBar()
        central = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.notice)
        layout.addWidget(self.canvas, 1)
        self.setCentralWidget(central)

        self.image_list = ImageList()
        self.class_panel = ClassPanel(self.dialogs)
        self._add_dock("Images", "imagesDock", self.image_list, QtCore.Qt.DockWidgetArea.LeftDockWidgetArea)
        self._add_dock("Classes", "classesDock", self.class_panel, QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
        self.toolbar = EditToolBar(self.editor, self.canvas, self)
        self.addToolBar(self.toolbar)

        self._build_status_bar()
        self._build_actions()
        self._build_menus()

        # Autosave: a background writer, fed a snapshot after every stroke.
        self.saver = SaveQueue()
        self._saver_bridge = _SaverBridge()
        self.saver.saved.connect(self._saver_bridge.saved.emit)
        self.saver.failed.connect(lambda key, exc: self._saver_bridge.failed.emit(key, str(exc)))
        self._saver_bridge.saved.connect(self._on_saved)
        self._saver_bridge.failed.connect(self._on_save_failed)

        self.prelabeller = Prelabeller(predictor_factory or default_predictor_factory, self)
        self.prelabeller.model_ready.connect(self._on_model_ready)
        self.prelabeller.model_failed.connect(self._on_model_failed)
        self.prelabeller.progress.connect(self._on_prelabel_progress)
        self.prelabeller.result.connect(self._on_prelabel_result)
        self.prelabeller.image_failed.connect(self._on_prelabel_image_failed)
        self.prelabeller.notice.connect(lambda text: self.show_notice(text, "warning"))
        self.prelabeller.device_changed.connect(self._on_device_changed)
        self.prelabeller.finished.connect(self._on_prelabel_finished)

        self._session_timer = QtCore.QTimer(self, singleShot=True, interval=800,
                                            timeout=self.save_session)
        self.editor.changed.connect(self._on_editor_changed)
        self.editor.message.connect(lambda text: self.statusBar().showMessage(text, 3000))
        self.canvas.hovered.connect(self._on_hover)
        self.canvas.view_changed.connect(self._session_timer.start)
        self.image_list.image_chosen.connect(self.load_image)
        self.class_panel.class_chosen.connect(self.editor.set_class)
        self.toolbar.opacity_slider.valueChanged.connect(lambda _v: self._session_timer.start())
        self.toolbar.mode_combo.currentIndexChanged.connect(self._on_mode_changed)

        geometry, state = settings.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        self._update_actions()

    # --- construction -------------------------------------------------------------------------

    def _add_dock(self, title: str, name: str, widget: QtWidgets.QWidget, area) -> QtWidgets.QDockWidget:
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        widget.setMinimumWidth(220)
        return dock

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.cursor_label = QtWidgets.QLabel("")
        self.save_label = QtWidgets.QLabel("")
        self.device_label = QtWidgets.QLabel("Model: loading…")
        self.progress_bar = QtWidgets.QProgressBar()
        self.progress_bar.setMaximumWidth(220)
        self.progress_bar.setMaximumHeight(16)
        self.cancel_button = QtWidgets.QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop pre-labelling after the current image")
        self.cancel_button.clicked.connect(self.cancel_prelabel)
        for w in (self.cursor_label, self.save_label, self.progress_bar, self.cancel_button,
                  self.device_label):
            bar.addPermanentWidget(w)
        self.progress_bar.hide()
        self.cancel_button.hide()

    def _action(self, text: str, slot, shortcut=None, tip: str | None = None,
                checkable: bool = False) -> QtGui.QAction:
        action = QtGui.QAction(text, self, checkable=checkable)
        if shortcut is not None:
            shortcuts = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([QtGui.QKeySequence(s) for s in shortcuts])
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work even with the menus hidden
        return action

    def _build_actions(self) -> None:
        K = QtGui.QKeySequence.StandardKey
        a = self._action
        self.act_open_image = a("Open &Image…", self.choose_image, K.Open)
        self.act_open_folder = a("Open &Folder…", self.choose_folder, "Ctrl+Shift+O")
        self.act_save = a("&Save Now", self.save_now, K.Save,
                          "Labels are saved automatically after every stroke; this forces it")
        self.act_quit = a("&Quit", self.close, K.Quit)
        self.act_undo = a("&Undo", lambda: self.doc and self.doc.undo(), K.Undo)
        self.act_redo = a("&Redo", lambda: self.doc and self.doc.redo(), [K.Redo, "Ctrl+Y", "Ctrl+Shift+Z"])
        self.act_fill_gaps = a("Fill Unlabelled &Gaps", self.fill_gaps, "Ctrl+Shift+G",
                               "Give every unlabelled pixel the class of its nearest neighbour")
        self.act_done = a("Mark Image &Done", self.toggle_done, ["Ctrl+Return", "Ctrl+Enter"], checkable=True)
        self.act_prev = a("&Previous Image", lambda: self.step_image(-1), "A")
        self.act_next = a("&Next Image", lambda: self.step_image(+1), "D")
        self.act_next_open = a("Next &Unfinished Image", self.next_unfinished, "Shift+D")
        self.act_fit = a("&Fit to Window", self.canvas.fit_to_window, "Ctrl+0")
        self.act_zoom_in = a("Zoom &In", lambda: self.canvas.zoom(1.25), [K.ZoomIn, "Ctrl+="])
        self.act_zoom_out = a("Zoom &Out", lambda: self.canvas.zoom(0.8), K.ZoomOut)
        self.act_toggle_overlay = a("Hide/Show &Overlay", self.toggle_overlay, "V")
        self.mode_actions = {}
        group = QtGui.QActionGroup(self)
        for k, mode in enumerate(OverlayMode, start=1):
            act = a(mode.label, lambda _=False, m=mode: self.toolbar.set_mode(m), f"Ctrl+{k}", checkable=True)
            group.addAction(act)
            self.mode_actions[mode] = act
        self.mode_actions[OverlayMode.FILL].setChecked(True)
        self.act_smaller = a("Smaller Brush", lambda: self.editor.grow_brush(-1), "[")
        self.act_larger = a("Larger Brush", lambda: self.editor.grow_brush(+1), "]")
        for class_id in range(20):
            key = str((class_id + 1) % 10)
            seq = key if class_id < 10 else f"Alt+{key}"
            shortcut = QtGui.QShortcut(QtGui.QKeySequence(seq), self)
            shortcut.activated.connect(lambda c=class_id: self.editor.set_class(c))
        self.act_load_model = a("&Load Model…", self.choose_model)
        self.act_default_model = a("Use the &Default Model", lambda: self.load_model(None))
        self.act_prelabel = a("Pre-label This &Image", self.prelabel_current, "Ctrl+L")
        self.act_prelabel_folder = a("Pre-label the Whole &Folder", self.prelabel_folder, "Ctrl+Shift+L")
        self.act_cancel_prelabel = a("&Cancel Pre-labelling", self.cancel_prelabel)
        self.act_auto_prelabel = a("Pre-label New Images When Opened", self._toggle_auto_prelabel,
                                   checkable=True)
        self.act_auto_prelabel.setChecked(self.settings.auto_prelabel())
        self.act_cpu_only = a("Use the CPU Only", self._toggle_cpu, checkable=True)
        self.act_cpu_only.setChecked(self.device == "cpu")
        self.act_shortcuts = a("&Keyboard Shortcuts", self.show_shortcuts, K.HelpContents)

    def _build_menus(self) -> None:
        mb = self.menuBar()
        file_menu = mb.addMenu("&File")
        file_menu.addActions([self.act_open_image, self.act_open_folder])
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.act_save)
        self.import_menu = file_menu.addMenu("&Import")
        self.export_menu = file_menu.addMenu("&Export")
        self.import_menu.aboutToShow.connect(lambda: actions.fill_menu(self.import_menu, self, actions.IMPORTERS))
        self.export_menu.aboutToShow.connect(lambda: actions.fill_menu(self.export_menu, self, actions.EXPORTERS))
        actions.fill_menu(self.import_menu, self, actions.IMPORTERS)
        actions.fill_menu(self.export_menu, self, actions.EXPORTERS)
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)

        edit = mb.addMenu("&Edit")
        edit.addActions([self.act_undo, self.act_redo])
        edit.addSeparator()
        tools = edit.addMenu("&Tools")
        tools.addActions(list(self.toolbar.tool_actions.values()))
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

        model = mb.addMenu("&Model")
        model.addActions([self.act_prelabel, self.act_prelabel_folder, self.act_cancel_prelabel])
        model.addSeparator()
        model.addActions([self.act_load_model, self.act_default_model])
        model.addSeparator()
        model.addActions([self.act_auto_prelabel, self.act_cpu_only])

        help_menu = mb.addMenu("&Help")
        help_menu.addAction(self.act_shortcuts)

    # --- starting -----------------------------------------------------------------------------

    def start(self, path: str | Path | None = None, restore: bool = True) -> None:
        """Load the model (in the background) and open ``path``, the last session, or the
        bundled sample."""
        self.load_model(self.model_path)
        session = self.settings.session() if restore else {}
        if path is not None:
            self._apply_session_tools(session)
            self.open_path(Path(path))
        elif session.get("folder") and Path(session["folder"]).is_dir():
            self.restore_session(session)
        else:
            self._apply_session_tools(session)
            self.open_path(SAMPLE_IMAGE)

    # --- opening ------------------------------------------------------------------------------

    def choose_image(self) -> None:
        start = str(self.project.folder) if self.project else str(Path.home())
        path = self.dialogs.open_image(self, start)
        if path is not None:
            self.open_path(path)

    def choose_folder(self) -> None:
        start = str(self.project.folder) if self.project else str(Path.home())
        path = self.dialogs.open_folder(self, start)
        if path is not None:
            self.open_folder(path)

    def open_path(self, path: Path) -> None:
        """A folder opens as a project; an image opens its folder at that image."""
        path = Path(path)
        if path.is_dir():
            self.open_folder(path)
        elif path.is_file() and path.suffix.lower() in IMAGE_EXTENSIONS:
            self.open_folder(path.parent, select=path)
        elif path.is_file():
            self.show_notice(f"{path.name} is not an image this app opens "
                             f"({', '.join(sorted(IMAGE_EXTENSIONS))}).", "error")
        else:
            self.show_notice(f"{path}: no such file or folder.", "error")

    def open_folder(self, folder: Path, select: Path | str | None = None,
                    view: list[float] | None = None) -> bool:
        self._leave_document()
        self.flush_saves()
        folder = Path(folder)
        try:
            project = Project(folder, label_dir=self.settings.label_dir_for(folder))
        except OSError as exc:
            self.show_notice(f"Cannot open the folder {folder}: {exc}", "error")
            return False
        if not len(project):
            self.show_notice(f"{folder} holds no images ({', '.join(sorted(IMAGE_EXTENSIONS))}).", "warning")
        if self.project is not None:
            self.project.classes.changed.disconnect(self._on_classes_changed)
        self.project = project
        self.current_index = None
        self.doc = None
        if not project.project_file.exists() and self._model_classes is not None:
            project.classes.replace_with(self._model_classes.copy())
        project.classes.changed.connect(self._on_classes_changed)
        self.image_list.set_project(project)
        self.class_panel.set_classes(project.classes)
        self.toolbar.set_classes(project.classes)
        self.settings.add_recent_folder(project.folder)
        index = None
        if select is not None:
            name = Path(select).name
            index = next((i for i, e in enumerate(project.entries) if e.path.name == name), None)
        if index is None and project.last_image:
            index = next((i for i, e in enumerate(project.entries) if e.path.name == project.last_image), None)
        if index is None and len(project):
            index = next((i for i, e in enumerate(project.entries) if e.state != ImageState.DONE), 0)
        if index is not None:
            self.load_image(index, view=view)
        else:
            self.canvas.set_document(None)
            self.editor.set_document(None)
        self._update_actions()
        return True

    def load_image(self, index: int, view: list[float] | None = None) -> None:
        project = self.project
        if project is None or not 0 <= index < len(project):
            return
        if index == self.current_index and self.doc is not None:
            return
        self._leave_document()
        self.flush_saves()
        self.current_index = index
        self.image_list.set_current(index)
        entry = project.entries[index]
        try:
            doc, warnings = project.load_document(index)
        except (ImageReadError, OSError, ValueError) as exc:
            self.doc = None
            self.canvas.set_document(None)
            self.editor.set_document(None)
            self.class_panel.set_share(None)
            self.show_notice(f"Cannot open {entry.path.name}: {exc}. Your other images and labels "
                             f"are unaffected; press D for the next image.", "error")
            self._update_actions()
            return
        self.doc = doc
        self._saved_revision[doc.path] = doc.revision
        doc.edited.connect(self._on_doc_edited)
        doc.state_changed.connect(self._on_doc_state_changed)
        doc.undo_stack.changed.connect(self._update_actions)
        self.canvas.set_document(doc)
        self.editor.set_document(doc)
        self.class_panel.set_share(doc.labels)
        if view is not None and len(view) == 4:
            self.canvas.set_view_rect(view)
        else:
            self.canvas.fit_to_window()
        if warnings:
            self.show_notice(" ".join(warnings), "warning")
        elif self.notice.level == "error":
            self.notice.hide()
        self._update_actions()
        self._session_timer.start()
        if (doc.state == ImageState.NEW and self.act_auto_prelabel.isChecked()
                and self.prelabeller.info is not None and not self.prelabeller.busy):
            self._start_prelabel([doc.path])

    def _leave_document(self) -> None:
        self.editor.cancel()
        doc = self.doc
        if doc is None:
            return
        self._autosave(doc)
        doc.edited.disconnect(self._on_doc_edited)
        doc.state_changed.disconnect(self._on_doc_state_changed)
        doc.undo_stack.changed.disconnect(self._update_actions)

    def step_image(self, delta: int) -> None:
        if self.project is None or not len(self.project):
            return
        index = 0 if self.current_index is None else self.current_index + delta
        if 0 <= index < len(self.project):
            self.load_image(index)
        else:
            self.statusBar().showMessage("First image" if index < 0 else "Last image", 2000)

    def next_unfinished(self) -> None:
        if self.project is None:
            return
        n = len(self.project)
        start = -1 if self.current_index is None else self.current_index
        for k in range(1, n + 1):
            i = (start + k) % n
            if self.project.entries[i].state != ImageState.DONE:
                self.load_image(i)
                return
        self.statusBar().showMessage("Every image is done", 3000)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        folders = self.settings.recent_folders()
        for folder in folders:
            act = self.recent_menu.addAction(folder)
            act.triggered.connect(lambda _=False, f=folder: self.open_folder(Path(f)))
        if not folders:
            self.recent_menu.addAction("No recent folders").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear the List").triggered.connect(self.settings.clear_recent_folders)

    # --- drag and drop ------------------------------------------------------------------------

    def dragEnterEvent(self, ev: QtGui.QDragEnterEvent) -> None:
        if ev.mimeData().hasUrls() and any(u.isLocalFile() for u in ev.mimeData().urls()):
            ev.acceptProposedAction()

    def dropEvent(self, ev: QtGui.QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in ev.mimeData().urls() if u.isLocalFile()]
        if not paths:
            return
        ev.acceptProposedAction()
        path = paths[0]
        if path.suffix.lower() == ".pt":
            self.load_model(str(path))
        else:
            self.open_path(path)

    # --- saving -------------------------------------------------------------------------------

    def _autosave(self, doc: LabelDocument) -> None:
        if self.project is None or doc.path is None:
            return
        if self._saved_revision.get(doc.path) == doc.revision and not getattr(doc, "_state_dirty", False):
            return
        doc._state_dirty = False
        self._saved_revision[doc.path] = doc.revision
        snap = self.project.snapshot(doc)
        project = self.project
        self.save_label.setText("Saving…")
        self.saver.submit(doc.path, lambda: project.write_snapshot(snap))

    def _on_doc_edited(self, _step) -> None:
        self._autosave(self.doc)
        self.class_panel.set_share(self.doc.labels)
        self._update_actions()

    def _on_doc_state_changed(self, state: ImageState) -> None:
        if self.project is not None and self.current_index is not None:
            self.project.set_state(self.current_index, state)
        self.doc._state_dirty = True
        self._update_actions()

    def _on_saved(self, _key) -> None:
        if self.saver.idle:
            self.save_label.setText("All changes saved")

    def _on_save_failed(self, key, message: str) -> None:
        self.save_label.setText("<b style='color:#e55'>Not saved</b>")
        name = Path(key).name if isinstance(key, (str, Path)) else str(key)
        self.show_notice(f"Could not save the labels of {name}: {message}. Your edits are kept in "
                         f"memory; free some space or fix the permissions, then press Ctrl+S.", "error")
        if self.doc is not None and Path(key) == self.doc.path:
            self._saved_revision.pop(self.doc.path, None)

    def save_now(self) -> None:
        if self.doc is not None:
            self._saved_revision.pop(self.doc.path, None)
            self._autosave(self.doc)
        self.flush_saves()
        if self.project is not None:
            self.project.save_project_file()

    def flush_saves(self, timeout: float = 30.0) -> bool:
        """Wait until every label file is on disk (before reading them back, exporting, quitting)."""
        return self.saver.flush(timeout)

    # --- session ------------------------------------------------------------------------------

    def session_state(self) -> dict:
        ed = self.editor
        return {
            "folder": str(self.project.folder) if self.project else None,
            "image": self.doc.path.name if self.doc and self.doc.path else
                     (self.project.entries[self.current_index].path.name
                      if self.project and self.current_index is not None else None),
            "view": self.canvas.view_rect() if self.doc else None,
            "tool": ed.tool.value,
            "brush_size": ed.brush_size,
            "class_id": ed.current_class,
            "protect_target": ed.protect_target,
            "opacity": self.canvas.opacity(),
            "mode": self.canvas.mode.value,
        }

    def save_session(self) -> None:
        self.settings.save_session(self.session_state())
        if self.project is not None:
            try:
                self.project.save_project_file()
            except OSError:
                pass  # the labels themselves report their own save errors

    def restore_session(self, session: dict) -> None:
        self._apply_session_tools(session)
        self.open_folder(Path(session["folder"]), select=session.get("image"), view=session.get("view"))

    def _apply_session_tools(self, session: dict) -> None:
        ed = self.editor
        try:
            ed.set_tool(Tool(session.get("tool", ed.tool.value)))
        except ValueError:
            pass
        ed.set_brush_size(session.get("brush_size", ed.brush_size))
        if isinstance(session.get("class_id"), int):
            ed.current_class = session["class_id"]
        target = session.get("protect_target")
        ed.set_protect_target(target if isinstance(target, int) else None)
        if isinstance(session.get("opacity"), (int, float)):
            self.toolbar.set_opacity(float(session["opacity"]))
        try:
            self.toolbar.set_mode(OverlayMode(session.get("mode", "fill")))
        except ValueError:
            pass
        self.class_panel.set_current(ed.current_class)

    def closeEvent(self, ev: QtGui.QCloseEvent) -> None:
        self.editor.cancel()
        self.save_session()
        if self.doc is not None:
            self._autosave(self.doc)
        self.saver.close()
        self.prelabeller.shutdown()
        self.settings.save_window_state(self.saveGeometry(), self.saveState())
        super().closeEvent(ev)

    # --- editing commands ---------------------------------------------------------------------

    def toggle_done(self) -> None:
        if self.doc is None:
            return
        if self.doc.state == ImageState.DONE:
            self.doc.set_state(ImageState.EDITED)
        else:
            self.doc.set_state(ImageState.DONE)
        self._autosave(self.doc)

    def fill_gaps(self) -> None:
        if not self.editor.fill_gaps():
            self.statusBar().showMessage("No unlabelled pixels to fill", 3000)

    def toggle_overlay(self) -> None:
        if self.canvas.opacity() > 0:
            self._last_opacity = self.canvas.opacity()
            self.toolbar.set_opacity(0)
        else:
            self.toolbar.set_opacity(self._last_opacity or 0.5)

    def _on_mode_changed(self, _index: int) -> None:
        mode = self.canvas.mode
        self.mode_actions[mode].setChecked(True)
        if mode == OverlayMode.CONFIDENCE and (self.doc is None or self.doc.confidence is None):
            self.statusBar().showMessage("No confidence map for this image: pre-label it first", 5000)
        self._session_timer.start()

    def _on_editor_changed(self) -> None:
        self.class_panel.set_current(self.editor.current_class)
        self._session_timer.start()
        self._update_tool_status()

    def _on_classes_changed(self) -> None:
        self._session_timer.start()
        if self.doc is not None:
            self.doc._state_dirty = True
            self._autosave(self.doc)

    # --- model and pre-labelling --------------------------------------------------------------

    def choose_model(self) -> None:
        path = self.dialogs.open_checkpoint(self, str(Path.home()))
        if path is not None:
            self.load_model(str(path))

    def load_model(self, path: str | None) -> None:
        if self.prelabeller.busy:
            self.show_notice("Wait for pre-labelling to finish (or cancel it) before changing the model.", "warning")
            return
        self.model_path = path
        self.device_label.setText("Model: loading…")
        self.prelabeller.load_model(path, self.device)

    def _on_model_ready(self, info) -> None:
        self.settings.set_model_path(self.model_path)
        self.device_label.setText(f"{info.name} · {info.device_name}")
        self.device_label.setToolTip(f"Pre-labelling runs on: {info.device_name}")
        self._model_classes = ClassTable(info.class_names, info.palette, info.ignore_index)
        project = self.project
        if project is not None:
            if not project.project_file.exists() and not any(
                    e.state.has_human_work for e in project.entries):
                project.classes.replace_with(self._model_classes.copy())
            elif (len(project.classes) != len(info.class_names)
                  or project.classes.ignore_index != info.ignore_index):
                self.show_notice(f"The model predicts {len(info.class_names)} classes but this folder "
                                 f"uses {len(project.classes)}: its pre-labels may not mean the same "
                                 f"classes here.", "warning")
        self.statusBar().showMessage(f"Model ready: {info.name} on {info.device_name}", 4000)
        self._update_actions()
        doc = self.doc
        if (doc is not None and doc.state == ImageState.NEW and self.act_auto_prelabel.isChecked()
                and not self.prelabeller.busy):
            self._start_prelabel([doc.path])

    def _on_model_failed(self, message: str) -> None:
        self.device_label.setText("No model")
        self.device_label.setToolTip(message)
        self.show_notice(f"{message} You can still label by hand; Model > Load Model… picks "
                         f"another checkpoint.", "warning")
        self._update_actions()

    def _on_device_changed(self, name: str) -> None:
        info = self.prelabeller.info
        self.device_label.setText(f"{info.name if info else 'Model'} · {name}")

    def prelabel_current(self) -> None:
        doc = self.doc
        if doc is None or not self._model_usable():
            return
        if doc.state.has_human_work:
            if not self.dialogs.confirm_replace_edits(self, doc.name):
                return
            self._overwrite_ok.add(doc.path)
        self._start_prelabel([doc.path])

    def prelabel_folder(self) -> None:
        if self.project is None or not len(self.project) or not self._model_usable():
            return
        entries = self.project.entries
        edited = [e.path for e in entries if e.state.has_human_work]
        policy = OVERWRITE
        if edited:
            policy = self.dialogs.folder_edits_policy(self, len(edited), len(entries))
            if policy is None:
                return
        if policy == OVERWRITE:
            self._overwrite_ok.update(edited)
            paths = [e.path for e in entries]
        else:
            paths = [e.path for e in entries if not e.state.has_human_work]
        if self.current_index is not None:  # the open image first, so the user sees it at once
            current = entries[self.current_index].path
            if current in paths:
                paths.remove(current)
                paths.insert(0, current)
        if paths:
            self._start_prelabel(paths)
        else:
            self.statusBar().showMessage("Nothing to pre-label", 3000)

    def _model_usable(self) -> bool:
        if self.prelabeller.busy:
            self.statusBar().showMessage("Pre-labelling is already running", 3000)
            return False
        if self.prelabeller.info is None:
            what = "still loading" if self.prelabeller.loading else "not loaded"
            self.show_notice(f"The model is {what}; pre-labelling is not available yet.", "warning")
            return False
        return True

    def _start_prelabel(self, paths: list[Path]) -> None:
        self._skipped_edited = 0
        self.prelabeller.start(paths)
        self.progress_bar.setRange(0, len(paths))
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat(f"Pre-labelling 0/{len(paths)}")
        self.progress_bar.show()
        self.cancel_button.show()
        self._update_actions()

    def cancel_prelabel(self) -> None:
        if self.prelabeller.busy:
            self.prelabeller.cancel()
            self.progress_bar.setFormat("Cancelling…")

    def _on_prelabel_progress(self, _job: int, done: int, total: int, name: str) -> None:
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(done)
        self.progress_bar.setFormat(f"Pre-labelling {done}/{total}")
        if name:
            self.progress_bar.setToolTip(f"Now: {name}")

    def _on_prelabel_result(self, res: PrelabelResult) -> None:
        project = self.project
        index = project.index_of(res.path) if project is not None else None
        if index is None:
            return  # the folder was closed meanwhile
        approved = res.path in self._overwrite_ok
        self._overwrite_ok.discard(res.path)
        doc = self.doc
        if doc is not None and doc.path == res.path:
            if doc.state.has_human_work and not approved:
                # Edited while the model was running: never overwrite without asking.
                if not self.dialogs.confirm_replace_edits(self, doc.name):
                    self.statusBar().showMessage(f"Kept your edits of {doc.name}", 4000)
                    return
            if res.labels.shape != doc.shape:
                return
            doc.set_prediction(res.labels, res.confidence, res.model)
            if self.canvas.mode == OverlayMode.CONFIDENCE:
                self.canvas.refresh_overlay()
            return
        if project.entries[index].state.has_human_work and not approved:
            self._skipped_edited += 1
            return
        snap = project.prediction_snapshot(index, res.labels, res.confidence, res.model)
        self.saver.submit(res.path, lambda: project.write_snapshot(snap))

    def _on_prelabel_image_failed(self, _job: int, path: str, message: str) -> None:
        name = Path(path).name if path else "pre-labelling"
        self.show_notice(f"{name}: {message}", "error")

    def _on_prelabel_finished(self, _job: int, cancelled: bool, done: int) -> None:
        self.progress_bar.hide()
        self.cancel_button.hide()
        text = f"Pre-labelling cancelled after {done} image(s)" if cancelled else \
            f"Pre-labelled {done} image(s)"
        if self._skipped_edited:
            text += f"; kept {self._skipped_edited} image(s) you edited meanwhile"
        self.statusBar().showMessage(text, 6000)
        self._update_actions()

    def _toggle_auto_prelabel(self, on: bool) -> None:
        self.settings.set_auto_prelabel(on)

    def _toggle_cpu(self, on: bool) -> None:
        self.device = "cpu" if on else "auto"
        self.settings.set_device(self.device)
        self.load_model(self.model_path)

    # --- feedback -----------------------------------------------------------------------------

    def show_notice(self, text: str, level: str = "info") -> None:
        self.notice.show_message(text, level)
        self.statusBar().showMessage(text.split(". ")[0], 8000)

    def show_shortcuts(self) -> None:
        QtWidgets.QMessageBox.information(self, "Keyboard Shortcuts", SHORTCUTS_HELP)

    def _on_hover(self, x: float, y: float) -> None:
        doc = self.doc
        if doc is None or math.isnan(x):
            self.cursor_label.setText("")
            return
        j, i = int(x), int(y)
        text = f"x {j}, y {i} · {doc.classes.name(int(doc.labels[i, j]))}"
        if doc.confidence is not None:
            text += f" ({100 * float(doc.confidence[i, j]):.0f}% sure)"
        self.cursor_label.setText(text)

    def _update_tool_status(self) -> None:
        ed = self.editor
        if self.project is None:
            return
        cls = self.project.classes.name(ed.current_class)
        self.statusBar().showMessage(f"{ed.tool.label} · {cls} · {ed.brush_size} px", 2000)

    def _update_actions(self) -> None:
        doc = self.doc
        has_doc = doc is not None
        stack = doc.undo_stack if doc else None
        self.act_undo.setEnabled(bool(stack and stack.can_undo))
        self.act_redo.setEnabled(bool(stack and stack.can_redo))
        self.act_undo.setText(f"&Undo {stack.undo_name}" if stack and stack.can_undo else "&Undo")
        self.act_redo.setText(f"&Redo {stack.redo_name}" if stack and stack.can_redo else "&Redo")
        self.act_fill_gaps.setEnabled(has_doc)
        self.act_done.setEnabled(has_doc)
        self.act_done.setChecked(bool(doc and doc.state == ImageState.DONE))
        model_ok = self.prelabeller.info is not None and not self.prelabeller.busy
        self.act_prelabel.setEnabled(has_doc and model_ok)
        self.act_prelabel_folder.setEnabled(self.project is not None and model_ok)
        self.act_cancel_prelabel.setEnabled(self.prelabeller.busy)
        title = "SRCRM Studio"
        if self.project is not None and self.current_index is not None:
            entry = self.project.entries[self.current_index]
            title = f"{entry.path.name} ({entry.state.label}) — {self.project.folder} — SRCRM Studio"
        self.setWindowTitle(title)
