"""What fine-tuning on a few corrected images buys an annotator, on the CPU.

Simulates an annotator who corrects K frames of a new video and fine-tunes the bundled model on
them. The video is CamVid val: one continuous 15 Hz clip of sequence 0016E5 (101 frames) that
the bundled model never trained on. The K corrected frames are spread evenly over the first 60
frames; the model is scored on the last 30, so a gap of 11 frames (0.7 s) keeps near-duplicate
neighbours of the corrected frames out of the score. Every K gets the same fixed budget of
steps, so the table shows what more corrected images buy, not what more training buys. The
test split is not used.

    nice -n 10 .venv/bin/python benchmarks/bench_finetune.py          # ~15 min on 2 CPU cores
    nice -n 10 .venv/bin/python benchmarks/bench_finetune.py --ks 5 --steps 20   # a quick check

Writes docs/finetune_benchmark.md and docs/finetune_benchmark.png.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from srcrm.base.device import pick_device  # noqa: E402
from srcrm.data.datasets import open_dataset  # noqa: E402
from srcrm.evaluation.evaluate import evaluate  # noqa: E402
from srcrm.evaluation.plots import plt, save_figure  # noqa: E402
from srcrm.models.checkpoint import load_checkpoint  # noqa: E402
from srcrm.train.finetune import FinetuneConfig, finetune  # noqa: E402

CAMVID = REPO.parent / "shared" / "data" / "camvid"
CORRECTION_POOL = 60  # the first frames, where the annotator corrects
EVAL_FRAMES = 30  # the last frames, where the gain is measured


def correction_frames(names: list[str], k: int) -> list[str]:
    """K frames evenly spread over the correction pool."""
    picks = np.linspace(0, CORRECTION_POOL - 1, k).round().astype(int)
    return [names[i] for i in picks]


def write_corrections(val, names: list[str], folder: Path) -> Path:
    """Copy the corrected frames (image + ground truth) into the generic fine-tuning layout."""
    by_name = {image.stem: (image, label) for image, label in val.samples}
    for sub in ("images", "labels"):
        (folder / sub).mkdir(parents=True)
    for name in names:
        image, label = by_name[name]
        shutil.copy(image, folder / "images" / image.name)
        shutil.copy(label, folder / "labels" / label.name)
    shutil.copy(CAMVID / "classes.txt", folder / "classes.txt")
    return folder


def scores(result: dict) -> dict:
    return {
        "miou": result["miou"],
        "boundary_f": result["boundary_f"],
        "to_change": 1 - result["pixel_accuracy"],
    }


def run(ks: list[int], cfg: FinetuneConfig) -> tuple[dict, list[dict]]:
    val = open_dataset(CAMVID, "val")
    names = val.names
    eval_set = replace(val, samples=val.samples[-EVAL_FRAMES:])
    device = pick_device(cfg.device)
    baseline = scores(
        evaluate(load_checkpoint(None).build_model().to(device), eval_set, device, progress=False)
    )
    print(f"bundled model on the last {EVAL_FRAMES} frames: mIoU {100 * baseline['miou']:.2f}")
    rows = []
    for k in ks:
        with tempfile.TemporaryDirectory(prefix="bench-finetune-") as tmp:
            data = write_corrections(val, correction_frames(names, k), Path(tmp) / "data")
            started = time.perf_counter()
            finetune(None, data, Path(tmp) / "model.pt", cfg)
            seconds = time.perf_counter() - started
            model = load_checkpoint(Path(tmp) / "model.pt").build_model().to(device)
        after = scores(evaluate(model, eval_set, device, progress=False))
        rows.append({"k": k, "seconds": seconds, **{f"after_{key}": v for key, v in after.items()}})
        print(
            f"K={k}: mIoU {100 * after['miou']:.2f} ({100 * (after['miou'] - baseline['miou']):+.2f}), "
            f"{seconds:.0f} s"
        )
    return baseline, rows


def write_report(baseline: dict, rows: list[dict], cfg: FinetuneConfig, out_md: Path) -> None:
    device = pick_device(cfg.device)
    crop = "x".join(map(str, cfg.resolved_crop(device.type)))
    machine = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    )
    lines = [
        "# Fine-tuning on a few corrected images (benchmark)",
        "",
        "An annotator corrects K frames of a video the bundled model never saw and fine-tunes it",
        "on them. Video: CamVid val, one continuous 15 Hz clip (sequence 0016E5, 101 frames). The",
        f"K corrected frames are spread evenly over the first {CORRECTION_POOL} frames; scores are",
        f"on the last {EVAL_FRAMES} frames (11 frames, 0.7 s, after the last corrected one), so",
        "near-duplicate neighbours of the corrected frames are not scored. Every K gets the same",
        f"budget: {cfg.steps} steps, batch {cfg.batch_size}, {crop} crops, learning rate {cfg.lr},",
        "all K images trained on (no holdout). The test split is not used.",
        "",
        f"Device: **{'CPU' if device.type == 'cpu' else device.type}** ({machine}), "
        "shared with other jobs, so the times are indicative.",
        "",
        "```sh",
        "nice -n 10 .venv/bin/python benchmarks/bench_finetune.py",
        "```",
        "",
        "| corrected images K | mIoU (%) | gain (points) | boundary F (%) | pixels to change (%) | "
        "repainting saved | fine-tune time (s) |",
        "|---|---|---|---|---|---|---|",
        f"| 0 (bundled model) | {100 * baseline['miou']:.2f} | - | {100 * baseline['boundary_f']:.2f} "
        f"| {100 * baseline['to_change']:.2f} | - | - |",
    ]
    for row in rows:
        saved = 1 - row["after_to_change"] / baseline["to_change"]
        lines.append(
            f"| {row['k']} | {100 * row['after_miou']:.2f} | "
            f"{100 * (row['after_miou'] - baseline['miou']):+.2f} | "
            f"{100 * row['after_boundary_f']:.2f} | {100 * row['after_to_change']:.2f} | "
            f"{100 * saved:.0f}% | {row['seconds']:.0f} |"
        )
    lines += [
        "",
        "Pixels to change: the share of labelled pixels where the pre-label differs from "
        "the ground truth, i.e. what the annotator would still have to repaint; repainting "
        "saved is its reduction against the bundled model, measured in the same run. The "
        "time covers loading, training and writing the checkpoint.",
        "",
        f"![before and after]({out_md.with_suffix('.png').name})",
        "",
    ]
    from srcrm.base.io import atomic_write_text

    atomic_write_text(out_md, "\n".join(lines))
    plot(baseline, rows, out_md.with_suffix(".png"))


def plot(baseline: dict, rows: list[dict], path: Path) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    labels = ["bundled"] + [f"K={row['k']}" for row in rows]
    for ax, key, title in zip(
        axes, ("miou", "boundary_f", "to_change"), ("mIoU (%)", "boundary F (%)", "pixels to change (%)")
    ):
        values = [100 * baseline[key]] + [100 * row[f"after_{key}"] for row in rows]
        bars = ax.bar(labels, values, color=["#999999"] + ["#3b75af"] * len(rows))
        ax.bar_label(bars, fmt="%.1f")
        ax.set(title=title, ylim=(0, max(values) * 1.15))
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(
        f"Fine-tuning the bundled model on K corrected frames, scored on {EVAL_FRAMES} later frames", y=1.03
    )
    save_figure(fig, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ks", type=int, nargs="+", default=[5, 10, 20])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--lr", type=float, default=FinetuneConfig.lr)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default=str(REPO / "docs" / "finetune_benchmark.md"))
    args = parser.parse_args()
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    cfg = FinetuneConfig(steps=args.steps, lr=args.lr, holdout_fraction=0.0, device=args.device)
    baseline, rows = run(args.ks, cfg)
    write_report(baseline, rows, cfg, Path(args.out))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
