"""Training throughput and inference speed of the full model against the ablation baseline,
measured in the same run on the same device, so the ratio is meaningful anywhere."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, replace

import torch

from srcrm.config import ModelConfig
from srcrm.device import device_name, pick_device
from srcrm.losses import LossConfig, segmentation_loss
from srcrm.models import build_model


@dataclass(frozen=True)
class BenchConfig:
    device: str = "auto"
    train_size: tuple[int, int] = (256, 256)
    infer_size: tuple[int, int] = (360, 480)
    batch_size: int = 4
    repeats: int = 5
    warmup: int = 2


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _median_seconds(fn, cfg: BenchConfig, device: torch.device) -> float:
    for _ in range(cfg.warmup):
        fn()
    times = []
    for _ in range(cfg.repeats):
        _sync(device)
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_model(model_cfg: ModelConfig, cfg: BenchConfig) -> dict:
    device = pick_device(cfg.device)
    amp = torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")
    model = build_model(model_cfg).to(device, memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    x = torch.rand(cfg.batch_size, 3, *cfg.train_size, device=device).contiguous(
        memory_format=torch.channels_last)
    y = torch.randint(0, model_cfg.num_classes, (cfg.batch_size, *cfg.train_size), device=device)

    def train_step():
        with amp:
            logits, aux = model(x, return_aux=True)
            loss = segmentation_loss(logits.float(), [a.float() for a in aux], y, LossConfig())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    model.train()
    train_s = _median_seconds(train_step, cfg, device)

    model.eval()
    dtype = torch.float16 if device.type == "cuda" else torch.float32
    model = model.to(dtype)
    image = torch.rand(1, 3, *cfg.infer_size, device=device, dtype=dtype)

    def infer():
        with torch.no_grad():
            model(image)

    infer_s = _median_seconds(infer, cfg, device)
    return {"name": model_cfg.name, "train_images_per_s": cfg.batch_size / train_s,
            "infer_ms": 1000 * infer_s, "infer_fps": 1 / infer_s}


def run_benchmark(cfg: BenchConfig, model_cfg: ModelConfig = ModelConfig()) -> str:
    """A table comparing the full model with the bilinear, no-CRM baseline."""
    device = pick_device(cfg.device)
    baseline = bench_model(replace(model_cfg, srm=False, crm=False), cfg)
    full = bench_model(model_cfg, cfg)
    h, w = cfg.infer_size
    th, tw = cfg.train_size
    lines = [
        f"device: {device_name(device)}",
        f"training: batch {cfg.batch_size} at {th}x{tw}; inference: batch 1 at {h}x{w}; "
        f"median of {cfg.repeats}",
        f"{'model':<26} {'train img/s':>12} {'infer ms':>10} {'infer FPS':>10}",
    ]
    for r in (baseline, full):
        lines.append(f"{r['name']:<26} {r['train_images_per_s']:>12.2f} {r['infer_ms']:>10.1f} "
                     f"{r['infer_fps']:>10.2f}")
    lines.append(f"full / baseline: training throughput x{full['train_images_per_s'] / baseline['train_images_per_s']:.2f}, "
                 f"inference time x{full['infer_ms'] / baseline['infer_ms']:.2f}")
    return "\n".join(lines)
