"""The annotator's folder that fine-tuning learns from, and how its classes line up with the model's.

Layout: ``DIR/images/NAME.*`` with ``DIR/labels/NAME.png`` and ``DIR/classes.txt`` (one class
name per line; the line number minus one is the id). ``DIR/train/images`` and
``DIR/train/labels`` are accepted too. Images without a label file are skipped: in a project
folder those are the ones nobody has corrected yet. An optional ``DIR/train_only.txt`` names
(file stems, one a line) images that may be trained on but never set aside to measure the
result: labels a person did not draw themselves, such as a video's propagated frames.

Classes: line ``i`` is the model's class ``i`` under the name the data gives it (a rename keeps the
weights); lines past the model's classes are new classes. Unlabelled pixels carry the model's
ignore index, unless the data's classes have grown over it, in which case they carry the first
id after the classes (the generic layout's rule). A line named ``unlabelled`` (or another of
:data:`srcrm.formats.classes.UNLABELLED_NAMES`) marks the ignore id explicitly, as the app does
when a class is added past it.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from srcrm.base.limits import check_class_count
from srcrm.base.suffixes import IMAGE_SUFFIXES
from srcrm.data.datasets import SegmentationData
from srcrm.data.labelsets import LabelSet, generated_palette, read_class_names
from srcrm.formats.classes import UNLABELLED_NAMES
from srcrm.models.checkpoint import Checkpoint


def open_finetune_data(data_dir, parent: Checkpoint) -> SegmentationData:
    """The labelled images of ``data_dir`` with a label set that extends ``parent``'s.

    Raises ``FileNotFoundError`` for a folder without images, labels or classes, and
    ``ValueError`` for classes the model cannot take (more than 8-bit label maps hold, too), a
    label whose size differs from its image's, or label values that are neither a class nor the
    ignore index.
    """
    root = Path(data_dir)
    base = _base(root)
    if not (base / "images").is_dir():
        raise FileNotFoundError(
            f"{root}: expected images/NAME.* with labels/NAME.png and classes.txt (or the same under train/)"
        )
    classes_file = root / "classes.txt"
    if not classes_file.is_file():
        raise FileNotFoundError(f"{root}: classes.txt (one class name per line) is missing")
    names = read_class_names(classes_file)
    check_class_count(len(names), str(classes_file))
    labelset = extend_labelset(parent, names, root.name)
    images = sorted(p for p in (base / "images").iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    twins = sorted(stem for stem, n in Counter(p.stem for p in images).items() if n > 1)
    if twins:
        raise ValueError(
            f"{base / 'images'}: several images share a name ({', '.join(twins[:5])}), "
            f"so labels/NAME.png cannot tell them apart"
        )
    samples = [(p, base / "labels" / f"{p.stem}.png") for p in images]
    samples = [(image, label) for image, label in samples if label.is_file()]
    if not samples:
        raise FileNotFoundError(f"{base}: no image has a label (labels/NAME.png for images/NAME.*)")
    data = SegmentationData(samples, labelset)
    check_labels(data)
    return data


TRAIN_ONLY_FILE = "train_only.txt"


def train_only_names(data_dir) -> set[str]:
    """The names in ``data_dir``'s ``train_only.txt`` (none when there is no such file): the
    images that are never held out (see the module's docstring)."""
    path = Path(data_dir) / TRAIN_ONLY_FILE
    if not path.is_file():
        return set()
    return {line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def _base(root: Path) -> Path:
    """The folder that holds ``images/`` and ``labels/``: ``root`` or ``root/train``."""
    return root if (root / "images").is_dir() else root / "train"


def data_paths(data_dir) -> list[Path]:
    """The folders and the file fine-tuning reads in ``data_dir`` (no output may land there)."""
    root = Path(data_dir)
    base = _base(root)
    return [base / "images", base / "labels", root / "classes.txt", root / TRAIN_ONLY_FILE]


def require_labelled_pixels(data: SegmentationData) -> None:
    """Raise ValueError when no label map of ``data`` holds a class pixel: every pixel is the
    ignore index, and training would have nothing to learn from."""
    ignore = data.labelset.ignore_index
    if not any((data[i][1] != ignore).any() for i in range(len(data))):
        raise ValueError(
            f"the labels of the training images ({', '.join(p.stem for p, _ in data.samples[:3])}"
            f"{', ...' if len(data) > 3 else ''}) hold no class: every pixel is the ignore index "
            f"{ignore} (unlabelled); label some pixels first"
        )


def extend_labelset(parent: Checkpoint, names: list[str], name: str = "") -> LabelSet:
    """The data's label set: ``names`` for the ids, the model's colours for its classes."""
    old = parent.config.num_classes
    if len(names) < old:
        raise ValueError(
            f"classes.txt lists {len(names)} classes but the model has {old} "
            f"({', '.join(parent.class_names)}): fine-tuning may rename classes or append new "
            f"ones, never remove them, since the ids in the label maps would change meaning"
        )
    marked = [i for i, n in enumerate(names) if n.strip().casefold() in UNLABELLED_NAMES]
    if marked:
        ignore = marked[0]
        if ignore != parent.ignore_index:
            raise ValueError(
                f"classes.txt marks id {ignore} ({names[ignore]!r}) as unlabelled but the model "
                f"uses {parent.ignore_index}: the ignore index must stay the same"
            )
    else:
        ignore = parent.ignore_index if parent.ignore_index >= len(names) else len(names)
    fresh = generated_palette(len(names))
    palette = [
        (*parent.palette[i],) if i < old else (0, 0, 0) if i == ignore else fresh[i]  # (*rgb,): a 3-tuple
        for i in range(len(names))
    ]
    return LabelSet(name, tuple(names), tuple(palette), ignore)


def check_labels(data: SegmentationData) -> None:
    """Read every pair once so that a bad file fails now, not halfway through training."""
    labelset = data.labelset
    allowed = np.zeros(256, bool)
    allowed[: labelset.num_classes] = True
    allowed[labelset.ignore_index] = True
    for i, (_, label_path) in enumerate(data.samples):
        _, label = data[i]  # raises ValueError when the sizes differ
        bad = np.unique(label[~allowed[label]])
        if bad.size:
            raise ValueError(
                f"{label_path}: label values {bad.tolist()[:8]} are neither class ids "
                f"(0..{labelset.num_classes - 1}) nor the ignore index {labelset.ignore_index}; "
                f"is the data's ignore index different from the model's?"
            )
