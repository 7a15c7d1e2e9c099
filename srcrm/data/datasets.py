"""Datasets on disk: the generic ``{split}/images`` + ``{split}/labels`` layout, Cityscapes,
ADE20K and BDD100K. Each is a list of (image, label) paths plus a :class:`LabelSet` and a lookup
table that maps stored label values to training ids."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from srcrm.base.io import read_image, read_label_png
from srcrm.base.suffixes import IMAGE_SUFFIXES
from srcrm.data import labelsets
from srcrm.data.labelsets import LabelSet


@dataclass
class SegmentationData:
    """An indexable split: ``data[i]`` is ``(RGB uint8 HxWx3, label uint8 HxW)``."""

    samples: list[tuple[Path, Path]]
    labelset: LabelSet
    lut: np.ndarray | None = None  # stored value -> train id

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        image_path, label_path = self.samples[i]
        image = read_image(image_path)
        label = read_label_png(label_path)
        if label.shape != image.shape[:2]:
            raise ValueError(
                f"{label_path}: label is {label.shape[1]}x{label.shape[0]} but the image "
                f"is {image.shape[1]}x{image.shape[0]}"
            )
        if self.lut is not None:
            label = self.lut[label]
        return image, label

    @property
    def names(self) -> list[str]:
        return [p.stem for p, _ in self.samples]


def open_dataset(root, split: str) -> SegmentationData:
    """Open ``split`` of the dataset at ``root``, detecting its layout."""
    root = Path(root)
    if (root / "leftImg8bit").is_dir():
        return _cityscapes(root, split)
    if (root / "ADEChallengeData2016").is_dir() or (root / "annotations" / "training").is_dir():
        return _ade20k(root, split)
    if (root / "labels" / "sem_seg").is_dir() or (root / "seg" / "labels").is_dir():
        return _bdd100k(root, split)
    if (root / split / "images").is_dir():
        return _generic(root, split)
    raise FileNotFoundError(
        f"{root}: no {split!r} split found (expected {split}/images and "
        f"{split}/labels, or a Cityscapes, ADE20K or BDD100K layout)"
    )


def _pair(images: list[Path], label_for) -> list[tuple[Path, Path]]:
    samples = []
    for image in images:
        label = label_for(image)
        if not label.is_file():
            raise FileNotFoundError(f"{image}: no label file at {label}")
        samples.append((image, label))
    if not samples:
        raise FileNotFoundError("the split holds no images")
    return samples


def _images(folder: Path, pattern: str = "*") -> list[Path]:
    return sorted(p for p in folder.rglob(pattern) if p.suffix.lower() in IMAGE_SUFFIXES)


def _generic(root: Path, split: str) -> SegmentationData:
    """``{split}/images/NAME.*`` with ``{split}/labels/NAME.png``; classes from ``classes.txt``."""
    images = _images(root / split / "images")
    samples = _pair(images, lambda p: root / split / "labels" / f"{p.stem}.png")
    labelset = _generic_labelset(root)
    return SegmentationData(samples, labelset)


def _generic_labelset(root: Path) -> LabelSet:
    classes_file = root / "classes.txt"
    if not classes_file.is_file():
        raise FileNotFoundError(f"{root}: classes.txt (one class name per line) is missing")
    names = tuple(n.split(" (")[0] for n in labelsets.read_class_names(classes_file))
    if names == labelsets.CAMVID.class_names:
        return labelsets.CAMVID
    # Unknown classes: the ignore index is the first id after the classes, as in CamVid.
    return LabelSet(root.name, names, labelsets.generated_palette(len(names)), len(names))


def _cityscapes(root: Path, split: str) -> SegmentationData:
    images = _images(root / "leftImg8bit" / split, "*_leftImg8bit.png")

    def label_for(p: Path) -> Path:
        stem = p.name.replace("_leftImg8bit.png", "_gtFine_labelIds.png")
        return root / "gtFine" / split / p.parent.name / stem

    lut = labelsets.lookup_table(labelsets.CITYSCAPES_ID_TO_TRAIN_ID, 255)
    return SegmentationData(_pair(images, label_for), labelsets.CITYSCAPES, lut)


def _ade20k(root: Path, split: str) -> SegmentationData:
    base = root / "ADEChallengeData2016" if (root / "ADEChallengeData2016").is_dir() else root
    folder = {"train": "training", "val": "validation"}.get(split, split)
    images = _images(base / "images" / folder)
    # ADE20K stores 0 for "other" and 1..150 for the classes.
    lut = labelsets.lookup_table({v: v - 1 for v in range(1, 151)}, 255)
    return SegmentationData(
        _pair(images, lambda p: base / "annotations" / folder / f"{p.stem}.png"), labelsets.ADE20K, lut
    )


def _bdd100k(root: Path, split: str) -> SegmentationData:
    if (root / "labels" / "sem_seg").is_dir():  # the 2020+ release
        images = _images(root / "images" / "10k" / split)
        label_dir = root / "labels" / "sem_seg" / "masks" / split
        samples = _pair(images, lambda p: label_dir / f"{p.stem}.png")
    else:  # the original seg/ release
        images = _images(root / "seg" / "images" / split)
        samples = _pair(images, lambda p: root / "seg" / "labels" / split / f"{p.stem}_train_id.png")
    return SegmentationData(samples, labelsets.BDD100K)


class AugmentedDataset(Dataset):
    """Per-sample training view for a DataLoader: tensors after :func:`augment.augment`."""

    def __init__(self, data: SegmentationData, augment_fn):
        self.data = data
        self.augment_fn = augment_fn

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, i: int):
        image, label = self.data[i]
        image_t = torch.from_numpy(image).permute(2, 0, 1)[None]
        label_t = torch.from_numpy(label)[None]
        x, y = self.augment_fn(image_t, label_t)
        return x[0], y[0]
