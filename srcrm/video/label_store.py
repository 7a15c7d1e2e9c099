"""Per-frame label maps of a video, one PNG per frame in a folder.

Nothing is held in memory but the bookkeeping, so a video of any length can be labelled. File
names are ``NNNNNN.png`` by zero-based frame index (the ``srcrm predict VIDEO --out DIR``
contract). ``store.json`` beside them keeps the frame count, the frame size, which frames a
person edited (pre-labelling never overwrites those), which of those hold a propagated
correction nobody has edited since (a person's labels in part only: fine-tuning never measures
a model on them), which model labelled the rest and, when
the caller gives it, the video's content fingerprint (:mod:`srcrm.video.fingerprint`): a store
is then refused to another video even of the same size and length.

Every write is atomic, so a frame's PNG is either whole or absent. A PNG that is not usable
anyway (written by another tool, cut short, another size, a valid header over a corrupt body)
counts as missing: it is reported in :attr:`FrameLabelStore.problems` with the reason, and
pre-labelling redoes it. Each file is decoded once to verify it; the result is remembered
until the file changes.
"""

from __future__ import annotations

import json
import logging
import os
import re
import struct
import threading
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

from srcrm.base.io import (
    ImageReadError,
    atomic_write_bytes,
    atomic_write_text,
    read_label_png,
)
from srcrm.base.jsonio import load_json
from srcrm.video.fingerprint import same_video

log = logging.getLogger(__name__)

META_FILE = "store.json"
_NAME = re.compile(r"^(\d{6,})\.png$")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"


class LabelStoreError(ValueError):
    """The store folder cannot be used: unreadable metadata, or labels of another size."""


class FrameLabelStore:
    """Label PNGs of a video's frames. Thread-safe: a pre-labelling writer thread and the
    user's edits may use one store together."""

    def __init__(
        self,
        folder: str | os.PathLike,
        frame_count: int | None = None,
        size: tuple[int, int] | None = None,
        source: dict | None = None,
    ):
        self.folder = Path(folder)
        self._lock = threading.RLock()
        self._problems: dict[int, str] = {}
        self._verified: dict[int, tuple[int, int]] = {}  # frame -> (mtime_ns, size) that decoded
        meta = self._load_meta()
        self.frame_count: int | None = meta["frame_count"]
        self.size: tuple[int, int] | None = meta["size"]
        self._edited: set[int] = meta["edited"]
        self._propagated: set[int] = meta["propagated"] & self._edited
        self._model: str | None = meta["model"]
        self.source: dict | None = meta["source"]
        if source is not None and self.source is not None and not same_video(self.source, source):
            raise LabelStoreError(
                f"{self.folder} holds the labels of another video ({self.source.get('name')}, "
                f"{self.source.get('bytes')} bytes), not of {source.get('name')}: choose another "
                f"folder, or delete that one to start over"
            )
        if source is not None and self.source is None:
            self.source = source
            self._save_meta()
        if size is not None:
            size = (int(size[0]), int(size[1]))
            if self.size is not None and self.size != size:
                raise LabelStoreError(
                    f"{self.folder} holds labels of {self.size[1]}x{self.size[0]} frames, not "
                    f"{size[1]}x{size[0]}: choose another folder for this video"
                )
        if (size or self.size, frame_count or self.frame_count) != (self.size, self.frame_count):
            self.size = size or self.size
            self.frame_count = int(frame_count) if frame_count is not None else self.frame_count
            self._save_meta()

    # --- metadata --------------------------------------------------------------------------

    def _load_meta(self) -> dict:
        path = self.folder / META_FILE
        if not path.is_file():
            return {
                "frame_count": None,
                "size": None,
                "edited": set(),
                "propagated": set(),
                "model": None,
                "source": None,
            }
        try:
            meta = load_json(path)
            size, count, source = meta.get("size"), meta.get("frame_count"), meta.get("source")
            if source is not None and not isinstance(source, dict):
                raise TypeError(f"source is {type(source).__name__}, not an object")
            return {
                "frame_count": None if count is None else int(count),
                "size": None if size is None else (int(size[0]), int(size[1])),
                "edited": {int(i) for i in meta.get("edited", [])},
                "propagated": {int(i) for i in meta.get("propagated", [])},
                "model": meta.get("model"),
                "source": source,
            }
        except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
            raise LabelStoreError(
                f"{path}: unreadable ({exc}). It records which frames were edited by hand; "
                "repair it, or delete it to treat every frame as machine-made"
            ) from None

    def _save_meta(self) -> None:
        meta = {
            "frame_count": self.frame_count,
            "size": list(self.size) if self.size else None,
            "edited": sorted(self._edited),
            "propagated": sorted(self._propagated),
            "model": self._model,
            "source": self.source,
        }
        atomic_write_text(self.folder / META_FILE, json.dumps(meta, indent=1) + "\n")

    def set_frame_count(self, count: int) -> None:
        """Correct the frame count (a truncated video turned out shorter than it claimed)."""
        with self._lock:
            if count != self.frame_count:
                self.frame_count = int(count)
                self._save_meta()

    @property
    def model(self) -> str | None:
        """What labelled the frames that nobody edited (a model description)."""
        return self._model

    @model.setter
    def model(self, description: str | None) -> None:
        with self._lock:
            if description != self._model:
                self._model = description
                self._save_meta()

    @property
    def edited(self) -> frozenset[int]:
        with self._lock:
            return frozenset(self._edited)

    def is_edited(self, index: int) -> bool:
        with self._lock:
            return int(index) in self._edited

    def mark_edited(self, index: int) -> None:
        with self._lock:
            if int(index) not in self._edited:
                self._edited.add(int(index))
                self._save_meta()

    @property
    def propagated(self) -> frozenset[int]:
        """The edited frames whose labels came from a propagated correction, unedited since."""
        with self._lock:
            return frozenset(self._propagated)

    def mark_propagated(self, indices: Iterable[int]) -> None:
        """Frames a propagated correction was written to (they count as edited too)."""
        with self._lock:
            new = {int(i) for i in indices} - self._propagated
            if new:
                self._edited |= new
                self._propagated |= new
                self._save_meta()

    def person_edited(self, index: int) -> None:
        """A person edited frame ``index``: its labels are theirs now, whatever wrote them
        (the frame counts as edited once its labels are written, :meth:`write`)."""
        with self._lock:
            if int(index) in self._propagated:
                self._propagated.discard(int(index))
                self._save_meta()

    @property
    def problems(self) -> dict[int, str]:
        """Frames whose PNG is there but unusable, and why (they count as missing)."""
        with self._lock:
            return dict(self._problems)

    # --- frames ----------------------------------------------------------------------------

    def path(self, index: int) -> Path:
        return self.folder / f"{int(index):06d}.png"

    def has(self, index: int) -> bool:
        """Whether frame ``index`` has a usable label PNG: its header and end are checked, and
        it is decoded once (remembered until the file changes)."""
        index, path = int(index), self.path(index)
        if self._check(index, path) is not None:
            return False
        return self._verified_stamp(index, path) is not None or self.read(index) is not None

    def read(self, index: int) -> np.ndarray | None:
        """The frame's labels (HxW uint8), or None when missing or unusable."""
        index, path = int(index), self.path(index)
        if self._check(index, path) is not None:
            return None
        try:
            stat = path.stat()
            labels = read_label_png(path)
        except (OSError, ImageReadError) as exc:
            self._report(index, f"{path}: does not decode ({exc})")
            return None
        with self._lock:
            self._verified[index] = (stat.st_mtime_ns, stat.st_size)
        return labels

    def _verified_stamp(self, index: int, path: Path) -> tuple[int, int] | None:
        """The remembered stamp of a file that decoded, if it has not changed since."""
        try:
            stat = path.stat()
        except OSError:
            return None
        with self._lock:
            stamp = self._verified.get(index)
        return stamp if stamp == (stat.st_mtime_ns, stat.st_size) else None

    def write(self, index: int, labels: np.ndarray, edited: bool = False) -> None:
        """Store a frame's labels, replacing any. ``edited`` marks them as a person's work."""
        data = self._encode(index, labels)
        with self._lock:
            atomic_write_bytes(self.path(index), data)
            self._problems.pop(int(index), None)
            if edited:
                self.mark_edited(index)

    def write_unless_edited(self, index: int, labels: np.ndarray) -> bool:
        """Store machine-made labels unless a person has edited the frame (checked and written
        under the store's lock, so an edit made meanwhile is never overwritten)."""
        data = self._encode(index, labels)
        with self._lock:
            if int(index) in self._edited:
                return False
            atomic_write_bytes(self.path(index), data)
            self._problems.pop(int(index), None)
            return True

    def labelled(self) -> list[int]:
        """Indices of frames with usable labels, ascending."""
        if not self.folder.is_dir():
            return []
        found = []
        with os.scandir(self.folder) as entries:
            for entry in entries:
                match = _NAME.match(entry.name)
                if match and self.has(int(match[1])):
                    found.append(int(match[1]))
        return sorted(found)

    def missing(self, start: int = 0, stop: int | None = None) -> list[int]:
        """Indices in ``start..stop-1`` (``stop`` defaults to the frame count) without usable
        labels."""
        if stop is None:
            if self.frame_count is None:
                raise ValueError("the store does not know the frame count: give stop")
            stop = self.frame_count
        return [i for i in range(start, stop) if not self.has(i)]

    # --- checks ----------------------------------------------------------------------------

    def _encode(self, index: int, labels: np.ndarray) -> bytes:
        labels = np.asarray(labels)
        if labels.ndim != 2 or labels.dtype != np.uint8:
            raise ValueError(
                f"frame {index}: labels must be an HxW uint8 map, got {labels.dtype} {labels.shape}"
            )
        if self.frame_count is not None and not 0 <= int(index) < self.frame_count:
            raise IndexError(f"frame {index} is outside 0..{self.frame_count - 1}")
        with self._lock:
            if self.size is None:
                self.size = labels.shape
                self._save_meta()
        if labels.shape != self.size:
            raise ValueError(
                f"frame {index}: labels are {labels.shape[1]}x{labels.shape[0]}, "
                f"the video is {self.size[1]}x{self.size[0]}"
            )
        ok, buf = cv2.imencode(".png", np.ascontiguousarray(labels))
        if not ok:
            raise OSError(f"could not encode the labels of frame {index} as PNG")
        return buf.tobytes()

    def _check(self, index: int, path: Path) -> str | None:
        """Why the frame's PNG is unusable, or None if it looks whole and fits (a missing file
        is not a problem, just missing)."""
        try:
            with open(path, "rb") as fh:
                head = fh.read(26)
                fh.seek(0, os.SEEK_END)
                if fh.tell() < len(head) + len(_PNG_END):
                    return self._report(index, f"{path}: cut short ({fh.tell()} bytes)")
                fh.seek(-len(_PNG_END), os.SEEK_END)
                tail = fh.read()
        except FileNotFoundError:
            return "missing"
        except OSError as exc:
            return self._report(index, f"{path}: cannot be read ({exc.strerror or exc})")
        if not head.startswith(_PNG_SIGNATURE) or head[12:16] != b"IHDR":
            return self._report(index, f"{path}: not a PNG file")
        width, height, depth, colour = struct.unpack(">IIBB", head[16:26])
        if depth != 8 or colour != 0:
            return self._report(index, f"{path}: not an 8-bit single-channel label map")
        if self.size is not None and (height, width) != self.size:
            return self._report(
                index, f"{path}: {width}x{height}, the video is {self.size[1]}x{self.size[0]}"
            )
        if tail != _PNG_END:
            return self._report(index, f"{path}: cut short (no PNG end marker)")
        return None

    def _report(self, index: int, message: str) -> str:
        with self._lock:
            if self._problems.get(index) != message:
                self._problems[index] = message
                log.warning("label PNG ignored: %s", message)
        return message
