"""``python -m srcrm learn … --events -`` as a child process, run and read by a job of the
runner's ``learn`` lane (no Qt).

A child process, as for the manual fine-tune (:mod:`app.finetune.process`): a crash or an
out-of-memory error in the training ends the child, never the app, and the child puts itself at
the lowest CPU priority with one thread (:func:`srcrm.train.learning.lower_priority`), so brushing,
panning and saving keep their speed. It runs from a job rather than a ``QProcess`` so that the
status view shows its progress and Cancel like any other task: the job reads the JSON lines,
reports the training's seconds against its budget and each re-labelled image, and a cancel
(the status view's button, the project closing, the app quitting) sends SIGTERM: the engine then
writes nothing, and a child that does not answer is killed after a grace period.
"""

from __future__ import annotations

import collections
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

import srcrm
from srcrm.base.io import ImageReadError, read_label_png

from ..jobs import Job

SRCRM_ROOT = Path(srcrm.__file__).resolve().parent.parent  # the folder that holds the package
TAIL_LINES = 12


@dataclass(frozen=True)
class LearnCommand:
    """What the child runs: one update of ``parent`` on the staged folder ``data_dir``
    (with its ``order.txt`` and ``keep.txt``), written to ``out_dir``."""

    parent: str  # the checkpoint (or model manifest) in use
    data_dir: Path
    out_dir: Path
    budget_s: float | None = None  # None: the engine's LearnConfig
    device: str = "cpu"  # the person keeps the GPU
    python: str = sys.executable

    def argv(self) -> list[str]:
        args = [
            self.python,
            "-m",
            "srcrm",
            "learn",
            "--from",
            str(self.parent),
            "--data",
            str(self.data_dir),
            "--out",
            str(self.out_dir),
            "--order",
            str(self.data_dir / "order.txt"),
            "--keep",
            str(self.data_dir / "keep.txt"),
            "--device",
            self.device,
            "--events",
            "-",
        ]
        if self.budget_s is not None:
            args += ["--budget-s", repr(float(self.budget_s))]
        return args


@dataclass(frozen=True)
class LearnedLabel:
    """A pre-label the child wrote for an untouched image, read back (``job.deliver``-ed)."""

    name: str
    labels: np.ndarray
    confidence: np.ndarray | None


@dataclass(frozen=True)
class LearnOutcome:
    """How the child ended: the ``done`` event's summary (None: none came), the kept model
    (None: the update was dropped, or the child stopped before keeping it), and whether it
    was cancelled."""

    summary: dict | None
    model: Path | None
    cancelled: bool


class LearnFailed(RuntimeError):
    """The child failed; the message ends with the last lines it wrote."""


def run_learn(
    command: LearnCommand, job: Job, done_count: int, to_relabel: int, grace_s: float = 5.0
) -> LearnOutcome:
    """Run the child for ``job`` (on its worker thread) until it ends; see the module."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRCRM_ROOT), env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"  # events arrive as they happen
    proc = subprocess.Popen(
        command.argv(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=str(SRCRM_ROOT),
        env=env,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
    assert proc.stdout is not None and proc.stderr is not None
    readers = [
        threading.Thread(
            target=_read_lines, args=(proc.stdout, lines.put, lambda: lines.put(None)), daemon=True
        ),
        threading.Thread(target=_read_lines, args=(proc.stderr, tail.append), daemon=True),
    ]
    for reader in readers:
        reader.start()
    reading = _Events(command, job, done_count, to_relabel, tail)
    reading.training(0.0)  # seconds 0/budget while the child loads torch and the model
    stop_sent: float | None = None
    stdout_open = True
    while stdout_open or proc.poll() is None:
        if job.should_stop() and stop_sent is None and proc.poll() is None:
            proc.terminate()  # SIGTERM: the engine stops cleanly and keeps nothing in progress
            stop_sent = time.monotonic()
        elif stop_sent is not None and time.monotonic() - stop_sent > grace_s and proc.poll() is None:
            proc.kill()
        try:
            line = lines.get(timeout=0.1)
        except queue.Empty:
            continue
        if line is None:
            stdout_open = False
        else:
            reading.handle(line)
    code = proc.wait()
    for reader in readers:
        reader.join(5)
    cancelled = stop_sent is not None or reading.cancelled or code == 130
    model = command.out_dir / "model.pt"
    kept = reading.summary is not None and bool(reading.summary.get("accepted")) and model.is_file()
    if not cancelled and (code != 0 or reading.error is not None):
        why = reading.error or f"the learning process ended with exit code {code}"
        last = " | ".join(list(tail)[-3:])
        raise LearnFailed(f"{why}{f' ({last})' if last else ''}")
    return LearnOutcome(reading.summary, model if kept else None, cancelled)


class _Events:
    """The child's JSON lines, turned into the job's progress and deliveries."""

    def __init__(
        self, command: LearnCommand, job: Job, done_count: int, to_relabel: int, tail: collections.deque[str]
    ):
        self.command, self.job, self.tail = command, job, tail
        self.done_count, self.to_relabel = done_count, to_relabel
        self.relabelled = 0
        self.summary: dict | None = None
        self.error: str | None = None
        self.cancelled = False

    def handle(self, line: str) -> None:
        try:
            event = json.loads(line)
            kind = event["kind"]
        except (ValueError, TypeError, KeyError):
            if line.strip():
                self.tail.append(line.strip())  # a library's stray print: kept for an error
            return
        if kind == "train":
            self.training(float(event.get("fraction", 0.0)))
        elif kind == "relabel":
            self.relabelled += 1
            name = str(event.get("name", ""))
            self.job.report(
                self.relabelled, max(self.to_relabel, self.relabelled), "Re-labelling untouched images"
            )
            label = self._read(name)
            if label is not None:
                self.job.deliver(label)
        elif kind == "done":
            self.summary = dict(event.get("summary") or {})
        elif kind == "error":
            self.error = str(event.get("message") or "the learning failed")
        elif kind == "cancelled":
            self.cancelled = True

    def training(self, fraction: float) -> None:
        """``fraction`` of the time budget spent: seconds of the budget, in the status view."""
        budget = self.command.budget_s or 60.0
        spent = fraction * budget
        self.job.report(
            int(spent),
            int(round(budget)),
            f"Learning from {self.done_count} done images · seconds",
            frames_per_s=0.0,
            eta_s=max(budget - spent, 0.0),
        )

    def _read(self, name: str) -> LearnedLabel | None:
        folder = self.command.out_dir / "prelabels"
        try:
            labels = read_label_png(folder / f"{name}.png")
        except (ImageReadError, OSError):
            return None  # (written whole, or not at all: a pre-label less)
        try:
            confidence = read_label_png(folder / f"{name}.confidence.png").astype(np.float32) / 255
        except (ImageReadError, OSError):
            confidence = None
        return LearnedLabel(name, labels, confidence)


def _read_lines(
    stream: IO[bytes], put: Callable[[str], object], end: Callable[[], object] | None = None
) -> None:
    """Hand each line of ``stream`` to ``put`` (a progress bar's redraws, split at carriage
    returns, are lines too), then call ``end``."""
    for raw in iter(stream.readline, b""):
        for part in raw.decode("utf-8", "replace").replace("\r", "\n").split("\n"):
            if part.strip():
                put(part)
    if end is not None:
        end()
