"""Limits on what an input may declare before anything is allocated for it.

A 2.6 MB PNG can declare 30000x30000 pixels, and a 267-byte labelme file 16384x16384: decoding
first and checking after would take gigabytes. Every reader checks the declared size here first.
The limit can be raised for genuinely large images with the ``SRCRM_MAX_PIXELS`` environment
variable.
"""

from __future__ import annotations

import os
from numbers import Integral

DEFAULT_MAX_PIXELS = 20_000 * 20_000 // 2  # 200 megapixels: a 16K panorama fits, a bomb does not


class ImageTooLarge(ValueError):
    """The input declares more pixels than the limit allows."""


def max_pixels() -> int:
    """The pixel limit in force: ``SRCRM_MAX_PIXELS`` if set, else :data:`DEFAULT_MAX_PIXELS`."""
    value = os.environ.get("SRCRM_MAX_PIXELS", "")
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_MAX_PIXELS


def check_image_size(width: int, height: int, what: str = "image") -> None:
    """Raise :class:`ImageTooLarge` unless ``width`` x ``height`` is a sane, allowed size."""
    if not all(isinstance(v, Integral) and not isinstance(v, bool) for v in (width, height)):
        # JSON's true is a Python int: it must not pass as a 1-pixel size ("TruexTrue")
        raise ImageTooLarge(f"{what} declares a size that is not whole numbers: {width!r} x {height!r}")
    if width <= 0 or height <= 0:
        raise ImageTooLarge(f"{what} declares an empty size {width}x{height}")
    limit = max_pixels()
    if width * height > limit:
        raise ImageTooLarge(
            f"{what} declares {width}x{height} pixels, over the limit of {limit:,} "
            f"(raise it with SRCRM_MAX_PIXELS if the image is genuine)"
        )


MAX_CLASSES = 255  # label maps are 8-bit PNGs: ids 0..254, and 255 left for "unlabelled"
MAX_CHANNELS = 4096  # per layer; the shipped models use 64..512, a larger ask is a broken file


def check_class_count(count: int, what: str = "the label set") -> None:
    """Raise ValueError when ``count`` classes cannot be stored in 8-bit label maps."""
    if count > MAX_CLASSES:
        raise ValueError(
            f"{what} has {count} classes; label maps are 8-bit, so at most "
            f"{MAX_CLASSES} classes are supported"
        )


def check_channels(count: int, what: str) -> None:
    """Raise ValueError for a layer width that is not a sane positive size (checked before
    a network is built: a config asking for 200000 channels would need terabytes)."""
    if not isinstance(count, int) or isinstance(count, bool) or not 0 < count <= MAX_CHANNELS:
        raise ValueError(f"{what} is {count!r}; it must be a whole number from 1 to {MAX_CHANNELS}")
