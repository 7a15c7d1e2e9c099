"""The main window: the composition root. It builds the Qt-free
:class:`~app.session.Session` (what is open, the tool, the model, the jobs, what is saved),
the views onto it (canvas, image list, class panel, tool bars, status bar, timeline) and the
controllers, each given the session and the small :class:`~app.ui.Ui` it needs, never this
window: opening folders and images (:mod:`app.image_flow`), pre-labelling
(:mod:`app.prelabel_flow`), video mode (:mod:`app.video`), exports and imports
(:mod:`app.io_actions`), Refine Edge (:mod:`app.refine_edge`), fine-tuning (:mod:`app.finetune`)
and learn-as-you-go (:mod:`app.learning`). Their commands go into one table
(:mod:`app.session.commands`) that the menu bar draws (:mod:`app.menus`). The controllers never
call each other: they meet in the session, through its state and events."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from .canvas import Canvas
from .class_panel import ClassPanel
from .dialogs import Dialogs
from .document.label_document import LabelDocument
from .edit_commands import MENU_BAR, edit_commands
from .finetune.flow import FinetuneFlow
from .gui_thread import GuiPoster
from .help_commands import HelpCommands
from .image_flow import ImageFlow
from .image_list import ImageList
from .io_actions.io_commands import IoActions
from .jobs import JobRunner, ModelService
from .jobs.model import default_predictor_factory
from .learning.flow import LearnFlow
from .menus import MenuView
from .notice import NoticeBar
from .prelabel_flow import PrelabelFlow
from .qt_dialogs import QtDialogs
from .refine_edge import RefineEdge
from .session import CommandTable, Mode, Session
from .session_memory import SessionMemory
from .settings import AppSettings
from .status_view import StatusView
from .toolbar import EditToolBar, ToolPalette
from .ui import WindowUi
from .video.exports import VideoExports
from .video.timeline import Timeline
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
        # The state: one session; background work in one runner, the model owning its thread.
        self.jobs = JobRunner(GuiPoster(self).post)
        self.model = ModelService(self.jobs, predictor_factory or default_predictor_factory)
        self.session = session = Session(
            self.jobs,
            self.model,
            model_path=model_path if model_path is not None else settings.model_path(),
            device=device or settings.device(),
            auto_prelabel=settings.auto_prelabel(),
        )
        self.editor, self.saver = session.editor, session.saver

        self.setWindowTitle("SRCRM Studio")
        self.setAcceptDrops(True)
        screen = QtGui.QGuiApplication.primaryScreen()
        room = screen.availableGeometry() if screen is not None else QtCore.QRect(0, 0, 1400, 900)
        self.resize(min(1400, room.width() - 20), min(900, room.height() - 60))  # and its frame: a laptop too

        # The views: notice bar, canvas and timeline in the middle, docks and tool bars around.
        self.canvas = Canvas(self.editor)
        self.notice = NoticeBar()
        self.timeline = Timeline()
        central = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        for widget, stretch in ((self.notice, 0), (self.canvas, 1), (self.timeline, 0)):
            layout.addWidget(widget, stretch)
        self.setCentralWidget(central)
        self.ui = ui = WindowUi(self, self.notice, self.statusBar(), dialogs or QtDialogs())
        self.image_list = ImageList()
        self.class_panel = ClassPanel(ui.dialogs)
        area = QtCore.Qt.DockWidgetArea
        docks = [
            self._add_dock("Images", "imagesDock", self.image_list, area.LeftDockWidgetArea),
            self._add_dock("Classes", "classesDock", self.class_panel, area.RightDockWidgetArea),
        ]
        # Narrow side panels, so that the canvas keeps most of a 1024 px wide window.
        self.resizeDocks(docks, [200, 220], QtCore.Qt.Orientation.Horizontal)
        self.toolbar = EditToolBar(self.editor, self.canvas, self)
        self.status = StatusView(self.statusBar(), session, ui)
        self.memory = SessionMemory(settings, session, self.canvas, self.toolbar, self.class_panel)

        # The controllers, each on the session and the ui alone.
        self.images = ImageFlow(session, ui, settings, self.image_list, self.canvas, self.memory)
        self.prelabel = PrelabelFlow(session, ui, settings, self.canvas)
        self.videos = VideoFlow(session, ui, settings, self.timeline, self.image_list, self.canvas)
        self.io = IoActions(session, ui, settings)
        self.video_exports = VideoExports(self.io.ctx, self.videos.tasks, self.canvas)
        self.refine_edge = RefineEdge(session, ui, self.io.ctx.places)
        self.finetuning = FinetuneFlow(session, ui)
        self.learning = LearnFlow(session, ui, settings)
        self.help = HelpCommands(session, ui)

        # Their commands, in one table the menus draw; it follows what changes them.
        self.commands = CommandTable()
        self.commands.add(*MENU_BAR)
        self.commands.add(*self.images.commands(), *self.videos.commands(), *self.io.commands())
        self.commands.add(*edit_commands(session, self.canvas, self.toolbar, ui, self.close))
        self.commands.add(*self.refine_edge.commands(), *self.video_exports.commands())
        self.commands.add(*self.finetuning.commands(), *self.prelabel.commands(), *self.help.commands())
        self.commands.add(*self.learning.commands())
        self.commands.follow(
            session.changed,
            session.document_changed,
            session.mode_changed,
            self.jobs.started,
            self.jobs.finished,
            self.model.ready,
            self.model.load_failed,
            self.editor.changed,
            self.toolbar.mode_combo.currentIndexChanged,
            self.finetuning.changed,
            self.learning.changed,
        )
        self.menus = MenuView(self.commands, self.menuBar(), self)
        self.tool_palette = ToolPalette(self.menus.action, self)
        self.addToolBar(QtCore.Qt.ToolBarArea.LeftToolBarArea, self.tool_palette)
        self.addToolBar(self.toolbar)

        # The views follow the session.
        session.notice.connect(ui.notify)
        session.dismiss.connect(ui.dismiss)
        session.document_changed.connect(self._on_document_changed)
        session.edited.connect(lambda doc: self.class_panel.set_share(doc.labels))
        session.mode_changed.connect(self._on_mode_changed)
        for event in (session.changed, session.document_changed, session.mode_changed):
            event.connect(self._show_title)
        self.editor.changed.connect(lambda: self.class_panel.set_current(self.editor.current_class))
        self.editor.notice.connect(lambda text: ui.notify(text, "warning", key="tool"))
        session.edited.connect(lambda _doc: ui.dismiss("tool"))  # a gesture that worked since
        self.canvas.hovered.connect(self.status.show_hover)
        self.image_list.image_chosen.connect(session.open_document)
        self.image_list.frame_chosen.connect(session.open_document)
        self.class_panel.class_chosen.connect(self.editor.set_class)

        geometry, state = settings.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    # --- what the session has open (for scripts and tests) ------------------------------------

    @property
    def project(self):
        return self.session.project

    @property
    def video(self):
        return self.session.video

    @property
    def doc(self) -> LabelDocument | None:
        return self.session.doc

    def flush_saves(self, timeout: float = 30.0) -> bool:
        """Wait until every label file is on disk."""
        return self.saver.flush(timeout)

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
        widget.setMinimumWidth(180)  # the canvas keeps room in a 1024 px window
        return dock

    # --- following the session ----------------------------------------------------------------

    def _on_document_changed(self, doc: LabelDocument | None) -> None:
        first = self.canvas.doc is None
        self.canvas.set_document(doc)
        self.class_panel.set_share(None if doc is None else doc.labels)
        mode = self.session.mode
        if doc is not None and mode is not None and (first or mode.fit_each_document):
            self.canvas.fit_to_window()

    def _on_mode_changed(self, mode: Mode | None) -> None:
        if mode is not None:
            self.class_panel.set_classes(mode.classes)
            self.toolbar.set_classes(mode.classes)

    def _show_title(self, *_args: object) -> None:
        mode = self.session.mode
        self.setWindowTitle(mode.title(self.session.doc) if mode is not None else "SRCRM Studio")

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

    # --- closing ------------------------------------------------------------------------------

    def _may_close_with_unsaved(self) -> bool:
        """Saves that failed (a full disk) left labels only in memory: try them once more,
        then ask before quitting would lose them."""
        session = self.session
        self.editor.cancel()
        session.autosave()
        session.saver.flush()
        project = session.project
        lost = project.retry_unsaved() if project is not None else []
        return not lost or self.ui.dialogs.confirm_quit_unsaved(
            self, [p.name for p in lost], project.unsaved_reason()
        )

    def closeEvent(self, ev: QtGui.QCloseEvent) -> None:
        session = self.session
        if not session.closed and not self._may_close_with_unsaved():
            ev.ignore()
            return
        if not session.closed:
            self.memory.save()
            self.finetuning.shutdown()  # a training in progress stops; nothing is kept
            self.io.shutdown()  # a folder export in progress stops, writing nothing
            self.videos.shutdown()
            # The open labels are saved, every job stops (video frames written so far stay) and
            # no late result reaches the closing window.
            session.shutdown()
            self.learning.shutdown()  # (the runner stopped its child above)
            self.settings.save_window_state(self.saveGeometry(), self.saveState())
        super().closeEvent(ev)
