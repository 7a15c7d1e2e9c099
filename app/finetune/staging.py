"""Lay out a project's human-checked labels as a dataset the fine-tune command reads (no Qt).

What is staged is the *training target*: an open folder of images (a :class:`Project`: the
images edited or marked done, linked) or an open video (a :class:`VideoSession`: the frames
edited, decoded to lossless PNGs). Both are written the same way from there.

Only a person's labels are set aside to measure the new model. A video frame that holds a
propagated correction nobody edited since is a guess carried from another frame: it trains
only once a person marked it done, and is never set aside (``train_only.txt``, read by
:func:`srcrm.data.finetune_data.train_only_names`).

The engine reads ``images/NAME.ext``, ``labels/NAME.png`` (class ids) and ``classes.txt`` (one
name per line, line i = id i; see :mod:`srcrm.data.finetune_data`). Class ids are staged unchanged,
so a fine-tuned model predicts exactly the ids the project stores, its added and renamed
classes included. Only the "unlabelled" id may need translating: a class added to a CamVid
table sits after a placeholder at the ignore id (staged as a line named ``unlabelled``, which
the engine reads as the ignore id); otherwise the engine takes the parent model's ignore index,
or the first id after the classes when the classes have grown over it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from srcrm.base.io import ImageReadError, atomic_write_text, read_label_png, write_png
from srcrm.data.finetune_data import TRAIN_ONLY_FILE
from srcrm.video import VideoReadError, frames_at

from ..document.classes import UNLABELLED_NAME, ClassTable
from ..document.project import Project
from ..video.session import VideoSession

MIN_TRAINING_IMAGES = 2

# One staged sample: its name, its label map (project ids), and what writes its image into
# the staged ``images/`` folder.
Sample = tuple[str, np.ndarray, Callable[[Path], None]]


class StagingError(ValueError):
    """The project cannot be staged for fine-tuning (a message for the user)."""


class StagingCancelled(Exception):
    """The user stopped the staging (``should_stop`` said so); the caller removes ``root``."""


@dataclass(frozen=True)
class StagedData:
    root: Path
    names: list[str]  # the staged samples (label file stems), in project order
    class_names: list[str]  # classes.txt, in id order
    train_only: list[str] = field(default_factory=list)  # staged names never set aside


def training_images(project: Project) -> list[Path]:
    """The images a person edited or marked done and whose labels are on disk."""
    return [
        e.path for e in project.entries if e.state.has_human_work and project.label_path(e.path).is_file()
    ]


def training_frames(video: VideoSession) -> list[int]:
    """The frames of ``video`` a person edited and whose labels are on disk, in order; a frame
    holding a propagated correction only once a person marked it done."""
    store = video.store
    unconfirmed = store.propagated - _done_frames(video)
    return [i for i in sorted(store.edited - unconfirmed) if i < video.frame_count and store.has(i)]


def propagated_frames(video: VideoSession) -> list[int]:
    """The training frames whose labels a propagated correction wrote and nobody edited since:
    they may train, never measure."""
    propagated = video.store.propagated
    return [i for i in training_frames(video) if i in propagated]


def _done_frames(video: VideoSession) -> frozenset[int]:
    """The frames a person marked done (a session without that record has none)."""
    return frozenset(getattr(video, "done", ()))


def training_names(target: Project | VideoSession) -> list[str]:
    """What the options dialog lists: image file names, or frame numbers."""
    if isinstance(target, Project):
        return [p.name for p in training_images(target)]
    return [f"frame {i}" for i in training_frames(target)]


def train_only_names(target: Project | VideoSession) -> list[str]:
    """The names of :func:`training_names` that are never set aside to measure the model (a
    folder's images are all a person's work)."""
    if isinstance(target, Project):
        return []
    return [f"frame {i}" for i in propagated_frames(target)]


def shortage(target: Project | VideoSession, minimum: int = MIN_TRAINING_IMAGES) -> str | None:
    """Why ``target`` has too little to fine-tune on (a message for the user), or None."""
    count = len(training_names(target))
    if count >= minimum:
        return None
    if isinstance(target, Project):
        what, where, which = "images you edited or marked done", "this folder", "images"
    else:
        what, where, which = "frames you edited", "this video", "frames"
    return (
        f"Fine-tuning needs at least {minimum} {what}; {where} has {count}. Correct the "
        f"labels of a few more {which} first (part of them is set aside to measure the new "
        f"model)."
    )


def engine_class_names(classes: ClassTable) -> list[str]:
    """``classes.txt``: the names by id, the ignore placeholder (if any) named ``unlabelled``."""
    return [UNLABELLED_NAME if i == classes.ignore_index else n for i, n in enumerate(classes.names)]


def engine_ignore_index(classes: ClassTable, parent_ignore_index: int) -> int:
    """The ignore id the engine will use for these classes (the rule of
    :func:`srcrm.data.finetune_data.extend_labelset`)."""
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


def stage_training_data(
    target: Project | VideoSession,
    root: str | Path,
    parent_ignore_index: int,
    minimum: int = MIN_TRAINING_IMAGES,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> StagedData:
    """Write the layout under ``root`` (an empty or new folder) for fine-tuning a model whose
    ignore index is ``parent_ignore_index``. Images are linked (copied where links are not
    allowed), a video's frames decoded to PNG; label maps go through
    :func:`engine_label_lut`. Raises :class:`StagingError` with fewer than ``minimum``
    images or frames, or one that cannot be read. ``progress(done, total)`` is called after
    each sample; :class:`StagingCancelled` is raised between samples once ``should_stop()``
    is true (both are there for running this off the GUI thread)."""
    message = shortage(target, minimum)
    if message is not None:
        raise StagingError(message)
    classes = target.classes
    if len(classes) < 1:
        raise StagingError("There are no classes to train.")
    root = Path(root)
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "labels").mkdir(parents=True, exist_ok=True)
    samples = _image_samples(target) if isinstance(target, Project) else _frame_samples(target)
    lut = engine_label_lut(classes, parent_ignore_index)
    total = len(training_names(target))
    names = []
    for name, labels, write_image in samples:
        if should_stop is not None and should_stop():
            raise StagingCancelled()
        write_png(root / "labels" / f"{name}.png", lut[labels])
        write_image(root / "images")
        names.append(name)
        if progress is not None:
            progress(len(names), total)
    class_names = engine_class_names(classes)
    atomic_write_text(root / "classes.txt", "".join(f"{n}\n" for n in class_names))
    train_only = (
        [] if isinstance(target, Project) else [target.store.path(i).stem for i in propagated_frames(target)]
    )
    if train_only:
        atomic_write_text(root / TRAIN_ONLY_FILE, "".join(f"{n}\n" for n in train_only))
    return StagedData(root, names, class_names, train_only)


def _image_samples(project: Project) -> Iterator[Sample]:
    for image in training_images(project):
        name = project.label_path(image).stem
        try:
            labels = read_label_png(project.label_path(image))
        except ImageReadError as exc:
            raise StagingError(
                f"The labels of {image.name} cannot be read ({exc}); open the "
                f"image to have them set aside, then try again."
            ) from exc
        target_name = f"{name}{image.suffix.lower()}"
        yield name, labels, partial(_link_into, image, target_name)


def _frame_samples(video: VideoSession) -> Iterable[Sample]:
    """The edited frames, decoded one at a time in order (a long video is never held in
    memory), named like their label files (``NNNNNN``)."""
    frames = training_frames(video)
    staged = 0
    try:
        for index, image in frames_at(video.source, frames):
            labels = video.store.read(index)
            if labels is None:
                raise StagingError(
                    f"The labels of frame {index} cannot be read; go to the frame to see why, then try again."
                )
            name = video.store.path(index).stem
            yield name, labels, partial(_write_frame, image, name)
            staged += 1
    except (VideoReadError, IndexError) as exc:
        raise StagingError(f"A frame of {video.source.name} you edited cannot be decoded ({exc}).") from exc
    if staged < len(frames):
        raise StagingError(
            f"Only {staged} of the {len(frames)} frames you edited could be "
            f"decoded from {video.source.name}; the video may be truncated."
        )


def _write_frame(image: np.ndarray, name: str, folder: Path) -> None:
    write_png(folder / f"{name}.png", image)  # lossless: the pixels the labels were drawn on


def _link_into(source: Path, name: str, folder: Path) -> None:
    """``folder/name`` made a link to ``source`` (a copy where links are not allowed)."""
    target = folder / name
    target.unlink(missing_ok=True)
    try:
        os.symlink(source, target)
    except OSError:  # e.g. Windows without the privilege: a copy does the same
        shutil.copyfile(source, target)
