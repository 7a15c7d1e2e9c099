"""The SRM/CRM ablation: train the four variants with one recipe (several seeds), then write the
results table, per-class table and plots into ``docs/``.

On a GPU all runs train at once as separate processes sharing the device (each keeps CamVid
resident and augments there); on a CPU run one or two at a time (``--parallel``) with
``--threads`` each, so they do not oversubscribe the cores. Rerunning the same command resumes:
finished runs are kept, stopped ones continue from their last resumable save.

Every finished model is scored on the val split through the :class:`~srcrm.inference.predictor.Predictor`
(the app's fastest measured path); ``--eval-every N`` also records curves during training.

    python -m srcrm.recipes.ablation --data ../shared/data/camvid --out runs/ablation --steps 6000 --seeds 0 1

``--train-flags`` passes the same further ``srcrm train`` flags to every variant (the encoder, a
pretrained start, the loss), so the variants differ only in SRM and CRM.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
from pathlib import Path

import torch

from srcrm.base.io import atomic_write_text
from srcrm.data.datasets import open_dataset
from srcrm.evaluation.metrics import SegmentationMetrics
from srcrm.evaluation.plots import plot_class_iou, plot_training
from srcrm.inference.fast_path import FastPathConfig
from srcrm.inference.predictor import Predictor
from srcrm.models.checkpoint import load_checkpoint

VARIANTS = {  # name -> extra `srcrm train` flags
    "baseline": ["--no-srm", "--no-crm"],
    "+SRM": ["--no-crm"],
    "+CRM": ["--no-srm"],
    "full": [],
}


def run_dir(out: Path, variant: str, seed: int) -> Path:
    return out / f"{variant.replace('+', 'plus_')}_seed{seed}"


def train_all(args) -> None:
    jobs = [(v, s) for s in args.seeds for v in VARIANTS]
    running: list[tuple[subprocess.Popen, list[str], Path]] = []
    env = dict(os.environ, **({"OMP_NUM_THREADS": str(args.threads)} if args.threads else {}))
    for variant, seed in jobs:
        folder = run_dir(Path(args.out), variant, seed)
        if (folder / "model.pt").is_file():
            score(folder, args.data)
            continue
        cmd = [
            sys.executable,
            "-m",
            "srcrm",
            "train",
            "--data",
            args.data,
            "--out",
            str(folder),
            "--steps",
            str(args.steps),
            "--batch-size",
            str(args.batch_size),
            "--crop",
            args.crop,
            "--lr",
            str(args.lr),
            "--warmup",
            str(args.warmup),
            "--amp",
            args.amp,
            "--seed",
            str(seed),
            "--eval-every",
            str(args.eval_every),
            "--val-split",
            "val" if args.eval_every else "",
            "--checkpoint-every",
            str(args.checkpoint_every),
            *shlex.split(args.train_flags),
            *VARIANTS[variant],
        ]
        folder.mkdir(parents=True, exist_ok=True)
        log = open(folder / "train.log", "a")
        running.append((subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env), cmd, folder))
        if len(running) >= args.parallel:
            _finish(*running.pop(0), args.data)
    for proc, cmd, folder in running:
        _finish(proc, cmd, folder, args.data)


def _finish(proc: subprocess.Popen, cmd: list[str], folder: Path, data: str) -> None:
    """Wait for a training run (started with ``cmd``), then score it while the others train."""
    if proc.wait() != 0:
        raise RuntimeError(f"training failed: {' '.join(cmd)} (see its train.log)")
    score(folder, data)


def score(folder: Path, data: str) -> dict:
    """Val metrics of ``folder/model.pt``, computed once and kept in ``scores.json``."""
    file = folder / "scores.json"
    if file.is_file():
        return json.loads(file.read_text())
    val = open_dataset(data, "val")
    # One arithmetic for every variant: "auto" picks each model's fastest path by timing it, and
    # the paths round differently (ONNX Runtime against bf16: about 0.2% of pixels).
    predictor = Predictor(load_checkpoint(folder / "model.pt"), "auto", fast_path=FastPathConfig(path="fp32"))
    metrics = SegmentationMetrics(val.labelset.num_classes, val.labelset.ignore_index)
    for i in range(len(val)):
        image, label = val[i]
        metrics.update(torch.from_numpy(predictor.predict(image).labels)[None], torch.from_numpy(label)[None])
    result = {
        **metrics.compute(),
        "class_names": list(val.labelset.class_names),
        "inference_path": predictor.path.path,
    }
    atomic_write_text(file, json.dumps(result))
    return result


def collect(out: Path, seeds: list[int]) -> dict[str, list[dict]]:
    """variant -> one entry per seed with its metrics and training history."""
    results: dict[str, list[dict]] = {}
    for variant in VARIANTS:
        for seed in seeds:
            folder = run_dir(out, variant, seed)
            if not (folder / "scores.json").is_file():
                continue
            metrics = json.loads((folder / "scores.json").read_text())
            history = json.loads((folder / "history.json").read_text())
            results.setdefault(variant, []).append(
                {"seed": seed, "metrics": metrics, "history": history, "checkpoint": str(folder / "model.pt")}
            )
    return results


def _mean_spread(values: list[float], scale: float = 100) -> str:
    mean = statistics.mean(values)
    spread = (max(values) - min(values)) / 2 if len(values) > 1 else float("nan")
    return f"{scale * mean:.2f} ± {scale * spread:.2f}" if len(values) > 1 else f"{scale * mean:.2f}"


def final_loss(history: dict, share: float = 0.1) -> float:
    """Mean training loss over the last ``share`` of the steps: still falling means the budget
    stopped short of convergence."""
    losses = [loss for _, loss in history["loss"]]
    return statistics.mean(losses[-max(1, int(len(losses) * share)) :])


def write_report(results: dict[str, list[dict]], docs: Path, command: str, notes: str = "") -> Path:
    """``docs/ablation.md`` with its plots; ``notes`` (markdown) goes after the results table."""
    docs.mkdir(parents=True, exist_ok=True)
    names = results[next(iter(results))][0]["metrics"]["class_names"]
    lines = [
        "# SRM/CRM ablation on CamVid val",
        "",
        f"Written by: `{command}`",
        "",
        "Mean ± half the range over seeds. Final loss: mean training loss over the last 10% of steps.",
        "",
        "| variant | seeds | mIoU (%) | boundary F (%) | pixel acc. (%) | final loss |",
        "|---|---|---|---|---|---|",
    ]
    for variant, runs in results.items():
        m = [r["metrics"] for r in runs]
        lines.append(
            f"| {variant} | {len(runs)} | {_mean_spread([x['miou'] for x in m])} | "
            f"{_mean_spread([x['boundary_f'] for x in m])} | "
            f"{_mean_spread([x['pixel_accuracy'] for x in m])} | "
            f"{_mean_spread([final_loss(r['history']) for r in runs], scale=1)} |"
        )
    if notes:
        lines += ["", notes.strip()]
    lines += [
        "",
        "## Per-class IoU (%), mean over seeds",
        "",
        "| class | " + " | ".join(results) + " |",
        "|---|" + "---|" * len(results),
    ]
    for i, name in enumerate(names):
        cells = [
            f"{100 * statistics.mean(r['metrics']['iou'][i] for r in runs):.1f}" for runs in results.values()
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "![training curves](ablation_curves.png)",
        "",
        "![per-class IoU](ablation_class_iou.png)",
        "",
    ]
    plot_training(
        {f"{v} (seed {r['seed']})": r["history"] for v, runs in results.items() for r in runs},
        docs / "ablation_curves.png",
    )
    plot_class_iou(
        {
            v: {
                "class_names": names,
                "iou": [statistics.mean(r["metrics"]["iou"][i] for r in runs) for i in range(len(names))],
            }
            for v, runs in results.items()
        },
        docs / "ablation_class_iou.png",
    )
    report = docs / "ablation.md"
    atomic_write_text(report, "\n".join(lines))
    return report


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True)
    p.add_argument("--out", default="runs/ablation")
    p.add_argument("--docs", default="docs")
    p.add_argument("--steps", type=int, default=6000)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--crop", default="360x480")
    p.add_argument("--lr", type=float, default=0.02)
    p.add_argument("--warmup", type=int, default=200, help="linear warm-up steps")
    p.add_argument("--amp", default="auto", choices=["auto", "bf16", "fp16", "off"])
    p.add_argument("--checkpoint-every", type=int, default=500, help="steps between resumable saves")
    p.add_argument("--threads", type=int, default=0, help="CPU threads per run (0: torch's default)")
    p.add_argument("--eval-every", type=int, default=1000)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--parallel", type=int, default=8, help="runs at once (1 on a CPU)")
    p.add_argument(
        "--train-flags",
        default="",
        help="more `srcrm train` flags for every variant, e.g. '--backbone lite0 --pretrained --ohem'",
    )
    p.add_argument("--report-only", action="store_true", help="collect finished runs only")
    p.add_argument("--notes", help="a markdown file to put after the results table (budget, reading)")
    args = p.parse_args(argv)
    if not args.report_only:
        train_all(args)
    results = collect(Path(args.out), args.seeds)
    if not results:
        print("no finished runs found", file=sys.stderr)
        return 1
    command = "python -m srcrm.recipes.ablation " + " ".join(argv if argv is not None else sys.argv[1:])
    notes = Path(args.notes).read_text() if args.notes else ""
    print(write_report(results, Path(args.docs), command, notes).read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
