"""The main window: it puts the views together (canvas, image list, class panel, tool bar,
status bar) onto the Qt-free :class:`~app.session.Session`, which holds what is open, the tool,
the model, the jobs and what is saved, and wires the controllers: opening folders and images
(:mod:`app.image_flow`), pre-labelling (:mod:`app.prelabel_flow`), video mode
(:mod:`app.video`), fine-tuning (:mod:`app.finetune`); actions and menus are in
:mod:`app.menus`, the data and its operations in :mod:`app.document`."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from . import io_actions
from .canvas import Canvas
from .class_panel import ClassPanel
from .dialogs import Dialogs
from .document.label_document import LabelDocument
from .finetune.flow import FinetuneFlow
from .gui_thread import GuiPoster
from .image_flow import ImageFlow
from .image_list import ImageList
from .jobs import JobRunner, ModelService
from .jobs.model import default_predictor_factory
from .menus import WindowMenus
from .notice import NoticeBar
from .prelabel_flow import PrelabelFlow
from .session import Session
from .session_memory import SessionMemory
from .settings import AppSettings
from .status_view import StatusView
from .toolbar import EditToolBar, ToolPalette
from .video.video_flow import VideoFlow


class MainWindow(QtWidgets.QMainWindow):
    def __init__(
        self,
        settings: AppSettings,
        *,
        dialogs: Dialogs | None = None,
        predictor_factory=None,
        model_path: str | None = None,
        device: str | None = None,
    ):
        super().__init__()
        self.settings = settings
        self.dialogs = dialogs or Dialogs()
        # The state: one session; background work in one runner, the model owning its thread.
        self.jobs = JobRunner(GuiPoster(self).post)
        self.model = ModelService(self.jobs, predictor_factory or default_predictor_factory)
        self.session = Session(self.jobs, self.model)
        self.editor = self.session.editor
        self.saver = self.session.saver
        self.model_path = model_path if model_path is not None else settings.model_path()
        self.device = device or settings.device()

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
        area = QtCore.Qt.DockWidgetArea
        self._add_dock("Images", "imagesDock", self.image_list, area.LeftDockWidgetArea)
        self._add_dock("Classes", "classesDock", self.class_panel, area.RightDockWidgetArea)
        self.tool_palette = ToolPalette(self.editor, self)
        self.addToolBar(QtCore.Qt.ToolBarArea.LeftToolBarArea, self.tool_palette)
        self.toolbar = EditToolBar(self.editor, self.canvas, self)
        self.addToolBar(self.toolbar)

        self.memory = SessionMemory(settings, self.session, self.canvas, self.toolbar, self.class_panel)
        self.status = StatusView(self.statusBar(), self.session, self.show_notice)
        self.cursor_label, self.save_label = self.status.cursor_label, self.status.save_label
        self.device_label, self.progress_bar = self.status.device_label, self.status.progress_bar
        self.cancel_button = self.status.cancel_button
        self.prelabel = PrelabelFlow(self)
        self.images = ImageFlow(self)
        self.finetuning = FinetuneFlow(self)
        self.cancel_button.clicked.connect(self.prelabel.cancel)

        self.jobs.started.connect(lambda _job: self._update_actions())
        self.jobs.finished.connect(lambda _job: self._closed or self._update_actions())
        self.session.document_changed.connect(self._on_document_changed)
        self.session.edited.connect(lambda doc: self.class_panel.set_share(doc.labels))
        self.session.changed.connect(self._update_actions)
        self.session.mode_changed.connect(self._on_mode_opened)

        self._session_timer = QtCore.QTimer(self, singleShot=True, interval=800, timeout=self.save_session)
        self.editor.changed.connect(self._on_editor_changed)
        self.editor.notice.connect(lambda text: self.show_notice(text, "warning", key="tool"))
        self.canvas.hovered.connect(self.status.show_hover)
        self.canvas.view_changed.connect(self._session_timer.start)
        self.image_list.image_chosen.connect(self.images.load_image)
        self.class_panel.class_chosen.connect(self.editor.set_class)
        self.toolbar.opacity_slider.valueChanged.connect(lambda _v: self._session_timer.start())
        self.videos = VideoFlow(self)  # the timeline under the canvas, for videos
        self.menus = WindowMenus(self)

        geometry, state = settings.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        self._update_actions()

    # --- what the session has open -----------------------------------------------------------

    @property
    def project(self):
        return self.session.project

    @property
    def video(self):
        return self.session.video

    @property
    def doc(self) -> LabelDocument | None:
        return self.session.doc

    @property
    def current_index(self) -> int | None:
        """The open image's index in the folder (image mode only)."""
        return self.session.mode.index if self.project is not None else None

    @property
    def _closed(self) -> bool:
        return self.session.closed

    # --- construction -------------------------------------------------------------------------

    def _add_dock(self, title: str, name: str, widget: QtWidgets.QWidget, area) -> QtWidgets.QDockWidget:
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(
            QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(area, dock)
        widget.setMinimumWidth(220)
        return dock

    # --- starting -----------------------------------------------------------------------------

    def show_document(self, doc: LabelDocument, view: list[float] | None, fit: bool) -> None:
        """Make ``doc`` the one being edited (an image, or a video frame), and restore ``view``
        or, with ``fit``, fit it to the window."""
        self.session.show(doc)
        if view is not None and len(view) == 4:
            self.canvas.set_view_rect(view)
        elif fit:
            self.canvas.fit_to_window()

    def _on_document_changed(self, doc: LabelDocument | None) -> None:
        self.canvas.set_document(doc)
        self.class_panel.set_share(None if doc is None else doc.labels)

    def _on_mode_opened(self, mode) -> None:
        if mode is not None:
            mode.classes.changed.connect(self._session_timer.start)
            self.class_panel.set_classes(mode.classes)
            self.toolbar.set_classes(mode.classes)

    # --- drag and drop ------------------------------------------------------------------------

    def dragEnterEvent(self, ev: QtGui.QDragEnterEvent) -> None:
        if ev.mimeData().hasUrls() and any(u.isLocalFile() for u in ev.mimeData().urls()):
            ev.acceptProposedAction()

    def dropEvent(self, ev: QtGui.QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in ev.mimeData().urls() if u.isLocalFile()]
        if not paths:
            return
        ev.acceptProposedAction()
        self.images.open_dropped(paths[0])

    # --- saving -------------------------------------------------------------------------------

    def save_now(self) -> None:
        self.session.autosave(force=True)
        self.flush_saves()
        if self.project is not None:
            self.project.save_project_file()

    def _may_close_with_unsaved(self) -> bool:
        """Saves that failed (a full disk) left labels only in memory: try them once more,
        then ask before quitting would lose them."""
        self.editor.cancel()
        self.session.autosave(self.doc)
        self.flush_saves()
        lost = self.project.retry_unsaved() if self.project is not None else []
        return not lost or self.dialogs.confirm_quit_unsaved(
            self, [p.name for p in lost], self.project.unsaved_reason()
        )

    def flush_saves(self, timeout: float = 30.0) -> bool:
        """Wait until every label file is on disk (before reading them back, exporting, quitting)."""
        return self.saver.flush(timeout)

    # --- session ------------------------------------------------------------------------------

    def save_session(self) -> None:
        self.memory.save()

    def closeEvent(self, ev: QtGui.QCloseEvent) -> None:
        if not self._closed and not self._may_close_with_unsaved():
            ev.ignore()
            return
        if not self._closed:
            self.editor.cancel()
            self.save_session()
            self.finetuning.shutdown()  # a training in progress stops; nothing is kept
            io_actions.shutdown(self)  # a folder export in progress stops, writing nothing
            # The open labels are saved, every job stops (video frames written so far stay) and
            # no late result reaches the closing window.
            self.session.shutdown()
            self.videos.shutdown()
            self.settings.save_window_state(self.saveGeometry(), self.saveState())
        super().closeEvent(ev)

    # --- editing commands ---------------------------------------------------------------------

    def _on_editor_changed(self) -> None:
        self.class_panel.set_current(self.editor.current_class)
        self._session_timer.start()

    # --- feedback -----------------------------------------------------------------------------

    def show_notice(self, text: str, level: str = "info", key: str | None = None) -> None:
        self.notice.show_message(text, level, key=key)
        self.statusBar().showMessage(text.split(". ")[0], 8000)

    def _update_actions(self) -> None:
        self.menus.update()
