"""pymatting's compiled kernels: compiled once per install, loaded once per process.

pymatting's numba kernels compile when it is first imported after an install (about a minute
of CPU, far more on a loaded machine) and are cached on disk; later imports load them in a
second or two. Neither can be interrupted, so the import runs on a helper thread that a
caller waits for in short steps, free to give up at any moment (:func:`load`), and
:func:`compile_ahead` can do the one-time compile in a separate, low-priority process while
the app starts. A stamp file records that the compile was done for these versions, so a
caller can say which of the two it is waiting for.
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

Stop = Callable[[], bool]
_POLL_S = 0.05
_import_done = threading.Event()
_import_started = threading.Lock()
_import_error: list[BaseException] = []
_ahead: subprocess.Popen | None = None


class Stopped(Exception):
    """The caller's ``should_stop`` said so while waiting."""


def stamp() -> Path:
    """The file that says the kernels were compiled for these versions."""
    import platformdirs

    versions = "-".join(
        [f"py{sys.version_info.major}.{sys.version_info.minor}"]
        + [f"{name}{importlib.metadata.version(name)}" for name in ("pymatting", "numba")]
    )
    folder = os.environ.get("SRCRM_CACHE_DIR") or platformdirs.user_cache_dir("srcrm", appauthor=False)
    return Path(folder) / f"matting-kernels-{versions}.compiled"


def loaded() -> bool:
    return _import_done.is_set() and not _import_error


def compiled() -> bool:
    """Whether an import will load cached kernels (fast) rather than compile them."""
    return loaded() or stamp().is_file()


def _import() -> None:
    try:
        import pymatting  # noqa: F401  (compiles or loads the kernels)

        path = stamp()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
        _import_error.append(exc)
    finally:
        _import_done.set()


def compile_ahead() -> subprocess.Popen | None:
    """Compile the kernels in a child process at the lowest priority, unless they are
    compiled already (or being compiled): the app starts it so that the first Refine Edge
    does not wait."""
    global _ahead
    if compiled() or (_ahead is not None and _ahead.poll() is None):
        return None
    nice = [] if sys.platform == "win32" else ["nice", "-n", "19"]
    _ahead = subprocess.Popen(
        [*nice, sys.executable, "-m", "srcrm.matting.kernels"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return _ahead


def preload() -> None:
    """Start loading pymatting in the background (Refine Edge's panel opened), unless a
    compile started ahead is still running: a refine will wait for that one."""
    if (_ahead is None or _ahead.poll() is not None) and _import_started.acquire(blocking=False):
        threading.Thread(target=_import, name="pymatting import", daemon=True).start()


def load(should_stop: Stop | None = None) -> None:
    """Make pymatting importable at once: wait for a compile started ahead, then import it
    on a helper thread; raises :class:`Stopped` within ``_POLL_S`` of ``should_stop()``
    turning true (the helper goes on and finishes the import for the next caller)."""

    ahead = _ahead
    if ahead is not None:
        _wait(lambda: ahead.poll() is not None, should_stop)
    if _import_started.acquire(blocking=False):
        threading.Thread(target=_import, name="pymatting import", daemon=True).start()
    _wait(_import_done.is_set, should_stop)
    if _import_error:
        raise _import_error[0]


def _wait(done: Callable[[], bool], should_stop: Stop | None) -> None:
    while not done():
        if should_stop is not None and should_stop():
            raise Stopped
        time.sleep(_POLL_S)


if __name__ == "__main__":  # the child process of compile_ahead()
    _import()
    sys.exit(1 if _import_error else 0)
