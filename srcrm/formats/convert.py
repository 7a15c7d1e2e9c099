"""Conversion between label formats, for one file or a whole folder.

Every conversion goes through the label map: the source is painted into class ids as its own
tools paint it, then written in the target's layout (:mod:`srcrm.formats.layout`) by the
format's entry in :mod:`srcrm.formats.registry`. A file that fails is reported with its reason
and the others are still converted; what was unusual but converted comes back as a warning.

Files a label file names (labelme's ``imagePath``) or that sit beside it are read and copied
only when they are regular files inside the dataset folder (:func:`_dataset_folder`); others
are refused with a warning naming them.

Class ids are stable: without a class list, a folder gets one table for all its files (the
list a file in it declares, else the names its files use, sorted), written as
``classes.txt`` with the output, for a single file as for a folder. Formats that store ids of
a declared table (PNG values, YOLO indices) are checked against it file by file before
anything is written: an id the table lacks stops the conversion
(:class:`~srcrm.formats.tables.TableMismatch`), since the same table labels every file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from srcrm.base.io import atomic_write_text
from srcrm.data.labelsets import LabelSet
from srcrm.formats import registry
from srcrm.formats.classes import labelset_from_names
from srcrm.formats.errors import FormatError
from srcrm.formats.layout import ExportSettings
from srcrm.formats.reading import Sample, find_image, regular_file, within
from srcrm.formats.tables import TableMismatch

# Label folders with their images in a folder beside them: YOLO's labels/ and COCO's
# annotations/ (images/), VOC's SegmentationClass/ (JPEGImages/), Cityscapes' gtFine/.
IMAGES_BESIDE = ("labels", "annotations", "SegmentationClass", "gtFine")


@dataclass
class Report:
    written: list[Path] = field(default_factory=list)
    errors: list[FormatError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def detect(src: str | os.PathLike) -> str:
    """The name of the format of a label file, or of the label files in a folder."""
    return registry.detect(src).name


def convert(
    src: str | os.PathLike,
    dst: str | os.PathLike,
    to: str,
    *,
    source_format: str | None = None,
    labelset: LabelSet | None = None,
    ignore_index: int | None = None,
    settings: ExportSettings | None = None,
    progress: bool = False,
) -> Report:
    """Convert ``src`` (a file or folder) to format ``to`` in ``dst``.

    ``dst`` is a file when ``src`` is one file and ``dst`` has the target's suffix (``.png``,
    ``.json``, ``.txt``), and for COCO whenever it ends in ``.json``; otherwise it is a folder
    laid out as the target's tools expect. The class list is ``labelset``, else the source's
    (unlabelled pixels then get ``ignore_index``, by default the number of classes).
    """
    src, dst = Path(src), Path(dst)
    target = registry.get(to)
    if not src.exists():
        raise FileNotFoundError(f"{src}: no such file or folder")
    fmt = registry.get(source_format) if source_format else registry.detect(src)
    read, source_files, class_names = fmt.read, fmt.source_files, fmt.class_names
    if read is None or source_files is None or class_names is None:  # not fmt.readable
        raise ValueError(f"{fmt.name} is written, not read")
    root = src if src.is_dir() else src.parent
    if src.suffix.lower() in (".yaml", ".yml"):  # a YOLO data.yaml stands for its dataset
        src = root = src.parent
    files = source_files(src) if src.is_dir() else [src]
    if not files:
        raise FormatError(src, f"no {fmt.name} label files found")
    report = Report()
    inferred = labelset is None
    if labelset is None:
        labelset = labelset_from_names(class_names(root, files), ignore_index, name=root.name)
    _check_tables(fmt, files, labelset)
    single = (
        src.is_file()
        and target.suffix
        and dst.suffix.lower() == target.suffix
        or target.name == "coco"
        and dst.suffix.lower() == ".json"
    )
    export = target.export(dst, labelset, settings or ExportSettings(), bool(single))
    export.inputs = {p.resolve() for p in files}
    dataset = _dataset_folder(root)
    try:
        for path in tqdm(files, desc=f"{fmt.name} -> {to}", unit="file", disable=not progress):
            for sample in read(path, labelset):
                _add(export, report, fmt, path, root, sample, dataset)
        report.written.extend(export.finish())
    except BaseException:
        export.abort()
        raise
    if single and inferred and target.name not in ("coco", "cityscapes"):
        _classes_beside(dst, labelset, report)
    report.warnings.extend(export.warnings)
    return report


def _check_tables(fmt: registry.Format, files: list[Path], labelset: LabelSet) -> None:
    """Raise :class:`TableMismatch` for the first file that stores an id its table lacks;
    other faults are left to be reported, file by file, when it is read."""
    if fmt.check is None:
        return
    for path in files:
        try:
            fmt.check(path, labelset)
        except TableMismatch:
            raise
        except FormatError:
            continue


def _dataset_folder(root: Path) -> Path:
    """The folder a conversion reads and copies files from: the source folder (a single file's
    folder), or the one above it where that is a layout's label folder with the images beside
    it (``labels/`` and ``images/``, COCO's ``annotations/`` and ``images/``). Nothing a label
    file names is read from outside it, whatever ``..``, absolute path or link it uses: an
    untrusted labelme file could otherwise have any file on disk copied into the output."""
    return root.parent if root.name in IMAGES_BESIDE else root


def _image(sample: Sample, path: Path, dataset: Path, report: Report) -> Path | None:
    """The sample's image: the one its file names, else one of the same name beside it."""
    return _usable(sample.image, path, dataset, report) or _usable(
        find_image(path, sample.name), path, dataset, report
    )


def _usable(image: Path | None, path: Path, dataset: Path, report: Report) -> Path | None:
    """``image`` where it is a regular file inside ``dataset``; a refusal is reported."""
    if image is None or not regular_file(image):
        return None
    if within(image, dataset):
        return image
    report.warnings.append(
        f"{path}: {image} is refused: it lies outside the dataset folder {dataset}, "
        "so it is neither read nor copied"
    )
    return None


def _add(export, report: Report, fmt: registry.Format, path: Path, root: Path, sample, dataset: Path) -> None:
    if isinstance(sample, FormatError):
        report.errors.append(sample)
        return
    report.warnings.extend(sample.warnings)
    sub = fmt.sub_folder(path.parent.relative_to(root)) if path.parent.is_relative_to(root) else Path()
    image = _image(sample, path, dataset, report)
    try:
        report.written.extend(export.add(sample, image, sub))
    except FormatError as exc:
        report.errors.append(exc)


def _classes_beside(dst: Path, labelset: LabelSet, report: Report) -> None:
    """``classes.txt`` beside a single output file, for a class list taken from the source;
    one already there with other names is left as it is, and the run says so."""
    path = dst.parent / "classes.txt"
    text = "".join(f"{n}\n" for n in labelset.class_names)
    if path.is_file():
        try:
            same = path.read_text(encoding="utf-8") == text
        except (OSError, UnicodeDecodeError):
            same = False
        if not same:
            report.warnings.append(
                f"{path}: left as it is, but its classes differ from the "
                f"ones written ({', '.join(labelset.class_names)})"
            )
        return
    atomic_write_text(path, text)
    report.written.append(path)
