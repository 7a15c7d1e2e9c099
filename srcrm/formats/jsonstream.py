"""JSON objects written while they are made, so a file of a million shapes never exists in
memory as one document: the plain fields first, then one list whose items come one by one."""

from __future__ import annotations

import json
from typing import IO, Any


class StreamedJson:
    """Writes ``{...head, key: [item, ...], ...tail}`` to an open text file."""

    def __init__(self, fh: IO[str], head: dict[str, Any], key: str):
        self.fh, self.count = fh, 0
        fields = json.dumps(head)[1:-1]
        fh.write("{" + (fields + ", " if fields else "") + json.dumps(key) + ": [")

    def add(self, item: Any) -> None:
        self.add_encoded(json.dumps(item))

    def add_encoded(self, text: str) -> None:
        """An item already encoded as JSON (a template filled in: much faster than encoding a
        dict per item, for a million small shapes)."""
        self.fh.write((", " if self.count else "") + text)
        self.count += 1

    def close(self, tail: dict[str, Any] | None = None) -> None:
        fields = json.dumps(tail or {})[1:-1]
        self.fh.write("]" + (", " + fields if fields else "") + "}")
