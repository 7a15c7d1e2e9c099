"""What the exporters and importers share: the class table as the engine's label set, the
label map as the formats expect it, the places and options last used, the one guard on where
an export may write, and the one wrapper that turns a handler into a command."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from srcrm.base.package_data import resource_dir
from srcrm.data.labelsets import LabelSet

from ..document.classes import ClassTable, rgb8
from ..session import Session
from ..ui import Ui
from .options import ClassItem, ExportOptions

NO_CLASS = 255  # a value no class has: the formats take it as unlabelled


class UserError(Exception):
    """A problem the user can fix (nothing to export, a file of the wrong size): its message is
    shown as it is, in the notice bar."""


def labelset_of(classes: ClassTable, name: str = "srcrm-studio") -> LabelSet:
    """The engine's label set for the window's class table (names, colours, ignore index)."""
    return LabelSet(
        name, tuple(classes.names), tuple(rgb8(c) for c in classes.colors), int(classes.ignore_index)
    )


def export_labels(labels: np.ndarray, classes: ClassTable) -> np.ndarray:
    """``labels`` with every unlabelled pixel outside ``0..len(classes)-1``. A table that grew
    past its ignore index keeps a placeholder class there; its pixels are unlabelled, not a
    class named "unlabelled"."""
    if classes.ignore_index < len(classes):
        return np.where(labels == classes.ignore_index, NO_CLASS, labels).astype(np.uint8)
    return labels


def class_items(labels: np.ndarray, classes: ClassTable) -> list[ClassItem]:
    """The classes present in ``labels``, with their pixel counts, in id order."""
    counts = np.bincount(labels.ravel(), minlength=256)
    return [
        ClassItem(i, name, rgb8(rgb), int(counts[i]))
        for i, (name, rgb) in enumerate(zip(classes.names, classes.colors))
        if i != classes.ignore_index and counts[i]
    ]


def inside_install(path: Path) -> bool:
    """Whether ``path`` is in the app's own files (the bundled samples, the code): no place
    for a person's exports."""
    path = path.resolve()
    own = (resource_dir().resolve(), Path(__file__).resolve().parents[1])
    return any(path == d or d in path.parents for d in own)


class ExportPlaces:
    """Where the exports of this window go: the folder used last (kept across runs through
    ``remembered``), the options chosen last."""

    def __init__(
        self, last_dir: Path | None = None, remembered: Callable[[Path], None] | None = None
    ) -> None:
        self.last_dir = last_dir
        self._remembered = remembered
        self.options = ExportOptions()

    def start_path(self, session: Session, file_name: str = "") -> Path:
        """Where a file dialog opens: the folder used last, else the open image's or video's,
        else the home folder; never inside the app's install (the bundled sample's folder)."""
        doc, project, video = session.doc, session.project, session.video
        candidates = [
            self.last_dir,
            doc.path.parent if doc is not None and doc.path is not None else None,
            project.folder if project is not None else None,
            video.path.parent if video is not None else None,
        ]
        folder = next(
            (f for f in candidates if f is not None and f.is_dir() and not inside_install(f)), Path.home()
        )
        return folder / file_name if file_name else folder

    def remember(self, path: Path, *, folder: bool = False) -> None:
        self.last_dir = Path(path) if folder else Path(path).parent
        if self._remembered is not None:
            self._remembered(self.last_dir)


@dataclass(frozen=True)
class IoContext:
    """What an export or import uses: the session (what is open), the window's questions and
    notices, and the places and options last used."""

    session: Session
    ui: Ui
    places: ExportPlaces


def check_target(session: Session, path: Path) -> Path:
    """The one export guard: refuse to write over one of the images or the video being
    labelled, or into the app's own label folders (the open mode says which they are)."""
    path = Path(path)
    if session.mode is None:
        return path
    resolved = path.resolve()
    files, folders = session.mode.own_files()
    if resolved in {f.resolve() for f in files}:
        raise UserError(f"{path.name} is being labelled here; choose another name for the export.")
    for folder in folders:
        own = folder.resolve()
        if resolved == own or own in resolved.parents:
            raise UserError(f"{folder} holds the app's own label files; choose another place for the export.")
    return path


def guarded(ctx: IoContext, verb: str, handler: Callable[[], object]) -> Callable[[], None]:
    """``handler()`` as a command: the labels on disk first; problems the person can act on
    go to the notice bar as they are, a file the system refuses (no space, no permission) as an
    error naming it, so a failing format never takes the app down."""
    key = verb.lower()  # a new message replaces the last one of the same kind

    def run() -> None:
        ctx.session.saver.flush()
        try:
            handler()
        except UserError as exc:
            ctx.ui.notify(str(exc), "warning", key)
        except OSError as exc:
            where = f" {exc.filename}:" if getattr(exc, "filename", None) else ""
            ctx.ui.notify(f"{verb} failed:{where} {exc.strerror or exc}", "error", key)
        except ValueError as exc:  # the formats' FormatError is one, with the file named
            ctx.ui.notify(f"{verb} failed: {exc}", "error", key)

    return run


def safe_name(text: str) -> str:
    """``text`` fit for a file name."""
    out = "".join(c if c.isalnum() or c in "-_." else "_" for c in text.strip())
    return out.strip("._") or "class"
