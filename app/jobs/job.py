"""One piece of background work as the app sees it: progress, cancel, outcome, without Qt.

The work is a function ``work(job) -> result`` that calls :meth:`Job.report` as it goes and
stops early when :meth:`Job.should_stop` says so. Its events arrive on the thread the
:class:`~.runner.JobRunner` posts to (the GUI thread in the app), never on the worker.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..document.events import Event


@dataclass(frozen=True)
class JobProgress:
    """Where a job is: ``done`` of ``total`` steps, what it is doing, and how fast it goes."""

    done: int
    total: int
    text: str = ""
    frame_index: int | None = None  # the frame just finished, when there is one
    frames_per_s: float = 0.0
    eta_s: float = float("nan")


class Job:
    """Events: ``progress(JobProgress)``, ``partial(item)``, ``succeeded(result)``, ``failed(message)``, then
    ``finished(job)`` after either (also after a job cancelled before it started, which has
    neither). ``cancelled`` tells whether someone stopped it; the work decides what to keep.
    A ``foreground`` job is a task the person started and waits for: the status bar shows its
    progress and a Cancel button."""

    def __init__(
        self,
        title: str,
        work: Callable[[Job], Any],
        lane: str,
        uses_model: bool,
        post: Callable[[Callable[[], None]], None],
        foreground: bool = False,
    ):
        self.title = title
        self.lane = lane
        self.uses_model = uses_model
        self.foreground = foreground
        self._work = work
        self._post = post
        self._stop = threading.Event()
        self._done = threading.Event()
        self.started_at = 0.0
        self.running = False
        self.progress = Event()
        self.partial = Event()
        self.succeeded = Event()
        self.failed = Event()
        self.finished = Event()

    # --- for the work function ----------------------------------------------------------------

    def should_stop(self) -> bool:
        return self._stop.is_set()

    def report(
        self,
        done: int,
        total: int,
        text: str = "",
        frame_index: int | None = None,
        frames_per_s: float | None = None,
        eta_s: float | None = None,
    ) -> None:
        """Announce progress; speed and time left are worked out when not given."""
        elapsed = time.monotonic() - self.started_at
        if frames_per_s is None:
            frames_per_s = done / elapsed if elapsed > 0 and done else 0.0
        if eta_s is None:
            eta_s = (total - done) / frames_per_s if frames_per_s > 0 else float("nan")
        p = JobProgress(done, total, text, frame_index, frames_per_s, eta_s)
        self._post(lambda: self.progress.emit(p))

    def deliver(self, item: Any) -> None:
        """Hand over one piece of the result now (an image's labels), before the job ends."""
        self._post(lambda: self.partial.emit(item))

    def on_progress(self, text: str) -> Callable[[int, int], None]:
        """A ``(done, total)`` callback for the engine's functions, labelled ``text``."""
        return lambda done, total: self.report(done, total, text)

    # --- for the owner ------------------------------------------------------------------------

    def cancel(self) -> None:
        self._stop.set()

    @property
    def cancelled(self) -> bool:
        return self._stop.is_set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the work has returned (True) or ``timeout`` seconds passed."""
        return self._done.wait(timeout)

    # --- for the runner -----------------------------------------------------------------------

    def _run(self) -> None:
        if self._stop.is_set():
            self._finish(None)
            return
        self.started_at = time.monotonic()
        self.running = True
        try:
            result = self._work(self)
        except Exception as exc:  # noqa: BLE001 - any failure becomes a message, the app goes on
            message = str(exc) or type(exc).__name__
            self._finish(lambda: self.failed.emit(message))
            return
        self._finish(lambda: self.succeeded.emit(result))

    def _finish(self, outcome: Callable[[], None] | None) -> None:
        self.running = False
        self._done.set()

        def deliver() -> None:
            if outcome is not None:
                outcome()
            self.finished.emit(self)

        self._post(deliver)


def format_eta(seconds: float) -> str:
    if seconds != seconds or seconds == float("inf"):  # NaN, inf: not known yet
        return "–"
    seconds = int(round(seconds))
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def describe_progress(title: str, p: JobProgress) -> str:
    """``Pre-labelling 12/101 · 3.1 frames/s · 0:28 left``: for the status bar."""
    text = f"{p.text or title} {p.done}/{p.total}"
    if p.frames_per_s > 0:
        text += f" · {p.frames_per_s:.1f} frames/s · {format_eta(p.eta_s)} left"
    return text
