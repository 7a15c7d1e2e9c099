"""Where the files that ship with the engine live: the default model and the samples.

The repository keeps them in its top-level ``resources/`` folder. The build maps that folder to
the package ``srcrm.resources`` (see setup.py), so an installed copy finds them through
importlib.resources; a checkout that was never installed reads the folder itself.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[2] / "resources"


def resource_dir() -> Path:
    """The folder that holds ``models/`` and ``samples/``."""
    try:
        root = resources.files("srcrm.resources")
    except ModuleNotFoundError:
        return _CHECKOUT
    if not isinstance(root, Path):  # the model loader reads parts and hashes: real files only
        raise RuntimeError(
            f"srcrm's package data is not on the file system ({root}): "
            f"install the package unzipped (pip does)"
        )
    return root
