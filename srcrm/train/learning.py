"""Learn as the person works: after every K images marked done, fine-tune the model in use on
all done images within a time budget, keep the update only if it leaves no more to fix on the
newest done images it did not train on, and then pre-label again, in the order the person will
visit them, the images nobody has touched.

Why the newest done images judge: a labelling job moves through a sequence, so the images done
last are the nearest to the ones still to come, and neither the model in use nor the update has
trained on them (the next update does: the hold-out rotates). Only a person's finished labels
are ground truth here; a pre-label or a propagated frame never is. "Left to fix" is counted
twice, and neither may grow: the wrong pixels, and the wrong regions a person fixing the largest
first must redo to reach the share of right pixels where they call an image done. The second is
what costs the person actions: an update that fixes one large region and scatters small errors
has fewer wrong pixels and more work. The judge leans towards the model in use, on purpose: the
held-out label started as that model's pre-label, and the pixels the person left alone still
carry its guesses, so an update must beat it on its own ground.

What it trains on: a done image's label, except the pixels the person left as the model in use
has them where that model is unsure. Marking an image done does not mean every such pixel was
looked at, and training on them would only harden the model's guesses (on CamVid it taught the
model to drop thin and small classes). When the done images agree with the model in use
everywhere there is nothing to learn, and no update is trained.

Qt-free: the app runs it in a low-priority worker process (:func:`lower_priority`), and
``srcrm learn`` and ``benchmarks/bench_annotator.py --learn-every`` run the same code.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np
import torch

from srcrm.base.io import read_image, write_png
from srcrm.data.datasets import SegmentationData
from srcrm.data.finetune_data import open_finetune_data
from srcrm.inference.predictor import Prediction, Predictor
from srcrm.models.checkpoint import load_checkpoint
from srcrm.train.finetune import Cancelled, FinetuneConfig, FinetuneEvent, finetune

__all__ = [
    "Cancelled",
    "LearnConfig",
    "LearnEvent",
    "LearnSummary",
    "Learner",
    "learn",
    "lower_priority",
    "relabel",
]


@dataclass
class LearnConfig:
    every: int = 4  # images marked done between two updates
    holdout: int = 1  # the newest done images, kept out of training to judge the update
    unsure: float = 0.7  # pixels left as the model has them below this confidence: not trained on
    # The least share of the training images' labelled pixels the model in use must get wrong for
    # an update to be worth training (less is what two inference paths round differently).
    min_wrong: float = 0.005
    done_at: float = 0.95  # the share of right pixels at which a person calls an image done
    threads: int = 1  # torch threads in the worker (one core stays with the person)
    # How each update trains: the budget stops the loop; ``steps`` only caps a fast machine.
    train: FinetuneConfig = field(
        default_factory=lambda: FinetuneConfig(steps=2000, budget_s=60.0, keep_bn_statistics=True)
    )

    def __post_init__(self) -> None:
        if self.every < 0 or self.holdout < 1:
            raise ValueError(
                f"learning needs every >= 0 (0: never) and at least one held-out image to judge "
                f"an update, got every={self.every}, holdout={self.holdout}"
            )


@dataclass
class LearnSummary:
    """What one update did, for a person to read (:meth:`message`) and a program to act on."""

    accepted: bool
    reason: str  # one line: why the update was kept or dropped
    trained_on: list[str]
    held_out: list[str]
    error_before: float = 0.0  # share of the held-out labelled pixels the model in use gets wrong
    error_after: float = 0.0  # ... and the update gets wrong
    regions_before: int = 0  # wrong regions to fix on the held-out images, largest first
    regions_after: int = 0
    steps: int = 0
    seconds: float = 0.0
    model: str = ""  # the accepted model's file ("" when dropped)
    relabelled: list[str] = field(default_factory=list)

    @property
    def fewer_to_fix(self) -> float:
        """The share of pixels to fix that the update saves on images it did not train on."""
        return 1 - self.error_after / self.error_before if self.error_before > 0 else 0.0

    def message(self) -> str:
        if not self.accepted:
            return self.reason
        change = self.fewer_to_fix
        trend = f"about {change:.0%} fewer" if change >= 0.005 else "as many"
        return (
            f"learned from {len(self.trained_on)} of your images; {len(self.relabelled)} images "
            f"re-labelled; {trend} pixels to fix on the next images (measured on your "
            f"{_newest(len(self.held_out))}, kept out of the training)"
        )


@dataclass
class LearnEvent:
    """Progress: ``train`` (``fraction`` of the time budget spent), ``relabel`` (``fraction``
    of the untouched images done, ``name`` the one just pre-labelled), ``done`` (``summary``)."""

    kind: str
    fraction: float = 0.0
    name: str = ""
    summary: LearnSummary | None = None

    def to_dict(self) -> dict:
        data = {"kind": self.kind, "fraction": self.fraction}
        if self.name:
            data["name"] = self.name
        if self.summary is not None:
            data["summary"] = {**asdict(self.summary), "message": self.summary.message()}
        return data


def learn(
    model,
    data_dir,
    done: Sequence[str],
    out_model,
    todo: Sequence[Path] = (),
    protected: Container[str] = frozenset(),
    on_prelabel: Callable[[str, Prediction], None] | None = None,
    cfg: LearnConfig = LearnConfig(),
    on_event: Callable[[LearnEvent], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> LearnSummary:
    """One update of ``model`` (a checkpoint, a manifest, or None for the bundled model).

    ``data_dir`` is a fine-tuning folder (:mod:`srcrm.data.finetune_data`) holding the labels of
    ``done``, the names (file stems) of the images marked done, oldest first. When the update is
    kept it is written to ``out_model`` and each image of ``todo`` (paths, in visiting order)
    is pre-labelled through ``on_prelabel(name, prediction)``, except the done images and those
    in ``protected`` (the images a person edited), which is asked again just before each one,
    so an image edited while the learner runs is spared too.

    Raises :class:`Cancelled` when ``should_stop`` says so before the update is kept (nothing is
    written then); a stop while pre-labelling ends the pre-labelling.
    """
    started = time.perf_counter()
    emit = on_event or (lambda event: None)
    stop = should_stop or (lambda: False)
    out_model = Path(out_model)
    data = open_finetune_data(data_dir, load_checkpoint(model))
    by_name = dict(zip(data.names, data.samples, strict=True))
    missing = [name for name in done if name not in by_name]
    if missing:
        raise ValueError(f"{data_dir}: no label for the done images {', '.join(missing[:5])}")
    held_out = list(done[-cfg.holdout :])
    trained_on = list(done[: len(done) - len(held_out)])
    if not trained_on:
        reason = f"not learning yet: {_count(cfg.holdout + 1, 'done image')} needed, {len(done)} so far"
        return _finish(emit, started, LearnSummary(False, reason, trained_on, held_out))
    device = cfg.train.device
    current = Predictor.from_checkpoint(model, device)
    ignore = data.labelset.ignore_index
    train = examples(replace(data, samples=[by_name[n] for n in trained_on]), current)
    if (
        left_to_fix([(ex.prelabel.labels, ex.label) for ex in train], ignore, cfg.done_at).pixels
        < cfg.min_wrong
    ):
        reason = "nothing new to learn: your done images agree with the model in use"
        return _finish(emit, started, LearnSummary(False, reason, trained_on, held_out))
    judged = examples(replace(data, samples=[by_name[n] for n in held_out]), current)
    if all((ex.label == ignore).all() for ex in judged):
        reason = f"kept the model in use: your {_newest(len(held_out))} has no label to judge an update by"
        return _finish(emit, started, LearnSummary(False, reason, trained_on, held_out))
    candidate = out_model.with_name(out_model.name + ".candidate")
    report = _train(model, data_dir, train, ignore, candidate, cfg, emit, stop)
    try:
        before = left_to_fix([(ex.prelabel.labels, ex.label) for ex in judged], ignore, cfg.done_at)
        predictor = Predictor.from_checkpoint(report.out, device)
        after = left_to_fix(
            [(predictor.predict(ex.image).labels, ex.label) for ex in judged], ignore, cfg.done_at
        )
        if stop():
            raise Cancelled("learning cancelled before the update was kept; nothing was written")
        summary = LearnSummary(
            accepted=after.pixels <= before.pixels and after.regions <= before.regions,
            reason="",
            trained_on=trained_on,
            held_out=held_out,
            error_before=before.pixels,
            error_after=after.pixels,
            regions_before=before.regions,
            regions_after=after.regions,
            steps=report.steps,
        )
        if not summary.accepted:
            summary.reason = (
                f"kept the model in use: on your {_newest(len(held_out))} the update "
                f"would leave {after} to fix, against {before}"
            )
            return _finish(emit, started, summary)
        shutil.move(report.out, out_model)  # (a full disk may have put it elsewhere)
    finally:
        Path(report.out).unlink(missing_ok=True)
    summary.model = str(out_model)
    summary.reason = f"kept the update: {after} to fix on images it did not train on, against {before}"
    summary.relabelled = relabel(predictor, todo, on_prelabel, protected, done, emit, stop)
    return _finish(emit, started, summary)


def relabel(
    predictor: Predictor,
    todo: Sequence[Path],
    on_prelabel: Callable[[str, Prediction], None] | None,
    protected: Container[str] = frozenset(),
    done: Container[str] = frozenset(),
    on_event: Callable[[LearnEvent], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[str]:
    """Pre-label the images of ``todo`` in order through ``on_prelabel(name, prediction)``,
    never one named in ``done`` or ``protected`` (asked again once the prediction is ready, so an
    image edited meanwhile is spared); stops early when ``should_stop`` says so. Returns the
    names pre-labelled."""
    written = []
    for i, path in enumerate(todo):
        if should_stop is not None and should_stop():
            break
        name = Path(path).stem
        if name in done or name in protected:
            continue
        prediction = predictor.predict(read_image(path))
        if name in protected:  # edited while the model was looking
            continue
        if on_prelabel is not None:
            on_prelabel(name, prediction)
        written.append(name)
        if on_event is not None:
            on_event(LearnEvent("relabel", (i + 1) / len(todo), name))
    return written


class Effort(NamedTuple):
    """What pre-labels leave a person to fix."""

    pixels: float  # the share of labelled pixels that are wrong
    regions: int  # the wrong regions to redo (:func:`regions_to_fix`)

    def __str__(self) -> str:
        return f"{self.pixels:.1%} of the pixels and {_count(self.regions, 'region')}"


def left_to_fix(pairs: Iterable[tuple[np.ndarray, np.ndarray]], ignore_index: int, done_at: float) -> Effort:
    """What pre-labels leave a person to fix on ``pairs`` of (pre-label, person's label): the
    share of labelled pixels that are wrong, and the wrong regions to redo, largest first, until
    ``done_at`` of each image's pixels are right (:func:`regions_to_fix`)."""
    wrong = labelled = regions = 0
    for prelabel, label in pairs:
        valid = label != ignore_index
        wrong += int((prelabel != label)[valid].sum())
        labelled += int(valid.sum())
        regions += regions_to_fix(prelabel, label, valid, done_at)
    return Effort(wrong / labelled if labelled else 0.0, regions)


def regions_to_fix(pred: np.ndarray, label: np.ndarray, valid: np.ndarray, done_at: float) -> int:
    """How many wrong regions (8-connected pixels of one true class) a person must fix, largest
    first, before ``done_at`` of the ``valid`` pixels are right: a count of their actions."""
    wrong = (pred != label) & valid
    excess = int(wrong.sum()) - (1 - done_at) * int(valid.sum())
    if excess <= 0:
        return 0
    sizes = []
    for cls in np.unique(label[wrong]):
        _, _, stats, _ = cv2.connectedComponentsWithStats(
            (wrong & (label == cls)).astype(np.uint8), connectivity=8
        )
        sizes.extend(stats[1:, cv2.CC_STAT_AREA].tolist())
    return int(np.searchsorted(np.cumsum(sorted(sizes, reverse=True)), excess) + 1)


class Learner:
    """One labelling job's learning: the model in use, and when the next update is due."""

    def __init__(self, model, workdir, cfg: LearnConfig = LearnConfig()):
        self.model = model  # a checkpoint, a manifest, or None for the bundled model
        self.workdir = Path(workdir)
        self.cfg = cfg
        self.updates: list[LearnSummary] = []
        self.done_at_last_update = 0

    def due(self, done_count: int) -> bool:
        """Whether ``done_count`` images marked done call for an update."""
        return self.cfg.every > 0 and done_count - self.done_at_last_update >= self.cfg.every

    def update(self, data_dir, done: Sequence[str], **kwargs) -> LearnSummary:
        """:func:`learn` from the model in use, which the update replaces when it is kept;
        ``kwargs`` are :func:`learn`'s (``todo``, ``protected``, ``on_prelabel``, ...)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        out = self.workdir / f"learned-{len(self.updates) + 1}.pt"
        summary = learn(self.model, data_dir, done, out, cfg=self.cfg, **kwargs)
        self.done_at_last_update = len(done)
        self.updates.append(summary)
        if summary.accepted:
            self.model = out
        return summary


def lower_priority(threads: int = 1) -> None:
    """Put this process behind the person's work: the lowest CPU priority the system grants, and
    ``threads`` torch threads."""
    with contextlib.suppress(AttributeError, OSError):  # no os.nice on Windows
        os.nice(19 - os.nice(0))
    torch.set_num_threads(threads)


class Example(NamedTuple):
    """A done image, the person's label, and what the model in use makes of the image."""

    path: Path
    image: np.ndarray
    label: np.ndarray
    prelabel: Prediction


def examples(data: SegmentationData, current: Predictor) -> list[Example]:
    found = []
    for i, (path, _) in enumerate(data.samples):
        image, label = data[i]
        found.append(Example(path, image, label, current.predict(image)))
    return found


def trusted_label(label: np.ndarray, prelabel: Prediction, ignore_index: int, unsure: float) -> np.ndarray:
    """``label`` less the pixels where it agrees with ``prelabel`` and the model was less sure
    than ``unsure`` (set to ``ignore_index``): see the module's docstring."""
    trusted = label.copy()
    trusted[(label == prelabel.labels) & (prelabel.confidence < unsure)] = ignore_index
    return trusted


def _train(model, data_dir, train: list[Example], ignore_index: int, out, cfg: LearnConfig, emit, stop):
    """Fine-tune on ``train`` alone, staged with its :func:`trusted_label` beside the data's
    classes in a temporary folder."""
    budget = cfg.train.budget_s
    clock = {"start": time.perf_counter()}

    def relay(event: FinetuneEvent) -> None:
        if event.kind == "start":
            clock["start"] = time.perf_counter()
        elif event.kind == "step":
            spent = (time.perf_counter() - clock["start"]) / budget if budget else event.step / event.total
            emit(LearnEvent("train", min(spent, 1.0)))

    with tempfile.TemporaryDirectory(prefix="srcrm-learn-") as scratch:
        staged = Path(scratch)
        (staged / "images").mkdir()
        for ex in train:
            _link_or_copy(ex.path, staged / "images" / ex.path.name)
            label = trusted_label(ex.label, ex.prelabel, ignore_index, cfg.unsure)
            write_png(staged / "labels" / f"{ex.path.stem}.png", label)
        shutil.copyfile(Path(data_dir) / "classes.txt", staged / "classes.txt")
        return finetune(model, staged, out, replace(cfg.train, holdout_fraction=0.0), relay, stop)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or one without hard links
        shutil.copyfile(source, target)


def _finish(emit, started: float, summary: LearnSummary) -> LearnSummary:
    summary.seconds = time.perf_counter() - started
    emit(LearnEvent("done", 1.0, summary=summary))
    return summary


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _newest(n: int) -> str:
    return "newest image" if n == 1 else f"{n} newest images"
