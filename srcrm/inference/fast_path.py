"""Run a network's forward pass the fastest way this machine allows, chosen by measuring.

Which way wins depends on the CPU: bf16 pays only where the CPU computes it natively
(AVX512-BF16 or AMX; elsewhere it is emulated and several times slower than fp32), ONNX Runtime
beats eager PyTorch on some CPUs and loses on others, and channels_last helps oneDNN's
convolutions by a margin that varies. So the first time a model runs on a CPU, every way that can
run here is timed on one representative image and the fastest is kept. The choice is cached per
machine and architecture (the timing depends on the architecture, not on the weights), so later
starts pay nothing; the ONNX export is cached per weights.

An app that must show labels at once loads with ``measure=False``: the first start takes the
plain fp32 path (a *provisional* choice) and times the others afterwards, when the model is
idle, in steps it may stop between; each path's timing is cached as it comes, so a stopped
measurement goes on where it stopped.

``torch.compile`` is a path too, but never an automatic candidate: it compiles again for every
new input size (tens of seconds each on a CPU), which an app that opens images of any size pays
over and over. ``srcrm bench`` measures it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shutil
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import nn

from srcrm.base.device import cpu_supports_bf16
from srcrm.base.io import atomic_write_text

if TYPE_CHECKING:
    from srcrm.models.network import SRCRMNet

PATHS = ("fp32", "channels_last", "bf16", "onnx", "compile")
ENV_PATH = "SRCRM_INFERENCE_PATH"  # forces one path ("fp32", ...) instead of measuring
ENV_CACHE = "SRCRM_CACHE_DIR"
KEEP_EXPORTS = 8  # ONNX exports kept (most recently used); each is the size of the weights

Forward = Callable[[torch.Tensor], torch.Tensor]  # (N,3,H,W) float in [0, 1] -> fp32 logits
Progress = Callable[[int, int, str], None]  # (paths measured, paths to measure, the next path)


@dataclass(frozen=True)
class FastPathConfig:
    path: str = "auto"  # "auto" (measure, cached) or one of PATHS
    probe_size: tuple[int, int] = (360, 480)  # the image the candidates are timed on
    repeats: int = 3
    cache_dir: str | None = None  # None: $SRCRM_CACHE_DIR, else the user cache folder
    measure: bool = True  # False: an uncached choice is fp32 for now (provisional), not measured

    def __post_init__(self) -> None:
        if self.path != "auto" and self.path not in PATHS:
            raise ValueError(f"unknown inference path {self.path!r}; choose auto or one of {PATHS}")


@dataclass(frozen=True)
class PathChoice:
    path: str
    timings_ms: dict[str, float]  # what was measured (empty when forced or cached elsewhere)
    cached: bool = False
    provisional: bool = False  # not measured yet: the others are still to be timed


def cache_dir(cfg: FastPathConfig) -> Path:
    if cfg.cache_dir:
        return Path(cfg.cache_dir)
    if os.environ.get(ENV_CACHE):
        return Path(os.environ[ENV_CACHE])
    import platformdirs

    return Path(platformdirs.user_cache_dir("srcrm", appauthor=False))


def candidate_paths(device: torch.device, emulated_bf16: bool = False) -> list[str]:
    """The paths worth timing on ``device``: bf16 only where it is native (or ``emulated_bf16``,
    for tests that check its labels), ONNX only where ONNX Runtime is installed."""
    if device.type != "cpu":
        return []
    paths = ["fp32", "channels_last"]
    if emulated_bf16 or cpu_supports_bf16():
        paths.append("bf16")
    if _onnxruntime_available():
        paths.append("onnx")
    return paths


def _onnxruntime_available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def compile_available() -> bool:
    """torch.compile on a CPU generates C++: it needs a compiler."""
    return shutil.which(os.environ.get("CXX", "c++")) is not None


# --- the paths -------------------------------------------------------------------------------


class _Eager:
    def __init__(self, model: nn.Module, channels_last: bool, dtype: torch.dtype | None):
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        self.model = model.to(memory_format=fmt)  # type: ignore[call-overload]  # memory_format: missing from Module.to's stubs
        self.channels_last = channels_last
        self.dtype = dtype

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        autocast = torch.autocast(x.device.type, dtype=self.dtype) if self.dtype else contextlib.nullcontext()
        with torch.no_grad(), autocast:
            return self.model(x).float()


class _OnnxRuntime:
    def __init__(self, model: SRCRMNet, folder: Path, example: torch.Tensor):
        import onnxruntime as ort

        from srcrm.inference.export import export_onnx

        path = folder / "onnx" / f"{weights_key(model)}.onnx"
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            with warnings.catch_warnings():  # the exporter's notes on constant folding
                warnings.simplefilter("ignore")
                contiguous = model.to(memory_format=torch.contiguous_format)  # type: ignore[call-overload]  # memory_format: missing from Module.to's stubs
                export_onnx(contiguous, path, example)
        path.touch()
        _prune(path.parent, KEEP_EXPORTS)
        options = ort.SessionOptions()
        options.intra_op_num_threads = torch.get_num_threads()
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        (logits,) = self.session.run(None, {"image": x.float().contiguous().numpy()})
        return torch.from_numpy(logits)


def _prune(folder: Path, keep: int) -> None:
    """Delete all but the ``keep`` most recently used exports (fine-tuning makes new ones)."""
    exports = sorted(folder.glob("*.onnx"), key=lambda f: f.stat().st_mtime, reverse=True)
    for old in exports[keep:]:
        old.unlink(missing_ok=True)


def build_forward(model: SRCRMNet, path: str, cfg: FastPathConfig = FastPathConfig()) -> Forward:
    """The forward pass of ``model`` (fp32, eval, on the CPU for the bf16/onnx/compile paths)
    along ``path``. The model's memory format is set to suit the path."""
    if path == "fp32":
        return _Eager(model, channels_last=False, dtype=None)
    if path == "channels_last":
        return _Eager(model, channels_last=True, dtype=None)
    if path == "bf16":
        return _Eager(model, channels_last=True, dtype=torch.bfloat16)
    if path == "onnx":
        if not _onnxruntime_available():
            raise ValueError("the onnx inference path needs ONNX Runtime: pip install onnxruntime")
        return _OnnxRuntime(model, cache_dir(cfg), torch.rand(1, 3, *cfg.probe_size))
    if path == "compile":
        eager = _Eager(model, channels_last=True, dtype=None)
        eager.model = torch.compile(eager.model)
        return eager
    raise ValueError(f"unknown inference path {path!r}; choose one of {PATHS}")


def weights_key(model: SRCRMNet) -> str:
    """A short hash of the architecture and weights: names the cached ONNX export."""
    digest = hashlib.sha256(json.dumps(model.cfg.to_dict(), sort_keys=True).encode())
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().float().contiguous().cpu().numpy().tobytes())
    return digest.hexdigest()[:20]


# --- choosing ------------------------------------------------------------------------------


def machine_key() -> str:
    """What the timings depend on besides the model: CPU model, cores in use, library versions."""
    parts = [
        _cpu_model(),
        f"threads={torch.get_num_threads()}",
        f"torch={torch.__version__}",
        f"bf16={cpu_supports_bf16()}",
    ]
    if _onnxruntime_available():
        import onnxruntime

        parts.append(f"onnxruntime={onnxruntime.__version__}")
    return " ".join(parts)


def _cpu_model() -> str:
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def time_forward(forward: Forward, x: torch.Tensor, repeats: int, warmup: int = 1) -> float:
    """Median seconds per call after ``warmup`` calls."""
    for _ in range(warmup):
        forward(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        forward(x)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def choose_path(
    model: SRCRMNet,
    device: torch.device,
    cfg: FastPathConfig = FastPathConfig(),
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> PathChoice:
    """The path ``model`` should take on ``device``: forced (``cfg.path`` or $SRCRM_INFERENCE_PATH),
    cached for this machine and architecture, or measured now and cached. Measuring takes tens
    of seconds on a slow CPU, once; ``progress`` hears of each path as its turn comes, and a
    ``should_stop()`` that turns true between two paths leaves a provisional choice (the
    paths timed so far are kept for the next call)."""
    forced = cfg.path if cfg.path != "auto" else os.environ.get(ENV_PATH, "auto")
    if forced != "auto":
        FastPathConfig(path=forced)  # validates the name
        return PathChoice(forced, {})
    candidates = candidate_paths(device)
    if len(candidates) < 2:
        return PathChoice(candidates[0] if candidates else "fp32", {})
    file = cache_dir(cfg) / "inference_paths.json"
    key = f"{machine_key()} | {json.dumps(model.cfg.to_dict(), sort_keys=True)} | {cfg.probe_size}"
    cache = _read_json(file)
    entry = cache.get(key, {})
    if entry.get("path") in candidates:
        return PathChoice(entry["path"], entry.get("timings_ms", {}), cached=True)
    timings = {p: t for p, t in entry.get("timings_ms", {}).items() if p in candidates}
    file.parent.mkdir(parents=True, exist_ok=True)
    for done, path in enumerate(candidates):
        if path in timings:
            continue
        if not cfg.measure or (should_stop is not None and should_stop()):
            return PathChoice(candidates[0], timings, provisional=True)
        if progress is not None:
            progress(done, len(candidates), path)
        timings.update(measure_paths(model, [path], cfg))
        cache[key] = {"timings_ms": timings}  # kept as it comes: a stop loses no more than a path
        atomic_write_text(file, json.dumps(cache, indent=1))
    if progress is not None:
        progress(len(candidates), len(candidates), "")
    best = min(timings, key=timings.__getitem__)
    cache[key] = {"path": best, "timings_ms": timings}
    atomic_write_text(file, json.dumps(cache, indent=1))
    return PathChoice(best, timings)


def measure_paths(
    model: SRCRMNet,
    paths: list[str],
    cfg: FastPathConfig = FastPathConfig(),
    progress: Progress | None = None,
) -> dict[str, float]:
    """Milliseconds per ``cfg.probe_size`` image along each path, measured one after another."""
    x = torch.rand(1, 3, *cfg.probe_size)
    timings = {}
    for done, path in enumerate(paths):
        if progress is not None:
            progress(done, len(paths), path)
        timings[path] = 1000 * time_forward(build_forward(model, path, cfg), x, cfg.repeats)
    if progress is not None:
        progress(len(paths), len(paths), "")
    return timings


def _read_json(file: Path) -> dict:
    try:
        data = json.loads(file.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
