"""The table of label formats: one entry per format, used by ``srcrm convert`` and the app's
Export and Import menus alike.

An entry names the format (``name`` for the command line, ``label`` for menus), the suffix of
one image's label file where the format has one, and its module's parts: how to find its label
files in a folder, the class names a source declares or uses, how to read one file (into one
or more :class:`~srcrm.formats.reading.Sample`), and its :class:`~srcrm.formats.layout.Export`.
Adding a format is one module and one entry here. :func:`export_one` and :func:`read_one` are
what a menu entry needs: one image's labels out to a format, and back in.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from srcrm.data.labelsets import LabelSet
from srcrm.formats import cityscapes, coco, labelme, layout, masks, voc, yolo
from srcrm.formats.errors import FormatError
from srcrm.formats.layout import ExportSettings
from srcrm.formats.reading import Sample, load_json

Reader = Callable[[Path, LabelSet], Iterator["Sample | FormatError"]]


@dataclass(frozen=True)
class Format:
    """One label format.

    ``suffix``: the file one image's labels are written to when the target is a file, or
    "" where an export is always a folder. ``folder_only``: the app exports the whole folder
    (COCO: one file for all images). ``claims(folder, files)``: whether a folder holds this
    format (None: told apart by content, :func:`detect`). ``layout``: the folders of the
    format's own layout above its label files (``*``: any name, as Cityscapes' subset); they
    are not carried over as sub-folders into another format. ``options``: the
    :class:`~srcrm.formats.layout.ExportSettings` fields that matter to it (what a dialog asks).
    ``read_for_image``: for formats sized by their image (YOLO), reading one file for a known
    image. ``check``: for formats that store the ids of a declared class table, whether a
    file's ids are all in it (:class:`~srcrm.formats.tables.TableMismatch`), asked of every
    file before anything is written.
    """

    name: str
    label: str
    suffix: str
    export: type[layout.Export]
    read: Reader | None = None
    source_files: Callable[[Path], list[Path]] | None = None
    class_names: Callable[[Path, list[Path]], list[str]] | None = None
    claims: Callable[[Path, list[Path]], bool] | None = None
    folder_only: bool = False
    layout: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    tip: str = ""
    read_for_image: Callable[[Path, LabelSet, Path], Sample] | None = None
    patterns: str = ""  # file-dialog patterns of its label files, where not *SUFFIX
    check: Callable[[Path, LabelSet], None] | None = None

    @property
    def file_patterns(self) -> str:
        return self.patterns or f"*{self.suffix}"

    def sub_folder(self, relative: Path) -> Path:
        """A label file's folder below the source, without this format's layout folders."""
        parts = relative.parts
        for i, name in enumerate(self.layout):
            if len(parts) <= i or name not in ("*", parts[i]):
                return relative
        return Path(*parts[len(self.layout) :])

    @property
    def readable(self) -> bool:
        return self.read is not None


def _one(read: Callable[[Path, LabelSet], Sample]) -> Reader:
    """A reader of one sample per file as a reader of many, its error as an item."""

    def read_all(path: Path, labelset: LabelSet):
        try:
            yield read(path, labelset)
        except FormatError as exc:
            yield exc

    return read_all


# In menu order. Detection asks the layouts that name themselves first, plain masks last.
POLYGONS = ("tolerance", "min_area")
FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "labelme",
            "labelme JSON",
            ".json",
            labelme.Export,
            _one(labelme.read),
            labelme.source_files,
            labelme.class_names,
            options=(*POLYGONS, "embed_image"),
            tip="Polygons per class, as labelme writes them",
        ),
        Format(
            "voc",
            "VOC Palette PNG",
            ".png",
            voc.Export,
            _one(voc.read),
            voc.source_files,
            voc.class_names,
            voc.claims,
            layout=(voc.MASKS,),
            tip="An indexed PNG: index = class id, 255 = unlabelled",
            check=voc.check,
        ),
        Format(
            "cityscapes",
            "Cityscapes Files",
            "",
            cityscapes.Export,
            _one(cityscapes.read),
            cityscapes.source_files,
            cityscapes.class_names,
            cityscapes.claims,
            layout=("gtFine", "*"),
            options=POLYGONS,
            patterns="*_polygons.json *_labelIds.png",
            tip="NAME_gtFine_labelIds.png, _instanceIds.png, _color.png and _polygons.json",
            check=cityscapes.check,
        ),
        Format(
            "yolo",
            "YOLO Segmentation",
            ".txt",
            yolo.Export,
            yolo.read_all,
            yolo.source_files,
            yolo.class_names,
            yolo.claims,
            layout=("labels",),
            options=POLYGONS,
            tip="A .txt of normalised polygons and data.yaml",
            read_for_image=yolo.read_for_image,
            check=yolo.check,
        ),
        Format(
            "coco",
            "COCO JSON",
            ".json",
            coco.Export,
            coco.read_all,
            coco.source_files,
            coco.class_names,
            folder_only=True,
            layout=("annotations",),
            options=(*POLYGONS, "rle_all"),
            tip="Every image with labels in one COCO file: polygons, RLE where there are holes",
        ),
        Format(
            "png",
            "PNG Mask (indexed or greyscale)",
            ".png",
            masks.Export,
            _one(masks.read),
            masks.source_files,
            masks.class_names,
            lambda folder, files: any(p.suffix.lower() == ".png" for p in files),
            tip="A greyscale PNG of class ids",
            check=masks.check,
        ),
    )
}
SOURCES = tuple(name for name, f in FORMATS.items() if f.readable)
TARGETS = tuple(FORMATS)


def get(name: str) -> Format:
    """The format called ``name``, or ValueError listing the others."""
    try:
        return FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown format {name!r}; choose one of {', '.join(FORMATS)}") from None


def detect(src: str | os.PathLike) -> Format:
    """The format of a label file, or of the label files in a folder."""
    src = Path(src)
    if src.is_file():
        return _detect_file(src)
    files = sorted(p for p in src.rglob("*") if p.is_file())
    for fmt in FORMATS.values():
        if fmt.claims is not None and fmt.claims(src, files) and fmt.name != "png":
            return fmt
    jsons = [p for p in files if p.suffix.lower() == ".json"]
    for path in jsons:  # the first readable one tells; broken ones are reported later
        try:
            return _json_kind(path)
        except FormatError:
            if path == jsons[-1]:
                raise
    png = FORMATS["png"]
    if png.claims is not None and png.claims(src, files):
        return png
    raise FormatError(
        src, "no label files found (PNG masks, labelme or COCO JSON, YOLO labels, Cityscapes or VOC layouts)"
    )


def _detect_file(path: Path) -> Format:
    suffix = path.suffix.lower()
    if suffix == ".png":
        if path.name.endswith(cityscapes.LABEL_IDS):
            return FORMATS["cityscapes"]
        return FORMATS["voc" if voc.MASKS in path.parts[:-1] else "png"]
    if suffix in (".txt", ".yaml", ".yml"):
        return FORMATS["yolo"]
    if suffix == ".json":
        return _json_kind(path)
    raise FormatError(path, "not a label file this tool reads (PNG, JSON, YOLO .txt)")


def _json_kind(path: Path) -> Format:
    doc = load_json(path)
    if isinstance(doc, dict):
        if "shapes" in doc:
            return FORMATS["labelme"]
        if "annotations" in doc and "images" in doc:
            return FORMATS["coco"]
        if "objects" in doc and "imgHeight" in doc:
            return FORMATS["cityscapes"]
    raise FormatError(path, "not a labelme, COCO or Cityscapes JSON file")


def export_one(
    fmt: Format,
    dst: Path,
    name: str,
    labels: np.ndarray,
    labelset: LabelSet,
    image: Path | None,
    settings: ExportSettings,
) -> tuple[list[Path], list[str]]:
    """Write one image's labels (``name``, HxW class ids, unlabelled outside the classes) in
    ``fmt``: to the file ``dst`` where it has the format's suffix, else into the folder ``dst``
    in the format's layout. Returns the files written and the warnings."""
    dst = Path(dst)
    single = bool(fmt.suffix) and dst.suffix.lower() == fmt.suffix
    export = fmt.export(dst, labelset, settings, single)
    try:
        written = export.add(Sample(name, labels), image, Path())
        written += export.finish()
    except BaseException:
        export.abort()
        raise
    return written, export.warnings


def read_one(fmt: Format, path: Path, labelset: LabelSet, image: Path) -> Sample:
    """The labels a file holds for ``image``: its only image, or (COCO) the one whose name,
    sub-folders and suffix aside, is the image's. :class:`FormatError` says why there are
    none."""
    if fmt.read_for_image is not None:
        return fmt.read_for_image(Path(path), labelset, image)
    if fmt.read is None:
        raise ValueError(f"{fmt.name} is written, not read")
    samples: list[Sample] = []
    errors: list[FormatError] = []
    for item in fmt.read(Path(path), labelset):
        if isinstance(item, FormatError):
            errors.append(item)
        else:
            samples.append(item)
    if fmt.name != "coco" and samples:
        return samples[0]
    match = [s for s in samples if PurePosixPath(s.name).name == image.stem]
    if match:
        return match[0]
    if errors and not samples:
        raise errors[0]
    listed = ", ".join(s.name for s in samples[:5]) or "none"
    unread = f"; {len(errors)} entries could not be read ({errors[0].reason})" if errors else ""
    raise FormatError(path, f"it lists no image named {image.stem} (it lists {listed}){unread}")
