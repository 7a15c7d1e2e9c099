"""What one learning update works on, laid out for ``srcrm learn`` (no Qt).

A :class:`LearnPlan` is made on the GUI thread from the states the person set (cheap: names and
paths); :func:`stage` writes it on a worker thread as the engine's fine-tuning folder:
``images/`` holds every image of the plan (linked; a video's frames decoded to PNG),
``labels/`` the labels of the images marked done (the engine reads "has a label" as "done"),
``classes.txt``; beside it ``order.txt`` (the done images in the order they were marked, oldest
first, so the newest judge the update; then the others in the order the person will visit them)
and ``keep.txt`` (images never to pre-label again: every one a person edited, and the one on
screen).

Names are the label files' stems, as the fine-tune's staging names them; ``targets`` maps each
back to where its pre-label goes (the image, or the frame's label file).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from srcrm.base.io import ImageReadError, atomic_write_text, read_label_png, write_png
from srcrm.video import VideoReadError, frames_at

from ..document.classes import ClassTable
from ..document.label_document import ImageState
from ..document.project import Project
from ..finetune.staging import engine_class_names, engine_label_lut
from ..video.session import VideoSession

#: A video's frames still to label that one update pre-labels again: those just ahead of the
#: person (decoding a whole video for every update would cost more than the update).
FRAMES_AHEAD = 60


class LearnStagingError(ValueError):
    """The plan cannot be staged (a message for the person)."""


class StagingStopped(Exception):
    """``should_stop`` said so between two images."""


@dataclass(frozen=True)
class LearnPlan:
    """``done``: the names marked done, oldest first; ``todo``: the others, in visiting order
    (those in ``keep`` included: the engine needs their images to know them, never labels
    them); ``targets``: name -> where its pre-label goes; ``sources``: name -> the image file
    (an image folder) or the frame index (a video)."""

    done: list[str]
    todo: list[str]
    keep: list[str]
    targets: dict[str, Path]
    sources: dict[str, Path | int]
    classes: ClassTable
    video: VideoSession | None = None
    labels: dict[str, Path | int] = field(default_factory=dict)  # done name -> its label file / frame

    @property
    def to_relabel(self) -> int:
        """How many images the update may pre-label again."""
        keep = set(self.keep)
        return sum(name not in keep for name in self.todo)


def marked_order(done: Sequence[str], marked: Sequence[str]) -> list[str]:
    """``done`` (in list order), those in ``marked`` (the order this session saw them marked)
    last and in that order: the newest done image ends the list."""
    seen = set(done)
    recent = [n for n in dict.fromkeys(marked) if n in seen]
    older = set(recent)
    return [n for n in done if n not in older] + recent


def visiting_order(count: int, current: int | None) -> list[int]:
    """The indices a person visits from ``current`` on: the next ones, then from the start."""
    start = 0 if current is None else current + 1
    return [(start + k) % count for k in range(count)] if count else []


def name_of(target: Project | VideoSession, index: int) -> str:
    """The engine's name of image or frame ``index``."""
    if isinstance(target, Project):
        return target.label_path(target.entries[index].path).stem
    return target.store.path(index).stem


def done_count(target: Project | VideoSession) -> int:
    """How many images or frames are marked done."""
    if isinstance(target, Project):
        return sum(e.state == ImageState.DONE for e in target.entries)
    return len(target.done)


def plan(target: Project | VideoSession, marked: Sequence[str], current: int | None) -> LearnPlan:
    """The plan for an open folder or video (see :func:`plan_for_project`, :func:`plan_for_video`)."""
    if isinstance(target, Project):
        return plan_for_project(target, marked, current)
    return plan_for_video(target, marked, current)


def plan_for_project(project: Project, marked: Sequence[str], current: int | None) -> LearnPlan:
    """Every image of the folder: done ones to learn from, untouched ones to pre-label again."""
    entries = project.entries
    name_of = {i: project.label_path(e.path).stem for i, e in enumerate(entries)}
    done = [name_of[i] for i, e in enumerate(entries) if e.state == ImageState.DONE]
    order = visiting_order(len(entries), current)
    keep = [name_of[i] for i in order if entries[i].state.has_human_work or i == current]
    return LearnPlan(
        done=marked_order(done, marked),
        todo=[name_of[i] for i in order if entries[i].state != ImageState.DONE],
        keep=keep,
        targets={name_of[i]: e.path for i, e in enumerate(entries)},
        sources={name_of[i]: e.path for i, e in enumerate(entries)},
        classes=project.classes.copy(),
        labels={
            name_of[i]: project.label_path(e.path)
            for i, e in enumerate(entries)
            if e.state == ImageState.DONE
        },
    )


def plan_for_video(
    video: VideoSession, marked: Sequence[str], current: int | None, ahead: int = FRAMES_AHEAD
) -> LearnPlan:
    """The frames marked done to learn from; the next ``ahead`` frames after the one on screen
    to pre-label again (a frame a person edited is kept)."""
    store = video.store
    marked_done = [i for i in sorted(video.done) if i < video.frame_count]
    start = 0 if current is None else current + 1
    ahead_of = [i for i in range(start, min(video.frame_count, start + ahead)) if i not in video.done]
    shown = [] if current is None else [current]
    name_of = {i: store.path(i).stem for i in (*marked_done, *ahead_of, *shown)}
    done = [name_of[i] for i in marked_done]
    edited = store.edited
    keep = [name_of[i] for i in ahead_of if i in edited or i in video.pending]
    if current is not None:
        keep.append(name_of[current])
    frames = marked_done + ahead_of
    return LearnPlan(
        done=marked_order(done, marked),
        todo=[name_of[i] for i in ahead_of],
        keep=keep,
        targets={name_of[i]: store.path(i) for i in frames},
        sources={name_of[i]: i for i in frames},
        classes=video.classes.copy(),
        video=video,
        labels={name_of[i]: i for i in marked_done},
    )


def stage(
    plan: LearnPlan,
    root: Path,
    parent_ignore_index: int,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> None:
    """Write ``plan`` under ``root`` (see the module's docstring). Raises
    :class:`LearnStagingError` for a label that cannot be read, :class:`StagingStopped` when
    ``should_stop()`` turns true."""
    images, labels = root / "images", root / "labels"
    images.mkdir(parents=True, exist_ok=True)
    labels.mkdir(parents=True, exist_ok=True)
    lut = engine_label_lut(plan.classes, parent_ignore_index)
    names = list(plan.sources)
    total = len(names)

    def tick(done: int) -> None:
        if should_stop is not None and should_stop():
            raise StagingStopped()
        if progress is not None:
            progress(done, total)

    if plan.video is None:
        for k, name in enumerate(names):
            tick(k)
            source = plan.sources[name]
            assert isinstance(source, Path)
            _link(source, images / f"{name}{source.suffix.lower()}")
            label_file = plan.labels.get(name)
            if isinstance(label_file, Path):
                write_png(labels / f"{name}.png", lut[_read_label(label_file, name)])
    else:
        _stage_frames(plan, plan.video, images, labels, lut, tick)
    atomic_write_text(root / "classes.txt", "".join(f"{n}\n" for n in engine_class_names(plan.classes)))
    atomic_write_text(root / "order.txt", "".join(f"{n}\n" for n in [*plan.done, *plan.todo]))
    atomic_write_text(root / "keep.txt", "".join(f"{n}\n" for n in plan.keep))


def _stage_frames(
    plan: LearnPlan,
    video: VideoSession,
    images: Path,
    labels: Path,
    lut: np.ndarray,
    tick: Callable[[int], None],
) -> None:
    by_index = {source: name for name, source in plan.sources.items() if isinstance(source, int)}
    staged = 0
    try:
        for index, image in frames_at(video.source, sorted(by_index)):
            tick(staged)
            name = by_index[index]
            write_png(images / f"{name}.png", image)
            if name in plan.labels:
                frame_labels = video.labels(index)
                if frame_labels is None:
                    raise LearnStagingError(f"the labels of frame {index}, marked done, cannot be read")
                write_png(labels / f"{name}.png", lut[frame_labels])
            staged += 1
    except (VideoReadError, IndexError) as exc:
        raise LearnStagingError(f"a frame of {video.source.name} cannot be decoded ({exc})") from exc


def _read_label(path: Path, name: str) -> np.ndarray:
    try:
        return read_label_png(path)
    except (ImageReadError, OSError) as exc:
        raise LearnStagingError(f"the labels of {name}, marked done, cannot be read ({exc})") from exc


def _link(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    try:
        os.symlink(source, target)
    except OSError:  # e.g. Windows without the privilege: a copy does the same
        shutil.copyfile(source, target)
