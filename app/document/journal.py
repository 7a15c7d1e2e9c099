"""An append-only journal of finished strokes, so that a crash or a kill loses at most the
stroke in progress.

Autosave writes whole label maps on a background thread, and a burst of strokes collapses into
one write: a kill between two writes would lose every stroke since the last one. So each
finished edit is also appended here at once, as the new values of the region it changed, and
flushed and fsync'd before the next can start. Opening the image replays the journal over the
saved labels; once a save that includes a record is on disk, the records up to it are dropped.

Replaying is idempotent: a record sets its region to absolute values, so records replayed over
labels that already contain them (a crash after the save but before the drop) change nothing.
A record cut short by the kill fails its checksum and is ignored, with everything after it.

Record layout (little-endian): magic ``b"SJ1"``, then ``H W y x h w`` as uint32, the length of
the zlib-compressed ``h*w`` uint8 values, the values, and a CRC-32 of all that precedes it in
the record.
"""

from __future__ import annotations

import os
import struct
import threading
import zlib
from pathlib import Path

import numpy as np

MAGIC = b"SJ1"
_HEAD = struct.Struct("<3s7I")
_CRC = struct.Struct("<I")


class StrokeJournal:
    """The journal of one image's label map. Thread-safe: the GUI thread appends, the autosave
    thread drops what a save has covered."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._fd: int | None = None
        # Bytes dropped from the front so far: marks count from the journal's first byte ever,
        # so a mark taken before a drop still means the same record after it.
        self._dropped = 0

    # --- writing ------------------------------------------------------------------------------

    def append(self, labels: np.ndarray, y: int, x: int, h: int, w: int) -> int:
        """Record the current values of ``labels[y:y+h, x:x+w]`` and make them durable.
        Returns the journal's end, a mark for :meth:`drop_through`. Raises OSError (full disk)."""
        height, width = labels.shape
        values = zlib.compress(np.ascontiguousarray(labels[y : y + h, x : x + w]).tobytes(), 1)
        head = _HEAD.pack(MAGIC, height, width, y, x, h, w, len(values))
        record = head + values
        record += _CRC.pack(zlib.crc32(record))
        with self._lock:
            fd = self._open()
            start = os.lseek(fd, 0, os.SEEK_END)
            try:
                os.write(fd, record)
                os.fsync(fd)
            except OSError:
                os.ftruncate(fd, start)  # no half record left behind to hide later ones
                raise
            return self._dropped + start + len(record)

    def record(self, labels: np.ndarray, rect) -> None:
        """Append a finished edit's region (a :class:`~app.document.geometry.Rect`, or None for
        a step that changed no pixels). A full disk is not raised: the autosave that follows
        fails too, and that failure is what the user is told."""
        if rect is None:
            return
        try:
            self.append(labels, rect.y0, rect.x0, rect.height, rect.width)
        except OSError:
            pass

    def mark(self) -> int:
        """The journal's current end (what a snapshot taken now covers)."""
        with self._lock:
            try:
                return self._dropped + self.path.stat().st_size
            except FileNotFoundError:
                return self._dropped

    def drop_through(self, mark: int) -> None:
        """Forget the records before ``mark``: a save holding them is on disk. Records appended
        since are kept (rewritten atomically to a fresh journal)."""
        with self._lock:
            try:
                size = self.path.stat().st_size
            except FileNotFoundError:
                return
            cut = mark - self._dropped
            if cut <= 0:
                return
            if size <= cut:
                self._close()
                self.path.unlink(missing_ok=True)
                self._dropped += size
                return
            with self.path.open("rb") as fh:
                fh.seek(cut)
                rest = fh.read()
            tmp = self.path.with_name(f".{self.path.name}.tmp")
            with tmp.open("wb") as fh:
                fh.write(rest)
                fh.flush()
                os.fsync(fh.fileno())
            self._close()
            os.replace(tmp, self.path)
            self._dropped += cut

    def discard(self) -> None:
        """Forget every record: labels written over them (an approved pre-label) replace them."""
        with self._lock:
            try:
                self._dropped += self.path.stat().st_size
            except FileNotFoundError:
                return
            self._close()
            self.path.unlink()

    def close(self) -> None:
        with self._lock:
            self._close()

    def _open(self) -> int:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
        return self._fd

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    # --- reading ------------------------------------------------------------------------------

    def recover(
        self, labels: np.ndarray | None, shape: tuple[int, int], empty: int
    ) -> tuple[int, np.ndarray] | None:
        """``(count, labels)``: a copy of ``labels`` (None: a ``shape`` map of ``empty``) with the
        journal's records replayed over it; None when there are none."""
        if not self.path.is_file():
            return None
        base = labels.copy() if labels is not None else np.full(shape, empty, np.uint8)
        count = self.replay(base)
        return (count, base) if count else None

    def replay(self, labels: np.ndarray) -> int:
        """Apply the whole records to ``labels`` in order; returns how many were applied. Stops
        at the first record that is cut short or damaged; records for a map of another size
        are not applied (returns 0)."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return 0
        records = _records(data, labels.shape)
        if records is None:
            return 0
        for (y, x, h, w), values in records:
            labels[y : y + h, x : x + w] = values
        return len(records)


def _records(data: bytes, shape: tuple[int, int]) -> list | None:
    """``((y, x, h, w), values)`` for each whole, valid record from the start; None when the
    journal was written for a label map of another size."""
    out = []
    pos = 0
    while pos + _HEAD.size <= len(data):
        magic, height, width, y, x, h, w, length = _HEAD.unpack_from(data, pos)
        end = pos + _HEAD.size + length
        if magic != MAGIC or end + _CRC.size > len(data):
            break
        (crc,) = _CRC.unpack_from(data, end)
        if crc != zlib.crc32(data[pos:end]):
            break
        if (height, width) != shape:
            return None
        if y + h > height or x + w > width:
            break
        inflate = zlib.decompressobj()
        try:  # bounded: never more than the region's size, whatever the data holds
            raw = inflate.decompress(data[pos + _HEAD.size : end], max(h * w, 1))
        except zlib.error:
            break
        if len(raw) != h * w or not inflate.eof or inflate.unconsumed_tail:
            break
        out.append(((y, x, h, w), np.frombuffer(raw, np.uint8).reshape(h, w)))
        pos = end + _CRC.size
    return out
