"""Limits on what an input may declare before anything is allocated for it.

A 2.6 MB PNG can declare 30000x30000 pixels, and a 267-byte labelme file 16384x16384: decoding
first and checking after would take gigabytes. Every reader checks the declared size here first.
The limit can be raised for genuinely large images with the ``SRCRM_MAX_PIXELS`` environment
variable.
"""

from __future__ import annotations

import os

DEFAULT_MAX_PIXELS = 20_000 * 20_000 // 2  # 200 megapixels: a 16K panorama fits, a bomb does not


class ImageTooLarge(ValueError):
    """The input declares more pixels than the limit allows."""


def max_pixels() -> int:
    """The pixel limit in force: ``SRCRM_MAX_PIXELS`` if set, else :data:`DEFAULT_MAX_PIXELS`."""
    value = os.environ.get("SRCRM_MAX_PIXELS", "")
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_MAX_PIXELS


def check_image_size(width: int, height: int, what: str = "image") -> None:
    """Raise :class:`ImageTooLarge` unless ``width`` x ``height`` is a sane, allowed size."""
    if width <= 0 or height <= 0:
        raise ImageTooLarge(f"{what} declares an empty size {width}x{height}")
    limit = max_pixels()
    if width * height > limit:
        raise ImageTooLarge(
            f"{what} declares {width}x{height} pixels, over the limit of {limit:,} "
            f"(raise it with SRCRM_MAX_PIXELS if the image is genuine)")
