"""Pre-labelling off the GUI thread.

:class:`Prelabeller` (GUI thread) owns a QThread running a :class:`PrelabelWorker`. The worker
loads the model, then labels the images it is given one by one, reporting progress and each
result; :meth:`Prelabeller.cancel` stops it after the current image. If the GPU fails (out of
memory, a driver error) the worker moves the model to the CPU, says so, and carries on.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6 import QtCore

from srcrm.io import ImageReadError, read_image


@dataclass(frozen=True)
class ModelInfo:
    name: str
    class_names: list[str]
    palette: list[tuple[int, int, int]]
    ignore_index: int
    device_name: str


@dataclass(frozen=True)
class PrelabelResult:
    job: int
    path: Path
    labels: np.ndarray
    confidence: np.ndarray
    model: str


def default_predictor_factory(path: str | None, device: str):
    from srcrm.predictor import Predictor

    return Predictor.from_checkpoint(path, device)


def describe_model(predictor, path: str | None) -> str:
    ckpt = getattr(predictor, "checkpoint", None)
    arch = ckpt.config.name if ckpt is not None else "model"
    return f"{Path(path).name if path else 'default model'} ({arch})"


class PrelabelWorker(QtCore.QObject):
    model_ready = QtCore.Signal(object)    # ModelInfo
    model_failed = QtCore.Signal(str)
    progress = QtCore.Signal(int, int, int, str)  # job, done, total, image name
    result = QtCore.Signal(object)         # PrelabelResult
    image_failed = QtCore.Signal(int, str, str)   # job, path, message
    notice = QtCore.Signal(str)            # e.g. the GPU -> CPU fallback
    device_changed = QtCore.Signal(str)
    finished = QtCore.Signal(int, bool, int)  # job, cancelled, images labelled

    def __init__(self, factory: Callable[[str | None, str], object]):
        super().__init__()
        self._factory = factory
        self.predictor = None
        self.model_name = ""
        self.cancel_event = threading.Event()

    @QtCore.Slot(object)
    def load_model(self, spec: tuple[str | None, str]) -> None:
        path, device = spec
        try:
            predictor = self._factory(path, device)
        except Exception as exc:  # noqa: BLE001 - any failure becomes a message, the app goes on
            self.model_failed.emit(_describe_load_error(exc, path))
            return
        self.predictor = predictor
        self.model_name = describe_model(predictor, path)
        palette = [tuple(int(c) for c in rgb) for rgb in np.asarray(predictor.palette)]
        self.model_ready.emit(ModelInfo(self.model_name, list(predictor.class_names), palette,
                                        int(predictor.ignore_index), predictor.device_name))

    @QtCore.Slot(object)
    def run_job(self, job: tuple[int, list[Path]]) -> None:
        job_id, paths = job
        done = 0
        if self.predictor is None:
            self.image_failed.emit(job_id, "", "no model is loaded")
            self.finished.emit(job_id, False, 0)
            return
        for k, path in enumerate(paths):
            if self.cancel_event.is_set():
                self.finished.emit(job_id, True, done)
                return
            self.progress.emit(job_id, k, len(paths), Path(path).name)
            try:
                image = read_image(path)
                pred = self._predict(image)
            except ImageReadError as exc:
                self.image_failed.emit(job_id, str(path), str(exc))
                continue
            except Exception as exc:  # noqa: BLE001
                self.image_failed.emit(job_id, str(path), f"pre-labelling failed: {exc}")
                continue
            done += 1
            self.result.emit(PrelabelResult(job_id, Path(path), pred.labels, pred.confidence,
                                            self.model_name))
        self.progress.emit(job_id, len(paths), len(paths), "")
        self.finished.emit(job_id, self.cancel_event.is_set(), done)

    def _predict(self, image: np.ndarray):
        try:
            return self.predictor.predict(image)
        except RuntimeError as exc:
            device = getattr(self.predictor, "device", None)
            if device is None or getattr(device, "type", "cpu") == "cpu":
                raise
            gpu = self.predictor.device_name
            self.predictor = self.predictor.to("cpu")
            first_line = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
            self.notice.emit(f"The GPU ({gpu}) failed: {first_line}. "
                             f"Pre-labelling continues on the CPU (slower).")
            self.device_changed.emit(self.predictor.device_name)
            return self.predictor.predict(image)


def _describe_load_error(exc: Exception, path: str | None) -> str:
    from srcrm.checkpoint import default_checkpoint_path

    if path is None and not Path(default_checkpoint_path()).exists():
        return (f"The default model is not installed ({default_checkpoint_path()} is missing), "
                f"so images open without pre-labels.")
    return f"The model could not be loaded: {exc}"


class Prelabeller(QtCore.QObject):
    """GUI-side handle. Signals mirror the worker's (delivered on the GUI thread)."""

    model_ready = QtCore.Signal(object)
    model_failed = QtCore.Signal(str)
    progress = QtCore.Signal(int, int, int, str)
    result = QtCore.Signal(object)
    image_failed = QtCore.Signal(int, str, str)
    notice = QtCore.Signal(str)
    device_changed = QtCore.Signal(str)
    finished = QtCore.Signal(int, bool, int)

    _load = QtCore.Signal(object)
    _run = QtCore.Signal(object)

    def __init__(self, factory: Callable[[str | None, str], object] = default_predictor_factory,
                 parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._thread = QtCore.QThread()
        self._thread.setObjectName("srcrm-prelabel")
        self.worker = PrelabelWorker(factory)
        self.worker.moveToThread(self._thread)
        self._load.connect(self.worker.load_model)
        self._run.connect(self.worker.run_job)
        for name in ("model_ready", "model_failed", "progress", "result", "image_failed",
                     "notice", "device_changed", "finished"):
            getattr(self.worker, name).connect(getattr(self, name))
        self.model_ready.connect(self._on_ready)
        self.model_failed.connect(self._on_failed)
        self.finished.connect(self._on_finished)
        self.info: ModelInfo | None = None
        self.loading = False
        self.active_job: int | None = None
        self._thread.start()

    @property
    def busy(self) -> bool:
        return self.active_job is not None

    def load_model(self, path: str | None, device: str = "auto") -> None:
        self.loading = True
        self.info = None
        self._load.emit((path, device))

    def start(self, paths: list[Path]) -> int:
        job = next(self._ids)
        self.worker.cancel_event.clear()
        self.active_job = job
        self._run.emit((job, list(paths)))
        return job

    def cancel(self) -> None:
        self.worker.cancel_event.set()

    def shutdown(self, timeout_ms: int = 120000) -> None:
        """Stop after the current image and wait for the thread (a forward pass on a huge
        image on a slow CPU can take a while; quitting before it ends would crash)."""
        self.cancel()
        self._thread.quit()
        self._thread.wait(timeout_ms)

    def _on_ready(self, info: ModelInfo) -> None:
        self.loading = False
        self.info = info

    def _on_failed(self, _message: str) -> None:
        self.loading = False
        self.info = None

    def _on_finished(self, job: int, _cancelled: bool, _done: int) -> None:
        if job == self.active_job:
            self.active_job = None
