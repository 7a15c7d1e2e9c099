"""A label file as this app last read or wrote it (modification time, size, SHA-1), so that a
save can tell whether another program rewrote the file meanwhile instead of overwriting its
work without a word."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FileStamp:
    mtime_ns: int
    size: int
    sha1: str

    @classmethod
    def of(cls, path: Path, data: bytes | None = None) -> FileStamp | None:
        """The stamp of ``path`` now (``data``: its bytes, when the caller just wrote them);
        None when there is no such file."""
        try:
            st = path.stat()
            digest = hashlib.sha1(data if data is not None else path.read_bytes()).hexdigest()
        except FileNotFoundError:
            return None
        return cls(st.st_mtime_ns, st.st_size, digest)

    def matches(self, st: os.stat_result, path: Path) -> bool:
        """Whether ``path`` (stat ``st``) still holds what was stamped: the time and size say
        so at once; otherwise only the bytes decide (a copy with a new time is the same file)."""
        if (st.st_mtime_ns, st.st_size) == (self.mtime_ns, self.size):
            return True
        try:
            return hashlib.sha1(path.read_bytes()).hexdigest() == self.sha1
        except FileNotFoundError:
            return False


def changed_since(stamp: FileStamp | None, path: Path) -> bool:
    """Whether ``path`` was written by someone else since ``stamp`` (None: it did not exist
    then). A file deleted meanwhile holds no one's work: not a change that a save must keep."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return False
    return stamp is None or not stamp.matches(st, path)


class LabelsChangedOnDisk(Exception):
    """A save found the label file rewritten by another program: that file was left alone and
    the labels went to ``kept`` beside it."""

    def __init__(self, image: Path, label_file: Path, kept: Path):
        self.image, self.label_file, self.kept = image, label_file, kept
        super().__init__(
            f"{label_file.name} was changed by another program while {image.name} was open here, "
            f"so it was not overwritten: your labels were saved beside it as {kept.name}. "
            f"Open {image.name} again to see the other program's labels (File > Import reads "
            f"yours back from {kept.name})."
        )
