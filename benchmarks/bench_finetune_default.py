"""How long the Fine-tune dialog's default run takes: the child command the app starts
(:class:`app.finetune.process.FinetuneCommand` with
:func:`app.finetune.options_dialog.default_config`), from the bundled model, on N images of a
CamVid split staged as the app stages a folder (images linked, labels as PNG, ``classes.txt``),
a fifth of them set aside. The wall time covers everything the person waits for: the child's
start, loading, scoring the set-aside images before and after, the training and the save.

    .venv/bin/python benchmarks/bench_finetune_default.py --images 10

Prints ``wall seconds: N``, ``steps: N``, ``mIoU before: N`` and ``mIoU after: N`` (percent),
and the command it ran. The training budget holds whatever the load; the steps it fits do not,
so say what else ran on the machine when you quote them (docs/finetune_default.md).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.finetune.options_dialog import default_config  # noqa: E402
from app.finetune.process import FinetuneCommand  # noqa: E402
from srcrm.models.checkpoint import default_checkpoint_path  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "camvid"))
    ap.add_argument("--split", default="val", help="val: images the bundled model never trained on")
    ap.add_argument("--images", type=int, default=10, help="evenly spaced over the split")
    ap.add_argument("--budget-s", type=float, default=None, help="instead of the dialog's default")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args(argv)
    source = Path(args.data) / args.split
    stems = sorted(p.stem for p in (source / "labels").glob("*.png"))
    n = min(max(2, args.images), len(stems))
    picks = [stems[round(i * (len(stems) - 1) / (n - 1))] for i in range(n)]
    cfg = default_config(args.device)
    if args.budget_s is not None:
        cfg = replace(cfg, budget_s=args.budget_s)
    with tempfile.TemporaryDirectory(prefix="bench-finetune-default-") as tmp:
        root = Path(tmp) / "data"
        (root / "images").mkdir(parents=True)
        (root / "labels").mkdir()
        for stem in picks:
            image = next((source / "images").glob(f"{stem}.*"))
            os.symlink(image.resolve(), root / "images" / image.name)
            shutil.copyfile(source / "labels" / f"{stem}.png", root / "labels" / f"{stem}.png")
        shutil.copyfile(Path(args.data) / "classes.txt", root / "classes.txt")
        command = FinetuneCommand(str(default_checkpoint_path()), root, Path(tmp) / "new.pt", cfg)
        print(" ".join(command.argv()), file=sys.stderr)
        started = time.perf_counter()
        done = subprocess.run(command.argv(), capture_output=True, text=True, cwd=REPO)
        wall = time.perf_counter() - started
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    report = next((e["report"] for e in events if e["kind"] == "done"), None)
    if report is None:
        print(f"error: the fine-tune failed ({done.returncode}): {done.stderr[-2000:]}", file=sys.stderr)
        return 1
    print(f"images: {n} ({len(report['train_names'])} to train on, {len(report['holdout_names'])} set aside)")
    print(f"wall seconds: {wall:.1f}")
    print(f"steps: {report['steps']}")
    print(f"mIoU before: {100 * report['before']['miou']:.2f}")
    print(f"mIoU after: {100 * report['after']['miou']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
