"""The one error every reader raises, so callers can report it and go on with other files."""

from __future__ import annotations

import os
from pathlib import Path


class FormatError(ValueError):
    """A file that is not what its format says, or whose content does not fit the class list.

    The message names the file and, where one shape is to blame, that shape (its number in
    the file and its label), so a person can find and fix it.
    """

    def __init__(self, path: str | os.PathLike, reason: str, shape: str | None = None):
        self.path = Path(path)
        self.reason = reason
        self.shape = shape
        where = f"{self.path}: {shape}" if shape else str(self.path)
        super().__init__(f"{where}: {reason}")


def quoted(value: object, limit: int = 60) -> str:
    """``repr(value)`` for a message, cut in the middle when long: a hostile file's names and
    ids can be megabytes, and an error is one line."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit // 2]}...{text[-limit // 2 :]}"
