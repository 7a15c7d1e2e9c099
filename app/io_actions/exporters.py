"""File > Export: the open image in any format of :mod:`srcrm.formats.registry` (one file, or a
folder laid out as the format's tools expect); the folder as one COCO JSON (in the
background); and, for image and video editors, an RGBA cut-out or the SVG path of one class.

Each handler takes the :class:`~app.io_actions.common.IoContext`, asks what to export
(:class:`~app.io_actions.options.ExportOptions`), then where (the one guard,
:func:`~app.io_actions.common.check_target`, refuses the app's own files), writes with
:mod:`srcrm.formats`, and reports in the notice bar. Polygon exports trace the label map with
:func:`srcrm.formats.polygons.polygonize`; tolerance 0 keeps them exact.
"""

from __future__ import annotations

from pathlib import Path

from srcrm.formats import cutout, registry, svg
from srcrm.formats.layout import ExportSettings
from srcrm.formats.polygons import Coverage, polygonize

from ..document.label_document import ImageState, LabelDocument
from ..document.project import ImageEntry
from .common import IoContext, UserError, check_target, class_items, export_labels, labelset_of, safe_name
from .folder_export import ExportItem, FolderExport, coco_file_name
from .options import JSON_FILTER, PNG_FILTER, SVG_FILTER, ExportOptions

POLYGON_FIELDS = ("tolerance", "min_area")


# --- helpers ----------------------------------------------------------------------------------


def _document(ctx: IoContext) -> tuple[LabelDocument, Path]:
    """The open image and its file."""
    doc = ctx.session.doc
    if doc is None or doc.path is None:
        raise UserError("Open an image first: this exports the labels of the image on screen.")
    return doc, doc.path


def _options(
    ctx: IoContext, title: str, fields, classes=(), total_pixels: int = 1, **defaults
) -> ExportOptions | None:
    places = ctx.places
    chosen = ctx.ui.dialogs.export_options(
        ctx.ui.parent, title, places.options.with_(**defaults), fields, classes, total_pixels
    )
    if chosen is not None:
        places.options = chosen
    return chosen


def save_path(ctx: IoContext, title: str, default_name: str, file_filter: str, suffix: str) -> Path | None:
    """Ask where to write one file (``suffix`` added when the name has none); guarded."""
    start = ctx.places.start_path(ctx.session, default_name)
    path = ctx.ui.dialogs.save_file(ctx.ui.parent, title, start, file_filter)
    if path is None:
        return None
    path = Path(path)
    if not path.suffix:
        path = path.with_suffix(suffix)
    check_target(ctx.session, path)
    ctx.places.remember(path)
    return path


def export_folder_path(ctx: IoContext, title: str) -> Path | None:
    """Ask for a folder to write into; guarded."""
    folder = ctx.ui.dialogs.export_folder(ctx.ui.parent, title, ctx.places.start_path(ctx.session))
    if folder is None:
        return None
    path = check_target(ctx.session, Path(folder))
    ctx.places.remember(path, folder=True)
    return path


def _coverage(doc: LabelDocument, options: ExportOptions) -> Coverage:
    classes = doc.classes
    return polygonize(
        export_labels(doc.labels, classes),
        len(classes),
        tolerance=options.tolerance,
        min_area=options.min_area,
    )


def _done(ctx: IoContext, doc: LabelDocument, what: str, where: Path | str, warning: str = "") -> None:
    ctx.ui.notify(
        f"Exported the labels of {doc.name} as {what}: {where}{warning}",
        "warning" if warning else "info",
        key="export",
    )


# --- the open image ---------------------------------------------------------------------------


def export_as(ctx: IoContext, fmt: registry.Format) -> None:
    """The open image's labels in ``fmt`` (an entry of :mod:`srcrm.formats.registry`): one
    file where the format has one, else a folder laid out as its tools expect."""
    doc, image = _document(ctx)
    title = f"Export as {fmt.label}"
    options = _options(ctx, title, fmt.options) if fmt.options else ctx.places.options
    if options is None:
        return
    if fmt.suffix:
        name = f"{image.stem}{fmt.suffix}"
        if fmt.suffix == image.suffix.lower():  # never the image's own name by default
            name = f"{image.stem}_{fmt.name}{fmt.suffix}"
        dst = save_path(ctx, title, name, f"{fmt.label} (*{fmt.suffix})", fmt.suffix)
    else:
        dst = export_folder_path(ctx, f"{title}: choose a folder")
    if dst is None:
        return
    classes = doc.classes
    settings = ExportSettings(copy_images=False, **{field: getattr(options, field) for field in fmt.options})
    _, warnings = registry.export_one(
        fmt, dst, image.stem, export_labels(doc.labels, classes), labelset_of(classes), image, settings
    )
    _done(ctx, doc, fmt.label, dst, "".join(f". Note: {w}" for w in warnings))


# --- the folder -------------------------------------------------------------------------------


def labelled_entries(ctx: IoContext) -> list[ImageEntry]:
    project = ctx.session.project
    if project is None:
        return []
    return [e for e in project.entries if e.state != ImageState.NEW]


def export_coco_folder(ctx: IoContext) -> FolderExport | None:
    """Start the folder's COCO export in the background (None: the person cancelled)."""
    project = ctx.session.project
    if project is None:
        raise UserError("Open a folder first.")
    entries = labelled_entries(ctx)
    if not entries:
        raise UserError(f"No image in {project.folder.name} has labels yet: pre-label or paint some first.")
    options = _options(ctx, "Export Folder as COCO JSON", (*POLYGON_FIELDS, "rle_all"))
    if options is None:
        return None
    out = save_path(
        ctx, "Export Folder as COCO JSON", f"{project.folder.name}_coco.json", JSON_FILTER, ".json"
    )
    if out is None:
        return None
    doc = ctx.session.doc
    items = [
        ExportItem(
            coco_file_name(e.path, out),
            e.path,
            project.label_path(e.path),
            doc.labels.copy() if doc is not None and doc.path == e.path else None,
        )
        for e in entries
    ]
    job = FolderExport(ctx, items, project.classes.copy(), out, options)
    job.start()
    return job


# --- for editors ------------------------------------------------------------------------------


def _class_options(
    ctx: IoContext, doc: LabelDocument, title: str, fields
) -> tuple[ExportOptions, int] | None:
    """The options of a one-class export, and the class chosen."""
    items = class_items(doc.labels, doc.classes)
    if not items:
        raise UserError(f"{doc.name} has no labelled pixels to export.")
    present = {i.id for i in items}
    current = ctx.session.editor.current_class
    default = current if current in present else max(items, key=lambda i: i.pixels).id
    options = _options(ctx, title, ("class", *fields), items, doc.labels.size, class_id=default)
    if options is None or options.class_id is None:
        return None
    return options, options.class_id


def export_cutout(ctx: IoContext) -> None:
    doc, image = _document(ctx)
    chosen = _class_options(ctx, doc, "Cut-out of a Class", ("feather", "crop"))
    if chosen is None:
        return
    options, class_id = chosen
    name = doc.classes.name(class_id)
    path = save_path(
        ctx, "Save the Cut-out (RGBA PNG)", f"{image.stem}_{safe_name(name)}.png", PNG_FILTER, ".png"
    )
    if path is None:
        return
    mask = doc.labels == class_id
    if not mask.any():
        raise UserError(f"{doc.name} has no pixels of {name}.")
    cutout.write(path, doc.image, mask, feather=options.feather, crop=options.crop)
    _done(ctx, doc, f"a cut-out of {name}", path)


def export_svg(ctx: IoContext) -> None:
    doc, image = _document(ctx)
    chosen = _class_options(ctx, doc, "SVG Path of a Class", POLYGON_FIELDS)
    if chosen is None:
        return
    options, class_id = chosen
    classes = doc.classes
    name = classes.name(class_id)
    path = save_path(ctx, "Save the SVG Path", f"{image.stem}_{safe_name(name)}.svg", SVG_FILTER, ".svg")
    if path is None:
        return
    coverage = _coverage(doc, options)
    if not any(r.class_id == class_id for r in coverage.regions):
        raise UserError(
            f"Nothing of {name} is left at this simplification (min area "
            f"{options.min_area:g} px²); lower it and try again."
        )
    svg.write(path, coverage, labelset_of(classes), classes=[class_id])
    _done(ctx, doc, f"the SVG path of {name}", path)
