"""Conversion between label formats, for one file or a whole folder.

Every conversion goes through the label map: the source is painted into class ids, then
traced (for polygon formats) or written as it is. A file that fails is reported with its
reason and the others are still converted. Folder structure below the source folder is kept in
the destination.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image
from tqdm import tqdm

from srcrm.data.labelsets import LabelSet
from srcrm.formats import cityscapes, coco, labelme, masks, voc, yolo
from srcrm.formats.classes import UNLABELLED_NAMES, labelset_from_names
from srcrm.formats.errors import FormatError
from srcrm.formats.polygons import polygonize
from srcrm.formats.reading import Sample, load_json
from srcrm.io import atomic_write_text
from srcrm.suffixes import IMAGE_SUFFIXES

SOURCES = ("png", "labelme", "coco", "yolo", "cityscapes")
TARGETS = ("png", "labelme", "coco", "yolo", "cityscapes", "voc")
# Targets that can be a single file, with that file's suffix (the others are folders).
_FILE_SUFFIX = {"png": ".png", "voc": ".png", "labelme": ".json", "coco": ".json", "yolo": ".txt"}
_NOT_LABELS = ("classes.txt",)  # text files that sit beside YOLO labels but are not labels


@dataclass
class Report:
    written: list[Path] = field(default_factory=list)
    errors: list[FormatError] = field(default_factory=list)


def detect(src: str | os.PathLike) -> str:
    """The format of a label file, or of the label files in a folder."""
    src = Path(src)
    if src.is_file():
        suffix = src.suffix.lower()
        if suffix == ".png":
            return "png"
        if suffix in (".txt", ".yaml", ".yml"):
            return "yolo"
        if suffix == ".json":
            return _json_kind(src)
        raise FormatError(src, "not a label file this tool reads (PNG, JSON, YOLO .txt)")
    files = sorted(p for p in src.rglob("*") if p.is_file())
    if any(p.name.endswith("_polygons.json") for p in files):
        return "cityscapes"
    jsons = [p for p in files if p.suffix.lower() == ".json"]
    for path in jsons:  # the first readable one tells; broken ones are reported later
        try:
            return _json_kind(path)
        except FormatError:
            if path == jsons[-1]:
                raise
    if _yolo_labels(src, files):
        return "yolo"
    if any(p.suffix.lower() == ".png" for p in files):
        return "png"
    raise FormatError(src, "no label files found (PNG masks, labelme or COCO JSON, YOLO "
                           "labels, Cityscapes polygons)")


def _json_kind(path: Path) -> str:
    doc = load_json(path)
    if isinstance(doc, dict):
        if "shapes" in doc:
            return "labelme"
        if "annotations" in doc and "images" in doc:
            return "coco"
        if "objects" in doc and "imgHeight" in doc:
            return "cityscapes"
    raise FormatError(path, "not a labelme, COCO or Cityscapes JSON file")


def _yolo_labels(src: Path, files: list[Path]) -> list[Path]:
    texts = [p for p in files if p.suffix == ".txt" and p.name not in _NOT_LABELS]
    in_labels = [p for p in texts if "labels" in p.relative_to(src).parts[:-1]]
    return in_labels or (texts if _data_yaml(src) else [])


def source_files(src: str | os.PathLike, fmt: str) -> list[Path]:
    """The files of format ``fmt`` that ``src`` (a file or folder) holds, sorted."""
    src = Path(src)
    if fmt == "yolo" and src.suffix.lower() in (".yaml", ".yml"):
        src = src.parent / "labels"
    if src.is_file():
        return [src]
    files = sorted(p for p in src.rglob("*") if p.is_file())
    if fmt == "yolo":
        return _yolo_labels(src, files)
    if fmt == "cityscapes":
        return [p for p in files if p.name.endswith("_polygons.json")]
    suffix = ".png" if fmt == "png" else ".json"
    return [p for p in files if p.suffix.lower() == suffix]


def _data_yaml(src: Path) -> Path | None:
    """The YOLO dataset file for labels at ``src``: itself, or data.yaml in it or above it."""
    if src.suffix.lower() in (".yaml", ".yml"):
        return src
    folder = src if src.is_dir() else src.parent
    for candidate in [folder, *list(folder.parents)[:3]]:
        if (candidate / "data.yaml").is_file():
            return candidate / "data.yaml"
    return None


def source_labelset(src: str | os.PathLike, fmt: str, files: list[Path],
                    ignore_index: int | None = None) -> LabelSet:
    """The class list that the source files carry: COCO categories, YOLO's data.yaml, or the
    labels that labelme and Cityscapes files use (in order of first use)."""
    src = Path(src)
    if fmt == "png":
        raise ValueError("PNG masks carry no class names: give the class list "
                         "(--classes FILE, one name per line)")
    if fmt == "yolo":
        found = _data_yaml(src)
        if found is None:
            raise ValueError(f"{src}: no data.yaml with class names found; give the class "
                             "list (--classes FILE)")
        names = yolo.read_names(found)
    else:
        read_names = {"coco": coco.category_names, "labelme": labelme.label_names,
                      "cityscapes": cityscapes.label_names}[fmt]
        seen: dict[str, None] = {}
        for path in files:
            try:
                seen.update(dict.fromkeys(read_names(path)))
            except FormatError:
                continue  # reported when the file is read
        names = [n for n in seen if n.casefold() not in UNLABELLED_NAMES]
    return labelset_from_names(names, ignore_index, name=src.name)


def find_image(label_file: Path, name: str) -> Path | None:
    """The image a label file belongs to: same name, beside it or in an ``images`` folder
    that sits where ``labels`` is (the CamVid and YOLO layouts)."""
    folders = [label_file.parent, label_file.parent.parent / "images"]
    parts = label_file.parent.parts
    if "labels" in parts:
        i = len(parts) - 1 - parts[::-1].index("labels")
        folders.insert(1, Path(*parts[:i], "images", *parts[i + 1:]))
    stem = Path(name).name
    for folder in folders:
        for suffix in IMAGE_SUFFIXES:
            candidate = folder / f"{stem}{suffix}"
            if candidate != label_file and candidate.is_file():
                return candidate
    return None


def convert(src: str | os.PathLike, dst: str | os.PathLike, to: str, *,
            source_format: str | None = None, labelset: LabelSet | None = None,
            ignore_index: int | None = None, tolerance: float = 0.0, min_area: float = 0.0,
            rle_all: bool = False, progress: bool = False) -> Report:
    """Convert ``src`` (a file or folder) to format ``to`` in ``dst``.

    ``dst`` is a file when ``src`` is one image and ``dst`` has the target's suffix (``.png``,
    ``.json``, ``.txt``), and for COCO whenever it ends in ``.json``; otherwise it is a folder
    (COCO then writes ``annotations.json`` in it). The class list is ``labelset`` or, where
    the source format names its classes, taken from the source (unlabelled pixels then get
    ``ignore_index``, by default the number of classes). ``tolerance`` and ``min_area``
    go to :func:`srcrm.formats.polygons.polygonize` for polygon targets; ``rle_all`` writes
    every COCO object as RLE.
    """
    src, dst = Path(src), Path(dst)
    if to not in TARGETS:
        raise ValueError(f"unknown target format {to!r}; choose one of {TARGETS}")
    if not src.exists():
        raise FileNotFoundError(f"{src}: no such file or folder")
    fmt = source_format or detect(src)
    if fmt not in SOURCES:
        raise ValueError(f"unknown source format {fmt!r}; choose one of {SOURCES}")
    files = source_files(src, fmt)
    if not files:
        raise FormatError(src, f"no {fmt} label files found")
    labelset = labelset or source_labelset(src, fmt, files, ignore_index)
    single = (to == "coco" or src.is_file()) and dst.suffix.lower() == _FILE_SUFFIX.get(to)
    writer = _Writer(to, dst, labelset, single, tolerance, min_area, rle_all)
    root = src if src.is_dir() else src.parent
    if fmt == "yolo" and src.suffix.lower() in (".yaml", ".yml"):
        root = src.parent / "labels"
    report = Report()
    samples = _read(fmt, files, labelset, _data_yaml(src) if fmt == "yolo" else None)
    total = None if fmt == "coco" else len(files)
    for path, sample in tqdm(samples, total=total, desc=f"{fmt} -> {to}", unit="image",
                             disable=not progress):
        if isinstance(sample, FormatError):
            report.errors.append(sample)
            continue
        sub = path.parent.relative_to(root)
        image = sample.image or find_image(path, sample.name)
        try:
            report.written.extend(writer.add(sub, sample, image))
        except FormatError as exc:
            report.errors.append(exc)
    report.written.extend(writer.finish())
    return report


def _read(fmt: str, files: list[Path], labelset: LabelSet,
          data_yaml: Path | None) -> Iterator[tuple[Path, Sample | FormatError]]:
    names = yolo.read_names(data_yaml) if data_yaml else None
    for path in files:
        try:
            if fmt == "coco":
                samples, errors = coco.read(path, labelset)
                yield from ((path, e) for e in errors)
                yield from ((path, s) for s in samples)
            elif fmt == "yolo":
                yield path, _read_yolo(path, labelset, names)
            else:
                reader = {"png": masks.read, "labelme": labelme.read,
                          "cityscapes": cityscapes.read}[fmt]
                yield path, reader(path, labelset)
        except FormatError as exc:
            yield path, exc


def _read_yolo(path: Path, labelset: LabelSet, names: list[str] | None) -> Sample:
    """YOLO files do not store the image size: it comes from the image."""
    image = find_image(path, path.stem)
    if image is None:
        raise FormatError(path, "YOLO labels do not store the image size, and no image of "
                                "the same name was found beside them or in images/")
    with Image.open(image) as im:
        height, width = im.height, im.width
    sample = yolo.read(path, labelset, height, width, names)
    return Sample(sample.name, sample.labels, image)


class _Writer:
    """Writes each sample in the target format; COCO and YOLO finish with one shared file."""

    def __init__(self, to: str, dst: Path, labelset: LabelSet, single: bool, tolerance: float,
                 min_area: float, rle_all: bool):
        self.to, self.dst, self.labelset, self.single = to, dst, labelset, single
        self.tolerance, self.min_area, self.rle_all = tolerance, min_area, rle_all
        self.coco_json = dst if to == "coco" and single else dst / "annotations.json"
        self.coco_items: list = []
        self.outputs = 0

    def _out(self, sub: Path, sample: Sample, suffix: str, image: Path | None) -> Path:
        if self.single and self.outputs:
            raise FormatError(self.dst, f"is one file, but the source has more images than "
                                        f"one ({sample.name!r}); give a folder instead")
        self.outputs += 1
        out = self.dst if self.single else self.dst / sub / f"{sample.name}{suffix}"
        if not out.resolve().is_relative_to(self.dst.resolve()):
            raise FormatError(out, f"the name {sample.name!r} would write outside {self.dst}")
        if image is not None and out.resolve() == image.resolve():
            raise FormatError(out, "writing it would overwrite the image; choose another "
                                   "destination")
        return out

    def add(self, sub: Path, sample: Sample, image: Path | None) -> list[Path]:
        if self.to in ("png", "voc"):
            out = self._out(sub, sample, ".png", image)
            if self.to == "png":
                masks.write(out, sample.labels)
            else:
                voc.write(out, sample.labels, self.labelset)
            return [out]
        coverage = polygonize(sample.labels, self.labelset.num_classes,
                              tolerance=self.tolerance, min_area=self.min_area)
        if self.to == "labelme":
            out = self._out(sub, sample, ".json", image)
            labelme.write(out, coverage, self.labelset, image or out.with_suffix(".png"))
            return [out]
        if self.to == "yolo":
            out = self._out(Path("labels") / sub, sample, ".txt", image)
            yolo.write(out, coverage)
            return [out]
        if self.to == "cityscapes":
            cityscapes.write(self.dst / sub, sample.name, coverage, self.labelset)
            return list(cityscapes.paths(self.dst / sub, sample.name).values())
        self.coco_items.append((self._coco_file_name(sub, sample, image), coverage))
        return []

    def _coco_file_name(self, sub: Path, sample: Sample, image: Path | None) -> str:
        """The image path relative to the COCO file where the image lies below it, else the
        image's name alone (COCO readers are given the image folder)."""
        if image is None:
            return (sub / f"{sample.name}.png").as_posix()
        relative = Path(os.path.relpath(image.absolute(), self.coco_json.absolute().parent))
        return image.name if ".." in relative.parts else relative.as_posix()

    def finish(self) -> list[Path]:
        if self.to == "coco":
            coco.write(self.coco_json, self.coco_items, self.labelset, rle_all=self.rle_all)
            return [self.coco_json]
        if self.single:
            return []
        if self.to == "yolo":
            return [yolo.write_data_yaml(self.dst, self.labelset)]
        classes = self.dst / "classes.txt"
        atomic_write_text(classes, "".join(f"{n}\n" for n in self.labelset.class_names))
        return [classes]
