"""The COCO export of a whole folder, off the GUI thread.

The tracing runs as a job of the window's :class:`~app.jobs.JobRunner` (:func:`coco_work`);
:class:`FolderExport` (GUI thread) shows a progress dialog whose Cancel stops it after the
current image, and reports the outcome in the notice bar. Each image's annotations are streamed
to a temporary file that takes the export's name only when every image is in, so a cancelled or
failed export leaves no file (and an older export of the same name intact).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6 import QtCore, QtWidgets

from srcrm.base.io import ImageReadError, read_label_png
from srcrm.data.labelsets import LabelSet
from srcrm.formats import coco
from srcrm.formats.polygons import polygonize

from ..document.classes import ClassTable
from ..jobs import Job, JobProgress
from .common import IoContext, export_labels, labelset_of
from .options import ExportOptions


@dataclass(frozen=True)
class ExportItem:
    """One labelled image: the name COCO stores, the image, and its labels (in memory for the
    open image, else the label PNG on disk)."""

    file_name: str
    image: Path
    label_path: Path
    labels: np.ndarray | None = None


@dataclass
class ExportReport:
    path: Path
    total: int
    written: int = 0
    cancelled: bool = False
    errors: list[str] = field(default_factory=list)
    failure: str | None = None  # the file itself could not be written


def coco_work(
    items: list[ExportItem], classes: ClassTable, labelset: LabelSet, out: Path, options: ExportOptions
):
    """The export as a job's ``work(job) -> ExportReport``: trace every image, then write."""

    def work(job) -> ExportReport:
        report = ExportReport(out, len(items))
        try:
            _trace_and_write(job, items, classes, labelset, options, report)
        except Exception as exc:  # noqa: BLE001 - reported, the app goes on
            report.failure = str(exc)
        return report

    return work


def _trace_and_write(job, items, classes, labelset, options, report: ExportReport) -> None:
    """Each image's annotations go to the file's temporary copy as they are traced (the
    memory is one image's); the file takes its name only when all are in."""
    out = coco.CocoFile(report.path, labelset, rle_all=options.rle_all)
    try:
        n = len(items)
        for k, item in enumerate(items):
            if job.should_stop():
                break
            job.report(k, n, item.image.name)
            try:
                labels = item.labels if item.labels is not None else read_label_png(item.label_path)
                with Image.open(item.image) as im:
                    size = im.size
                if size != (labels.shape[1], labels.shape[0]):
                    raise ValueError(
                        f"its labels are {labels.shape[1]}x{labels.shape[0]} but "
                        f"the image is {size[0]}x{size[1]}"
                    )
                coverage = polygonize(
                    export_labels(labels, classes),
                    labelset.num_classes,
                    tolerance=options.tolerance,
                    min_area=options.min_area,
                )
            except (ImageReadError, OSError, ValueError) as exc:
                report.errors.append(f"{item.image.name}: {exc}")
                continue
            out.add(item.file_name, coverage)
            report.written += 1
        if job.should_stop():
            report.cancelled, report.written = True, 0
            out.abort()
            return
        job.report(n, n, "")
        out.close()
    except BaseException:
        report.written = 0
        out.abort()
        raise


def coco_file_name(image: Path, out: Path) -> str:
    """The image as COCO's ``file_name``: relative to the JSON's folder when it lies below it,
    else its name alone."""
    try:
        rel = Path(os.path.relpath(image.resolve(), out.resolve().parent))
    except ValueError:  # another drive (Windows)
        return image.name
    return image.name if rel.parts[:1] == ("..",) or rel.is_absolute() else rel.as_posix()


class FolderExport(QtCore.QObject):
    """One running COCO export (GUI side). ``done(report)`` when it is over."""

    done = QtCore.Signal(object)

    def __init__(
        self, ctx: IoContext, items: list[ExportItem], classes: ClassTable, out: Path, options: ExportOptions
    ):
        super().__init__(ctx.ui.parent)
        self._ctx = ctx
        self._closing = False
        self.report: ExportReport | None = None
        self.out, self.total = out, len(items)
        self._work = coco_work(items, classes, labelset_of(classes), out, options)
        self.job: Job | None = None

        self.dialog = QtWidgets.QProgressDialog(
            f"Exporting {len(items)} images as COCO JSON…", "Cancel", 0, max(1, len(items)), ctx.ui.parent
        )
        self.dialog.setWindowTitle("Export Folder as COCO JSON")
        self.dialog.setWindowModality(QtCore.Qt.WindowModality.NonModal)  # labelling goes on
        self.dialog.setMinimumDuration(400)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.canceled.connect(self.cancel)
        self.dialog.setValue(0)

    def start(self) -> None:
        job = self.job = self._ctx.session.jobs.submit("COCO export", self._work, lane="export")
        job.progress.connect(self._on_progress)
        job.succeeded.connect(self._on_finished)
        job.failed.connect(
            lambda message: self._on_finished(ExportReport(self.out, self.total, failure=message))
        )

    @property
    def running(self) -> bool:
        return self.report is None

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
        if self.report is None and not self._closing:
            self.dialog.setLabelText("Cancelling after the current image…")

    def shutdown(self, timeout_ms: int = 60000) -> None:
        """Stop and wait (the window is closing): a cancelled export writes nothing."""
        self._closing = True
        if self.job is not None:
            self.job.cancel()
            self.job.wait(timeout_ms / 1000)
        self._close_dialog()
        if self.report is None:
            self.report = ExportReport(self.out, self.total, cancelled=True)

    def _on_progress(self, p: JobProgress) -> None:
        if self._closing or self.job is None or self.job.cancelled:
            return
        self.dialog.setMaximum(max(1, p.total))
        self.dialog.setValue(p.done)
        self.dialog.setLabelText(
            f"Exporting {p.text} ({p.done + 1} of {p.total})…" if p.text else f"Writing {self.out.name}…"
        )

    def _on_finished(self, report: ExportReport) -> None:
        if self._closing:  # the window is closing: shutdown() has cleaned up
            return
        self.report = report
        self._close_dialog()
        self._ctx.ui.notify(*describe(report), key="export")
        self.done.emit(report)

    def _close_dialog(self) -> None:
        try:
            self.dialog.canceled.disconnect(self.cancel)
        except (RuntimeError, TypeError):
            pass  # already disconnected
        self.dialog.reset()
        self.dialog.hide()
        self.dialog.deleteLater()


def describe(report: ExportReport) -> tuple[str, str]:
    """The notice for an export's outcome: (text, level)."""
    if report.failure is not None:
        return (f"The COCO export could not write {report.path}: {report.failure}", "error")
    if report.cancelled:
        return (f"COCO export cancelled; {report.path.name} was not written.", "info")
    text = f"Exported {report.written} images as COCO JSON to {report.path}."
    if report.errors:
        shown = "; ".join(report.errors[:3])
        more = f" (and {len(report.errors) - 3} more)" if len(report.errors) > 3 else ""
        return (
            f"{text} {len(report.errors)} could not be exported and were left out: {shown}{more}.",
            "warning",
        )
    return (text, "info")
