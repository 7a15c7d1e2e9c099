"""Lay out a project's human-checked labels as a dataset the fine-tune command reads (no Qt).

The engine reads ``images/NAME.ext``, ``labels/NAME.png`` (class ids) and ``classes.txt`` (one
name per line, line i = id i; see :mod:`srcrm.finetune_data`). Class ids are staged unchanged,
so a fine-tuned model predicts exactly the ids the project stores, its added and renamed
classes included. Only the "unlabelled" id may need translating: a class added to a CamVid
table sits after a placeholder at the ignore id (staged as a line named ``unlabelled``, which
the engine reads as the ignore id); otherwise the engine takes the parent model's ignore index,
or the first id after the classes when the classes have grown over it.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from srcrm.io import ImageReadError, atomic_write_text, read_label_png, write_png

from app.document.classes import UNLABELLED_NAME, ClassTable
from app.document.project import Project

MIN_TRAINING_IMAGES = 2


class StagingError(ValueError):
    """The project cannot be staged for fine-tuning (a message for the user)."""


@dataclass(frozen=True)
class StagedData:
    root: Path
    names: list[str]        # the staged samples (label file stems), in project order
    class_names: list[str]  # classes.txt, in id order


def training_images(project: Project) -> list[Path]:
    """The images a person edited or marked done and whose labels are on disk."""
    return [e.path for e in project.entries
            if e.state.has_human_work and project.label_path(e.path).is_file()]


def engine_class_names(classes: ClassTable) -> list[str]:
    """``classes.txt``: the names by id, the ignore placeholder (if any) named ``unlabelled``."""
    return [UNLABELLED_NAME if i == classes.ignore_index else n for i, n in enumerate(classes.names)]


def engine_ignore_index(classes: ClassTable, parent_ignore_index: int) -> int:
    """The ignore id the engine will use for these classes (the rule of
    :func:`srcrm.finetune_data.extend_labelset`)."""
    n = len(classes)
    if classes.ignore_index < n:
        return classes.ignore_index
    return parent_ignore_index if parent_ignore_index >= n else n


def engine_label_lut(classes: ClassTable, parent_ignore_index: int) -> np.ndarray:
    """A 256-entry table: project id -> staged id. Classes keep their id; the project's
    ignore id and any id outside the table become the engine's ignore id."""
    lut = np.full(256, engine_ignore_index(classes, parent_ignore_index), np.uint8)
    keep = np.array([i for i in range(len(classes)) if i != classes.ignore_index], dtype=np.int64)
    lut[keep] = keep
    return lut


def stage_training_data(project: Project, root: str | Path, parent_ignore_index: int,
                        minimum: int = MIN_TRAINING_IMAGES) -> StagedData:
    """Write the layout under ``root`` (an empty or new folder) for fine-tuning a model whose
    ignore index is ``parent_ignore_index``. Images are linked (copied where links are not
    allowed); label maps go through :func:`engine_label_lut`. Raises :class:`StagingError`
    with fewer than ``minimum`` images."""
    images = training_images(project)
    if len(images) < minimum:
        raise StagingError(
            f"Fine-tuning needs at least {minimum} images you edited or marked done; this folder "
            f"has {len(images)}. Correct the pre-labels of a few more images first (part of them "
            f"is set aside to measure the new model).")
    root = Path(root)
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "labels").mkdir(parents=True, exist_ok=True)
    classes = project.classes
    if len(classes) < 1:
        raise StagingError("The project has no classes to train.")
    lut = engine_label_lut(classes, parent_ignore_index)
    names = []
    for image in images:
        name = project.label_path(image).stem
        try:
            labels = read_label_png(project.label_path(image))
        except ImageReadError as exc:
            raise StagingError(f"The labels of {image.name} cannot be read ({exc}); open the "
                               f"image to have them set aside, then try again.") from exc
        write_png(root / "labels" / f"{name}.png", lut[labels])
        _link_or_copy(image, root / "images" / f"{name}{image.suffix.lower()}")
        names.append(name)
    class_names = engine_class_names(classes)
    atomic_write_text(root / "classes.txt", "".join(f"{n}\n" for n in class_names))
    return StagedData(root, names, class_names)


def _link_or_copy(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    try:
        os.symlink(source, target)
    except OSError:  # e.g. Windows without the privilege: a copy does the same
        shutil.copyfile(source, target)
