"""File > Import and File > Export as commands: one entry per format of the engine's table
(:mod:`srcrm.formats.registry`), the folder as COCO JSON, a class's cut-out and SVG path; and
the folder export running (one at a time, stopped when the window closes)."""

from __future__ import annotations

import functools

from srcrm.formats import registry

from ..session import Command, Menu, Session
from ..settings import AppSettings
from ..ui import Ui
from . import exporters, importers
from .common import ExportPlaces, IoContext, UserError, guarded
from .folder_export import FolderExport


class IoActions:
    def __init__(self, session: Session, ui: Ui, settings: AppSettings) -> None:
        places = ExportPlaces(settings.last_export_dir(), settings.set_last_export_dir)
        self.ctx = IoContext(session, ui, places)
        self.folder_export: FolderExport | None = None

    def commands(self) -> list[Command | Menu]:
        ctx, session = self.ctx, self.ctx.session

        def has_image() -> bool:
            return session.doc is not None and session.doc.path is not None

        entries: list[Command | Menu] = [
            Menu("file.import", "&Import", "file", "3_io"),
            Menu("file.export", "&Export", "file", "3_io"),
            Menu("file.export.image", "Current Image As", "file.export", "1_image"),
        ]
        for fmt in registry.FORMATS.values():
            if not fmt.folder_only:
                run = guarded(ctx, "Export", functools.partial(exporters.export_as, ctx, fmt))
                entries.append(
                    Command(
                        f"export.image.{fmt.name}",
                        f"{fmt.label}…",
                        run,
                        "file.export.image",
                        tip=fmt.tip,
                        enabled=has_image,
                    )
                )
        entries += [
            Command(
                "export.coco_folder",
                "Folder as COCO JSON…",
                guarded(ctx, "Export", self._export_coco_folder),
                "file.export",
                "2_folder",
                tip="Every image with labels (pre-labelled, edited or done) in one COCO file",
                enabled=lambda: bool(exporters.labelled_entries(ctx)),
            ),
            Command(
                "export.cutout",
                "Cut-out of a Class (RGBA PNG)…",
                guarded(ctx, "Export", functools.partial(exporters.export_cutout, ctx)),
                "file.export",
                "3_editors",
                tip="The image where one class is, transparent elsewhere, optionally feathered",
                enabled=has_image,
            ),
            Command(
                "export.svg",
                "SVG Path of a Class…",
                guarded(ctx, "Export", functools.partial(exporters.export_svg, ctx)),
                "file.export",
                "3_editors",
                tip="One class's outline as an SVG path, in image pixels",
                enabled=has_image,
            ),
        ]
        for fmt in registry.FORMATS.values():
            if fmt.readable:
                title = f"{fmt.label} (this image)…" if fmt.folder_only else f"{fmt.label}…"
                run = guarded(ctx, "Import", functools.partial(importers.import_as, ctx, fmt))
                entries.append(
                    Command(
                        f"import.{fmt.name}",
                        title,
                        run,
                        "file.import",
                        tip="Replaces the labels of the image on screen (Ctrl+Z undoes it)",
                        enabled=has_image,
                    )
                )
        return entries

    def current_job(self) -> FolderExport | None:
        """The folder export running, or None."""
        job = self.folder_export
        return job if job is not None and job.running else None

    def _export_coco_folder(self) -> None:
        if self.current_job() is not None:
            raise UserError("A COCO export is already running; wait for it or cancel it.")
        job = exporters.export_coco_folder(self.ctx)
        if job is not None:
            self.folder_export = job
            job.done.connect(lambda _report: self._forget(job))

    def _forget(self, job: FolderExport) -> None:
        if self.folder_export is job:
            self.folder_export = None
        job.deleteLater()

    def shutdown(self) -> None:
        """Stop a running folder export (nothing is written) and wait for its thread."""
        job = self.current_job()
        if job is not None:
            job.shutdown()
