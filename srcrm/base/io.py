"""Atomic file writes and image reading with clear errors.

Every file the project writes goes through :func:`atomic_write`: the data lands in a temporary
file in the same folder, is flushed to disk, then replaces the target with ``os.replace``. A
crash, a kill or a full disk at any moment leaves either the old file or the new one, never
half of one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import cv2
import numpy as np

from srcrm.base.image_header import HeaderError, declared_size
from srcrm.base.limits import ImageTooLarge, check_image_size
from srcrm.base.package_data import resource_dir

# Read once at import: os.umask can only be read by setting it, which is not thread-safe.
_UMASK = os.umask(0o022)
os.umask(_UMASK)
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
    """Open a temporary sibling of ``path`` for writing; on success it replaces ``path``. A
    failure to write (a full disk, a read-only folder) raises OSError naming ``path``, not the
    temporary file, and leaves ``path`` as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _naming(exc, path) from None
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        give_default_mode(tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.filename in (None, tmp):
            raise _naming(exc, path) from None
        raise


def _naming(exc: OSError, path: Path) -> OSError:
    """``exc`` about ``path``: what a person looks for is the output, not its temporary file."""
    return OSError(exc.errno, exc.strerror or str(exc), str(path))


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


def write_jpeg(path: str | os.PathLike, rgb: np.ndarray, quality: int = 95) -> None:
    """Write an RGB uint8 image as a JPEG atomically (converted to BGR in place: the array is
    the caller's to drop). JPEG holds at most 65,535 pixels a side; a larger image is an error
    that names the file."""
    try:
        ok, data = cv2.imencode(
            ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR, dst=rgb), [cv2.IMWRITE_JPEG_QUALITY, quality]
        )
    except cv2.error:
        ok = False
    if not ok:
        raise ValueError(f"{path}: cannot be encoded as JPEG ({rgb.shape[1]}x{rgb.shape[0]} pixels)")
    atomic_write_bytes(path, data.tobytes())


def unreadable_reason(exc: OSError) -> str:
    """Why a file could not be opened, in the words of an ``error:`` line."""
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if exc.errno == errno.ELOOP:
        return "a symbolic link loop, not a file"
    if isinstance(exc, IsADirectoryError):
        return "a folder, not a file"
    return f"cannot be read ({exc.strerror or exc})"


def read_checked(path: Path) -> bytes:
    """The bytes of an image file whose header declares a size within
    :func:`srcrm.base.limits.max_pixels`, checked before anything is decoded; the format is told by
    the content, not the name (:mod:`srcrm.base.image_header`). :class:`ImageReadError` says why
    not: missing, unreadable, a format no reader here knows, or too large."""
    try:
        with open(path, "rb") as fh:
            try:
                size = declared_size(fh)
            except HeaderError as exc:
                raise ImageReadError(f"{path}: not a readable image ({exc})") from None
            if size is None:
                raise ImageReadError(f"{path}: not a readable image (corrupt or unsupported format)")
            try:
                check_image_size(*size, "the image")
            except ImageTooLarge as exc:
                raise ImageReadError(f"{path}: refused: {exc}") from None
            return fh.read()
    except OSError as exc:
        raise ImageReadError(f"{path}: {unreadable_reason(exc)}") from None


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as an RGB uint8 array, or raise :class:`ImageReadError` saying why
    (see :func:`read_checked`)."""
    path = Path(path)
    data = np.frombuffer(read_checked(path), np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise ImageReadError(f"{path}: not a readable image (corrupt or unsupported format)")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB, dst=image)  # in place: no second copy


def displayed_size(path: str | os.PathLike) -> tuple[int, int]:
    """(height, width) of an image as :func:`read_image` returns it, found the way it reads
    it: decoded, and turned by its EXIF orientation as OpenCV turns it. This is the one rule
    for every reader that needs an image's size: labels made for the image as shown must
    match the image as read. A header's size and orientation tag are read differently by
    each library and version (Pillow 13 reports a TIFF's size already turned, so turning it
    again swapped width and height); the decoder's answer cannot differ from itself."""
    height, width = read_image(path).shape[:2]
    return height, width


def read_label_png(path: str | os.PathLike) -> np.ndarray:
    """Read a single-channel label PNG of class ids as uint8 (HxW)."""
    path = Path(path)
    data = np.frombuffer(read_checked(path), np.uint8)
    labels = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if labels is None:
        raise ImageReadError(f"{path}: not a readable label PNG")
    if labels.ndim != 2:
        raise ImageReadError(f"{path}: a label map must have one channel, found {labels.shape[2]}")
    if labels.dtype != np.uint8:  # a 16-bit PNG: 300 must not wrap around to class 44
        if labels.dtype.kind not in "ui":
            raise ImageReadError(f"{path}: a label map holds class ids 0..255, not {labels.dtype} values")
        low, top = int(labels.min(initial=0)), int(labels.max(initial=0))
        if low < 0 or top > 255:
            raise ImageReadError(
                f"{path}: value {top if top > 255 else low} does not fit a label map (0..255)"
            )
        labels = labels.astype(np.uint8)
    return labels
