"""The training loop, usable as a library: the CLI, the benchmark and the app's fine-tuning all
drive it and follow it through a progress callback."""

from __future__ import annotations

import contextlib
import copy
import functools
import io
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, RandomSampler

from srcrm.base.device import amp_dtype, pick_device
from srcrm.base.io import atomic_write_bytes, atomic_write_text
from srcrm.data.augment import augment
from srcrm.data.datasets import AugmentedDataset, SegmentationData, open_dataset
from srcrm.evaluation.evaluate import evaluate
from srcrm.models import build_model, load_pretrained
from srcrm.models.checkpoint import load_checkpoint, save_checkpoint
from srcrm.models.network import SRCRMNet, upgrade_state_dict
from srcrm.train.config import TrainConfig
from srcrm.train.distributed import DistInfo, init_distributed, local_device
from srcrm.train.losses import balanced_weights, segmentation_loss


@dataclass
class TrainEvent:
    """What a progress callback receives after each step and each evaluation."""

    kind: str  # "step", "eval" or "done"
    step: int
    total_steps: int
    loss: float = math.nan
    lr: float = 0.0
    eta_s: float = math.nan
    metrics: dict = field(default_factory=dict)


class Cancelled(Exception):
    """Raised inside :meth:`Trainer.fit` when ``should_stop`` says so; nothing is overwritten."""


class Diverged(ValueError):
    """The loss became infinite or NaN: the run stops before that step's backward pass (a
    NaN reaching the SRM's sampling grid there would crash the process)."""


class ResumeMismatch(ValueError):
    """The resumable state in the output folder was saved by a run with other settings."""


# Settings a resumed run may change: they do not alter what the steps compute (``steps`` may
# grow to extend a run).
_RESUMABLE_CHANGES = frozenset(
    {
        "out_dir",
        "val_split",
        "eval_every",
        "checkpoint_every",
        "workers",
        "device",
        "resume",
        "data_on_device",
        "resident_max_gib",
        "steps",
        "write_files",
    }
)


def run_settings(cfg: TrainConfig) -> dict:
    """The settings a resumable state is stored with and checked against, as JSON values."""
    data = json.loads(json.dumps(cfg.to_dict(), default=str))
    return {k: v for k, v in data.items() if k not in _RESUMABLE_CHANGES}


def poly_lr(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up, then polynomial decay to zero."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = (step - cfg.warmup_steps) / max(cfg.steps - cfg.warmup_steps, 1)
    return cfg.lr * (1 - min(progress, 1.0)) ** cfg.poly_power


def class_pixel_counts(data: SegmentationData, num_classes: int) -> np.ndarray:
    """Labelled pixels per class over a whole split (ignored pixels are not counted)."""
    counts = np.zeros(num_classes, np.int64)
    for i in range(len(data)):
        label = data[i][1]
        counts += np.bincount(label[label < num_classes].ravel(), minlength=num_classes)[:num_classes]
    return counts


class FocusSampler:
    """Draws crop centres on pixels of a class chosen uniformly among the classes present, so
    a pole (1% of pixels) is as often in a crop as the road; see ``AugmentConfig.focus``."""

    def __init__(
        self, labels: torch.Tensor, num_classes: int, generator: torch.Generator, per_class: int = 20_000
    ):
        self.generator = generator
        self.points: list[torch.Tensor] = []  # per class: (K, 3) image index, y, x
        for c in range(num_classes):
            where = (labels == c).nonzero()
            if len(where):
                keep = torch.randperm(len(where), generator=torch.Generator().manual_seed(c))[:per_class]
                self.points.append(where[keep.to(where.device)])

    def draw(self, idx: torch.Tensor, share: float) -> tuple[torch.Tensor, torch.Tensor]:
        dev = idx.device
        points = torch.full((len(idx), 2), -1, dtype=torch.long, device=dev)
        idx = idx.clone()
        chosen = torch.rand(len(idx), generator=self.generator, device=dev) < share
        for i in chosen.nonzero().flatten().tolist():
            cls = int(torch.randint(len(self.points), (1,), generator=self.generator, device=dev))
            pool = self.points[cls]
            pick = pool[int(torch.randint(len(pool), (1,), generator=self.generator, device=dev))]
            idx[i] = pick[0]
            points[i] = pick[1:]
        return idx, points


class Trainer:
    def __init__(
        self,
        cfg: TrainConfig,
        on_event: Callable[[TrainEvent], None] | None = None,
        train_data: SegmentationData | None = None,
        val_data: SegmentationData | None = None,
        start: SRCRMNet | None = None,
    ):
        """``start``: the network to train, held in memory (fine-tuning's, its class head
        grown), instead of one built from ``cfg.model`` or ``cfg.init_from``."""
        self.cfg = cfg = copy.deepcopy(cfg)  # set-up fills in fields; the caller's stays as given
        self.settings = run_settings(cfg)
        self.on_event = on_event or (lambda event: None)
        self.dist: DistInfo = init_distributed(pick_device(cfg.device))
        self.device = local_device(pick_device(cfg.device), self.dist)
        self.out_dir = Path(cfg.out_dir)
        self.train_data = train_data or open_dataset(cfg.data, cfg.train_split)
        self.val_data = (
            val_data
            if val_data is not None
            else (open_dataset(cfg.data, cfg.val_split) if cfg.val_split else None)
        )
        labelset = self.train_data.labelset
        self.labelset = labelset
        self.cfg.loss = replace(cfg.loss, ignore_index=labelset.ignore_index)
        if cfg.loss.class_balance > 0 and cfg.loss.class_weights is None:
            counts = class_pixel_counts(self.train_data, labelset.num_classes)
            self.cfg.loss = replace(
                self.cfg.loss, class_weights=balanced_weights(counts, cfg.loss.class_balance)
            )
        self._net, self.model = self._build_model(start)
        self.optimizer = torch.optim.SGD(
            self._param_groups(),
            lr=cfg.lr,
            momentum=cfg.momentum,
            weight_decay=cfg.weight_decay,
        )
        self.amp_dtype = self._amp_dtype()
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.amp_dtype == torch.float16)
        self.step = 0
        self.history: dict = {"loss": [], "eval": []}
        torch.manual_seed(cfg.seed + self.dist.rank)
        self.generator = torch.Generator(self.device).manual_seed(cfg.seed + 1000 * self.dist.rank)

    # --- set-up --------------------------------------------------------------------------

    def _build_model(self, start: SRCRMNet | None) -> tuple[SRCRMNet, nn.Module]:
        """The bare network, and the module that trains: the same one, moved and converted
        in place, wrapped in DDP when distributed."""
        cfg = self.cfg
        if start is not None:
            net = start
            self.cfg.model = start.cfg
        elif cfg.init_from:
            ckpt = load_checkpoint(cfg.init_from)
            net = ckpt.build_model()
            self.cfg.model = ckpt.config
        else:
            model_cfg = replace(cfg.model, num_classes=self.labelset.num_classes)
            self.cfg.model = model_cfg
            net = build_model(model_cfg)
        if cfg.pretrained:
            if cfg.init_from:
                raise ValueError("--pretrained starts a new model; --init-from continues one: give one")
            load_pretrained(net.encoder, self.cfg.model.backbone)
        if cfg.freeze_backbone:
            for p in net.encoder.parameters():
                p.requires_grad_(False)
        model: nn.Module = net
        if cfg.sync_bn and self.dist.enabled and self.device.type == "cuda":  # CUDA-only in torch
            model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        model = model.to(self.device)
        if cfg.channels_last:
            model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]  # memory_format: missing from Module.to's stubs
        if self.dist.enabled:
            ids = [self.device.index] if self.device.type == "cuda" else None
            model = DistributedDataParallel(model, device_ids=ids)
        return net, model.train()

    def _param_groups(self) -> list[dict]:
        """The encoder and the rest as two groups, so a pretrained encoder can learn more slowly."""
        encoder = {id(p) for p in self.net.encoder.parameters()}
        trainable = [p for p in self.model.parameters() if p.requires_grad]
        groups = [
            {"params": [p for p in trainable if id(p) in encoder], "lr_scale": self.cfg.encoder_lr_scale},
            {"params": [p for p in trainable if id(p) not in encoder], "lr_scale": 1.0},
        ]
        return [g for g in groups if g["params"]]

    def _amp_dtype(self) -> torch.dtype | None:
        return amp_dtype(self.cfg.amp, self.device)

    @property
    def net(self) -> SRCRMNet:
        """The bare network (unwrapped from DDP)."""
        return self._net

    def _batches(self):
        """Endless augmented batches: resident on the device when the images share one size."""
        cfg = self.cfg
        if cfg.data_on_device and not self.dist.enabled and self._fits_resident():
            pairs = [self.train_data[i] for i in range(len(self.train_data))]
            if len({image.shape for image, _ in pairs}) == 1:
                yield from self._resident_batches(pairs)
        # A partial, not a lambda: DataLoader workers must pickle it where they are spawned.
        dataset = AugmentedDataset(
            self.train_data,
            functools.partial(augment, cfg=cfg.augment, ignore_index=self.labelset.ignore_index),
        )
        sampler = (
            DistributedSampler(dataset, seed=cfg.seed)
            if self.dist.enabled
            else RandomSampler(dataset, replacement=True, num_samples=10**9)
        )
        loader = DataLoader(
            dataset,
            batch_size=cfg.batch_size,
            sampler=sampler,
            drop_last=True,
            num_workers=cfg.workers,
            persistent_workers=cfg.workers > 0,
        )
        epoch = 0
        while True:
            if isinstance(sampler, DistributedSampler):
                sampler.set_epoch(epoch)
            for x, y in loader:
                yield x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)
            epoch += 1

    def _fits_resident(self) -> bool:
        """Whether the dataset, judged by its first sample, fits the resident-memory budget."""
        image, label = self.train_data[0]
        return len(self.train_data) * (image.nbytes + label.nbytes) <= self.cfg.resident_max_gib * 2**30

    def _resident_batches(self, pairs):
        """Keep the whole (small, same-size) dataset on the device and augment there."""
        cfg = self.cfg
        images = torch.from_numpy(np.stack([image for image, _ in pairs])).permute(0, 3, 1, 2)
        images = images.contiguous().to(self.device)
        labels = torch.from_numpy(np.stack([label for _, label in pairs])).to(self.device)
        focus = (
            FocusSampler(labels, self.labelset.num_classes, self.generator) if cfg.augment.focus > 0 else None
        )
        while True:
            idx = torch.randint(len(images), (cfg.batch_size,), generator=self.generator, device=self.device)
            points = None
            if focus is not None:
                idx, points = focus.draw(idx, cfg.augment.focus)
            yield augment(
                images[idx],
                labels[idx],
                cfg.augment,
                self.labelset.ignore_index,
                self.generator,
                focus=points,
            )

    # --- the loop ------------------------------------------------------------------------

    def fit(self, should_stop: Callable[[], bool] | None = None) -> dict:
        """Train to ``cfg.steps`` (resuming if a resumable state exists), evaluate, save.

        Returns the final metrics (empty without a validation split). Raises :class:`Cancelled`
        when ``should_stop`` returns true; the last saved state and checkpoint are kept as they were.
        Raises :class:`ResumeMismatch` when the saved state's run had other settings.
        """
        cfg = self.cfg
        if cfg.write_files:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        if cfg.resume:
            self._load_state()
        batches = self._batches()
        start, started = self.step, time.perf_counter()
        autocast = (
            torch.autocast(self.device.type, dtype=self.amp_dtype)
            if self.amp_dtype
            else contextlib.nullcontext()
        )
        while self.step < cfg.steps:
            if should_stop and should_stop():
                raise Cancelled(f"training cancelled at step {self.step}")
            lr = poly_lr(self.step, cfg)
            for group in self.optimizer.param_groups:
                group["lr"] = lr * group["lr_scale"]
            x, y = next(batches)
            if cfg.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            with autocast:
                logits, aux = self.model(x, return_aux=True)
                loss = segmentation_loss(logits.float(), [a.float() for a in aux], y, cfg.loss)
            loss_value = loss.item()
            if not math.isfinite(loss_value):
                raise Diverged(
                    f"training diverged: the loss became {loss_value} at step {self.step + 1}; "
                    f"lower the learning rate (--lr {cfg.lr:g})"
                )
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            self.step += 1
            self.history["loss"].append([self.step, loss_value])
            elapsed = time.perf_counter() - started
            eta = elapsed / (self.step - start) * (cfg.steps - self.step)
            self.on_event(TrainEvent("step", self.step, cfg.steps, loss_value, lr, eta))
            evaluate_now = cfg.eval_every and self.step % cfg.eval_every == 0 and self.step < cfg.steps
            if evaluate_now and self.val_data is not None:  # no validation data: nothing to evaluate
                self._evaluate(self.val_data)
            if cfg.checkpoint_every and self.step % cfg.checkpoint_every == 0:
                self._save_state()
        self._sync_buffers()
        metrics = self._evaluate(self.val_data) if self.val_data is not None else {}
        if cfg.write_files:
            self._save_state()
            self.save_checkpoint(self.out_dir / "model.pt", metrics)
        self.on_event(TrainEvent("done", self.step, cfg.steps, metrics=metrics))
        return metrics

    def _sync_buffers(self) -> None:
        """DDP syncs gradients, not BN statistics: give every rank rank 0's, so all ranks
        evaluate and hold the same model."""
        if self.dist.enabled:
            for buffer in self.net.buffers():
                torch.distributed.broadcast(buffer, 0)

    def _evaluate(self, val_data: SegmentationData) -> dict:
        metrics = evaluate(self.net, val_data, self.device, progress=False)
        best = max((e["miou"] for e in self.history["eval"]), default=-1.0)
        self.history["eval"].append({"step": self.step, **metrics})
        if metrics["miou"] > best and self.cfg.write_files:
            # Long runs keep their best-on-val weights: the schedule's end need not be the best.
            self.save_checkpoint(self.out_dir / "best.pt", metrics)
        self.on_event(TrainEvent("eval", self.step, self.cfg.steps, metrics=metrics))
        return metrics

    # --- persistence ---------------------------------------------------------------------

    def checkpoint_meta(self, metrics: dict | None = None) -> dict:
        """What a checkpoint of this run records: the data, steps, settings and scores."""
        return {
            "train": {
                "data": str(self.cfg.data),
                "split": self.cfg.train_split,
                "images": len(self.train_data),
                "steps": self.step,
                "config": json.loads(json.dumps(self.cfg.to_dict(), default=str)),
            },
            "metrics": metrics or {},
            "init_from": self.cfg.init_from,
        }

    def save_checkpoint(self, path, metrics: dict | None = None, half: bool = False) -> Path | None:
        if not self.dist.is_main:
            return None
        return save_checkpoint(
            path,
            self.net,
            class_names=self.labelset.class_names,
            palette=self.labelset.palette,
            ignore_index=self.labelset.ignore_index,
            meta=self.checkpoint_meta(metrics),
            half=half,
        )

    def _save_state(self) -> None:
        if not self.dist.is_main:
            return
        state = {
            "step": self.step,
            "settings": json.dumps(self.settings),
            "model": self.net.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scaler": self.scaler.state_dict(),
            "history": json.dumps(self.history),
        }
        buffer = io.BytesIO()  # in memory first: a failed file write is then an OSError
        torch.save(state, buffer)
        atomic_write_bytes(self.out_dir / "last_state.pt", buffer.getvalue())
        atomic_write_text(self.out_dir / "history.json", json.dumps(self.history))

    def _load_state(self) -> None:
        path = self.out_dir / "last_state.pt"
        if not path.is_file():
            return
        state = torch.load(path, map_location=self.device, weights_only=True)
        if "settings" in state:  # states saved before settings were stored resume as they are
            saved = json.loads(state["settings"])
            changed = sorted(
                k for k in saved.keys() | self.settings.keys() if saved.get(k) != self.settings.get(k)
            )
            if changed:
                raise ResumeMismatch(
                    f"{path} was saved by a run with other settings ({', '.join(changed)}); "
                    f"start over with --fresh (resume=False), or give another output folder"
                )
        self.net.load_state_dict(upgrade_state_dict(state["model"]))
        self.optimizer.load_state_dict(state["optimizer"])
        self.scaler.load_state_dict(state["scaler"])
        self.step = int(state["step"])
        self.history = json.loads(state["history"])
