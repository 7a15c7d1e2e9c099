"""``make typecheck``: mypy as pyproject.toml configures it, each file held to its allowance.

The engine (``srcrm/``) and the app's Qt-free layers (``STRICT``) may have no error at all;
any other file at most the count ``mypy_baseline.txt`` allows it, a file not listed none. A
count may only go down: when one did, ``--update`` writes the smaller counts back (and
refuses while any count is too high). To check another package, add it to ``files`` in
``[tool.mypy]`` and to ``STRICT`` or the baseline."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BASELINE = Path(__file__).with_name("mypy_baseline.txt")
STRICT = ("srcrm/", "app/document/", "app/session/", "app/jobs/")
_ERROR = re.compile(r"^(?P<file>[^:\s]+\.py):\d+(?::\d+)?: error: ")


def error_counts(output: str) -> Counter[str]:
    """Errors per file in mypy's output (notes are not errors)."""
    return Counter(m["file"] for line in output.splitlines() if (m := _ERROR.match(line)))


def read_baseline(path: Path = BASELINE) -> dict[str, int]:
    allowed = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, count = line.split()
            allowed[name] = int(count)
    return allowed


def problems(counts: Counter[str], allowed: dict[str, int]) -> list[str]:
    """What breaks the rules: errors in a strict layer, or more errors than a file is allowed."""
    out = []
    for name, count in sorted(counts.items()):
        limit = 0 if name.startswith(STRICT) else allowed.get(name, 0)
        if count > limit:
            out.append(f"{name}: {count} mypy errors, {limit} allowed")
    return out


def write_baseline(counts: Counter[str], path: Path = BASELINE) -> None:
    header = [line for line in path.read_text().splitlines() if line.startswith("#")]
    body = [f"{name} {count}" for name, count in sorted(counts.items()) if not name.startswith(STRICT)]
    path.write_text("\n".join(header + body) + "\n")


def main(argv: list[str]) -> int:
    run = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True)
    if run.returncode not in (0, 1) or "error:" in run.stderr:  # 2: mypy itself failed
        print(run.stdout + run.stderr, file=sys.stderr)
        return 2
    counts, allowed = error_counts(run.stdout), read_baseline()
    broken = problems(counts, allowed)
    if broken:
        print(run.stdout)
        print("Type errors past the allowance:\n  " + "\n  ".join(broken), file=sys.stderr)
        return 1
    shrunk = {n: c for n, c in allowed.items() if counts.get(n, 0) < c}
    if "--update" in argv:
        write_baseline(counts)
    elif shrunk:
        print(f"{len(shrunk)} file(s) have fewer errors than allowed: check_types.py --update locks it in")
    print(f"mypy: {sum(counts.values())} errors, none past the allowance (strict: {', '.join(STRICT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
