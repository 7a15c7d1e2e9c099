"""Opening folders and images as the user sees it: the file dialogs, Open Recent (folders and
videos), what a dropped or named path opens, the start (a path, the last session, the bundled
sample; a last session whose folder or video is gone says so), and the image list of a folder.
It opens folders for the session (an :class:`~app.session.Opener`): which image comes first
is the Qt-free image mode's decision, the opening itself the session's one sequence."""

from __future__ import annotations

import functools
from pathlib import Path

from srcrm.base.suffixes import IMAGE_SUFFIXES

from .canvas import Canvas
from .document.label_document import LabelDocument
from .document.project import Project
from .image_list import ImageList
from .session import Command, ImageMode, Menu, Session
from .session_memory import SessionMemory
from .settings import SAMPLE_IMAGE, AppSettings, Recent
from .ui import Ui


class ImageFlow:
    kind = "folder"

    def __init__(
        self,
        session: Session,
        ui: Ui,
        settings: AppSettings,
        image_list: ImageList,
        canvas: Canvas,
        memory: SessionMemory,
    ) -> None:
        self.session = session
        self.ui = ui
        self.settings = settings
        self.image_list = image_list
        self.canvas = canvas
        self.memory = memory
        self._mode: ImageMode | None = None  # the folder this opened, while it is open
        session.openers.append(self)
        session.document_changed.connect(self._on_document_changed)
        session.document_failed.connect(self._on_document_failed)

    def commands(self) -> list[Command | Menu]:
        session = self.session

        def has_images() -> bool:
            return session.mode is not None and session.mode.count > 0

        return [
            Command("file.open_image", "Open &Image…", self.choose_image, "file", "1_open", ("Ctrl+O",)),
            Command(
                "file.open_folder", "Open &Folder…", self.choose_folder, "file", "1_open", ("Ctrl+Shift+O",)
            ),
            Menu("file.recent", "Open &Recent", "file", "1_open", fill=self._recent),
            Command(
                "image.prev",
                "&Previous Image",
                lambda: session.step(-1),
                "image",
                "1_go",
                ("A",),
                enabled=has_images,
            ),
            Command(
                "image.next",
                "&Next Image",
                lambda: session.step(+1),
                "image",
                "1_go",
                ("D",),
                enabled=has_images,
            ),
            Command(
                "image.next_unfinished",
                lambda: f"Next &Unfinished {session.mode.noun.title() if session.mode else 'Image'}",
                session.next_unfinished,
                "image",
                "1_go",
                ("Shift+D",),
                "The next image (in a video, frame) not marked done",
                enabled=has_images,
            ),
        ]

    # --- starting -----------------------------------------------------------------------------

    def start(self, path: str | Path | None = None, restore: bool = True) -> None:
        """Load the model (in the background) and open ``path``, the last session, or the
        bundled sample."""
        self.session.load_model(self.session.model_path)
        saved = self.settings.session() if restore else {}
        self.memory.apply_tools(saved)
        folder, video = saved.get("folder"), saved.get("video")
        if path is not None:
            self.session.open_path(Path(path))
        elif folder and Path(folder).is_dir():
            self.session.open_path(Path(folder), select=saved.get("image"), view=saved.get("view"))
        elif video and Path(video).exists():
            self.session.open_path(Path(video), view=saved.get("view"), kind="video")
        else:
            self.session.open_path(SAMPLE_IMAGE)
            if folder or video:
                what = f"folder {folder}" if folder else f"video {video}"
                self.ui.notify(
                    f"The last session's {what} is no longer there (moved or deleted?), so the "
                    f"bundled sample opened instead. File > Open Recent lists what you opened before.",
                    "warning",
                    "open",
                )

    def open_dropped(self, path: Path) -> None:
        """A file dropped on the window: a checkpoint (.pt) becomes the model, anything else opens."""
        if path.suffix.lower() == ".pt":
            self.session.load_model(str(path))
        else:
            self.session.open_path(path)

    def _start_dir(self) -> str:
        project = self.session.project
        return str(project.folder) if project else str(Path.home())

    def choose_image(self) -> None:
        path = self.ui.dialogs.open_image(self.ui.parent, self._start_dir())
        if path is not None:
            self.session.open_path(path)

    def choose_folder(self) -> None:
        path = self.ui.dialogs.open_folder(self.ui.parent, self._start_dir())
        if path is not None:
            self.session.open_path(path)

    def _recent(self) -> list[Command]:
        items = self.settings.recent()
        if not items:
            return [Command("file.recent.none", "Nothing opened yet", lambda: None, enabled=lambda: False)]
        entries = [
            Command(
                f"file.recent.{k}",
                f"{item.path}  (video)" if item.kind == "video" else item.path,
                functools.partial(self.open_recent, item),
            )
            for k, item in enumerate(items)
        ]
        return [*entries, Command("file.recent.clear", "Clear the List", self.settings.clear_recent)]

    def open_recent(self, item: Recent) -> None:
        """Open a recent folder or video; one no longer there is said so and leaves the list."""
        path = Path(item.path)
        if not path.exists():
            self.settings.forget_recent(item.path)
            self.ui.notify(f"{path} is no longer there (moved or deleted?).", "warning", "open")
            return
        self.session.open_path(path, kind=item.kind)

    # --- the opener of folders ----------------------------------------------------------------

    def accepts(self, path: Path) -> bool:
        return path.is_dir() or (path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES)

    def open(self, path: Path, select: str | None = None, view: list[float] | None = None) -> bool:
        """A folder opens as a project; an image opens its folder at that image."""
        folder, select = (path, select) if path.is_dir() else (path.parent, path.name)
        try:
            project = Project(folder, label_dir=self.settings.label_dir_for(folder))
        except OSError as exc:
            self.ui.notify(f"Cannot open the folder {folder}: {exc}", "error", "open")
            return False
        mode = ImageMode(project, self.session.saver, self.session.saves)
        self.session.open_mode(mode)
        if not len(project):
            self.ui.notify(f"{folder} holds no images ({', '.join(IMAGE_SUFFIXES)}).", "warning", "open")
        self._mode = mode
        self.image_list.set_project(project)
        self.settings.add_recent(project.folder)
        index = mode.first_index(select)
        if index is not None and self.session.open_document(index) and view is not None and len(view) == 4:
            self.canvas.set_view_rect(view)
        return True

    def _on_document_changed(self, doc: LabelDocument | None) -> None:
        if self._mode is not None and self.session.mode is self._mode:
            self.image_list.set_current(self._mode.index)

    def _on_document_failed(self, index: int, message: str) -> None:
        if self._mode is not None and self.session.mode is self._mode:
            self.image_list.set_current(index)
            self.image_list.mark_error(index, message)
