"""What ``srcrm finetune`` and ``srcrm learn`` share with a parent process (the app): one JSON
line per event, SIGTERM and Ctrl-C as a clean cancel (exit code 130), and how a run that a
cancel or an error ends says so."""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

EXIT_CANCELLED = 130

Send = Callable[[dict], None]


@contextlib.contextmanager
def event_stream(target: str | None) -> Iterator[Send]:
    """A function that writes one JSON line per event and flushes it (a no-op without target)."""
    if target is None:
        yield lambda data: None
        return
    with contextlib.ExitStack() as stack:
        fh = sys.stdout if target == "-" else stack.enter_context(open(target, "w"))

        def send(data: dict) -> None:
            try:
                fh.write(json.dumps(data) + "\n")
                fh.flush()
            except OSError as exc:  # a full disk: the error names the stream, not nothing
                raise OSError(exc.errno, exc.strerror or str(exc), target) from None

        yield send


@contextlib.contextmanager
def cancel_on_signals() -> Iterator[threading.Event]:
    """An event that SIGTERM and SIGINT set, so the training loop stops at its next step and
    the job ends as a clean cancel rather than a killed process."""
    cancelled = threading.Event()
    handled = (signal.SIGTERM, signal.SIGINT)
    previous = {sig: signal.signal(sig, lambda *_: cancelled.set()) for sig in handled}
    try:
        yield cancelled
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@dataclass
class Ending:
    """How the block of :func:`reported_end` ended: ``cancelled`` by a cancel, else normally."""

    cancelled: bool = False


@contextlib.contextmanager
def reported_end(send: Send, close: Callable[[], None], cancelled_note: str = "") -> Iterator[Ending]:
    """Run the block and ``close()`` (the progress bar) however it ends. A cancel
    (:class:`~srcrm.train.trainer.Cancelled`) is sent as a ``cancelled`` event, said on stderr
    (``cancelled: REASON`` and ``cancelled_note``) and goes no further: ``ending.cancelled`` is
    then true, and the command returns :data:`EXIT_CANCELLED`. Any other error is sent as an
    ``error`` event and raised."""
    from srcrm.train.trainer import Cancelled  # imports torch: only once a command runs

    ending = Ending()
    try:
        yield ending
    except Cancelled as exc:
        close()
        send({"kind": "cancelled", "message": str(exc)})
        print(f"cancelled: {exc}{cancelled_note}", file=sys.stderr)
        ending.cancelled = True
    except Exception as exc:
        close()
        send({"kind": "error", "message": str(exc)})
        raise
    else:
        close()
