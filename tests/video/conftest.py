"""Fixtures for the video tests; the helpers are in video_test_helpers.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from video_test_helpers import write_video


@pytest.fixture
def clip(tmp_path) -> Path:
    """40 frames, mp4v: several keyframe intervals, so seeks must decode forward."""
    return write_video(tmp_path / "clip.mp4", 40)
