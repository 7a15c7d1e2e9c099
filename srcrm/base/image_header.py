"""The size an image file will decode to, read from its header, whatever its name says.

OpenCV picks its decoder by a file's first bytes, not by its extension, so the size must be
found the same way: Pillow identifies most formats by their content, and the three OpenCV also
decodes but Pillow does not know (Radiance HDR, PFM, PAM) have short text headers parsed here.
A Radiance HDR file named ``.png`` is therefore measured as what it is. A format that neither
recognises has no size to check, so it is not handed to a decoder at all.
"""

from __future__ import annotations

import re
import threading
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

HEADER_BYTES = 64 * 1024  # text headers longer than this are not images OpenCV writes
_PIL_LIMIT_LOCK = threading.Lock()


class HeaderError(ValueError):
    """The file starts like an image format but its header is malformed."""


def _radiance(head: bytes) -> tuple[int, int]:
    """Radiance HDR: text lines, a blank line, then ``-Y H +X W`` (or X first)."""
    _, blank, rest = head.partition(b"\n\n")
    found = re.match(rb"([-+])([XY]) (\d+) ([-+])([XY]) (\d+)\n", rest) if blank else None
    if found is None or found[2] == found[5]:
        raise HeaderError("Radiance HDR header without a resolution line")
    sizes = {found[2]: int(found[3]), found[5]: int(found[6])}
    return sizes[b"X"], sizes[b"Y"]


def _pfm(head: bytes) -> tuple[int, int]:
    """PFM: ``PF`` or ``Pf``, width, height, scale, separated by white space."""
    fields = head.split(maxsplit=3)
    if len(fields) < 4 or not (fields[1].isdigit() and fields[2].isdigit()):
        raise HeaderError("PFM header without a width and height")
    return int(fields[1]), int(fields[2])


def _pam(head: bytes) -> tuple[int, int]:
    """PAM: ``P7`` then ``KEY value`` lines up to ``ENDHDR``."""
    text, end, _ = head.partition(b"ENDHDR")
    values = dict(re.findall(rb"^(WIDTH|HEIGHT)[ \t]+(\d+)", text, re.MULTILINE))
    if not end or set(values) != {b"WIDTH", b"HEIGHT"}:
        raise HeaderError("PAM header without WIDTH and HEIGHT")
    return int(values[b"WIDTH"]), int(values[b"HEIGHT"])


# First bytes of the formats OpenCV decodes and Pillow cannot identify, and their parsers.
_TEXT_HEADERS = (
    ((b"#?RADIANCE", b"#?RGBE"), _radiance),
    ((b"PF\n", b"Pf\n", b"PF\r", b"Pf\r", b"PF ", b"Pf "), _pfm),
    ((b"P7\n", b"P7\r", b"P7 "), _pam),
)


def declared_size(fh: BinaryIO) -> tuple[int, int] | None:
    """``(width, height)`` that the file open as ``fh`` declares, or None when its format is
    not one known here. Raises :class:`HeaderError` for a malformed header of a known format.
    Leaves ``fh`` at its start."""
    head = fh.read(HEADER_BYTES)
    fh.seek(0)
    for magics, parse in _TEXT_HEADERS:
        if head.startswith(magics):
            return parse(head.replace(b"\r\n", b"\n"))
    with _PIL_LIMIT_LOCK:
        # Pillow's own bomb check is lower than ours and not configurable per call; it is
        # lifted for this header read only, and the caller's limit applies instead.
        saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            with Image.open(fh) as im:
                return im.size
        except (UnidentifiedImageError, ValueError, SyntaxError, EOFError):
            return None
        except OSError as exc:
            if exc.errno is not None:  # the disk, not the format: the caller reports it
                raise
            return None  # Pillow's complaint about a header it could not parse
        finally:
            Image.MAX_IMAGE_PIXELS = saved
            fh.seek(0)
