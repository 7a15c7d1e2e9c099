"""Faults injected where the engine writes, aimed at one output file.

The engine writes through three low-level paths, and :func:`inject` breaks each for the one
file it is aimed at, as the system would:

- :func:`srcrm.base.io.atomic_write` (every checkpoint, label map, image, JSON file): a temporary
  sibling ``.NAME.XXXXXXXX.tmp`` is made (``tempfile.mkstemp``), written (``os.fdopen``),
  flushed (``os.fsync``) and renamed (``os.replace``); the faults are ``"write"`` and
  ``"fsync"`` (a full disk: ENOSPC, at the write or, on file systems that allocate late, at
  the flush), ``"mkstemp"`` (a read-only folder: EACCES) and ``"replace"`` (EIO);
- ``cv2.VideoWriter`` (overlay and matte videos, made as ``.NAME.XXXXXXXX.mp4``):
  ``"video"`` drops every frame after the first, silently, as FFmpeg does on a full disk;
- ``open(PATH, "w")`` for streams (fine-tuning's progress events): ``"stream"`` fails the
  first write with ENOSPC.

Another round extends this by adding a fault kind here and a write site to the table in
``test_write_faults.py``.
"""

from __future__ import annotations

import builtins
import errno
import os
import re
import tempfile
from pathlib import Path

import cv2

KINDS = ("write", "fsync", "mkstemp", "replace", "video", "stream")
ERRORS = {
    "write": errno.ENOSPC,
    "fsync": errno.ENOSPC,
    "mkstemp": errno.EACCES,
    "replace": errno.EIO,
    "stream": errno.ENOSPC,
}


def temporary_sibling(target: Path) -> re.Pattern:
    """The names the engine gives ``target``'s temporary file while writing it."""
    return re.compile(rf"^\.{re.escape(target.name)}\.[^/]+\.(tmp|mp4)$")


def leftovers(folder: Path) -> list[Path]:
    """Temporary files of the engine's writes anywhere under ``folder``."""
    pattern = re.compile(r"^\..+\.[a-z0-9_]{8}\.(tmp|mp4)$")
    return sorted(p for p in folder.rglob(".*") if pattern.match(p.name))


def _fails(exc_errno: int, filename: str | None = None) -> OSError:
    return OSError(exc_errno, os.strerror(exc_errno), filename)


def inject(monkeypatch, kind: str, target: Path) -> list[str]:
    """Make writing ``target`` fail with fault ``kind``; other files are written as usual.
    Returns a list that records each failed attempt (a retry shows as a second entry)."""
    target = Path(target).resolve()
    sibling = temporary_sibling(target)
    hits: list[str] = []

    def aimed(path: str | os.PathLike) -> bool:
        path = Path(path)
        return path.parent.resolve() == target.parent and bool(sibling.match(path.name))

    def fd_aimed(fd: int) -> bool:
        return aimed(os.readlink(f"/proc/self/fd/{fd}"))

    if kind == "fsync":
        real_fsync = os.fsync

        def fsync(fd):
            if fd_aimed(fd):
                hits.append("fsync")
                raise _fails(errno.ENOSPC)
            return real_fsync(fd)

        monkeypatch.setattr(os, "fsync", fsync)
    elif kind == "write":
        real_fdopen = os.fdopen

        def fdopen(fd, *args, **kwargs):
            fh = real_fdopen(fd, *args, **kwargs)
            return _FullDisk(fh, hits) if fd_aimed(fd) else fh

        monkeypatch.setattr(os, "fdopen", fdopen)
    elif kind == "mkstemp":
        real_mkstemp = tempfile.mkstemp

        def mkstemp(suffix=None, prefix=None, dir=None, text=False):
            if dir is not None and aimed(Path(dir) / f"{prefix}abcdefgh{suffix}"):
                hits.append("mkstemp")
                raise _fails(errno.EACCES, str(Path(dir) / f"{prefix}abcdefgh{suffix}"))
            return real_mkstemp(suffix, prefix, dir, text)

        monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    elif kind == "replace":
        real_replace = os.replace

        def replace(src, dst, *args, **kwargs):
            if aimed(src):
                hits.append("replace")
                raise OSError(errno.EIO, os.strerror(errno.EIO), os.fspath(src), None, os.fspath(dst))
            return real_replace(src, dst, *args, **kwargs)

        monkeypatch.setattr(os, "replace", replace)
    elif kind == "video":
        real_writer = cv2.VideoWriter

        class DroppingWriter:
            """A real writer that, past its first frame, drops frames without a word."""

            fourcc = staticmethod(real_writer.fourcc)

            def __init__(self, filename, *args):
                self._writer = real_writer(filename, *args)
                self._dropping = aimed(filename)
                self._frames = 0

            def isOpened(self):  # noqa: N802 (OpenCV's name)
                return self._writer.isOpened()

            def write(self, frame):
                self._frames += 1
                if self._dropping and self._frames > 1:
                    hits.append("video")
                    return
                self._writer.write(frame)

            def release(self):
                self._writer.release()

        monkeypatch.setattr(cv2, "VideoWriter", DroppingWriter)
    elif kind == "stream":
        real_open = builtins.open

        def open_(file, mode="r", *args, **kwargs):
            fh = real_open(file, mode, *args, **kwargs)
            named = isinstance(file, str | os.PathLike) and Path(file).resolve() == target
            return _FullDisk(fh, hits) if named and "w" in mode else fh

        monkeypatch.setattr(builtins, "open", open_)
    else:
        raise ValueError(f"unknown fault {kind!r}; one of {KINDS}")
    return hits


class _FullDisk:
    """A file whose writes fail with ENOSPC (and, as the kernel does, name no file)."""

    def __init__(self, fh, hits: list[str]):
        self._fh, self._hits = fh, hits

    def write(self, data):
        self._hits.append("write")
        raise _fails(errno.ENOSPC)

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()
