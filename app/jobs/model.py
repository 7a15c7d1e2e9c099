"""The model as the app uses it: loading, pre-labelling images, and predicting for other jobs,
all in the runner's ``model`` lane, so one thread owns the predictor.

A GPU failure during a prediction (out of memory, a driver error) moves the predictor to the
CPU, says so once through ``notice``, and the same prediction is tried again: every job that
predicts through this service gets the fallback.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from srcrm.io import ImageReadError, read_image

from ..document.classes import rgb8
from ..document.events import Event
from .job import Job
from .runner import MODEL_LANE, JobRunner


@dataclass(frozen=True)
class ModelInfo:
    name: str
    class_names: list[str]
    palette: list[tuple[int, int, int]]
    ignore_index: int
    device_name: str


@dataclass(frozen=True)
class PrelabelResult:
    """One image of a pre-label job: its labels, or ``error`` when it could not be labelled."""

    path: Path
    labels: np.ndarray | None = None
    confidence: np.ndarray | None = None
    model: str = ""
    error: str | None = None


def default_predictor_factory(path: str | None, device: str, progress=None):
    from srcrm.predictor import Predictor

    return Predictor.from_checkpoint(path, device, progress)


def describe_model(predictor, path: str | None) -> str:
    ckpt = getattr(predictor, "checkpoint", None)
    arch = ckpt.config.name if ckpt is not None else "model"
    return f"{Path(path).name if path else 'default model'} ({arch})"


class ModelService:
    """Events: ``load_started(job)`` (at once), and, posted by the runner, ``ready(ModelInfo)``,
    ``load_failed(message)``, ``notice(text)`` (the GPU fallback), ``device_changed(name)``."""

    def __init__(self, runner: JobRunner, factory: Callable[..., Any] = default_predictor_factory):
        self.runner = runner
        self._factory = factory
        self._predictor = None  # touched only on the model lane's thread
        self._load_job: Job | None = None  # the newest load, until its outcome is known
        self._loads: set[Job] = set()  # every load not yet finished
        self.info: ModelInfo | None = None
        self.load_started = Event()
        self.ready = Event()
        self.load_failed = Event()
        self.notice = Event()
        self.device_changed = Event()

    # --- state (GUI thread) -------------------------------------------------------------------

    @property
    def loading(self) -> bool:
        return self._load_job is not None

    @property
    def busy(self) -> bool:
        """A job that predicts is queued or running (a model change must wait for it)."""
        return any(job not in self._loads for job in self.runner.jobs(lane=MODEL_LANE))

    @property
    def name(self) -> str:
        return self.info.name if self.info is not None else ""

    # --- jobs ---------------------------------------------------------------------------------

    def load(self, path: str | None, device: str = "auto") -> Job:
        """Replace the model. Jobs still predicting are cancelled and the load waits for them
        (it is queued behind them in the same lane), so none sees the model change. The job
        reports the one slow step of a first start on a CPU: timing its inference paths."""
        self.runner.cancel(lane=MODEL_LANE)
        self.info = None

        def work(job: Job) -> ModelInfo:
            self._predictor = None
            predictor = self._factory(path, device, job.report)
            self._predictor = predictor
            palette = [rgb8(rgb) for rgb in np.asarray(predictor.palette)]
            return ModelInfo(
                describe_model(predictor, path),
                list(predictor.class_names),
                palette,
                int(predictor.ignore_index),
                predictor.device_name,
            )

        job = self._load_job = self.runner.submit("Loading the model", work, lane=MODEL_LANE)
        self._loads.add(job)
        job.succeeded.connect(lambda info: self._loaded(job, info, None))
        job.failed.connect(lambda message: self._loaded(job, None, _load_error(message, path)))
        job.finished.connect(lambda _job: self._load_done(job))
        self.load_started.emit(job)
        return job

    def _loaded(self, job: Job, info: ModelInfo | None, error: str | None) -> None:
        if job is not self._load_job:
            return
        self._load_job = None
        self.info = info
        if info is not None:
            self.ready.emit(info)
        else:
            self.load_failed.emit(error)

    def _load_done(self, job: Job) -> None:
        self._loads.discard(job)
        if job is self._load_job:  # cancelled before it ran (a newer load replaced it)
            self._load_job = None

    def submit(self, title: str, work: Callable[[Job], Any], foreground: bool = False) -> Job:
        """Run ``work(job)`` on the model's thread; it predicts through :meth:`predict` or
        :meth:`predict_batch` (this object also serves as a predictor for the engine)."""
        return self.runner.submit(title, work, lane=MODEL_LANE, foreground=foreground)

    def refusal(self) -> str | None:
        """Why a new prediction job cannot start now (None: it can)."""
        if self.info is None:
            what = "still loading" if self.loading else "not loaded"
            return f"The model is {what}; pre-labelling is not available yet."
        if self.busy:
            return "The model is busy with another task (pre-labelling); try again when it ends."
        return None

    def prelabel(self, paths: Sequence[Path]) -> Job:
        """Label ``paths`` one by one: ``job.partial`` carries a :class:`PrelabelResult` per
        image; cancel stops after the current one."""
        paths = [Path(p) for p in paths]

        def work(job: Job) -> int:
            done = 0
            for k, path in enumerate(paths):
                if job.should_stop():
                    break
                job.report(k, len(paths), path.name)
                try:
                    pred = self.predict(read_image(path))
                except ImageReadError as exc:
                    job.deliver(PrelabelResult(path, error=str(exc)))
                    continue
                except Exception as exc:  # noqa: BLE001 - one image fails, the others go on
                    job.deliver(PrelabelResult(path, error=f"pre-labelling failed: {exc}"))
                    continue
                done += 1
                job.deliver(PrelabelResult(path, pred.labels, pred.confidence, self.name))
            job.report(len(paths), len(paths), "")
            return done

        return self.submit("Pre-labelling", work, foreground=True)

    # --- predicting (model thread) ------------------------------------------------------------

    def predict(self, image: np.ndarray):
        return self._guarded(lambda p: p.predict(image))

    def predict_batch(self, images: list[np.ndarray]):
        def run(p):
            if hasattr(p, "predict_batch"):
                return p.predict_batch(images)
            return [p.predict(image) for image in images]

        return self._guarded(run)

    def _guarded(self, call: Callable[[Any], Any]):
        predictor = self._predictor
        if predictor is None:
            raise RuntimeError("no model is loaded")
        try:
            return call(predictor)
        except RuntimeError as exc:
            device = getattr(predictor, "device", None)
            if device is None or getattr(device, "type", "cpu") == "cpu":
                raise
            gpu = predictor.device_name
            predictor = self._predictor = predictor.to("cpu")
            text = str(exc).strip()
            first_line = text.splitlines()[0][:160] if text else type(exc).__name__
            name = predictor.device_name
            self.runner.post(
                lambda: self._moved(
                    name, f"The GPU ({gpu}) failed: {first_line}. The model continues on the CPU (slower)."
                )
            )
            return call(predictor)

    def _moved(self, device_name: str, text: str) -> None:
        if self.info is not None:
            self.info = ModelInfo(
                self.info.name, self.info.class_names, self.info.palette, self.info.ignore_index, device_name
            )
        self.notice.emit(text)
        self.device_changed.emit(device_name)


def _load_error(message: str, path: str | None) -> str:
    from srcrm.checkpoint import default_checkpoint_path

    if path is None and not Path(default_checkpoint_path()).exists():
        return (
            f"The default model is not installed ({default_checkpoint_path()} is missing), "
            f"so images open without pre-labels."
        )
    return f"The model could not be loaded: {message}"
