"""Benchmark: peak memory of ``srcrm predict`` on one large image, against the image's size.

    nice .venv/bin/python benchmarks/bench_tiling.py [--sizes 3000x2000 6000x4500 12000x9000]
        [--model stand-in|bundled] [--no-overlay]

Each size runs in a fresh process: a random photo-like image of that size is written as a PNG,
then ``srcrm predict IMAGE --out DIR`` runs in-process (read, tiled prediction, label PNG,
overlay JPEG) and the process's peak RSS is printed. Images above 2048x2048 go through the
predictor's tiles (1024 px, a third overlapping), so what grows with the image is only what
must: the decoded image (3 bytes a pixel), the label map (1), the confidence map (4) and the
overlay (3), plus the codecs' buffers; the slope column is the peak's growth per extra pixel.

``--model stand-in`` (the default) swaps the network for a per-pixel rule on brightness (11
"classes"), so that 108 megapixels take seconds, not an hour; tiling, decoding, encoding and
writing are the real ones. ``--model bundled`` runs the bundled default model (about 5 s a
tile on a 2-core CPU: keep the sizes small).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def stand_in(x):
    """Logits of 11 classes from each pixel's brightness (no network)."""
    import torch

    grey = x.mean(1, keepdim=True) * 10
    return -(grey - torch.arange(11, dtype=x.dtype, device=x.device).view(1, 11, 1, 1)).abs()


def child(size: str, model: str, overlay: bool) -> dict:
    """Run one prediction in this (fresh) process and return what it measured."""
    import cv2
    import numpy as np

    import srcrm.inference.files
    from srcrm.cli import main
    from srcrm.inference.predictor import Predictor

    h, w = (int(v) for v in size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        image = Path(tmp) / "big.png"
        rng = np.random.default_rng(0)
        small = rng.integers(0, 255, (max(h // 64, 1), max(w // 64, 1), 3), dtype=np.uint8)
        cv2.imwrite(str(image), cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC))
        del small
        if model == "stand-in":
            loaded = Predictor.from_checkpoint(None, "cpu")
            loaded.forward = stand_in
            srcrm.inference.files.Predictor.from_checkpoint = classmethod(lambda cls, *a, **k: loaded)
        started = time.perf_counter()
        args = ["predict", str(image), "--out", str(Path(tmp) / "out"), "--device", "cpu"]
        code = main(args + ([] if overlay else ["--no-overlay"]))
        seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"size": size, "megapixels": h * w / 1e6, "peak_mb": peak_mb, "seconds": seconds, "code": code}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["3000x2000", "6000x4500", "12000x9000"])
    parser.add_argument("--model", choices=["stand-in", "bundled"], default="stand-in")
    parser.add_argument("--no-overlay", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.model, not args.no_overlay)))
        return 0
    print(f"srcrm predict, one image, model: {args.model}, overlay: {not args.no_overlay}")
    print(f"{'size':>12} {'MP':>7} {'peak RSS MB':>12} {'slope B/px':>11} {'s':>7}")
    previous = None
    for size in args.sizes:
        command = [sys.executable, __file__, "--child", size, "--model", args.model]
        run = subprocess.run(
            command + (["--no-overlay"] if args.no_overlay else []), capture_output=True, text=True
        )
        if run.returncode != 0:
            print(f"{size:>12}  failed (exit {run.returncode}): {run.stderr.strip().splitlines()[-1:]}")
            continue
        result = json.loads(run.stdout.strip().splitlines()[-1])
        slope = ""
        if previous is not None:
            grown = (result["peak_mb"] - previous["peak_mb"]) * 2**20
            slope = f"{grown / ((result['megapixels'] - previous['megapixels']) * 1e6):.1f}"
        print(
            f"{size:>12} {result['megapixels']:7.1f} {result['peak_mb']:12.0f} {slope:>11} "
            f"{result['seconds']:7.1f}"
        )
        previous = result
    return 0


if __name__ == "__main__":
    sys.exit(main())
