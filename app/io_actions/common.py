"""What the exporters and importers share: the class table as the engine's label set, the
label map as the formats expect it, and each window's remembered choices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6 import QtCore

from srcrm.data.labelsets import LabelSet

from ..document.classes import ClassTable
from .dialogs import ClassItem, ExportOptions

NO_CLASS = 255  # a value no class has: the formats take it as unlabelled


class UserError(Exception):
    """A problem the user can fix (nothing to export, a file of the wrong size): its message is
    shown as it is, in the notice bar."""


def labelset_of(classes: ClassTable, name: str = "srcrm-studio") -> LabelSet:
    """The engine's label set for the window's class table (names, colours, ignore index)."""
    return LabelSet(
        name, tuple(classes.names), tuple(tuple(c) for c in classes.colors), int(classes.ignore_index)
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
        ClassItem(i, name, tuple(rgb), int(counts[i]))
        for i, (name, rgb) in enumerate(zip(classes.names, classes.colors))
        if i != classes.ignore_index and counts[i]
    ]


class IoState(QtCore.QObject):
    """Per window: the folder last used, the options last chosen, the folder export running."""

    NAME = "srcrmIoActions"

    def __init__(self, window):
        super().__init__(window)
        self.setObjectName(self.NAME)
        self.last_dir: Path | None = None
        self.options = ExportOptions()
        self.job = None  # the running FolderExport, if any


def state(window) -> IoState:
    for child in window.findChildren(QtCore.QObject, IoState.NAME):
        if isinstance(child, IoState):
            return child
    return IoState(window)


def start_path(window, file_name: str = "") -> Path:
    """Where a file dialog opens: the folder used last, else the image's folder."""
    st = state(window)
    folder = st.last_dir
    if folder is None or not folder.is_dir():
        doc = window.doc
        if doc is not None and doc.path is not None:
            folder = doc.path.parent
        elif window.project is not None:
            folder = window.project.folder
        else:
            folder = Path.home()
    return folder / file_name if file_name else folder


def remember(window, path: Path, *, folder: bool = False) -> None:
    state(window).last_dir = Path(path) if folder else Path(path).parent


def check_target(window, path: Path) -> Path:
    """Refuse to write over one of the folder's images or into the app's own label folder."""
    path = Path(path)
    resolved = path.resolve()
    project = window.project
    if project is not None:
        if any(e.path == resolved for e in project.entries):
            raise UserError(
                f"{path.name} is one of the images being labelled; choose another name for the export."
            )
        label_dir = project.label_dir.resolve()
        if resolved == label_dir or label_dir in resolved.parents:
            raise UserError(
                f"{project.label_dir} holds the app's own label files; choose another folder for the export."
            )
    return path


def safe_name(text: str) -> str:
    """``text`` fit for a file name."""
    out = "".join(c if c.isalnum() or c in "-_." else "_" for c in text.strip())
    return out.strip("._") or "class"
