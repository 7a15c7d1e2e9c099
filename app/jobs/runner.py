"""The one place background work runs: pre-labelling, exports, video tasks, fine-tune staging.

Jobs go into named *lanes*; each lane is one worker thread that runs its jobs in order, so
two jobs of a lane never overlap. Everything that touches the model runs in the ``model``
lane, on the thread that owns the predictor (:mod:`~.model`). Events are handed to ``post``,
which in the app carries them to the GUI thread and in tests may call them at once.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

from ..document.events import Event
from .job import Job

MODEL_LANE = "model"


class _Lane:
    def __init__(self, name: str):
        self.queue: queue.Queue[Job | None] = queue.Queue()
        self.thread = threading.Thread(target=self._loop, name=f"srcrm-{name}", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while True:
            job = self.queue.get()
            if job is None:
                return
            job._run()


class JobRunner:
    """Events: ``started(job)`` when a job is submitted, ``progress(job, JobProgress)`` as it
    goes and ``finished(job)`` when it is over (the last two posted). ``post(fn)`` delivers an
    event; by default it calls ``fn`` on the worker thread."""

    def __init__(self, post: Callable[[Callable[[], None]], None] | None = None):
        self.post = post or (lambda fn: fn())
        self._lanes: dict[str, _Lane] = {}
        self._jobs: list[Job] = []
        self._lock = threading.Lock()
        self._closed = False
        self.started = Event()
        self.progress = Event()
        self.finished = Event()

    def submit(
        self,
        title: str,
        work: Callable[[Job], Any],
        *,
        lane: str = "work",
        uses_model: bool = False,
        foreground: bool = False,
    ) -> Job:
        """Queue ``work`` in ``lane``; connect to the job's events before control returns to
        the event loop (they are posted, so none is missed). ``foreground``: see :class:`Job`."""
        if self._closed:
            raise RuntimeError("the job runner is shut down")
        job = Job(title, work, lane, uses_model or lane == MODEL_LANE, self._post, foreground)
        job.progress.connect(lambda p: self.progress.emit(job, p))
        job.finished.connect(self._forget)
        with self._lock:
            self._jobs.append(job)
            if lane not in self._lanes:
                self._lanes[lane] = _Lane(lane)
            self._lanes[lane].queue.put(job)
        self.started.emit(job)
        return job

    def _post(self, fn: Callable[[], None]) -> None:
        self.post(fn)

    def _forget(self, job: Job) -> None:
        with self._lock:
            if job in self._jobs:
                self._jobs.remove(job)
        self.finished.emit(job)

    def jobs(
        self, *, lane: str | None = None, uses_model: bool | None = None, foreground: bool | None = None
    ) -> list[Job]:
        """The jobs queued or running (not yet announced finished), oldest first."""
        with self._lock:
            return [
                j
                for j in self._jobs
                if (lane is None or j.lane == lane)
                and (uses_model is None or j.uses_model == uses_model)
                and (foreground is None or j.foreground == foreground)
            ]

    def busy(self, *, lane: str | None = None, uses_model: bool | None = None) -> bool:
        return bool(self.jobs(lane=lane, uses_model=uses_model))

    def cancel(self, *, lane: str | None = None, uses_model: bool | None = None) -> None:
        for job in self.jobs(lane=lane, uses_model=uses_model):
            job.cancel()

    def shutdown(self, timeout: float = 120.0) -> None:
        """Cancel everything and wait for the threads (the window is closing): a step in
        progress (a forward pass, a frame) finishes first; events after this are dropped."""
        self._closed = True
        self.post = lambda fn: None
        for job in self.jobs():
            job.cancel()
        with self._lock:
            lanes = list(self._lanes.values())
        for lane in lanes:
            lane.queue.put(None)
        for lane in lanes:
            lane.thread.join(timeout)
