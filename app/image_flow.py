"""Opening folders and images as the user sees it: the file dialogs, what a dropped or named
path opens, which image of a folder comes first, and a notice (never a crash) for an image or
folder that cannot be read. Which image comes first is the Qt-free image mode's decision."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6 import QtCore

from srcrm.io import ImageReadError
from srcrm.suffixes import IMAGE_SUFFIXES

from .dialogs import Dialogs
from .document.label_document import LabelDocument
from .document.project import Project
from .finetune.flow import FinetuneFlow
from .image_list import ImageList
from .notice import NoticeBar
from .prelabel_flow import PrelabelFlow
from .session import ImageMode, Session, VideoMode
from .session_memory import SessionMemory
from .settings import SAMPLE_IMAGE, AppSettings
from .status_view import StatusView
from .video.video_flow import VideoFlow, is_video_file


class ImageHost(Protocol):
    """What the flow uses of the window."""

    session: Session
    settings: AppSettings
    dialogs: Dialogs
    image_list: ImageList
    notice: NoticeBar
    status: StatusView
    prelabel: PrelabelFlow
    memory: SessionMemory
    model_path: str | None
    finetuning: FinetuneFlow
    videos: VideoFlow
    _session_timer: QtCore.QTimer

    def show_notice(self, text: str, level: str = "info", key: str | None = None) -> None: ...

    def show_document(self, doc: LabelDocument, view: list[float] | None, fit: bool) -> None: ...

    def flush_saves(self, timeout: float = 30.0) -> bool: ...

    def _update_actions(self) -> None: ...


class ImageFlow:
    def __init__(self, host: ImageHost) -> None:
        self.host = host
        self.session = host.session

    def start(self, path: str | Path | None = None, restore: bool = True) -> None:
        """Load the model (in the background) and open ``path``, the last session, or the
        bundled sample."""
        self.host.prelabel.load_model(self.host.model_path)
        session = self.host.settings.session() if restore else {}
        if path is not None:
            self.host.memory.apply_tools(session)
            self.open_path(Path(path))
        elif session.get("folder") and Path(session["folder"]).is_dir():
            self.host.memory.apply_tools(session)
            self.open_folder(Path(session["folder"]), select=session.get("image"), view=session.get("view"))
        elif session.get("video") and Path(session["video"]).exists():
            self.host.memory.apply_tools(session)
            self.host.videos.open_video(session["video"], view=session.get("view"))
        else:
            self.host.memory.apply_tools(session)
            self.open_path(SAMPLE_IMAGE)

    def open_dropped(self, path: Path) -> None:
        """A file dropped on the window: a checkpoint (.pt) becomes the model, anything else opens."""
        if path.suffix.lower() == ".pt":
            self.host.prelabel.load_model(str(path))
        else:
            self.open_path(path)

    def _start_dir(self) -> str:
        project = self.session.project
        return str(project.folder) if project else str(Path.home())

    def choose_image(self) -> None:
        path = self.host.dialogs.open_image(self.host, self._start_dir())
        if path is not None:
            self.open_path(path)

    def choose_folder(self) -> None:
        path = self.host.dialogs.open_folder(self.host, self._start_dir())
        if path is not None:
            self.open_folder(path)

    def open_path(self, path: Path) -> None:
        """A folder opens as a project; an image opens its folder at that image; a video file
        opens in video mode."""
        path = Path(path)
        if is_video_file(path):
            self.host.videos.open_video(path)
        elif path.is_dir():
            self.open_folder(path)
        elif path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
            self.open_folder(path.parent, select=path)
        elif path.is_file():
            self.host.show_notice(
                f"{path.name} is not an image this app opens ({', '.join(IMAGE_SUFFIXES)}).", "error"
            )
        else:
            self.host.show_notice(f"{path}: no such file or folder.", "error")

    def open_folder(
        self, folder: Path, select: Path | str | None = None, view: list[float] | None = None
    ) -> bool:
        host = self.host
        host.videos.close_video()
        self.session.leave_document()
        host.flush_saves()
        folder = Path(folder)
        try:
            project = Project(folder, label_dir=host.settings.label_dir_for(folder))
        except OSError as exc:
            host.show_notice(f"Cannot open the folder {folder}: {exc}", "error")
            return False
        if not len(project):
            host.show_notice(f"{folder} holds no images ({', '.join(IMAGE_SUFFIXES)}).", "warning")
        mode = ImageMode(project, self.session.saver, self.session.saves)
        self.session.set_mode(mode)
        host.prelabel.adopt_model_classes(project, warn=False)
        host.finetuning.use_project_model()  # the fine-tuned version this folder was last used with
        host.image_list.set_project(project)
        host.settings.add_recent_folder(project.folder)
        index = mode.first_index(select)
        if index is not None:
            self.load_image(index, view=view)
        host._update_actions()
        return True

    def load_image(self, index: int, view: list[float] | None = None) -> None:
        host, mode = self.host, self.session.mode
        project = self.session.project
        if project is None or not 0 <= index < len(project):
            return
        if index == mode.index and self.session.doc is not None:
            return
        self.session.leave_document()
        host.flush_saves()
        host.image_list.set_current(index)
        entry = project.entries[index]
        try:
            doc, warnings = mode.load(index)
        except (ImageReadError, OSError, ValueError) as exc:
            self.session.close_document()
            host.image_list.mark_error(index, str(exc))
            host.show_notice(
                f"Cannot open {entry.path.name}: {exc}. Your other images and labels "
                f"are unaffected; press D for the next image.",
                "error",
                key="image",
            )
            host._update_actions()
            return
        host.show_document(doc, view, fit=True)
        host.notice.dismiss("image")
        if warnings:
            host.show_notice(" ".join(warnings), "warning", key="image")
        host._update_actions()
        host._session_timer.start()
        host.prelabel.auto_prelabel()

    def next_unfinished(self) -> None:
        mode = self.session.mode
        index = mode.next_unfinished() if self.session.project is not None else None
        if index is not None:
            self.load_image(index)
        elif self.session.project is not None:
            self.host.status.bar.showMessage("Every image is done", 3000)

    def step(self, delta: int) -> None:
        """A / D: the next or previous image, or frame in video mode."""
        mode = self.session.mode
        if mode is None or not mode.count:
            return
        index = 0 if mode.index is None else mode.index + delta
        if 0 <= index < mode.count:
            opener = {ImageMode: self.load_image, VideoMode: self.host.videos.show_frame}[type(mode)]
            opener(index)
        else:
            self.host.status.bar.showMessage(f"First {mode.noun}" if index < 0 else f"Last {mode.noun}", 2000)
