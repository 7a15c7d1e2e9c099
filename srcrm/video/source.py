"""Frames of a video file or of a folder of images, by index, exactly.

A :class:`FrameSource` gives frame ``i`` as an HxWx3 RGB uint8 array, the same frame that
decoding the file from its start would give as the ``i``-th (zero-based). ``read`` is for
random access (scrubbing, seeking) and keeps a few recent frames; ``frames`` is the fast
sequential path for pre-labelling and export, with its own decoder so it can run in another
thread while ``read`` serves the user.

A container's frame count can be wrong (a truncated or damaged file). The true end is found
when decoding reaches it, and ``frame_count`` shrinks to the frames that really are there:
``read`` past it fails with a :class:`VideoReadError` that says so, while ``frames`` simply
ends there (and skips a frame that is present but cannot be decoded, noting it in
``damaged``), so that a long job labels everything that decodes and finishes. A header can also
claim fewer frames than the file holds; :meth:`FrameSource.find_end` decodes past the claimed
end, so a job that runs to the end labels those too.
"""

from __future__ import annotations

import math
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from srcrm.base.io import ImageReadError, read_image
from srcrm.base.natural_sort import natural_key
from srcrm.base.suffixes import IMAGE_SUFFIXES
from srcrm.video.seeking import Cursor, EndOfVideo, Timeline

VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mkv", ".mov", ".m4v", ".webm"})
DEFAULT_FPS = 25.0  # for image folders, and videos that do not say
CACHE_BYTES = 96 * 1024 * 1024
CACHE_FRAMES = 8
MERGE_GAP = 30  # unwanted frames in a gap this short are decoded through rather than seeked over


class VideoReadError(ValueError):
    """A video or image sequence cannot be opened, or one of its frames cannot be decoded."""


def open_source(path: str | os.PathLike, fps: float | None = None) -> FrameSource:
    """A video file, or a folder of images taken as frames in natural order (``f2`` before
    ``f10``). ``fps`` overrides the frame rate (an image folder has none of its own)."""
    path = Path(path)
    if path.is_dir():
        return ImageSequenceSource(path, fps or DEFAULT_FPS)
    if not path.is_file():
        raise VideoReadError(f"{path}: no such file or folder")
    return VideoFileSource(path, fps)


class FrameSource:
    """Frames by index; subclasses decode. Safe to ``read`` from several threads."""

    path: Path
    name: str
    frame_count: int
    fps: float
    height: int
    width: int

    def __init__(self, path: Path, name: str):
        self.path = path
        self.name = name
        self.damaged: dict[int, str] = {}  # frames that ``frames`` skipped, and why
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def read(self, index: int) -> np.ndarray:
        """Frame ``index`` (a fresh array the caller may change)."""
        index = int(index)
        if not 0 <= index < self.frame_count:
            raise IndexError(f"{self.name}: frame {index} is outside 0..{self.frame_count - 1}")
        with self._lock:
            frame = self._cache.get(index)
            if frame is None:
                frame = self._decode(index)
                self._cache[index] = frame
                capacity = max(2, min(CACHE_FRAMES, CACHE_BYTES // max(frame.nbytes, 1)))
                while len(self._cache) > capacity:
                    self._cache.popitem(last=False)
            self._cache.move_to_end(index)
            return frame.copy()

    @property
    def truncated(self) -> bool:
        """Whether the true end turned out to come before the frame count the file claims."""
        return False

    @property
    def longer(self) -> bool:
        """Whether the file turned out to hold more frames than it claims."""
        return False

    def find_end(self) -> None:
        """Make ``frame_count`` the true end where the container's count can be wrong (a
        folder of images knows its count)."""

    def frames(self, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """``(index, frame)`` for ``start <= index < stop``, decoded in sequence. Ends early at
        the true end of a truncated file; a frame that cannot be decoded is left out and
        recorded in :attr:`damaged`."""
        stop = self.frame_count if stop is None else min(stop, self.frame_count)
        if start < 0:
            raise ValueError(f"start must not be negative, got {start}")
        return self._sequential(start, stop)

    def _decode(self, index: int) -> np.ndarray:
        raise NotImplementedError

    def _sequential(self, start: int, stop: int) -> Iterator[tuple[int, np.ndarray]]:
        raise NotImplementedError

    def _checked(self, frame: np.ndarray, index: int) -> np.ndarray:
        if frame.shape[:2] != (self.height, self.width):
            raise VideoReadError(
                f"{self._file(index)}: frame {index} is {frame.shape[1]}x"
                f"{frame.shape[0]}, the first frame is {self.width}x{self.height}"
            )
        return frame

    def _file(self, index: int) -> Path:
        """The file that holds frame ``index``, for messages."""
        return self.path

    def close(self) -> None:
        self._cache.clear()

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({str(self.path)!r}, {self.frame_count} frames, "
            f"{self.width}x{self.height}, {self.fps:g} fps)"
        )


class VideoFileSource(FrameSource):
    """A video file decoded with OpenCV (FFmpeg)."""

    def __init__(self, path: str | os.PathLike, fps: float | None = None):
        path = Path(path)
        super().__init__(path, path.stem)
        cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
        if not cap.isOpened():
            raise VideoReadError(
                f"{path}: not a readable video (corrupt, truncated, or a format FFmpeg does not know)"
            )
        claimed = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        nominal = cap.get(cv2.CAP_PROP_FPS)
        cap.release()
        known = math.isfinite(nominal) and 0 < nominal < 1000
        self.fps = fps or (nominal if known else DEFAULT_FPS)
        self.claimed_frame_count = claimed
        self._timeline = Timeline(claimed, self.fps)
        self._cursor = Cursor(path, self._timeline)
        try:
            first = self._cursor.read(0)
        except (EndOfVideo, ValueError):
            self._cursor.close()
            raise VideoReadError(f"{path}: no frame can be decoded (corrupt or truncated file)") from None
        self.height, self.width = first.shape[:2]
        self.frame_count = claimed if claimed > 0 else self._count_frames()

    @property
    def seeks_verified(self) -> bool:
        """False once a seek in this file landed after its target: random access then
        decodes forward from known positions instead (right, but slower)."""
        return self._cursor.seeks_verified

    def _count_frames(self) -> int:
        """Decode to the end, for containers that do not say how many frames they hold."""
        cursor = Cursor(self.path, self._timeline)
        try:
            return cursor.count_frames()
        finally:
            cursor.close()

    def _decode(self, index: int) -> np.ndarray:
        return self._converted(self._cursor, index)

    @property
    def truncated(self) -> bool:
        return self.frame_count < self.claimed_frame_count

    @property
    def longer(self) -> bool:
        return self.frame_count > self.claimed_frame_count

    def find_end(self) -> None:
        """Decode from the last frame the header claims on to the true end: frames past the
        claim are counted in, and a file that ends earlier gets ``frame_count`` cut. Costs a
        seek and the frames from the keyframe before it (a decode from the start where this
        file's seeks cannot be trusted, which also happens for a truncated file)."""
        cursor = Cursor(self.path, self._timeline)
        try:
            try:
                cursor.read(max(self.frame_count - 1, 0))
            except EndOfVideo as end:
                self.frame_count = min(self.frame_count, end.end)
                return
            except ValueError:
                pass  # that frame is damaged: the ones after it may not be
            self.frame_count = max(self.frame_count, cursor.count_frames())
        finally:
            cursor.close()

    def _sequential(self, start: int, stop: int) -> Iterator[tuple[int, np.ndarray]]:
        cursor = Cursor(self.path, self._timeline)
        try:
            for index in range(start, stop):
                try:
                    bgr = cursor.read(index)
                except EndOfVideo as end:
                    self.frame_count = min(self.frame_count, end.end)
                    return
                except ValueError as exc:
                    self.damaged[index] = f"{self.path}: {exc}"
                    continue
                yield index, self._checked(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), index)
        finally:
            cursor.close()

    def _converted(self, cursor: Cursor, index: int) -> np.ndarray:
        try:
            bgr = cursor.read(index)
        except EndOfVideo as end:
            raise self._ended(index, end.end) from None
        except ValueError as exc:
            raise VideoReadError(f"{self.path}: {exc}") from None
        return self._checked(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), index)

    def _ended(self, index: int, end: int) -> VideoReadError:
        """The error for a read past the true end, which is now known: ``frame_count`` is
        corrected so that later reads stay inside."""
        self.frame_count = min(self.frame_count, end)
        return VideoReadError(
            f"{self.path}: frame {index} cannot be decoded: the video ends after frame {end - 1} "
            f"although its header says {self.claimed_frame_count} frames (truncated or damaged "
            "file)"
        )

    def close(self) -> None:
        super().close()
        self._cursor.close()


class ImageSequenceSource(FrameSource):
    """A folder of images as frames, in natural sort order; all must be the same size."""

    def __init__(self, folder: str | os.PathLike, fps: float = DEFAULT_FPS):
        folder = Path(folder)
        super().__init__(folder, folder.name)
        self.files = sorted(
            (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES),
            key=lambda p: natural_key(p.name),
        )
        if not self.files:
            raise VideoReadError(f"{folder}: no images in this folder ({', '.join(IMAGE_SUFFIXES)})")
        self.fps = fps
        self.frame_count = len(self.files)
        self.height, self.width = self._load(0).shape[:2]

    def _load(self, index: int) -> np.ndarray:
        try:
            return read_image(self.files[index])
        except ImageReadError as exc:
            raise VideoReadError(f"frame {index}: {exc}") from None

    def _decode(self, index: int) -> np.ndarray:
        return self._checked(self._load(index), index)

    def _sequential(self, start: int, stop: int) -> Iterator[tuple[int, np.ndarray]]:
        for index in range(start, stop):
            try:
                frame = self._decode(index)
            except VideoReadError as exc:
                self.damaged[index] = str(exc)
                continue
            yield index, frame

    def _file(self, index: int) -> Path:
        return self.files[index]


def frames_at(source: FrameSource, indices: list[int]) -> Iterator[tuple[int, np.ndarray]]:
    """``(index, frame)`` for the given ascending indices, decoded in sequence: runs of them
    are read straight through, and the decoder seeks only over long gaps."""
    wanted = set(indices)
    for start, stop in _runs(indices):
        for index, frame in source.frames(start, stop):
            if index in wanted:
                yield index, frame


def _runs(indices: list[int]) -> Iterator[tuple[int, int]]:
    """``[start, stop)`` spans covering ``indices`` (ascending), joined across short gaps."""
    if not indices:
        return
    start = prev = indices[0]
    for i in indices[1:]:
        if i - prev > MERGE_GAP:
            yield start, prev + 1
            start = i
        prev = i
    yield start, prev + 1
