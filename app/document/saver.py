"""A background writer: saves never block the GUI, and a burst of saves of the same image
collapses into one write of the newest snapshot."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

from .events import Event


class SaveQueue:
    """``submit(key, job)`` queues ``job()`` to run on the writer thread, replacing any job for
    the same ``key`` that has not started. Events: ``queued(key)`` (on the caller's thread),
    and, called on the writer thread, ``saved(key)`` and ``failed(key, exception)``."""

    def __init__(self) -> None:
        self._pending: dict[Hashable, Callable[[], None]] = {}
        self._cond = threading.Condition()
        self._busy = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self.queued = Event()
        self.saved = Event()
        self.failed = Event()

    def submit(self, key: Hashable, job: Callable[[], None]) -> None:
        with self._cond:
            if self._closed:
                raise RuntimeError("the save queue is closed")
            self._pending.pop(key, None)  # keep submission order: newest at the end
            self._pending[key] = job
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="srcrm-autosave", daemon=True)
                self._thread.start()
            self._cond.notify_all()
        self.queued.emit(key)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._closed:
                    self._cond.wait()
                if not self._pending:
                    return
                key = next(iter(self._pending))
                job = self._pending.pop(key)
                self._busy = True
            error: Exception | None = None
            try:
                job()
            except Exception as exc:  # noqa: BLE001 - reported to the user, the writer goes on
                error = exc
            with self._cond:
                self._busy = False
                self._cond.notify_all()
            # Announced after the queue state is updated, so listeners see ``idle`` right.
            if error is not None:
                self.failed.emit(key, error)
            else:
                self.saved.emit(key)

    @property
    def idle(self) -> bool:
        with self._cond:
            return not self._pending and not self._busy

    def flush(self, timeout: float | None = 30.0) -> bool:
        """Wait until every queued save has been written; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending and not self._busy, timeout)

    def close(self, timeout: float | None = 30.0) -> bool:
        ok = self.flush(timeout)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
        return ok
