"""Rewrite the lock file's pins from the packages installed in this environment (``make lock``),
keeping its comment header."""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

from packaging.utils import canonicalize_name

OWN = {"srcrm-studio"}


def main(lock: str) -> None:
    path = Path(lock)
    header = [line for line in path.read_text().splitlines() if line.startswith("#")]
    pins = {}
    for dist in metadata.distributions():
        name = canonicalize_name(dist.metadata["Name"])
        if name not in OWN and name not in {"pip", "setuptools", "wheel"}:
            pins[name] = dist.version.split("+")[0]  # torch's +cpu: the index decides the build
    body = [f"{name}=={version}" for name, version in sorted(pins.items())]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(header + body) + "\n")
    tmp.replace(path)


if __name__ == "__main__":
    main(sys.argv[1])
