"""Long work off the GUI thread: video tasks (pre-label, smooth, propagate, export, the flicker
series) and staging a fine-tune's data.

Each task is a function ``work(job) -> result`` that calls ``job.report(...)`` as it goes and
stops early when ``job.should_stop()`` says so. :class:`BackgroundJob` runs one on its own
QThread and hands its progress, result or error to the GUI thread as signals, so a window never
waits on a frame being decoded, predicted or encoded, or a file being copied.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from PySide6 import QtCore


@dataclass(frozen=True)
class JobProgress:
    """Where a job is: ``done`` of ``total`` steps, what it is doing, and how fast it goes."""

    done: int
    total: int
    text: str = ""
    frame_index: int | None = None  # the frame just finished, when there is one
    frames_per_s: float = 0.0
    eta_s: float = float("nan")


class BackgroundJob(QtCore.QThread):
    """Signals (on the GUI thread): ``progress(JobProgress)``, ``succeeded(result)``,
    ``failed(message)``; ``QThread.finished`` after either. ``cancelled`` tells whether the
    user stopped it (the work function decides how much of its output to keep)."""

    progress = QtCore.Signal(object)
    succeeded = QtCore.Signal(object)
    failed = QtCore.Signal(str)

    def __init__(self, title: str, work: Callable[["BackgroundJob"], object],
                 parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self.title = title
        self.setObjectName(f"srcrm-job-{title.lower().replace(' ', '-')}")
        self._work = work
        self._stop = threading.Event()
        self.started_at = 0.0

    def run(self) -> None:
        self.started_at = time.monotonic()
        try:
            result = self._work(self)
        except Exception as exc:  # noqa: BLE001 - any failure becomes a message, the app goes on
            traceback.print_exc()
            self.failed.emit(str(exc) or type(exc).__name__)
            return
        self.succeeded.emit(result)

    # --- for the work function ----------------------------------------------------------------

    def should_stop(self) -> bool:
        return self._stop.is_set()

    def report(self, done: int, total: int, text: str = "", frame_index: int | None = None,
               frames_per_s: float | None = None, eta_s: float | None = None) -> None:
        """Announce progress; speed and time left are worked out when not given."""
        elapsed = time.monotonic() - self.started_at
        if frames_per_s is None:
            frames_per_s = done / elapsed if elapsed > 0 and done else 0.0
        if eta_s is None:
            eta_s = (total - done) / frames_per_s if frames_per_s > 0 else float("nan")
        self.progress.emit(JobProgress(done, total, text, frame_index, frames_per_s, eta_s))

    def on_progress(self, text: str) -> Callable[[int, int], None]:
        """A ``(done, total)`` callback for the engine's functions, labelled ``text``."""
        return lambda done, total: self.report(done, total, text)

    # --- for the GUI --------------------------------------------------------------------------

    def cancel(self) -> None:
        self._stop.set()

    @property
    def cancelled(self) -> bool:
        return self._stop.is_set()

    def shutdown(self, timeout_ms: int = 120000) -> None:
        """Cancel and wait (the window is closing): a frame in progress finishes first."""
        self.cancel()
        self.wait(timeout_ms)


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
