"""The main window: it puts the pieces together (canvas, image list, class panel, tool bar,
status bar), opens folders and images, autosaves and remembers the session. Its actions and
menus are in :mod:`app.menus`, pre-labelling in :mod:`app.prelabel_flow`; the data and its
operations live in :mod:`app.document`, and this module only wires them to Qt."""

from __future__ import annotations

import math
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from srcrm.io import ImageReadError
from srcrm.suffixes import IMAGE_SUFFIXES

from . import io_actions
from .canvas import Canvas
from .class_panel import ClassPanel
from .dialogs import Dialogs
from .document.classes import ClassTable
from .document.editor import Editor
from .document.label_document import ImageState, LabelDocument
from .document.overlay import OverlayMode
from .document.project import Project
from .document.saver import SaveQueue
from .finetune.flow import FinetuneMixin
from .image_list import ImageList
from .menus import MenusMixin
from .notice import NoticeBar
from .prelabel_flow import PrelabelMixin
from .settings import SAMPLE_IMAGE, AppSettings
from .toolbar import EditToolBar
from .video import VideoMixin, is_video_file
from .workers import Prelabeller, default_predictor_factory


class _SaverBridge(QtCore.QObject):
    """Carries the writer thread's events to the GUI thread."""

    saved = QtCore.Signal(object)
    failed = QtCore.Signal(object, str)


class MainWindow(MenusMixin, PrelabelMixin, FinetuneMixin, VideoMixin, QtWidgets.QMainWindow):
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
        self._closed = False
        self._meta_dirty: set[Path] = set()  # state or classes changed, labels maybe not

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
        self._init_video()  # the timeline under the canvas, for videos

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
            if isinstance(w, QtWidgets.QLabel):
                w.setContentsMargins(10, 0, 10, 0)
            bar.addPermanentWidget(w)
        self.progress_bar.hide()
        self.cancel_button.hide()

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
        elif session.get("video") and Path(session["video"]).exists():
            self._apply_session_tools(session)
            self.open_video(session["video"], view=session.get("view"))
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
        """A folder opens as a project; an image opens its folder at that image; a video file
        opens in video mode."""
        path = Path(path)
        if is_video_file(path):
            self.open_video(path)
        elif path.is_dir():
            self.open_folder(path)
        elif path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
            self.open_folder(path.parent, select=path)
        elif path.is_file():
            self.show_notice(f"{path.name} is not an image this app opens "
                             f"({', '.join(IMAGE_SUFFIXES)}).", "error")
        else:
            self.show_notice(f"{path}: no such file or folder.", "error")

    def open_folder(self, folder: Path, select: Path | str | None = None,
                    view: list[float] | None = None) -> bool:
        self.close_video()
        self._leave_document()
        self.flush_saves()
        folder = Path(folder)
        try:
            project = Project(folder, label_dir=self.settings.label_dir_for(folder))
        except OSError as exc:
            self.show_notice(f"Cannot open the folder {folder}: {exc}", "error")
            return False
        if not len(project):
            self.show_notice(f"{folder} holds no images ({', '.join(IMAGE_SUFFIXES)}).", "warning")
        if self.project is not None:
            self.project.classes.changed.disconnect(self._on_classes_changed)
        self.project = project
        self.current_index = None
        self.doc = None
        self._adopt_model_classes(project, warn=False)
        self._use_project_model()  # the fine-tuned version this folder was last used with
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
            self.image_list.mark_error(index, str(exc))
            self.show_notice(f"Cannot open {entry.path.name}: {exc}. Your other images and labels "
                             f"are unaffected; press D for the next image.", "error", key="image")
            self._update_actions()
            return
        self._saved_revision[doc.path] = doc.revision
        self._show_document(doc, view, fit=True)
        self.notice.dismiss("image")
        if warnings:
            self.show_notice(" ".join(warnings), "warning", key="image")
        self._update_actions()
        self._session_timer.start()
        if (doc.state == ImageState.NEW and self.act_auto_prelabel.isChecked()
                and self.prelabeller.info is not None and not self.prelabeller.busy):
            self._start_prelabel([doc.path])

    def _show_document(self, doc: LabelDocument, view: list[float] | None, fit: bool) -> None:
        """Make ``doc`` the one being edited (an image, or a video frame): follow its events,
        show it, and restore ``view`` or, with ``fit``, fit it to the window."""
        self.doc = doc
        doc.edited.connect(self._on_doc_edited)
        doc.state_changed.connect(self._on_doc_state_changed)
        doc.undo_stack.changed.connect(self._update_actions)
        self.canvas.set_document(doc)
        self.editor.set_document(doc)
        self.class_panel.set_share(doc.labels)
        if view is not None and len(view) == 4:
            self.canvas.set_view_rect(view)
        elif fit:
            self.canvas.fit_to_window()

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
        if self.video is not None:  # A / D step frames in a video
            self.step_frame(delta)
            return
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
        if self.video is not None:
            self._autosave_frame(doc)
            return
        if self.project is None or doc.path is None or self._closed:
            return
        if self._saved_revision.get(doc.path) == doc.revision and doc.path not in self._meta_dirty:
            return
        self._meta_dirty.discard(doc.path)
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
        self._meta_dirty.add(self.doc.path)
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
            "video": str(self.video.path) if self.video else None,
            "image": self.doc.path.name if self.doc and self.doc.path else
                     (self.project.entries[self.current_index].path.name
                      if self.project and self.current_index is not None else None),
            "view": self.canvas.view_rect() if self.doc else None,
            "tool": ed.tool,
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
            ed.set_tool(str(session.get("tool", ed.tool)))
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
        if not self._closed:
            self.editor.cancel()
            self.save_session()
            if self.doc is not None:
                self._autosave(self.doc)
            self._closed = True
            self.prelabeller.blockSignals(True)  # no late results into a closing window
            self.prelabeller.shutdown()
            self.shutdown_finetune()  # a training in progress stops; nothing is kept
            self._shutdown_video()  # video jobs stop; frames written so far stay
            io_actions.shutdown(self)  # a folder export in progress stops, writing nothing
            self.saver.close()
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
        if self.project is not None and self.project.classes_source == "default":
            self.project.classes_source = "user"  # (adopting a model's classes resets it)
        self._session_timer.start()
        doc = self.doc  # the sidecars carry the class table
        if doc is not None and doc.state != ImageState.NEW:
            self._meta_dirty.add(doc.path)
            self._autosave(doc)

    # --- feedback -----------------------------------------------------------------------------

    def show_notice(self, text: str, level: str = "info", key: str | None = None) -> None:
        self.notice.show_message(text, level, key=key)
        self.statusBar().showMessage(text.split(". ")[0], 8000)

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
        self.statusBar().showMessage(f"{ed.spec.label} · {cls} · {ed.brush_size} px", 2000)

    def _update_actions(self) -> None:
        doc = self.doc
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
        model_ok = self.prelabeller.info is not None and not self.prelabeller.busy
        self.act_prelabel.setEnabled(has_doc and model_ok)
        self.act_prelabel_folder.setEnabled(self.project is not None and model_ok)
        self.act_cancel_prelabel.setEnabled(self.prelabeller.busy)
        title = "SRCRM Studio"
        if self.project is not None and self.current_index is not None:
            entry = self.project.entries[self.current_index]
            title = f"{entry.path.name} ({entry.state.label}) — {self.project.folder} — SRCRM Studio"
        self.setWindowTitle(title)
        self._update_video_actions()
