"""Training curves and per-class IoU charts as PNG images (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def save_figure(fig, path) -> Path:
    """Write a figure as a PNG atomically (a half-written chart never replaces a good one)."""
    from srcrm.base.io import atomic_write

    path = Path(path)
    try:
        with atomic_write(path) as fh:
            fig.savefig(fh, format="png", dpi=110, bbox_inches="tight")
    finally:
        plt.close(fig)
    return path


def _smooth(values: np.ndarray, window: int) -> np.ndarray:
    if len(values) < window:
        return values
    kernel = np.ones(window) / window
    return np.convolve(values, kernel, mode="valid")


def plot_training(runs: dict[str, dict], path) -> Path:
    """Loss (smoothed) and validation mIoU against step, one line per run (``name -> history``)."""
    fig, (ax_loss, ax_miou) = plt.subplots(1, 2, figsize=(11, 4))
    for name, history in runs.items():
        loss = np.asarray(history.get("loss") or [[0, np.nan]], dtype=float)
        window = max(len(loss) // 50, 1)
        ax_loss.plot(loss[window - 1 :, 0], _smooth(loss[:, 1], window), label=name)
        evals = history.get("eval") or []
        if evals:
            ax_miou.plot([e["step"] for e in evals], [100 * e["miou"] for e in evals], "o-", label=name)
    ax_loss.set(xlabel="step", ylabel="training loss", title="Training loss")
    ax_miou.set(xlabel="step", ylabel="val mIoU (%)", title="Validation mIoU")
    for ax in (ax_loss, ax_miou):
        ax.grid(alpha=0.3)
        ax.legend()
    return save_figure(fig, path)


def plot_class_iou(results: dict[str, dict], path) -> Path:
    """Grouped bars of per-class IoU, one group per class and one bar per model."""
    names = next(iter(results.values()))["class_names"]
    fig, ax = plt.subplots(figsize=(max(8, len(names) * 0.8), 4))
    width = 0.8 / len(results)
    x = np.arange(len(names))
    for i, (label, result) in enumerate(results.items()):
        ax.bar(x + i * width, 100 * np.asarray(result["iou"]), width, label=label)
    ax.set_xticks(x + width * (len(results) - 1) / 2, names, rotation=40, ha="right")
    ax.set(ylabel="IoU (%)", title="Per-class IoU", ylim=(0, 100))
    ax.grid(axis="y", alpha=0.3)
    ax.legend()
    return save_figure(fig, path)
