"""The model as the app uses it: loading, pre-labelling images, and predicting for other jobs,
all in the runner's ``model`` lane, so one thread owns the predictor.

A GPU failure during a prediction (out of memory, a driver error) moves the predictor to the
CPU, says so once through ``notice``, and the same prediction is tried again: every job that
predicts through this service gets the fallback.

A first start on a CPU does not make the person wait while the inference paths are timed: the
model loads on the plain path and pre-labels at once, and the other paths are timed afterwards
in a background job of the model's lane, whenever nothing else wants the model; any other job
stops it after the path it is timing, and it goes on later where it stopped
(:func:`srcrm.inference.fast_path.choose_path`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from srcrm.base.io import ImageReadError, read_image

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
    """The engine's predictor, on the fastest path already measured here, else on the plain
    path for now (:meth:`ModelService.time_paths` times the others later)."""
    from srcrm.inference.fast_path import FastPathConfig
    from srcrm.inference.predictor import Predictor
    from srcrm.models.checkpoint import load_checkpoint

    return Predictor(load_checkpoint(path), device, fast_path=FastPathConfig(measure=False))


def _untimed(predictor) -> bool:
    """Whether ``predictor`` runs on a provisional path, the others not timed yet."""
    return bool(getattr(getattr(predictor, "path", None), "provisional", False))


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
        self._predictor: Any = None  # touched only on the model lane's thread
        self._load_job: Job | None = None  # the newest load, until its outcome is known
        self._loads: set[Job] = set()  # every load not yet finished
        self._untimed = False  # the loaded predictor's inference paths are still to be timed
        self._predicted = False  # a job has used the loaded model (timing waits for the first)
        self._timing: Job | None = None
        self.info: ModelInfo | None = None
        self.load_started = Event()
        self.ready = Event()
        self.load_failed = Event()
        self.notice = Event()
        self.device_changed = Event()
        runner.finished.connect(self._after_job)

    # --- state (GUI thread) -------------------------------------------------------------------

    @property
    def loading(self) -> bool:
        return self._load_job is not None

    @property
    def busy(self) -> bool:
        """A job that predicts is queued or running (a model change must wait for it); timing
        the inference paths does not count: it stops for anything else."""
        return any(
            job not in self._loads and job is not self._timing for job in self.runner.jobs(lane=MODEL_LANE)
        )

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
        self._untimed = self._predicted = False

        def work(job: Job) -> ModelInfo:
            self._predictor = None
            predictor = self._factory(path, device, job.report)
            self._predictor = predictor
            self._untimed = _untimed(predictor)
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
        :meth:`predict_batch` (this object also serves as a predictor for the engine). Timing
        the inference paths gives way to it."""
        if self._timing is not None:
            self._timing.cancel()
        return self.runner.submit(title, work, lane=MODEL_LANE, foreground=foreground)

    def _after_job(self, job: Job) -> None:
        if job.lane == MODEL_LANE and job not in self._loads and job is not self._timing:
            self._predicted = self.info is not None
        self.time_paths()

    def time_paths(self) -> Job | None:
        """Time the inference paths not timed yet, in the background, once the model has
        labelled something (the first labels never wait for it) and whenever it is idle; the
        fastest is taken when all are timed."""
        if (
            not (self._untimed and self._predicted)
            or self._timing is not None
            or self.runner.busy(lane=MODEL_LANE)
        ):
            return None

        def work(job: Job) -> bool:
            from dataclasses import replace

            from srcrm.inference.fast_path import choose_path

            predictor = self._predictor
            fast_path = replace(predictor.fast_path, measure=True)
            if choose_path(
                predictor.model, predictor.device, fast_path, should_stop=job.should_stop
            ).provisional:
                return False  # stopped for another job: goes on later
            predictor.fast_path = fast_path
            predictor.to(predictor.device)  # onto the fastest path, now measured and cached
            return True

        job = self._timing = self.runner.submit("Timing the inference paths", work, lane=MODEL_LANE)
        job.succeeded.connect(self._timed)
        job.failed.connect(lambda _message: self._timed(True))  # a path that fails: keep the plain one
        job.finished.connect(self._timing_over)
        return job

    def _timed(self, done: bool) -> None:
        if done:
            self._untimed = False

    def _timing_over(self, job: Job) -> None:
        if job is self._timing:
            self._timing = None
            self.time_paths()  # stopped for another job: goes on once the model is idle

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
    from srcrm.models.checkpoint import default_checkpoint_path

    if path is None and not Path(default_checkpoint_path()).exists():
        return (
            f"The default model is not installed ({default_checkpoint_path()} is missing), "
            f"so images open without pre-labels."
        )
    return f"The model could not be loaded: {message}"
