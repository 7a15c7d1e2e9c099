"""Atomic file writes and image reading with clear errors.

Every file the project writes goes through :func:`atomic_write`: the data lands in a temporary
file in the same folder, is flushed to disk, then replaces the target with ``os.replace``. A
crash, a kill or a full disk at any moment leaves either the old file or the new one, never
half of one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from srcrm.limits import ImageTooLarge, check_image_size
from srcrm.package_data import resource_dir

# Read once at import: os.umask can only be read by setting it, which is not thread-safe.
_UMASK = os.umask(0o022)
os.umask(_UMASK)
_PIL_LIMIT_LOCK = threading.Lock()
BUNDLED_MODEL_DIR = resource_dir() / "models"


class ImageReadError(ValueError):
    """An image file is missing, unreadable or not an image."""


def give_default_mode(path: str | os.PathLike) -> None:
    """Give a file made by ``mkstemp`` (mode 0600) the mode any other new file gets."""
    os.chmod(path, 0o666 & ~_UMASK)


def refuse_bundled_output(path: str | os.PathLike) -> None:
    """Raise ValueError when ``path`` lies in the bundled model's folder: writing there would
    damage the model every run without ``--checkpoint`` uses."""
    target = Path(os.path.realpath(path))  # unlike Path.resolve, no error on a symlink loop
    if target == BUNDLED_MODEL_DIR or BUNDLED_MODEL_DIR in target.parents:
        raise ValueError(
            f"{path}: refused: this is the bundled model's folder "
            f"({BUNDLED_MODEL_DIR}); choose another output"
        )


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary sibling of ``path`` for writing; on success it replaces ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        give_default_mode(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_write(path, "wb") as fh:
        fh.write(data)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_write(path, "w") as fh:
        fh.write(text)


def write_png(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write a lossless PNG atomically. 3-channel arrays are taken as RGB."""
    if array.ndim == 3 and array.shape[2] == 3:
        array = cv2.cvtColor(array, cv2.COLOR_RGB2BGR)
    elif array.ndim == 3 and array.shape[2] == 4:
        array = cv2.cvtColor(array, cv2.COLOR_RGBA2BGRA)
    ok, buf = cv2.imencode(".png", np.ascontiguousarray(array))
    if not ok:
        raise OSError(f"could not encode PNG for {path}")
    atomic_write_bytes(path, buf.tobytes())


def check_declared_size(path: Path) -> None:
    """Read only the image's header and raise :class:`ImageReadError` when the size it declares
    is over :func:`srcrm.limits.max_pixels`, before anything is decoded or allocated. Formats
    Pillow cannot identify are left to the decoder."""
    with _PIL_LIMIT_LOCK:
        # Pillow's own bomb check is lower than ours and not configurable per call; it is
        # lifted for this header read only, and ours applies instead.
        saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            with Image.open(path) as im:
                width, height = im.size
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            return
        finally:
            Image.MAX_IMAGE_PIXELS = saved
    try:
        check_image_size(width, height, "the image")
    except ImageTooLarge as exc:
        raise ImageReadError(f"{path}: refused: {exc}") from None


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as an RGB uint8 array, or raise :class:`ImageReadError` saying why
    (including an image that declares more pixels than the limit)."""
    path = Path(path)
    if not path.is_file():
        raise ImageReadError(f"{path}: no such file")
    check_declared_size(path)
    data = np.fromfile(path, dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise ImageReadError(f"{path}: not a readable image (corrupt or unsupported format)")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


# EXIF orientations 5..8 turn the image a quarter: width and height swap.
_QUARTER_TURNS = (5, 6, 7, 8)


def displayed_size(path: str | os.PathLike) -> tuple[int, int]:
    """(height, width) of an image as :func:`read_image` returns it, EXIF orientation applied
    (OpenCV rotates by it, and so do viewers), from the header alone. This is the one rule
    for every reader that needs an image's size without its pixels: labels made for the
    image as shown must match the image as read."""
    path = Path(path)
    try:
        with Image.open(path) as im:
            width, height = im.size
            turned = im.getexif().get(0x0112) in _QUARTER_TURNS
    except (Image.DecompressionBombError, UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageReadError(f"{path}: not a readable image ({exc})") from None
    try:
        check_image_size(width, height, "the image")
    except ImageTooLarge as exc:
        raise ImageReadError(f"{path}: refused: {exc}") from None
    return (width, height) if turned else (height, width)


def read_label_png(path: str | os.PathLike) -> np.ndarray:
    """Read a single-channel label PNG of class ids as uint8 (HxW)."""
    path = Path(path)
    if path.is_file():
        check_declared_size(path)
    data = np.fromfile(path, dtype=np.uint8) if path.is_file() else np.empty(0, np.uint8)
    labels = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if labels is None:
        raise ImageReadError(f"{path}: not a readable label PNG")
    if labels.ndim != 2:
        raise ImageReadError(f"{path}: a label map must have one channel, found {labels.shape[2]}")
    return labels
