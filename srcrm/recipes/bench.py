"""Training throughput and inference speed, measured in the same run on the same device so the
ratios are meaningful anywhere: the full model against the ablation baseline, and plain fp32
against the fast paths (channels_last, bf16 where native, ONNX Runtime, optionally torch.compile)."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from dataclasses import dataclass, replace

import numpy as np
import torch

from srcrm.base.device import amp_dtype, cpu_supports_bf16, device_name, pick_device
from srcrm.inference.fast_path import (
    FastPathConfig,
    build_forward,
    candidate_paths,
    compile_available,
    machine_key,
)
from srcrm.inference.predictor import Predictor
from srcrm.models import SRCRMNet, build_model
from srcrm.models.checkpoint import Checkpoint
from srcrm.models.config import ModelConfig
from srcrm.train.losses import LossConfig, segmentation_loss


@dataclass(frozen=True)
class BenchConfig:
    device: str = "auto"
    train_size: tuple[int, int] = (256, 256)
    infer_size: tuple[int, int] = (360, 480)
    batch_size: int = 4
    repeats: int = 5
    warmup: int = 2
    compile: bool = False  # also time torch.compile (minutes of compiling on a CPU)


@dataclass(frozen=True)
class TrainSetup:
    """One way to run a training step."""

    name: str
    channels_last: bool
    amp: torch.dtype | None
    compile: bool = False


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


def fast_train_setup(device: torch.device) -> TrainSetup:
    """What the Trainer does by default: channels_last, bf16 autocast where it is native."""
    return TrainSetup("fast", channels_last=True, amp=amp_dtype("auto", device))


def train_images_per_s(model_cfg: ModelConfig, setup: TrainSetup, cfg: BenchConfig) -> dict:
    """Training throughput (and, compiled, the first step's time, which includes compiling)."""
    device = pick_device(cfg.device)
    fmt = torch.channels_last if setup.channels_last else torch.contiguous_format
    model = build_model(model_cfg).to(device, memory_format=fmt).train()  # type: ignore[call-overload]  # memory_format: missing from Module.to's stubs
    net = torch.compile(model) if setup.compile else model
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    x = torch.rand(cfg.batch_size, 3, *cfg.train_size, device=device).contiguous(memory_format=fmt)
    y = torch.randint(0, model_cfg.num_classes, (cfg.batch_size, *cfg.train_size), device=device)

    def step():
        with torch.autocast(device.type, dtype=setup.amp or torch.float32, enabled=setup.amp is not None):
            logits, aux = net(x, return_aux=True)
            loss = segmentation_loss(logits.float(), [a.float() for a in aux], y, LossConfig())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    start = time.perf_counter()
    step()
    _sync(device)
    first_s = time.perf_counter() - start
    return {"images_per_s": cfg.batch_size / _median_seconds(step, cfg, device), "first_step_s": first_s}


def infer_ms(model_cfg: ModelConfig, path: str, cfg: BenchConfig, scratch: str) -> dict:
    """Milliseconds per image along an inference path (and the first call's, with any
    export or compilation, in seconds). The ONNX export goes to ``scratch``."""
    device = pick_device(cfg.device)
    fast = FastPathConfig(probe_size=cfg.infer_size, cache_dir=scratch)
    model = _seeded_model(model_cfg).to(device).eval()
    image = torch.rand(1, 3, *cfg.infer_size, device=device)
    start = time.perf_counter()
    forward = build_forward(model, path, fast)
    forward(image)
    _sync(device)
    first_s = time.perf_counter() - start
    return {"ms": 1000 * _median_seconds(lambda: forward(image), cfg, device), "first_s": first_s}


def _seeded_model(model_cfg: ModelConfig) -> SRCRMNet:
    """The same weights every time, so every inference path reuses one ONNX export."""
    torch.manual_seed(0)
    return build_model(model_cfg)


def bench_model(model_cfg: ModelConfig, cfg: BenchConfig) -> dict:
    """Training on the fast training path and inference in fp32 channels_last (fp16 on a GPU)."""
    device = pick_device(cfg.device)
    train = train_images_per_s(model_cfg, fast_train_setup(device), cfg)
    model = build_model(model_cfg).to(device, memory_format=torch.channels_last).eval()  # type: ignore[call-overload]  # memory_format: missing from Module.to's stubs
    dtype = torch.float16 if device.type == "cuda" else torch.float32
    model = model.to(dtype)
    image = torch.rand(1, 3, *cfg.infer_size, device=device, dtype=dtype).contiguous(
        memory_format=torch.channels_last
    )

    def infer():
        with torch.no_grad():
            model(image)

    infer_s = _median_seconds(infer, cfg, device)
    return {
        "name": model_cfg.name,
        "train_images_per_s": train["images_per_s"],
        "infer_ms": 1000 * infer_s,
        "infer_fps": 1 / infer_s,
    }


def inference_paths(device: torch.device, cfg: BenchConfig) -> list[str]:
    paths = candidate_paths(device) or ["fp32", "channels_last", "bf16"]
    if cfg.compile and compile_available():
        paths.append("compile")
    return paths


def fast_path_lines(model_cfg: ModelConfig, cfg: BenchConfig) -> list[str]:
    """fp32 against each fast path, training and inference, as ratios to fp32."""
    device = pick_device(cfg.device)
    fast = fast_train_setup(device)
    setups = [
        TrainSetup("fp32", channels_last=False, amp=None),
        replace(fast, name=f"fast ({_setup_name(fast)})"),
    ]
    if cfg.compile and compile_available():
        setups.append(replace(fast, name=f"compiled ({_setup_name(fast)} + torch.compile)", compile=True))
    lines = [
        "",
        f"fp32 against the fast paths ({model_cfg.name}, same run):",
        f"{'training path':<44} {'img/s':>8} {'x fp32':>7} {'first step s':>13}",
    ]
    train, failed = {}, {}
    for setup in setups:
        try:
            train[setup.name] = train_images_per_s(model_cfg, setup, cfg)
        except Exception as exc:  # any compiler failure is a result to report
            if not setup.compile:
                raise
            # torch.compile can fail where eager works (on torch 2.13's CPU inductor the SRM's
            # replicate padding backward fails a stride check with channels_last): report it.
            failed[setup.name] = f"failed: {type(exc).__name__}: {str(exc).splitlines()[0][:70]}"
    base = train["fp32"]["images_per_s"]
    lines += [
        f"{name:<44} {r['images_per_s']:>8.2f} {r['images_per_s'] / base:>7.2f} {r['first_step_s']:>13.1f}"
        for name, r in train.items()
    ]
    lines += [f"{name:<44} {reason}" for name, reason in failed.items()]
    lines.append(f"{'inference path':<44} {'ms':>8} {'x fp32':>7} {'first call s':>13}")
    h, w = cfg.infer_size
    with tempfile.TemporaryDirectory() as scratch:
        infer = {p: infer_ms(model_cfg, p, cfg, scratch) for p in inference_paths(device, cfg)}
        base = infer["fp32"]["ms"]
        lines += [
            f"{p:<44} {r['ms']:>8.1f} {r['ms'] / base:>7.2f} {r['first_s']:>13.1f}" for p, r in infer.items()
        ]
        best = min((p for p in infer if p != "compile"), key=lambda p: infer[p]["ms"])
        lines.append(
            f"fastest automatic inference path: {best} (x{infer[best]['ms'] / base:.2f} the fp32 time)"
        )
        if device.type == "cpu":
            ms = {p: prelabel_ms(model_cfg, p, cfg, scratch) for p in dict.fromkeys(("fp32", best))}
            lines.append(
                f"pre-label ({h}x{w}, Predictor.predict): fp32 {ms['fp32']:.1f} ms, {best} "
                f"{ms[best]:.1f} ms: x{ms[best] / ms['fp32']:.2f}"
            )
    return lines


def prelabel_ms(model_cfg: ModelConfig, path: str, cfg: BenchConfig, scratch: str) -> float:
    """A whole pre-label through the Predictor along ``path``, in milliseconds: the forward pass
    plus softmax, argmax and the copies an annotator waits for."""
    names = [str(i) for i in range(model_cfg.num_classes)]
    ckpt = Checkpoint(model_cfg, _seeded_model(model_cfg).state_dict(), names, [(0, 0, 0)] * len(names), 255)
    fast = FastPathConfig(path=path, probe_size=cfg.infer_size, cache_dir=scratch)
    predictor = Predictor(ckpt, cfg.device, fast_path=fast)
    image = np.random.default_rng(0).integers(0, 256, (*cfg.infer_size, 3), dtype=np.uint8)
    return 1000 * _median_seconds(lambda: predictor.predict(image), cfg, predictor.device)


# What the default model is compared with: the paper's lightweight SRCRM on ResNet-18.
REFERENCE = ModelConfig(backbone="resnet18")


def default_vs_reference_lines(default: ModelConfig, cfg: BenchConfig) -> list[str]:
    """The shipped default beside the ResNet-18 SRCRM, interleaved in one run: training
    throughput on the Trainer's path, and a whole pre-label through the Predictor along the
    path it would pick for each model (the fastest automatic one)."""
    device = pick_device(cfg.device)
    h, w = cfg.infer_size
    models = {"default " + default.name: default, "reference " + REFERENCE.name: REFERENCE}
    lines = [
        "",
        f"the default model against the ResNet-18 SRCRM (same run, pre-label at {h}x{w}):",
        f"{'model':<36} {'train img/s':>12} {'pre-label ms':>13} {'path':>14}",
    ]
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name, model_cfg in models.items():
            train = train_images_per_s(model_cfg, fast_train_setup(device), cfg)
            paths = {p: infer_ms(model_cfg, p, cfg, scratch)["ms"] for p in inference_paths(device, cfg)}
            best = min((p for p in paths if p != "compile"), key=paths.__getitem__)
            ms = prelabel_ms(model_cfg, best, cfg, scratch) if device.type == "cpu" else paths[best]
            results[name] = (train["images_per_s"], ms)
            lines.append(f"{name:<36} {train['images_per_s']:>12.2f} {ms:>13.1f} {best:>14}")
    (d_train, d_ms), (r_train, r_ms) = results.values()
    lines.append(
        f"default / reference: training throughput x{d_train / r_train:.2f}, "
        f"pre-label time x{d_ms / r_ms:.2f}"
    )
    return lines


def _setup_name(setup: TrainSetup) -> str:
    parts = ["channels_last"] if setup.channels_last else []
    names: dict[torch.dtype | None, str] = {torch.bfloat16: "bf16", torch.float16: "fp16"}
    parts.append(names.get(setup.amp, "fp32"))
    return " + ".join(parts)


def run_benchmark(cfg: BenchConfig, model_cfg: ModelConfig = ModelConfig()) -> str:
    """The full model against the bilinear, no-CRM baseline, then fp32 against the fast paths."""
    device = pick_device(cfg.device)
    load = f"; load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    where = f"{device_name(device)}: {machine_key()}" if device.type == "cpu" else device_name(device)
    baseline = bench_model(replace(model_cfg, srm=False, crm=False), cfg)
    full = bench_model(model_cfg, cfg)
    h, w = cfg.infer_size
    th, tw = cfg.train_size
    lines = [
        f"device: {where}{load}",
        f"native bf16: {'yes' if device.type != 'cpu' or cpu_supports_bf16() else 'no'}",
        (
            f"training: batch {cfg.batch_size} at {th}x{tw}; inference: batch 1 at {h}x{w}; "
            f"median of {cfg.repeats}"
        ),
        f"{'model':<26} {'train img/s':>12} {'infer ms':>10} {'infer FPS':>10}",
    ]
    for r in (baseline, full):
        lines.append(
            f"{r['name']:<26} {r['train_images_per_s']:>12.2f} {r['infer_ms']:>10.1f} {r['infer_fps']:>10.2f}"
        )
    lines.append(
        "full / baseline: training throughput "
        f"x{full['train_images_per_s'] / baseline['train_images_per_s']:.2f}, "
        f"inference time x{full['infer_ms'] / baseline['infer_ms']:.2f}"
    )
    return "\n".join(lines + fast_path_lines(model_cfg, cfg))
