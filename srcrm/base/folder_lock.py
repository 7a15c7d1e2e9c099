"""One writer at a time per output folder.

Two runs writing one folder (two videos labelled into one ``--out``) would mix their files.
The first run holds an operating-system lock on ``FOLDER/.srcrm.lock``; a second is refused at
once, with the first one's process id. The system drops the lock when the process ends however
it ends (even killed), so a stale lock file never blocks anyone; the empty file stays behind.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

LOCK_NAME = ".srcrm.lock"

if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        """Lock the first byte (the descriptor is at the start of the file)."""
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


class FolderBusy(ValueError):
    """Another process is writing into the folder."""


@contextlib.contextmanager
def exclusive(folder: str | os.PathLike, what: str) -> Iterator[None]:
    """Hold ``folder``'s lock for the block; :class:`FolderBusy` when another process holds it
    (``what`` names the job in the message, e.g. "srcrm predict")."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        if not _try_lock(fd):
            try:
                owner = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
            except OSError:  # Windows locks are mandatory: the holder's bytes cannot be read
                owner = "unknown"
            raise FolderBusy(
                f"{folder}: another {what} (process {owner}) is writing into this folder; "
                f"wait for it to finish, or choose another output folder"
            )
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        os.close(fd)
