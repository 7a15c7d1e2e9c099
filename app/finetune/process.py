"""Run ``python -m srcrm finetune … --events -`` in a child process and turn its JSON lines
into Qt signals.

A child process, not a thread: an out-of-memory error or a crash in the training code ends the
child, never the app, and cancelling is a plain SIGTERM (the engine stops cleanly and writes
nothing), with a kill after a grace period for a child that does not answer.
"""

from __future__ import annotations

import collections
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore

import srcrm

if TYPE_CHECKING:  # the engine's fine-tuning imports torch: not at the app's start
    from srcrm.train.finetune import FinetuneConfig

SRCRM_ROOT = Path(srcrm.__file__).resolve().parent.parent  # the folder that holds the package
TAIL_LINES = 12


@dataclass(frozen=True)
class FinetuneCommand:
    """What the child runs. ``config`` is a :class:`srcrm.train.finetune.FinetuneConfig`."""

    parent: str  # the checkpoint (or model manifest) to start from
    data_dir: Path
    out_path: Path
    config: FinetuneConfig
    python: str = sys.executable

    def argv(self) -> list[str]:
        cfg = self.config
        args = [
            self.python,
            "-m",
            "srcrm",
            "finetune",
            "--from",
            str(self.parent),
            "--data",
            str(self.data_dir),
            "--out",
            str(self.out_path),
            "--steps",
            str(cfg.steps),
            "--lr",
            repr(float(cfg.lr)),
            "--batch-size",
            str(cfg.batch_size),
            "--holdout",
            repr(float(cfg.holdout_fraction)),
            "--eval-every",
            str(cfg.eval_every),
            "--seed",
            str(cfg.seed),
            "--device",
            str(cfg.device),
            "--events",
            "-",
        ]
        if cfg.crop:
            args += ["--crop", f"{cfg.crop[0]}x{cfg.crop[1]}"]
        if cfg.freeze_backbone:
            args.append("--freeze-backbone")
        args.append("--keep-bn-statistics" if cfg.keep_bn_statistics else "--no-keep-bn-statistics")
        if cfg.budget_s is not None:
            args += ["--budget-s", repr(float(cfg.budget_s))]
        return args


class FinetuneProcess(QtCore.QObject):
    """Signals, on the GUI thread: ``started(event)``, ``step(event)``, ``evaluated(event)``
    as the events arrive; then exactly one of ``succeeded(report)``, ``failed(message)``,
    ``cancelled()``."""

    started = QtCore.Signal(dict)
    step = QtCore.Signal(dict)
    evaluated = QtCore.Signal(dict)
    succeeded = QtCore.Signal(dict)
    failed = QtCore.Signal(str)
    cancelled = QtCore.Signal()

    def __init__(self, parent: QtCore.QObject | None = None, grace_ms: int = 5000):
        super().__init__(parent)
        self.grace_ms = grace_ms
        self._proc = QtCore.QProcess(self)
        self._proc.readyReadStandardOutput.connect(self._read_stdout)
        self._proc.readyReadStandardError.connect(self._read_stderr)
        self._proc.finished.connect(self._on_finished)
        self._proc.errorOccurred.connect(self._on_error)
        self._kill_timer = QtCore.QTimer(self, singleShot=True, timeout=self._proc.kill)
        self._stdout = b""
        self._stderr = b""
        self._tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        self._report: dict | None = None
        self._error: str | None = None
        self._cancel_requested = False
        self._ended = False

    @property
    def running(self) -> bool:
        return self._proc.state() != QtCore.QProcess.ProcessState.NotRunning

    def tail(self) -> list[str]:
        """The last lines the child wrote to stderr (and stray stdout): what went wrong."""
        return list(self._tail)

    def start(self, argv: list[str]) -> None:
        env = QtCore.QProcessEnvironment.systemEnvironment()
        path = env.value("PYTHONPATH", "")
        env.insert("PYTHONPATH", str(SRCRM_ROOT) + (os.pathsep + path if path else ""))
        env.insert("PYTHONUNBUFFERED", "1")  # events arrive as they happen
        self._proc.setProcessEnvironment(env)
        self._proc.setWorkingDirectory(str(SRCRM_ROOT))
        self._proc.start(argv[0], argv[1:])

    def cancel(self) -> None:
        """SIGTERM now (the engine stops cleanly); SIGKILL if it is still there after the grace
        period."""
        if not self.running or self._cancel_requested:
            return
        self._cancel_requested = True
        self._proc.terminate()
        self._kill_timer.start(self.grace_ms)

    def stop_and_wait(self, timeout_ms: int = 10000) -> None:
        """Cancel and block until the child is gone (the app is closing)."""
        self.cancel()
        if self.running and not self._proc.waitForFinished(timeout_ms):
            self._proc.kill()
            self._proc.waitForFinished(2000)

    # --- reading ------------------------------------------------------------------------------

    def _read_stdout(self) -> None:
        self._stdout += bytes(self._proc.readAllStandardOutput())
        *lines, self._stdout = self._stdout.split(b"\n")
        for raw in lines:
            self._handle_line(raw.decode("utf-8", "replace").strip())

    def _read_stderr(self) -> None:
        self._stderr += bytes(self._proc.readAllStandardError())
        # tqdm redraws with carriage returns: each redraw is a line of its own.
        *lines, self._stderr = self._stderr.replace(b"\r", b"\n").split(b"\n")
        self._tail.extend(t for raw in lines if (t := raw.decode("utf-8", "replace").strip()))

    def _handle_line(self, line: str) -> None:
        if not line:
            return
        try:
            event = json.loads(line)
            kind = event["kind"]
        except (ValueError, TypeError, KeyError):
            self._tail.append(line)  # a library's stray print: keep it for the error report
            return
        if kind == "start":
            self.started.emit(event)
        elif kind == "step":
            self.step.emit(event)
        elif kind == "eval":
            self.evaluated.emit(event)
        elif kind == "done":
            self._report = dict(event.get("report") or {})
        elif kind == "error":
            self._error = str(event.get("message") or "the training failed")
        elif kind == "cancelled":  # stopped from outside (a SIGTERM not sent by us)
            self._cancel_requested = True

    # --- ending -------------------------------------------------------------------------------

    def _on_finished(self, code: int, status: QtCore.QProcess.ExitStatus) -> None:
        self._kill_timer.stop()
        self._read_stdout()
        self._read_stderr()
        for rest in (self._stdout, self._stderr):  # a last line without a newline
            self._handle_line(rest.decode("utf-8", "replace").strip())
        self._stdout = self._stderr = b""
        if self._cancel_requested:
            self._end(self.cancelled.emit)
        elif self._error is not None:
            self._end(lambda: self.failed.emit(self._error))
        elif status == QtCore.QProcess.ExitStatus.CrashExit:
            self._end(
                lambda: self.failed.emit(
                    "The training process was killed (out of memory, or stopped by the system)."
                )
            )
        elif code != 0:
            self._end(lambda: self.failed.emit(f"The training process ended with exit code {code}."))
        elif self._report is None:
            self._end(lambda: self.failed.emit("The training process ended without a report."))
        else:
            self._end(lambda: self.succeeded.emit(self._report))

    def _on_error(self, error: QtCore.QProcess.ProcessError) -> None:
        if error == QtCore.QProcess.ProcessError.FailedToStart:
            self._end(
                lambda: self.failed.emit(f"The training process could not start: {self._proc.errorString()}")
            )

    def _end(self, emit) -> None:
        if not self._ended:
            self._ended = True
            emit()
