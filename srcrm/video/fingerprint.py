"""Which video a folder of frame labels belongs to, told by content, not by name or size.

Two clips of one camera share their frame size, and often their length; a rerun into the same
folder must not take one's labels for the other's. A fingerprint is the file's size and the
SHA-256 of its first and last mebibyte: reading 2 MiB costs milliseconds, any re-encode or
another take changes it, and a renamed or moved copy keeps it.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

SAMPLE_BYTES = 1 << 20  # from each end


def fingerprint(path: str | os.PathLike) -> dict:
    """``{"name", "bytes", "sha256"}`` of a video file (the name is for messages only)."""
    path = Path(path)
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        digest.update(fh.read(SAMPLE_BYTES))
        if size > SAMPLE_BYTES:
            fh.seek(max(size - SAMPLE_BYTES, SAMPLE_BYTES))
            digest.update(fh.read(SAMPLE_BYTES))
    return {"name": path.name, "bytes": size, "sha256": digest.hexdigest()}


def same_video(a: dict, b: dict) -> bool:
    """Whether two fingerprints are of the same content (names may differ)."""
    return (a.get("bytes"), a.get("sha256")) == (b.get("bytes"), b.get("sha256"))
