"""Frame-exact positioning in a video file with OpenCV.

``cv2.VideoCapture`` seeks by timestamp (``CAP_PROP_POS_FRAMES`` is turned into a time using
the nominal frame rate), so with some codecs and containers (B-frames, edit lists, variable
frame rate, a broken index) a seek lands a few frames off and says nothing. Here a frame's
index is what sequential decoding from the start gives it, and every seek is checked: the
frame it lands on is identified by its timestamp, either one recorded while decoding in
sequence or, while every timestamp seen so far sits on the regular grid ``first + k / fps``,
by the grid. A landing that cannot be identified, or lies past the target, is not trusted:
decoding restarts from the beginning (slow, but right). Sequential reads never seek.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path

import cv2
import numpy as np

FORWARD_GRAB_LIMIT = 30  # frames to decode forward before a seek is cheaper


class EndOfVideo(Exception):
    """Decoding stopped before the frame asked for; ``end`` is the first frame that could not
    be decoded, so the video really holds ``end`` frames."""

    def __init__(self, end: int):
        super().__init__(end)
        self.end = end


class Timeline:
    """What decoding has shown about a file's timestamps, shared by all cursors on it."""

    def __init__(self, frame_count: int, fps: float):
        self.interval_ms = 1000.0 / fps
        self._pts = np.full(max(frame_count, 1), np.nan)  # ms, by frame index
        self._regular = True  # every recorded timestamp lies on the grid
        self._lock = threading.Lock()

    def record(self, index: int, msec: float) -> None:
        with self._lock:
            if index >= len(self._pts):  # more frames than the container said
                self._pts = np.concatenate([self._pts, np.full(len(self._pts), np.nan)])
            self._pts[index] = msec
            off_grid = abs(msec - self._pts[0] - index * self.interval_ms) > self.interval_ms / 2
            if off_grid:  # (False while frame 0 is unknown: NaN compares False)
                self._regular = False

    def index_of(self, msec: float) -> int | None:
        """The index of the frame with this timestamp, or None when it cannot be told."""
        tolerance = self.interval_ms / 4
        with self._lock:
            seen = np.flatnonzero(np.abs(self._pts - msec) < tolerance)
            if len(seen) == 1:
                return int(seen[0])
            first = self._pts[0]
            if len(seen) or not self._regular or math.isnan(first):
                return None
            k = round((msec - first) / self.interval_ms)
            on_grid = abs(msec - first - k * self.interval_ms) < tolerance
            unseen = k >= len(self._pts) or math.isnan(self._pts[k])
            return k if k >= 0 and on_grid and unseen else None


class Cursor:
    """One decoder over a video file that can deliver any frame by index, exactly.

    Not thread-safe: each thread needs its own cursor (they may share the timeline).
    """

    def __init__(self, path: Path, timeline: Timeline):
        self.path = path
        self.timeline = timeline
        self.seeks_verified = True  # False once a seek landed somewhere it should not have
        self._cap: cv2.VideoCapture | None = None
        self._restart()

    def _restart(self) -> cv2.VideoCapture:
        """Reopen the file: the one position that is always known exactly is the start."""
        self.close()
        self._cap = cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        self._next = 0  # index of the frame the next grab() decodes
        self._held: int | None = None  # index of the grabbed, not yet retrieved frame
        return cap

    def _capture(self) -> cv2.VideoCapture:
        """The open decoder; a closed cursor opens again, at the start."""
        return self._cap if self._cap is not None else self._restart()

    def read(self, index: int) -> np.ndarray:
        """Frame ``index`` as BGR. Raises :class:`EndOfVideo` when the file ends before it,
        and ValueError when that frame is there but cannot be converted to an image."""
        if self._cap is None:  # closed: open again
            self._restart()
        if self._held != index:
            if not self._next <= index <= self._next + FORWARD_GRAB_LIMIT:
                self._seek(index)
            while self._held != index:
                self._grab()
        ok, frame = self._capture().retrieve()
        if not ok or frame is None:
            raise ValueError(f"frame {index} cannot be decoded (damaged data)")
        return frame

    def count_frames(self) -> int:
        """Decode from here to the end; the number of frames in the file."""
        try:
            while True:
                self._grab()
        except EndOfVideo as end:
            return end.end

    def _grab(self) -> None:
        cap = self._capture()
        if not cap.grab():
            raise EndOfVideo(self._next)
        self.timeline.record(self._next, cap.get(cv2.CAP_PROP_POS_MSEC))
        self._held = self._next
        self._next += 1

    def _seek(self, index: int) -> None:
        """Get to a known position at or before ``index``, by a checked seek or a restart."""
        if not self.seeks_verified and index > self._next:
            return  # this file's seeks mislead: decode forward from here instead
        if index > 0:
            cap = self._capture()
            cap.set(cv2.CAP_PROP_POS_FRAMES, index)
            if cap.grab():
                landed = self.timeline.index_of(cap.get(cv2.CAP_PROP_POS_MSEC))
                if landed is not None and landed <= index:
                    self._held, self._next = landed, landed + 1
                    return
                self.seeks_verified = False  # it landed somewhere it cannot vouch for
        self._restart()

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
