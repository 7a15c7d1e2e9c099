"""Where a command may write: never over what it reads.

Every command that writes passes its outputs and its inputs through :func:`refuse_aliasing`
before it writes anything. Two paths are the same file when they resolve to one (symbolic
links, ``..`` and a second name followed; ``realpath`` does not fail on a loop) or, for files
that exist, when they are one inode (hard links, case-insensitive disks). An output is refused
when it is an input file, or a file directly in an input folder (one whose files the command
reads, such as ``predict``'s image folders or fine-tuning's ``labels/``), where it would be
read back as an input next time; and two outputs may not be one file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable


def _identity(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


class _Known:
    """Paths looked up by their real path or their inode."""

    def __init__(self) -> None:
        self._by_key: dict[object, str] = {}

    def add(self, path: str | os.PathLike) -> None:
        for key in self._keys(path):
            self._by_key.setdefault(key, str(path))

    def find(self, path: str | os.PathLike) -> str | None:
        return next((self._by_key[k] for k in self._keys(path) if k in self._by_key), None)

    @staticmethod
    def _keys(path: str | os.PathLike) -> list[object]:
        identity = _identity(os.fspath(path))
        return [os.path.realpath(path)] + ([identity] if identity else [])


def refuse_aliasing(
    outputs: Iterable[str | os.PathLike | None], inputs: Iterable[str | os.PathLike | None]
) -> None:
    """Raise ValueError, naming the output and what it would overwrite, when an output would
    replace an input, land among the files of an input folder, or be another output too.
    ``None`` entries (options not given) are skipped."""
    files, folders, written = _Known(), _Known(), _Known()
    for item in (path for path in inputs if path):  # filter(None, ...) loses the type
        (folders if os.path.isdir(item) else files).add(item)
    for out in (path for path in outputs if path):
        if (source := files.find(out)) is not None:
            raise ValueError(
                f"{out}: refused: this output would overwrite the input {source}; choose another output"
            )
        folder = folders.find(os.path.dirname(os.path.abspath(out)))
        if folder is not None and os.path.lexists(out):
            source = os.path.join(folder, os.path.basename(out))
            raise ValueError(
                f"{out}: refused: this output would overwrite the input {source}; choose another output"
            )
        if folder is not None:
            raise ValueError(
                f"{out}: refused: this output would be written among the inputs in {folder}; "
                f"choose another output"
            )
        if (twin := written.find(out)) is not None:
            raise ValueError(f"{out}: refused: {twin} and {out} are one file; give two different outputs")
        written.add(out)
