"""Numbers a person gives (command-line options, config fields), checked against the range that
makes sense before anything runs.

Out of range, a number does not fail where it is given: a learning rate of ``inf`` crashes the
process steps later, a feather of 1e9 pixels asks for 21 GB. So each config checks its numbers
when it is made, and the error names the option and the range: the command line turns it
into one ``error:`` line, the app into a notice.
"""

from __future__ import annotations

import math


def check_range(
    value, name: str, low: float, high: float, *, whole: bool = False, above: bool = False
) -> None:
    """Raise ValueError unless ``value`` is a finite number (``whole``: an int) from ``low``
    (``above``: greater than ``low``) to ``high``. ``name`` says what it is, e.g. ``"--lr"``."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if whole:
        number = number and isinstance(value, int)
    fits = number and math.isfinite(value) and (value > low if above else value >= low) and value <= high
    if not fits:
        kind = "a whole number" if whole else "a number"
        lowest = f"above {_show(low)} and at most" if above else f"from {_show(low)} to"
        raise ValueError(f"{name} must be {kind} {lowest} {_show(high)}, got {value!r}")


def _show(x: float) -> str:
    return f"{x:,}" if isinstance(x, int) else f"{x:g}"
