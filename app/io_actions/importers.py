"""File > Import: labels from a labelme JSON, a COCO JSON (the image of the same name) or a PNG
mask (indexed or greyscale) into the open image.

Class names are matched to the folder's classes by name (:class:`srcrm.formats.ClassLookup`).
The import replaces the whole label map as ONE undo step, so Ctrl+Z brings the previous labels
back; the image becomes "edited" (a "done" image stays done, as after any edit) and is saved
automatically. A file that cannot be read, names an unknown class or has another size leaves
the labels as they were and says why in the notice bar.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from srcrm.formats import coco, labelme, masks
from srcrm.formats.errors import FormatError
from srcrm.formats.reading import Sample, load_json

from ..document.geometry import Rect
from ..document.label_document import LabelDocument
from .common import UserError, labelset_of, remember, start_path
from .dialogs import JSON_FILTER, PNG_FILTER, ask


def _document(window) -> LabelDocument:
    doc = window.doc
    if doc is None or doc.path is None:
        raise UserError("Open an image first: an import replaces the labels of the image on "
                        "screen.")
    return doc


def _choose(window, title: str, file_filter: str) -> Path | None:
    path = ask(window, "open_file")(window, title, start_path(window), file_filter)
    if path is not None:
        remember(window, Path(path))
    return None if path is None else Path(path)


def _failed(window, doc: LabelDocument, source: Path, reason: str) -> None:
    window.show_notice(f"Could not import {source.name} into {doc.name}: {reason}. "
                       f"The labels are unchanged.", "error", key="import")


def _read(window, doc: LabelDocument, source: Path, reader) -> np.ndarray | None:
    """``reader(labelset)``'s labels, or None after telling the user why not."""
    try:
        labels = reader(labelset_of(window.project.classes))
    except FormatError as exc:
        where = f"{exc.shape}: " if exc.shape else ""
        _failed(window, doc, source, f"{where}{exc.reason}")
        return None
    except (OSError, ValueError) as exc:  # e.g. class names that differ only in case
        _failed(window, doc, source, str(exc))
        return None
    if labels.shape != doc.shape:
        _failed(window, doc, source, f"its labels are {labels.shape[1]}x{labels.shape[0]} "
                                     f"but the image is {doc.width}x{doc.height}")
        return None
    return labels


def apply_labels(window, doc: LabelDocument, labels: np.ndarray, source: Path, what: str,
                 note: str = "") -> bool:
    """Replace the open image's labels with ``labels`` as one undo step."""
    window.editor.cancel()  # no half-drawn polygon or open stroke across the import
    labels = np.ascontiguousarray(labels, dtype=np.uint8)
    if np.array_equal(labels, doc.labels):
        window.show_notice(f"{source.name} holds the labels {doc.name} already has; nothing "
                           f"changed.{note}", "info", key="import")
        return False
    doc.set_region(Rect.full(doc.shape), labels, name=f"Import {what}")
    window.show_notice(f"Imported {what} labels from {source.name} into {doc.name} "
                       f"(Ctrl+Z undoes it).{note}", "info", key="import")
    return True


def import_labelme(window) -> None:
    doc = _document(window)
    source = _choose(window, "Import labelme JSON", JSON_FILTER)
    if source is None:
        return
    sample: list[Sample] = []

    def read(labelset):
        sample.append(labelme.read(source, labelset))
        return sample[0].labels

    labels = _read(window, doc, source, read)
    if labels is None:
        return
    note = ""
    image = sample[0].image
    if image is not None and image.name != doc.path.name:
        note = f" Note: the file was made for {image.name}."
    apply_labels(window, doc, labels, source, "labelme", note)


def import_coco(window) -> None:
    doc = _document(window)
    source = _choose(window, "Import COCO JSON", JSON_FILTER)
    if source is None:
        return

    def read(labelset):
        samples, errors = coco.read(source, labelset)
        found = [s for s in samples if _same_image(s.name, doc.path)]
        if found:
            return found[0].labels
        listed, mine = _listed_images(source, doc.path)
        if mine:  # listed but not read: say why, with the errors about this image
            ours = [e for e in errors if e.shape in mine] or errors
            reasons = "; ".join(f"{e.shape}: {e.reason}" if e.shape else e.reason
                                for e in ours[:2]) or "unreadable annotations"
            raise FormatError(source, f"the labels of {doc.path.name} cannot be read ({reasons})")
        some = ", ".join(listed[:5]) + (f" and {len(listed) - 5} more" if len(listed) > 5 else "")
        raise FormatError(source, f"it lists no image named {doc.path.stem} (it lists "
                                  f"{some or 'no images'})")

    labels = _read(window, doc, source, read)
    if labels is not None:
        apply_labels(window, doc, labels, source, "COCO")


def _same_image(name: str, image: Path, *, has_suffix: bool = False) -> bool:
    """A COCO image and the open image match by name, sub-folders and the suffix aside
    (labels of photo.jpg fit photo.png). Sample names come without the suffix already."""
    base = Path(name.replace("\\", "/")).name
    return (Path(base).stem if has_suffix else base) == image.stem


def _listed_images(source: Path, image: Path) -> tuple[list[str], set[str]]:
    """The file names a COCO file lists, and how coco.read's errors name the open image's
    entries (its annotations, the image itself); the latter is empty if it is not listed."""
    data = load_json(source)
    images = data.get("images") if isinstance(data, dict) else None
    images = [im for im in images or [] if isinstance(im, dict)]
    names = [str(im.get("file_name")) for im in images]
    ids = {im.get("id") for im, name in zip(images, names)
           if _same_image(name, image, has_suffix=True)}
    mine: set[str] = set()
    if ids:
        mine = {f"image {name!r}" for name in names if _same_image(name, image, has_suffix=True)}
        annotations = data.get("annotations") if isinstance(data, dict) else None
        for n, ann in enumerate(annotations or []):
            if isinstance(ann, dict) and ann.get("image_id") in ids:
                mine.add(f"annotation {ann.get('id', f'#{n}')}")
    return names, mine


def import_mask(window) -> None:
    doc = _document(window)
    source = _choose(window, "Import PNG Mask", PNG_FILTER)
    if source is None:
        return
    labels = _read(window, doc, source, lambda labelset: masks.read(source, labelset).labels)
    if labels is not None:
        apply_labels(window, doc, labels, source, "PNG mask")
