"""Name order as people expect it: the numbers inside names compare by value (``f2`` < ``f10``),
so frame folders and image lists come out in sequence."""

from __future__ import annotations

import re


def natural_key(name: str) -> list:
    """Sort key for a file name: digit runs as integers, the rest case-folded."""
    return [int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", name)]
