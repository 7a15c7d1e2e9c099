"""Fixtures for the format tests: CamVid val labels (skipped where the data is missing) and
small label maps with the cases that break naive tracers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from srcrm.base.io import read_label_png
from srcrm.data.labelsets import CAMVID


@pytest.fixture(scope="session")
def camvid_val_labels(camvid_root: Path) -> list[Path]:
    paths = sorted((camvid_root / "val" / "labels").glob("*.png"))
    if not paths:
        pytest.skip("CamVid val labels are missing")
    return paths


@pytest.fixture(scope="session")
def camvid_label(camvid_val_labels: list[Path]) -> np.ndarray:
    """One real CamVid label map (480x360, void = 11)."""
    return read_label_png(camvid_val_labels[0])


@pytest.fixture
def labelset():
    return CAMVID


@pytest.fixture
def tricky_map() -> np.ndarray:
    """Holes, a hole inside an island inside a hole, a hole touching its shell at a corner,
    pixels touching only diagonally, void (11) and values past the classes (200)."""
    m = np.zeros((13, 14), np.uint8)
    m[1:11, 1:13] = 3  # road with a hole...
    m[4:9, 4:11] = 8  # ...filled by a car with a hole...
    m[5:8, 6:9] = 11  # ...of void, holding
    m[6, 7] = 1  # a building pixel
    m[1, 1] = 0  # a corner bite out of the road
    m[2, 2] = 0  # touching it diagonally: a hole that touches the shell
    m[10, 6], m[11, 5] = 5, 5  # two tree pixels meeting at a corner
    m[0, 13] = 200  # not a class: unlabelled
    return m
