"""Export and import entries for the File menu.

The formats live in ``srcrm.formats``; :mod:`app.io_actions` registers the app's entries for
them here. A format registers a handler that receives the main window, whose public API is
enough: ``window.project`` (:class:`~app.document.project.Project`: folder, entries,
``label_path``, ``classes``), ``window.doc`` (the open
:class:`~app.document.label_document.LabelDocument` or None), ``window.flush_saves()`` (wait
until every label file is on disk), and ``window.show_notice(text, level)``.

Example::

    from .actions import register_exporter
    register_exporter("COCO JSON…", lambda window: export_coco(window.project))

``enabled(window)`` greys an entry out when it cannot run (no image open, say); entries with the
same ``submenu`` go into one submenu; a change of ``section`` puts a separator between entries.
Registering a title again replaces the earlier entry.
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
    enabled: Callable[[QtWidgets.QMainWindow], bool] | None = None
    submenu: str | None = None
    section: str | None = None
    tip: str | None = None


EXPORTERS: list[FileAction] = []
IMPORTERS: list[FileAction] = []


def _register(entries: list[FileAction], entry: FileAction) -> None:
    for k, old in enumerate(entries):
        if old.title == entry.title and old.submenu == entry.submenu:
            entries[k] = entry
            return
    entries.append(entry)


def register_exporter(title: str, handler: Callable, shortcut: str | None = None, **options) -> None:
    """A File > Export entry; ``options``: :class:`FileAction`'s enabled, submenu, section, tip."""
    _register(EXPORTERS, FileAction(title, handler, shortcut, **options))


def register_importer(title: str, handler: Callable, shortcut: str | None = None, **options) -> None:
    """A File > Import entry; ``options`` as for :func:`register_exporter`."""
    _register(IMPORTERS, FileAction(title, handler, shortcut, **options))


def fill_menu(menu: QtWidgets.QMenu, window: QtWidgets.QMainWindow, entries: list[FileAction]) -> None:
    """(Re)build ``menu`` from ``entries``; a greyed-out line when there are none yet."""
    menu.clear()
    if not entries:
        placeholder = menu.addAction("No formats available yet")
        placeholder.setEnabled(False)
        return
    submenus: dict[str, QtWidgets.QMenu] = {}
    section = entries[0].section
    for entry in entries:
        if entry.section != section:
            menu.addSeparator()
            section = entry.section
        target = menu
        if entry.submenu:
            target = submenus.get(entry.submenu)
            if target is None:
                target = submenus[entry.submenu] = menu.addMenu(entry.submenu)
                target.setToolTipsVisible(True)
        action = target.addAction(entry.title)
        if entry.shortcut:
            action.setShortcut(QtGui.QKeySequence(entry.shortcut))
        if entry.tip:
            action.setToolTip(entry.tip)
            action.setStatusTip(entry.tip)
        action.setEnabled(_enabled(entry, window))
        action.triggered.connect(lambda _=False, e=entry: _run(window, e))
    for sub in submenus.values():
        sub.setEnabled(any(a.isEnabled() for a in sub.actions()))
    menu.setToolTipsVisible(True)


def _enabled(entry: FileAction, window) -> bool:
    if entry.enabled is None:
        return True
    try:
        return bool(entry.enabled(window))
    except Exception:  # noqa: BLE001 - a broken check greys the entry out, nothing worse
        return False


def _run(window, entry: FileAction) -> None:
    window.flush_saves()
    try:
        entry.handler(window)
    except Exception as exc:  # noqa: BLE001 - a failing format must not take the app down
        window.show_notice(f"{entry.title.rstrip('…')} failed: {exc}", "error")
