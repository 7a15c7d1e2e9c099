"""File > Export: the open image in any format of :mod:`srcrm.formats.registry` (one file, or a
folder laid out as the format's tools expect); the folder as one COCO JSON (in the
background); and, for image and video editors, an RGBA cut-out or the SVG path of one class.

Each handler asks what to export (:class:`~app.io_actions.dialogs.ExportOptions`), then where,
writes with :mod:`srcrm.formats`, and reports in the notice bar. Polygon exports trace the label
map with :func:`srcrm.formats.polygons.polygonize`; tolerance 0 keeps them exact.
"""

from __future__ import annotations

from pathlib import Path

from srcrm.formats import cutout, registry, svg
from srcrm.formats.layout import ExportSettings
from srcrm.formats.polygons import Coverage, polygonize

from ..document.label_document import ImageState, LabelDocument
from .common import (
    UserError,
    check_target,
    class_items,
    export_labels,
    labelset_of,
    remember,
    safe_name,
    start_path,
    state,
)
from .dialogs import (
    JSON_FILTER,
    PNG_FILTER,
    SVG_FILTER,
    ExportOptions,
    ask,
)
from .folder_export import ExportItem, FolderExport, coco_file_name

POLYGON_FIELDS = ("tolerance", "min_area")


# --- helpers ----------------------------------------------------------------------------------


def _document(window) -> LabelDocument:
    doc = window.doc
    if doc is None or doc.path is None:
        raise UserError("Open an image first: this exports the labels of the image on screen.")
    return doc


def _options(
    window, title: str, fields, classes=(), total_pixels: int = 1, **defaults
) -> ExportOptions | None:
    st = state(window)
    chosen = ask(window, "export_options")(
        window, title, st.options.with_(**defaults), fields, classes, total_pixels
    )
    if chosen is not None:
        st.options = chosen
    return chosen


def _save_path(window, title: str, default_name: str, file_filter: str, suffix: str) -> Path | None:
    path = ask(window, "save_file")(window, title, start_path(window, default_name), file_filter)
    if path is None:
        return None
    path = Path(path)
    if not path.suffix:
        path = path.with_suffix(suffix)
    check_target(window, path)
    remember(window, path)
    return path


def _coverage(window, doc: LabelDocument, options: ExportOptions) -> Coverage:
    classes = window.project.classes
    return polygonize(
        export_labels(doc.labels, classes),
        len(classes),
        tolerance=options.tolerance,
        min_area=options.min_area,
    )


def _done(window, doc: LabelDocument, what: str, where: Path | str, warning: str = "") -> None:
    window.show_notice(
        f"Exported the labels of {doc.name} as {what}: {where}{warning}",
        "warning" if warning else "info",
        key="export",
    )


# --- the open image ---------------------------------------------------------------------------


def export_as(window, fmt: registry.Format) -> None:
    """The open image's labels in ``fmt`` (an entry of :mod:`srcrm.formats.registry`): one
    file where the format has one, else a folder laid out as its tools expect."""
    doc = _document(window)
    title = f"Export as {fmt.label}"
    options = _options(window, title, fmt.options) if fmt.options else state(window).options
    if options is None:
        return
    if fmt.suffix:
        name = f"{doc.path.stem}{fmt.suffix}"
        if fmt.suffix == doc.path.suffix.lower():  # never the image's own name by default
            name = f"{doc.path.stem}_{fmt.name}{fmt.suffix}"
        dst = _save_path(window, title, name, f"{fmt.label} (*{fmt.suffix})", fmt.suffix)
    else:
        folder = ask(window, "export_folder")(window, f"{title}: choose a folder", start_path(window))
        dst = None if folder is None else check_target(window, Path(folder))
        if dst is not None:
            remember(window, dst, folder=True)
    if dst is None:
        return
    classes = window.project.classes
    settings = ExportSettings(copy_images=False, **{field: getattr(options, field) for field in fmt.options})
    _, warnings = registry.export_one(
        fmt, dst, doc.path.stem, export_labels(doc.labels, classes), labelset_of(classes), doc.path, settings
    )
    _done(window, doc, fmt.label, dst, "".join(f". Note: {w}" for w in warnings))


# --- the folder -------------------------------------------------------------------------------


def labelled_entries(window) -> list:
    project = window.project
    if project is None:
        return []
    return [e for e in project.entries if e.state != ImageState.NEW]


def export_coco_folder(window) -> FolderExport | None:
    project = window.project
    if project is None:
        raise UserError("Open a folder first.")
    st = state(window)
    if st.job is not None and st.job.running:
        raise UserError("A COCO export is already running; wait for it or cancel it.")
    entries = labelled_entries(window)
    if not entries:
        raise UserError(f"No image in {project.folder.name} has labels yet: pre-label or paint some first.")
    options = _options(window, "Export Folder as COCO JSON", (*POLYGON_FIELDS, "rle_all"))
    if options is None:
        return None
    out = _save_path(
        window, "Export Folder as COCO JSON", f"{project.folder.name}_coco.json", JSON_FILTER, ".json"
    )
    if out is None:
        return None
    doc = window.doc
    items = [
        ExportItem(
            coco_file_name(e.path, out),
            e.path,
            project.label_path(e.path),
            doc.labels.copy() if doc is not None and doc.path == e.path else None,
        )
        for e in entries
    ]
    job = FolderExport(window, items, labelset_of(project.classes), out, options)
    st.job = job
    job.done.connect(lambda _report: _forget(st, job))
    job.start()
    return job


def _forget(st, job) -> None:
    if st.job is job:
        st.job = None
    job.deleteLater()


# --- for editors ------------------------------------------------------------------------------


def _class_options(window, doc: LabelDocument, title: str, fields) -> ExportOptions | None:
    classes = window.project.classes
    items = class_items(doc.labels, classes)
    if not items:
        raise UserError(f"{doc.name} has no labelled pixels to export.")
    present = {i.id for i in items}
    current = window.editor.current_class
    default = current if current in present else max(items, key=lambda i: i.pixels).id
    return _options(window, title, ("class", *fields), items, doc.labels.size, class_id=default)


def export_cutout(window) -> None:
    doc = _document(window)
    options = _class_options(window, doc, "Cut-out of a Class", ("feather", "crop"))
    if options is None:
        return
    name = window.project.classes.name(options.class_id)
    path = _save_path(
        window, "Save the Cut-out (RGBA PNG)", f"{doc.path.stem}_{safe_name(name)}.png", PNG_FILTER, ".png"
    )
    if path is None:
        return
    mask = doc.labels == options.class_id
    if not mask.any():
        raise UserError(f"{doc.name} has no pixels of {name}.")
    cutout.write(path, doc.image, mask, feather=options.feather, crop=options.crop)
    _done(window, doc, f"a cut-out of {name}", path)


def export_svg(window) -> None:
    doc = _document(window)
    options = _class_options(window, doc, "SVG Path of a Class", POLYGON_FIELDS)
    if options is None:
        return
    classes = window.project.classes
    name = classes.name(options.class_id)
    path = _save_path(
        window, "Save the SVG Path", f"{doc.path.stem}_{safe_name(name)}.svg", SVG_FILTER, ".svg"
    )
    if path is None:
        return
    coverage = _coverage(window, doc, options)
    if not any(r.class_id == options.class_id for r in coverage.regions):
        raise UserError(
            f"Nothing of {name} is left at this simplification (min area "
            f"{options.min_area:g} px²); lower it and try again."
        )
    svg.write(path, coverage, labelset_of(classes), classes=[options.class_id])
    _done(window, doc, f"the SVG path of {name}", path)
