"""Shared fixtures: the real CamVid data when it is beside the repo, and tiny datasets on disk."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Predictors run plain fp32 unless a test picks a path: no timing, nothing in the user cache.
os.environ.setdefault("SRCRM_INFERENCE_PATH", "fp32")
torch.set_num_threads(min(2, os.cpu_count() or 1))

REPO = Path(__file__).resolve().parents[1]
CAMVID = REPO.parent / "shared" / "data" / "camvid"


@pytest.fixture(scope="session")
def camvid_root() -> Path:
    if not (CAMVID / "train" / "images").is_dir():
        pytest.skip("CamVid is not beside the repo (../shared/data/camvid)")
    return CAMVID


def write_tiny_dataset(root: Path, splits=("train", "val"), n: int = 4, size=(64, 96)) -> Path:
    """A generic-layout dataset of synthetic scenes: a bright square (class 1) on a dark
    background (class 0), with a void border (2 = ignore) and noise, in the CamVid layout."""
    from srcrm.base.io import write_png

    rng = np.random.default_rng(0)
    h, w = size
    for split in splits:
        for i in range(n):
            label = np.zeros((h, w), np.uint8)
            top, left = rng.integers(4, h // 2), rng.integers(4, w // 2)
            label[top : top + h // 3, left : left + w // 3] = 1
            label[:2] = 2
            image = np.where(label[..., None] == 1, 200, 40).astype(np.uint8).repeat(3, axis=2)
            image = np.clip(image + rng.normal(0, 10, image.shape), 0, 255).astype(np.uint8)
            write_png(root / split / "images" / f"img{i}.png", image)
            write_png(root / split / "labels" / f"img{i}.png", label)
    (root / "classes.txt").write_text("background\nsquare\n")
    return root


@pytest.fixture
def tiny_dataset(tmp_path) -> Path:
    return write_tiny_dataset(tmp_path / "tiny")


@pytest.fixture(scope="session")
def write_checkpoint():
    """``write_checkpoint(path, model_config=None)`` -> path: an untrained SRCRM checkpoint with
    CamVid's classes (small decoder unless a config is given), seeded, so tests agree run to run."""
    from srcrm.data.labelsets import CAMVID
    from srcrm.models import build_model
    from srcrm.models.checkpoint import save_checkpoint
    from srcrm.models.config import ModelConfig

    def write(path: Path, model_config: ModelConfig | None = None) -> Path:
        torch.manual_seed(0)
        model = build_model(model_config or ModelConfig(decoder_channels=16, crm_channels=8))
        save_checkpoint(
            path,
            model,
            class_names=CAMVID.class_names,
            palette=CAMVID.palette,
            ignore_index=CAMVID.ignore_index,
        )
        return path

    return write
