"""Export and import entries for the File menu.

The formats live in ``srcrm.formats`` (another issue); this module is where they plug in. A
format registers a handler that receives the main window, whose public API is enough:
``window.project`` (:class:`~app.document.project.Project`: folder, entries, ``label_path``,
``classes``), ``window.doc`` (the open :class:`~app.document.label_document.LabelDocument` or
None), ``window.flush_saves()`` (wait until every label file is on disk), and
``window.show_notice(text, level)``.

Example::

    from app.actions import register_exporter
    register_exporter("COCO JSON…", lambda window: export_coco(window.project))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6 import QtGui, QtWidgets


@dataclass(frozen=True)
class FileAction:
    title: str
    handler: Callable[[QtWidgets.QMainWindow], None]
    shortcut: str | None = None


EXPORTERS: list[FileAction] = []
IMPORTERS: list[FileAction] = []


def register_exporter(title: str, handler: Callable, shortcut: str | None = None) -> None:
    EXPORTERS.append(FileAction(title, handler, shortcut))


def register_importer(title: str, handler: Callable, shortcut: str | None = None) -> None:
    IMPORTERS.append(FileAction(title, handler, shortcut))


def fill_menu(menu: QtWidgets.QMenu, window: QtWidgets.QMainWindow, entries: list[FileAction]) -> None:
    """(Re)build ``menu`` from ``entries``; a greyed-out line when there are none yet."""
    menu.clear()
    if not entries:
        placeholder = menu.addAction("No formats available yet")
        placeholder.setEnabled(False)
        return
    for entry in entries:
        action = menu.addAction(entry.title)
        if entry.shortcut:
            action.setShortcut(QtGui.QKeySequence(entry.shortcut))
        action.triggered.connect(lambda _=False, e=entry: _run(window, e))


def _run(window, entry: FileAction) -> None:
    window.flush_saves()
    try:
        entry.handler(window)
    except Exception as exc:  # noqa: BLE001 - a failing format must not take the app down
        window.show_notice(f"{entry.title.rstrip('…')} failed: {exc}", "error")
