"""Small synthetic videos whose frames show their own index, so a test can tell which frame
came back: bit ``b`` of the index is a white bar in column band ``b``."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

BITS = 8
BAR = 16  # pixels per bit: wide enough to survive lossy codecs
HEIGHT, WIDTH = 64, BITS * BAR


def index_frame(index: int, height: int = HEIGHT, width: int = WIDTH) -> np.ndarray:
    """An RGB frame showing ``index`` as bars in its top half; the bottom half is grey."""
    frame = np.full((height, width, 3), 90, np.uint8)
    for b in range(BITS):
        frame[: height // 2, b * BAR : (b + 1) * BAR] = 255 if (index >> b) & 1 else 0
    return frame


def frame_index(frame: np.ndarray) -> int:
    """The index an :func:`index_frame` shows (after lossy coding)."""
    row = frame[frame.shape[0] // 4]
    return sum(1 << b for b in range(BITS) if row[b * BAR + BAR // 2].mean() > 128)


def write_video(path: Path, n: int, fourcc: str = "mp4v", fps: float = 15.0, make=index_frame) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (WIDTH, HEIGHT))
    assert writer.isOpened()
    for i in range(n):
        writer.write(cv2.cvtColor(make(i), cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def truncate(path: Path, keep: float) -> Path:
    data = path.read_bytes()
    out = path.with_name(f"cut_{path.name}")
    out.write_bytes(data[: int(len(data) * keep)])
    return out


def truncate_avi_inside_frame(path: Path, frame: int) -> Path:
    """``path`` (an MJPG AVI) cut half-way through frame ``frame``'s data, so exactly ``frame``
    frames decode whole, whatever header padding the writer put in front (OpenCV 5's AVI writer
    reserves about 5 KB that 4.x did not, so a cut at a share of the bytes moved)."""
    data = path.read_bytes()
    movi = data.index(b"movi")
    starts, at = [], movi
    while len(starts) <= frame:
        at = data.index(b"00dc", at + 4)
        starts.append(at)
    size = int.from_bytes(data[starts[frame] + 4 : starts[frame] + 8], "little")
    out = path.with_name(f"cut_{path.name}")
    out.write_bytes(data[: starts[frame] + 8 + size // 2])
    return out


class IndexPredictor:
    """A stand-in model for pipeline tests: labels every pixel with the frame's own index (mod
    256), so a stored map shows which frame it was made from. Counts the frames it saw."""

    def __init__(self):
        self.seen: list[int] = []

    def predict_batch(self, images):
        from srcrm.inference.predictor import Prediction

        out = []
        for image in images:
            index = frame_index(image)
            self.seen.append(index)
            labels = np.full(image.shape[:2], index % 256, np.uint8)
            out.append(Prediction(labels, np.ones(image.shape[:2], np.float32)))
        return out
