"""The File menu's Export and Import entries, over the engine's formats (:mod:`srcrm.formats`).

* :mod:`~app.io_actions.exporters`: the open image in any format of the engine's table
  (:mod:`srcrm.formats.registry`, one menu entry each); the folder as COCO JSON (in a worker
  thread, with progress and cancel: :mod:`~app.io_actions.folder_export`); a cut-out or SVG
  path of one class;
* :mod:`~app.io_actions.importers`: a file of any readable format of the table into the open
  image, as one undo step;
* :mod:`~app.io_actions.dialogs`: the questions they ask (stubbable like :mod:`app.dialogs`).

:func:`register` puts the entries in :data:`app.actions.EXPORTERS` / ``IMPORTERS``;
:func:`shutdown` stops a running export when the window closes.
"""

from __future__ import annotations

import functools

from srcrm.formats import registry

from .. import actions
from . import exporters, importers
from .common import UserError, labelset_of, state
from .dialogs import ExportOptions, IoDialogs

__all__ = ["ExportOptions", "IoDialogs", "UserError", "current_job", "labelset_of", "register", "shutdown"]

CURRENT_IMAGE = "Current Image As"


def _guarded(verb: str, handler):
    """Problems the user can act on go to the notice bar as they are; a file the system
    refuses (no space, no permission) as an error naming it."""

    @functools.wraps(handler)
    def run(window):
        key = verb.lower()  # a new message replaces the last one of the same kind
        try:
            handler(window)
        except UserError as exc:
            window.show_notice(str(exc), "warning", key=key)
        except OSError as exc:
            where = f" {exc.filename}:" if getattr(exc, "filename", None) else ""
            window.show_notice(f"{verb} failed:{where} {exc.strerror or exc}", "error", key=key)
        except ValueError as exc:  # the formats' FormatError is one, with the file named
            window.show_notice(f"{verb} failed: {exc}", "error", key=key)

    return run


def _has_doc(window) -> bool:
    return window.doc is not None and window.doc.path is not None


def _has_labelled_images(window) -> bool:
    return bool(exporters.labelled_entries(window))


def register() -> None:
    """Fill the Export and Import menus (again: entries are replaced, not doubled)."""
    ex, im = actions.register_exporter, actions.register_importer
    for fmt in registry.FORMATS.values():  # the engine's table of formats
        if not fmt.folder_only:
            ex(
                f"{fmt.label}…",
                _guarded("Export", functools.partial(exporters.export_as, fmt=fmt)),
                enabled=_has_doc,
                submenu=CURRENT_IMAGE,
                section="image",
                tip=fmt.tip,
            )
    ex(
        "Folder as COCO JSON…",
        _guarded("Export", exporters.export_coco_folder),
        enabled=_has_labelled_images,
        section="folder",
        tip="Every image with labels (pre-labelled, edited or done) in one COCO file",
    )
    ex(
        "Cut-out of a Class (RGBA PNG)…",
        _guarded("Export", exporters.export_cutout),
        enabled=_has_doc,
        section="editors",
        tip="The image where one class is, transparent elsewhere, optionally feathered",
    )
    ex(
        "SVG Path of a Class…",
        _guarded("Export", exporters.export_svg),
        enabled=_has_doc,
        section="editors",
        tip="One class's outline as an SVG path, in image pixels",
    )
    for fmt in registry.FORMATS.values():
        if fmt.readable:
            title = f"{fmt.label} (this image)…" if fmt.folder_only else f"{fmt.label}…"
            im(
                title,
                _guarded("Import", functools.partial(importers.import_as, fmt=fmt)),
                enabled=_has_doc,
                tip="Replaces the labels of the image on screen (Ctrl+Z undoes it)",
            )


def current_job(window):
    """The folder export running for ``window``, or None."""
    job = state(window).job
    return job if job is not None and job.running else None


def shutdown(window) -> None:
    """Stop a running folder export (nothing is written) and wait for its thread."""
    job = state(window).job
    if job is not None and job.running:
        job.shutdown()
