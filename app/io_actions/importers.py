"""File > Import: labels from a file of any readable format of :mod:`srcrm.formats.registry`
into the open image (from a file of several images, as COCO's, those of the image's name).

Class names are matched to the folder's classes by name (:class:`srcrm.formats.ClassLookup`).
The import replaces the whole label map as ONE undo step, so Ctrl+Z brings the previous labels
back; the image becomes "edited" (a "done" image stays done, as after any edit) and is saved
automatically. A file that cannot be read, names an unknown class or has another size leaves
the labels as they were and says why in the notice bar.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from srcrm.formats import registry
from srcrm.formats.errors import FormatError
from srcrm.formats.reading import Sample

from ..document.geometry import Rect
from ..document.label_document import LabelDocument
from .common import IoContext, UserError, labelset_of


def _document(ctx: IoContext) -> tuple[LabelDocument, Path]:
    doc = ctx.session.doc
    if doc is None or doc.path is None:
        raise UserError("Open an image first: an import replaces the labels of the image on screen.")
    return doc, doc.path


def _choose(ctx: IoContext, title: str, file_filter: str) -> Path | None:
    path = ctx.ui.dialogs.open_file(ctx.ui.parent, title, ctx.places.start_path(ctx.session), file_filter)
    if path is not None:
        ctx.places.remember(Path(path))
    return None if path is None else Path(path)


def _failed(ctx: IoContext, doc: LabelDocument, source: Path, reason: str) -> None:
    ctx.ui.notify(
        f"Could not import {source.name} into {doc.name}: {reason}. The labels are unchanged.",
        "error",
        key="import",
    )


def _read(ctx: IoContext, doc: LabelDocument, source: Path, reader) -> np.ndarray | None:
    """``reader(labelset)``'s labels, or None after telling the user why not."""
    try:
        labels = reader(labelset_of(doc.classes))
    except FormatError as exc:
        where = f"{exc.shape}: " if exc.shape else ""
        _failed(ctx, doc, source, f"{where}{exc.reason}")
        return None
    except (OSError, ValueError) as exc:  # e.g. class names that differ only in case
        _failed(ctx, doc, source, str(exc))
        return None
    if labels.shape != doc.shape:
        _failed(
            ctx,
            doc,
            source,
            f"its labels are {labels.shape[1]}x{labels.shape[0]} but the image is {doc.width}x{doc.height}",
        )
        return None
    return labels


def apply_labels(
    ctx: IoContext, doc: LabelDocument, labels: np.ndarray, source: Path, what: str, note: str = ""
) -> bool:
    """Replace the open image's labels with ``labels`` as one undo step."""
    ctx.session.editor.cancel()  # no half-drawn polygon or open stroke across the import
    labels = np.ascontiguousarray(labels, dtype=np.uint8)
    if np.array_equal(labels, doc.labels):
        ctx.ui.notify(
            f"{source.name} holds the labels {doc.name} already has; nothing changed.{note}",
            "info",
            key="import",
        )
        return False
    doc.set_region(Rect.full(doc.shape), labels, name=f"Import {what}")
    ctx.ui.notify(
        f"Imported {what} labels from {source.name} into {doc.name} (Ctrl+Z undoes it).{note}",
        "info",
        key="import",
    )
    return True


def import_as(ctx: IoContext, fmt: registry.Format) -> None:
    """The labels a file of ``fmt`` holds for the open image (a file of several images, as
    COCO's, is searched by the image's name), as one undo step."""
    doc, image = _document(ctx)
    source = _choose(ctx, f"Import {fmt.label}", f"{fmt.label} ({fmt.file_patterns})")
    if source is None:
        return
    found: list[Sample] = []

    def read(labelset):
        found.append(registry.read_one(fmt, source, labelset, image))
        return found[0].labels

    labels = _read(ctx, doc, source, read)
    if labels is None:
        return
    sample = found[0]
    note = "".join(f" Note: {w}" for w in sample.warnings[:3])
    if len(sample.warnings) > 3:
        note += f" (and {len(sample.warnings) - 3} more notes)"
    if sample.image is not None and sample.image.stem != image.stem:
        note += f" Note: the file was made for {sample.image.name}."
    apply_labels(ctx, doc, labels, source, fmt.label, note)
