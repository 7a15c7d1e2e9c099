"""Reading JSON that may be hostile: bounded size and nesting, one clear error.

Python's parser recurses once per nesting level, so a few kilobytes of ``[[[[...`` end in a
RecursionError, or, on a worker thread's smaller stack, in a crash. The nesting depth is
therefore measured on the raw bytes, with strings blanked out, before the parser sees them.
Every caller (format readers, the app's per-image and project files) gets the same checks.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

MAX_BYTES = 1 << 30  # 1 GiB: far above any annotation file, far below what breaks a machine
MAX_DEPTH = 64  # COCO, labelme and project files nest 5 or 6 levels deep

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


class JsonError(ValueError):
    """A JSON file that cannot be read, is too large or too deeply nested, or is not JSON.
    ``reason`` says why without the file's name (``path``, when there is a file)."""

    def __init__(self, reason: str, path: str | os.PathLike | None = None):
        self.reason, self.path = reason, path
        super().__init__(f"{path}: {reason}" if path is not None else reason)


def nesting_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in JSON text (0 for a bare value)."""
    if b"[" not in data and b"{" not in data:
        return 0
    code = np.frombuffer(_STRING.sub(b'""', data), np.uint8)
    step = np.isin(code, (ord("["), ord("{"))).astype(np.int64) - np.isin(code, (ord("]"), ord("}")))
    return int(np.cumsum(step).max(initial=0))


def loads(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON text after checking its nesting; :class:`JsonError` says what is wrong."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    depth = nesting_depth(raw)
    if depth > max_depth:
        raise JsonError(f"nested {depth} levels deep, more than the {max_depth} allowed")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f" at line {exc.lineno}, column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise JsonError(f"not valid JSON{where} (truncated or corrupt?)") from None
    except ValueError:  # Python refuses to convert integers of over 4,300 digits
        raise JsonError(
            f"holds an integer too long to read (over {sys.get_int_max_str_digits():,} digits)"
        ) from None
    except RecursionError:  # a nesting the byte scan missed (it cannot, but never crash)
        raise JsonError("nested too deeply to read") from None


def load_json(path: str | os.PathLike, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """Parse a JSON file no larger than ``max_bytes`` and nested no deeper than ``max_depth``;
    :class:`JsonError` names the file and says why it cannot be read."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise JsonError(f"{size:,} bytes, more than the {max_bytes:,} allowed", path)
        data = path.read_bytes()
    except OSError as exc:
        raise JsonError(f"cannot read the file ({exc.strerror or exc})", path) from None
    try:
        return loads(data, max_depth=max_depth)
    except JsonError as exc:
        raise JsonError(exc.reason, path) from None
