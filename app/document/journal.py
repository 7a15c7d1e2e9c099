"""An append-only journal of finished strokes, so that a crash or a kill loses at most the
stroke in progress.

Autosave writes whole label maps on a background thread, and a burst of strokes collapses into
one write: a kill between two writes would lose every stroke since the last one. So each
finished edit is also appended here at once, as the new values of the region it changed, and
flushed and fsync'd before the next can start. Opening the image replays the journal over the
saved labels; once a save that includes a record is on disk, the records up to it are dropped.

Replaying is idempotent: a record sets its region to absolute values, so records replayed over
labels that already contain them (a crash after the save but before the drop) change nothing.
A record cut short by the kill fails its checksum; so do garbage and zeros. Replaying skips
them (and records made for a map of another size) and picks up at the next whole record; a
journal with any such bytes is set aside when its image opens (renamed, never deleted), so
that the strokes made from then on go into a fresh journal that a later replay reads whole.

Record layout (little-endian): magic ``b"SJ1"``, then ``H W y x h w`` as uint32, the length of
the zlib-compressed ``h*w`` uint8 values, the values, and a CRC-32 of all that precedes it in
the record.
"""

from __future__ import annotations

import datetime as _dt
import os
import struct
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .geometry import Rect

MAGIC = b"SJ1"
_HEAD = struct.Struct("<3s7I")
_CRC = struct.Struct("<I")


@dataclass(frozen=True)
class Recovery:
    """What opening a journal brought back: ``count`` strokes replayed into ``labels`` (None
    when there were none), and where a damaged journal was moved (None: it was sound)."""

    count: int = 0
    labels: np.ndarray | None = None
    set_aside: Path | None = None

    def notices(self, what: str) -> list[str]:
        """What to tell the person who opens ``what`` (an image's name, "frame 12")."""
        out = []
        if self.count:
            out.append(
                f"{self.count} stroke(s) on {what} made after its last save (the app stopped "
                f"before it could save them) were recovered."
            )
        if self.set_aside is not None:
            out.append(
                f"The stroke journal of {what} was damaged (cut short, overwritten, or made for "
                f"another image size); what could be read was recovered, the file was kept as "
                f"{self.set_aside.name}, and new strokes go into a fresh journal."
            )
        return out


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

    def record(self, labels: np.ndarray, rect: Rect | None) -> None:
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

    def recover(self, labels: np.ndarray | None, shape: tuple[int, int], empty: int) -> Recovery:
        """A copy of ``labels`` (None: a ``shape`` map of ``empty``) with the journal's whole
        records replayed over it. A journal with damaged bytes is set aside, and what was
        recovered from it is journalled afresh, so it stays safe until it is saved."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return Recovery()
        records, damaged = _records(data, shape)
        base = labels.copy() if labels is not None else np.full(shape, empty, np.uint8)
        _apply(records, base)
        aside = self._set_aside() if damaged else None
        if aside is not None and records:
            self.record(base, Rect.full(shape))
        return Recovery(len(records), base if records else None, aside)

    def replay(self, labels: np.ndarray) -> int:
        """Apply the whole records made for a map of ``labels``' size, in order; returns how
        many were applied."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return 0
        records, _ = _records(data, labels.shape)
        _apply(records, labels)
        return len(records)

    def _set_aside(self) -> Path | None:
        """Rename the journal (a later append starts a fresh one); its new path."""
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.stem}.damaged-{stamp}{self.path.suffix}")
        with self._lock:
            self._close()
            try:
                size = self.path.stat().st_size
                os.replace(self.path, aside)
            except OSError:
                return None  # it stays; replay skips its damage all the same
            self._dropped += size
        return aside


Record = tuple[tuple[int, int, int, int], np.ndarray]


def _apply(records: list[Record], labels: np.ndarray) -> None:
    for (y, x, h, w), values in records:
        labels[y : y + h, x : x + w] = values


def _records(data: bytes, shape: tuple[int, int]) -> tuple[list[Record], bool]:
    """``((y, x, h, w), values)`` for each whole, valid record made for a ``shape`` map, and
    whether anything else was found (a torn record, garbage, another size's records). After a
    bad byte the scan resumes at the next record marker: a whole record has a CRC-32, so bytes
    that merely look like one are not taken."""
    out: list[Record] = []
    damaged = False
    pos = 0
    while pos < len(data):
        end, record = _record_at(data, pos, shape)
        if record is not None:
            out.append(record)
        else:
            damaged = True
        if end is None:  # not a whole record: look for the next one
            found = data.find(MAGIC, pos + 1)
            if found < 0:
                break
            end = found
        pos = end
    return out, damaged


def _record_at(data: bytes, pos: int, shape: tuple[int, int]) -> tuple[int | None, Record | None]:
    """(where the record at ``pos`` ends or None if there is none, the record if it is one
    for a ``shape`` map)."""
    if pos + _HEAD.size > len(data):
        return None, None
    magic, height, width, y, x, h, w, length = _HEAD.unpack_from(data, pos)
    end = pos + _HEAD.size + length
    if magic != MAGIC or end + _CRC.size > len(data):
        return None, None
    (crc,) = _CRC.unpack_from(data, end)
    if crc != zlib.crc32(data[pos:end]):
        return None, None
    whole = end + _CRC.size
    if (height, width) != shape or y + h > height or x + w > width:
        return whole, None
    inflate = zlib.decompressobj()
    try:  # bounded: never more than the region's size, whatever the data holds
        raw = inflate.decompress(data[pos + _HEAD.size : end], max(h * w, 1))
    except zlib.error:
        return whole, None
    if len(raw) != h * w or not inflate.eof or inflate.unconsumed_tail:
        return whole, None
    return whole, ((y, x, h, w), np.frombuffer(raw, np.uint8).reshape(h, w))
