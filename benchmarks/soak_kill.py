"""Kill -9 soak of autosave: how many finished strokes does a kill lose?

    .venv/bin/python benchmarks/soak_kill.py [--kills 200] [--budget-s 300]

A child process opens a one-image project the way the app does (``Project.load_document``,
which replays the stroke journal, and the background ``SaveQueue`` fed a snapshot after every
stroke) and makes strokes as fast as the machine allows, printing each stroke's number once it
is finished (its ``edited`` event has run, as in the app). The parent kills it with SIGKILL at a
random moment, reopens the project, and checks which of the acknowledged strokes are in the
labels. Then a new child goes on from there. Not part of the test suite: it runs for minutes.

Stroke ``k`` paints cell ``k mod CELLS`` of a grid with class ``k mod 251``, so the last
``CELLS - 1`` acknowledged strokes can each be checked (the stroke in progress at the kill
touches an older cell).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402  (after the sys.path line: the benchmark runs from a checkout)
import numpy as np  # noqa: E402

from app.document import Project, Rect  # noqa: E402

SIDE, CELL = 64, 8  # a 64x64 image; 8x8-pixel cells
PER_ROW = SIDE // CELL
CELLS = PER_ROW * PER_ROW


def cell_rect(k: int) -> Rect:
    c = k % CELLS
    x0, y0 = (c % PER_ROW) * CELL, (c // PER_ROW) * CELL
    return Rect(x0, y0, x0 + CELL, y0 + CELL)


def value(k: int) -> int:
    return k % 251  # never the ignore index (255); differs from the stroke CELLS earlier


def child(folder: Path, start: int) -> None:
    """Stroke after stroke from ``start`` until killed, autosaving like the app."""
    from app.document.saver import SaveQueue

    project = Project(folder)
    doc, _ = project.load_document(0)
    saver = SaveQueue()
    for k in range(start, start + 10_000_000):
        rect = cell_rect(k)
        doc.set_region(rect, np.full((CELL, CELL), value(k), np.uint8), "stroke")
        snap = project.snapshot(doc)
        saver.submit(doc.path, lambda snap=snap: project.write_snapshot(snap))
        os.write(1, f"{k}\n".encode())


def lost_strokes(folder: Path, last: int, first: int) -> int:
    """Of the acknowledged strokes ``max(first, last-CELLS+2)..last``, how many are missing
    from the labels as the app would open them."""
    doc, _ = Project(folder).load_document(0)
    window = range(max(first, last - CELLS + 2), last + 1)
    return sum(1 for k in window if not (doc.labels[cell_rect(k).slices] == value(k)).all())


def soak(kills: int, budget_s: float, seed: int) -> dict:
    rng = random.Random(seed)
    folder = Path(tempfile.mkdtemp(prefix="srcrm-soak-"))
    cv2.imwrite(str(folder / "image.png"), np.full((SIDE, SIDE, 3), 128, np.uint8))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    losses, acked_total, next_stroke, alive_s = [], 0, 0, 0.0
    while len(losses) < kills and time.perf_counter() - started < budget_s:
        proc = subprocess.Popen(
            [sys.executable, __file__, "--child", str(folder), str(next_stroke)],
            stdout=subprocess.PIPE,
            env=env,
        )
        first = proc.stdout.readline()  # running: its first stroke is done
        if not first:
            raise RuntimeError(f"the child exited with {proc.wait()} before its first stroke")
        running = time.perf_counter()
        time.sleep(rng.uniform(0.0, 0.3))
        os.kill(proc.pid, signal.SIGKILL)
        alive_s += time.perf_counter() - running
        lines = first + proc.stdout.read()  # everything it acknowledged before the kill
        proc.wait()
        acked = [int(x) for x in lines.split()]
        last = acked[-1]
        losses.append(lost_strokes(folder, last, next_stroke))
        acked_total += len(acked) - 1  # the rate counts strokes after the first
        next_stroke = last + 1
    return {
        "kills": len(losses),
        "seconds": time.perf_counter() - started,
        "strokes_per_s": acked_total / alive_s,
        "lost_max": max(losses),
        "lost_mean": statistics.mean(losses),
        "kills_losing_any": sum(1 for n in losses if n),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--budget-s", type=float, default=300.0, help="stop after this long")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", nargs=2, metavar=("FOLDER", "START"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), int(args.child[1]))
        return
    r = soak(args.kills, args.budget_s, args.seed)
    print(
        f"{r['kills']} kills in {r['seconds']:.0f} s; the child made "
        f"{r['strokes_per_s']:.0f} strokes/s (each journalled with fsync, then autosaved)"
    )
    print(
        f"finished strokes lost per kill: max {r['lost_max']}, mean {r['lost_mean']:.3f}; "
        f"kills that lost any: {r['kills_losing_any']}"
    )


if __name__ == "__main__":
    main()
