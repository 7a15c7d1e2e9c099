"""Shared pieces of the video-mode tests: a small synthetic clip, its frames as an independent
sequential decode sees them, a batch predictor stub, and waits."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
from app_test_helpers import FakePredictor

FRAMES, H, W, FPS = 48, 64, 96, 15
SQUARE = 16  # a bright square moves one pixel right per frame


def square_box(k: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the moving square in frame ``k``."""
    return 8 + k, 24, 8 + k + SQUARE, 24 + SQUARE


def synthetic_frames(n: int = FRAMES) -> list[np.ndarray]:
    """RGB frames: a texture (something for optical flow to hold on to), the moving square,
    and the frame index written in the corner."""
    yy, xx = np.mgrid[0:H, 0:W]
    texture = np.dstack(
        [(xx * 5 + yy * 2) % 200, (yy * 7) % 180 + 20, ((xx // 8 + yy // 8) % 2) * 90 + 40]
    ).astype(np.uint8)
    frames = []
    for k in range(n):
        f = texture.copy()
        x0, y0, x1, y1 = square_box(k)
        f[y0:y1, x0:x1] = (255, 250, 210)
        cv2.putText(f, str(k), (2, H - 4), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1)
        frames.append(f)
    return frames


def write_clip(path: Path, n: int = FRAMES, fourcc: str = "mp4v") -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), FPS, (W, H))
    assert writer.isOpened()
    for f in synthetic_frames(n):
        writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def decode_all(path: Path) -> list[np.ndarray]:
    """Every frame of ``path`` in order, RGB, by plain sequential OpenCV reads: the reference
    the app's seeking must agree with."""
    cap = cv2.VideoCapture(str(path))
    out = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        out.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    cap.release()
    return out


class BatchPredictor(FakePredictor):
    """Labels by brightness (so the labels follow the moving square), in batches, off the GUI
    thread, optionally slowly; records which frames it saw by their mean."""

    def __init__(self, delay: float = 0.0):
        super().__init__()
        self.batch_delay = delay
        self.batches = 0
        self.frames_seen = 0

    def predict(self, image):
        grey = image.mean(axis=2)
        labels = np.full(grey.shape, 3, np.uint8)  # road
        labels[grey > 215] = 8  # car: the bright square (and the digits)
        labels[: image.shape[0] // 4] = 0  # sky
        return SimpleNamespace(labels=labels, confidence=np.ones(grey.shape, np.float32))

    def predict_batch(self, images):
        self.threads.append(threading.current_thread().name)
        self.batches += 1
        self.frames_seen += len(images)
        if self.batch_delay:
            time.sleep(self.batch_delay)
        return [self.predict(image) for image in images]


def wait_video_idle(qtbot, window, timeout: int = 30000) -> None:
    """Until no video task and no statistics run is going, and every frame is saved."""
    qtbot.waitUntil(
        lambda: window.videos.tasks.job is None and not window.videos.tasks.counting and window.saver.idle,
        timeout=timeout,
    )


def trigger_export(window, title: str) -> None:
    """Video > Export > the entry whose title starts with ``title``."""
    menu = window.menus.menu("video.export")
    next(a for a in menu.actions() if a.text().startswith(title)).trigger()
