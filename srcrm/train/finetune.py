"""Fine-tune a checkpoint on an annotator's corrected images and say what it gained.

:func:`finetune` scores the parent model on images held out of training ("before"), trains with
:class:`srcrm.train.Trainer` from the parent's weights (its class heads grown for new classes),
scores again ("after"), and writes the new model as an ordinary checkpoint whose metadata says
where it came from. The parent file is only read; a cancel or an error leaves nothing at the
output path; training writes no scratch files (the model is kept in memory until it is saved, and
a failed save is retried, then made in the system's temporary folder, never lost).
"""

from __future__ import annotations

import hashlib
import json
import math
import tempfile
import time
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from torch import nn

from srcrm.base.device import device_name, pick_device
from srcrm.base.io import atomic_write_bytes, refuse_bundled_output
from srcrm.base.outputs import refuse_aliasing
from srcrm.base.ranges import check_range
from srcrm.data.augment import AugmentConfig
from srcrm.data.datasets import SegmentationData
from srcrm.data.finetune_data import (
    data_paths,
    open_finetune_data,
    require_labelled_pixels,
    train_only_names,
)
from srcrm.evaluation.evaluate import evaluate
from srcrm.models.checkpoint import (
    DEFAULT_MANIFEST,
    checkpoint_bytes,
    checkpoint_files,
    load_checkpoint,
)
from srcrm.models.head import adapt_classes
from srcrm.train import TrainConfig, Trainer, TrainEvent
from srcrm.train.config import check_run_numbers
from srcrm.train.trainer import Cancelled

SAVE_RETRIES = 3
RETRY_DELAY_S = 0.5

__all__ = ["Cancelled", "FinetuneConfig", "FinetuneEvent", "FinetuneReport", "finetune", "split_holdout"]


@dataclass
class FinetuneConfig:
    steps: int = 200  # with a time budget: the most steps the run may take
    budget_s: float | None = None  # stop training after this many seconds (a CPU's share of work)
    lr: float = 0.005
    batch_size: int = 4
    crop: tuple[int, int] | None = None  # None: 512x512 on a GPU, 256x256 on the CPU
    freeze_backbone: bool = False
    keep_bn_statistics: bool = False  # batch norm keeps the parent's statistics (see _keep_bn_statistics)
    holdout_fraction: float = 0.2  # share of the images kept out of training for the report
    eval_every: int = 0  # steps between holdout evaluations; 0: about five over the run
    seed: int = 0
    device: str = "auto"

    def __post_init__(self) -> None:
        # The largest default crop stands in for an unset one: the device is not known yet.
        crop = self.crop or (512, 512)
        check_run_numbers(self.steps, self.lr, self.batch_size, crop, self.seed, self.eval_every)
        check_range(self.holdout_fraction, "--holdout", 0, 1)
        if self.holdout_fraction == 1:
            raise ValueError("--holdout must be below 1: at least one image must be left to train on")

    def resolved_crop(self, device_type: str) -> tuple[int, int]:
        return self.crop or ((256, 256) if device_type == "cpu" else (512, 512))


@dataclass
class FinetuneReport:
    """Holdout scores before and after (empty without holdout images) and what was used."""

    before: dict
    after: dict
    train_names: list[str]
    holdout_names: list[str]
    steps: int
    seconds: float
    parent: str
    class_names: list[str]
    out: str = ""  # where the model was written: the output asked for, or the fallback
    device: str = ""
    save_error: str = ""  # why the output asked for could not be written (then ``out`` says where)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class FinetuneEvent:
    """Progress for a callback: ``start`` (with the before mIoU), ``step``, ``eval`` (holdout
    mIoU), ``done`` (with the report)."""

    kind: str
    step: int
    total: int
    loss: float | None = None
    miou: float | None = None
    eta_s: float | None = None
    report: FinetuneReport | None = None

    def to_dict(self) -> dict:
        """JSON-ready: fields without a value are left out."""
        data = {"kind": self.kind, "step": self.step, "total": self.total}
        for key in ("loss", "miou", "eta_s"):
            value = getattr(self, key)
            if value is not None and math.isfinite(value):
                data[key] = value
        if self.report is not None:
            data["report"] = self.report.to_dict()
        return data


def split_holdout(
    names: list[str], fraction: float, seed: int, train_only: Collection[str] = ()
) -> tuple[list[str], list[str]]:
    """Deterministic (train, holdout) split of ``names``: at least one holdout image when
    ``fraction`` > 0 and one may be held out, and always at least one training image. The
    names in ``train_only`` (labels no person drew, e.g. propagated video frames) are never
    held out; ``fraction`` is of the others."""
    if not 0 <= fraction < 1:
        raise ValueError(f"the holdout fraction must be in [0, 1), got {fraction}")
    if not names:
        raise ValueError("no images to split")
    ordered = sorted(n for n in names if n not in train_only)
    count = 0 if fraction == 0 or not ordered else max(1, round(fraction * len(ordered)))
    count = min(count, len(ordered), len(names) - 1)
    picked = {ordered[i] for i in np.random.default_rng(seed).permutation(len(ordered))[:count].tolist()}
    train = [n for n in sorted(names) if n not in picked]
    holdout = [n for n in ordered if n in picked]
    return train, holdout


def finetune(
    parent,
    data_dir,
    out_path,
    cfg: FinetuneConfig = FinetuneConfig(),
    on_event: Callable[[FinetuneEvent], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> FinetuneReport:
    """Fine-tune ``parent`` (a checkpoint, a manifest, or None for the bundled model) on the
    folder ``data_dir`` (see :mod:`srcrm.data.finetune_data`) and write ``out_path``.

    Raises :class:`Cancelled` when ``should_stop`` returns true; ``CheckpointError``,
    ``FileNotFoundError`` or ``ValueError`` for input it cannot use. Either way nothing is
    written at ``out_path``.
    """
    if cfg.budget_s is not None and not (math.isfinite(cfg.budget_s) and cfg.budget_s > 0):
        raise ValueError(f"the time budget must be positive, got {cfg.budget_s} s")
    started = time.perf_counter()
    emit = on_event or (lambda event: None)
    stop = should_stop or (lambda: False)
    parent_path = Path(parent) if parent is not None else DEFAULT_MANIFEST
    out_path = Path(out_path)
    refuse_bundled_output(out_path)
    refuse_aliasing([out_path], input_paths(parent_path, data_dir))
    parent_ckpt = load_checkpoint(parent_path)
    parent_sha256 = _sha256(parent_path)
    data = open_finetune_data(data_dir, parent_ckpt)
    labelset = data.labelset
    train_names, holdout_names = split_holdout(
        data.names, cfg.holdout_fraction, cfg.seed, train_only_names(data_dir)
    )
    train, holdout = _subset(data, train_names), _subset(data, holdout_names)
    assert train is not None  # split_holdout keeps one of data.names for training at least
    require_labelled_pixels(train)
    device = pick_device(cfg.device)

    budget: _TimeBudget | None = None

    def relay(event: TrainEvent) -> None:
        if event.kind == "step":
            if budget is not None:
                budget.after_step(event.step)
            emit(FinetuneEvent("step", event.step, event.total_steps, loss=event.loss, eta_s=event.eta_s))
        elif event.kind == "eval":
            emit(FinetuneEvent("eval", event.step, event.total_steps, miou=event.metrics["miou"]))

    model = adapt_classes(parent_ckpt.build_model(), parent_ckpt.class_names, labelset.class_names)
    if cfg.keep_bn_statistics:
        _keep_bn_statistics(model)
    train_cfg = _train_config(cfg, data_dir, parent_path, device, holdout is not None)
    trainer = Trainer(train_cfg, relay, train_data=train, val_data=holdout, start=model)
    before = evaluate(trainer.net, holdout, trainer.device, progress=False) if holdout else {}
    emit(FinetuneEvent("start", 0, cfg.steps, miou=before.get("miou")))
    _stop_if(stop, "before training")
    if cfg.budget_s is not None:
        budget = _TimeBudget(cfg.budget_s, trainer.cfg)
    after = trainer.fit(should_stop=stop)
    _stop_if(stop, "after training; nothing was written")
    report = FinetuneReport(
        before=_summary(before, labelset.ignore_index),
        after=_summary(after, labelset.ignore_index),
        train_names=train_names,
        holdout_names=holdout_names,
        steps=trainer.step,
        seconds=0.0,
        parent=str(parent_path),
        class_names=list(labelset.class_names),
        out=str(out_path),
        device=device_name(trainer.device),
    )
    report.seconds = time.perf_counter() - started
    # The parent's own notes (its licence, say) carry over; the training record is new.
    meta = {
        **parent_ckpt.meta,
        **trainer.checkpoint_meta(after),
        "init_from": str(parent_path),
        "finetune": _provenance(report, parent_sha256, data_dir, cfg),
    }
    weights = checkpoint_bytes(
        trainer.net,
        class_names=labelset.class_names,
        palette=labelset.palette,
        ignore_index=labelset.ignore_index,
        meta=meta,
    )
    saved, report.save_error = _save_keeping_weights(out_path, weights)
    report.out = str(saved)
    emit(FinetuneEvent("done", report.steps, report.steps, miou=report.after.get("miou"), report=report))
    return report


def _keep_bn_statistics(model: nn.Module) -> None:
    """Make every batch norm of ``model`` normalise with the statistics it has, and leave them
    as they are, through training: a few images in batches of four pull them away from what the
    weights were trained with (on CamVid, 20 steps that moved only them made 6% more pixels
    wrong on later frames of the sequence; docs/annotator_benchmark.md)."""
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]

    def keep(module, args) -> None:
        for norm in norms:
            norm.eval()

    model.register_forward_pre_hook(keep)


class _TimeBudget:
    """Fits a run into ``seconds`` of training: after each step, the length the pace so far
    allows (at most the configured steps) goes into the trainer's config, which
    :meth:`Trainer.fit` reads on every step, so the learning rate decays to zero as the budget
    runs out and the loop ends at the budget."""

    def __init__(self, seconds: float, train_cfg: TrainConfig):
        self.seconds, self.cfg, self.cap = seconds, train_cfg, train_cfg.steps
        self.started = time.perf_counter()

    def after_step(self, step: int) -> None:
        elapsed = time.perf_counter() - self.started
        fits = int(step * self.seconds / elapsed) if elapsed < self.seconds else step
        self.cfg.steps = max(step, min(self.cap, fits))
        self.cfg.warmup_steps = max(self.cfg.steps // 10, 1)


def input_paths(parent, data_dir) -> list[Path]:
    """Every file and folder fine-tuning reads: no output may be written over one of them."""
    return [*checkpoint_files(parent), *data_paths(data_dir)]


def _save_keeping_weights(out_path: Path, weights: bytes, retries: int = SAVE_RETRIES) -> tuple[Path, str]:
    """Write the checkpoint ``weights`` (held in memory, so every try writes the same bytes) to
    ``out_path``, retrying a failed write (a disk that is full for a moment); if it keeps
    failing, write them to the system's temporary folder so that the trained model is not
    lost. Returns the path written and the error that moved it there ("" when the output was
    written). Raises OSError only when both places fail."""
    for attempt in range(retries):
        try:
            atomic_write_bytes(out_path, weights)
            return out_path, ""
        except OSError as exc:
            error = f"{out_path}: {exc.strerror or exc}"
            time.sleep(RETRY_DELAY_S * (attempt + 1))
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    fallback = Path(tempfile.gettempdir()) / f"srcrm-finetune-{stamp}-{out_path.name}"
    try:
        atomic_write_bytes(fallback, weights)
    except OSError as exc:
        raise OSError(
            f"{error}, and the fallback {fallback} failed too "
            f"({exc.strerror or exc}); the trained model is lost"
        ) from exc
    return fallback, error


def _train_config(cfg: FinetuneConfig, data_dir, parent: Path, device, has_holdout: bool) -> TrainConfig:
    """The trainer's settings for a short run from ``parent``'s weights: a brief warm-up (the
    weights are trained already), the default model's scale range, and no files: the trainer
    writes nothing, the model is saved from memory."""
    eval_every = (cfg.eval_every or max(cfg.steps // 5, 1)) if has_holdout else 0
    return TrainConfig(
        data=str(Path(data_dir).resolve()),
        val_split=None,
        steps=cfg.steps,
        batch_size=cfg.batch_size,
        lr=cfg.lr,
        warmup_steps=max(cfg.steps // 10, 1),
        augment=AugmentConfig(crop=cfg.resolved_crop(device.type), scale=(0.5, 1.5)),
        eval_every=eval_every,
        checkpoint_every=0,
        seed=cfg.seed,
        device=str(device),
        init_from=str(parent),
        freeze_backbone=cfg.freeze_backbone,
        resume=False,
        write_files=False,  # the model stays in memory until it is saved, with retries
    )


def _provenance(report: FinetuneReport, parent_sha256: str, data_dir, cfg: FinetuneConfig) -> dict:
    """What the checkpoint's metadata says about where it came from."""
    return {
        "parent": {"path": str(Path(report.parent).resolve()), "sha256": parent_sha256},
        "data": {
            "root": str(Path(data_dir).resolve()),
            "train": report.train_names,
            "holdout": report.holdout_names,
        },
        "metrics": {"before": report.before, "after": report.after},
        "config": json.loads(json.dumps(asdict(cfg))),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": report.seconds,
    }


def _subset(data: SegmentationData, names: list[str]) -> SegmentationData | None:
    wanted = set(names)
    samples = [s for s in data.samples if s[0].stem in wanted]
    return replace(data, samples=samples) if samples else None


def _stop_if(stop: Callable[[], bool], when: str) -> None:
    if stop():
        raise Cancelled(f"fine-tuning cancelled {when}")


def _summary(result: dict, ignore_index: int) -> dict:
    """The numbers an annotator reads: mIoU, boundary F, pixel accuracy, and the share of
    labelled pixels they would still have to change (prediction != ground truth)."""
    if not result:
        return {}
    return {
        "miou": result["miou"],
        "boundary_f": result["boundary_f"],
        "pixel_acc": result["pixel_accuracy"],
        "to_change": 1.0 - result["pixel_accuracy"],
        "iou": {
            name: iou
            for i, (name, iou) in enumerate(zip(result["class_names"], result["iou"]))
            if i != ignore_index
        },
    }


def _sha256(path: Path) -> str:
    """The checkpoint's hash: a manifest's recorded one (checked on load), else the file's."""
    if path.suffix == ".json":
        return json.loads(path.read_text())["sha256"]
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
