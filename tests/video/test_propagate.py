"""A correction is carried to the next frames the way the scene moves."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from srcrm.video import apply_propagation, dense_flow, propagate_correction

H, W = 120, 160
SHIFT = (2, 3)  # (down, right) per frame


def texture(seed: int = 0) -> np.ndarray:
    """A smooth random RGB texture larger than the frames, so they can be cut out of it."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 255, (H // 6 + 8, W // 6 + 8, 3), dtype=np.uint8)
    return cv2.resize(coarse, (W + 48, H + 48), interpolation=cv2.INTER_CUBIC)


def moving_frames(n: int) -> list[np.ndarray]:
    """Frames of a scene that moves by SHIFT pixels per frame."""
    big = texture()
    dy, dx = SHIFT
    return [big[24 - k * dy : 24 - k * dy + H, 24 - k * dx : 24 - k * dx + W].copy() for k in range(n)]


def test_flow_measures_a_known_shift():
    frames = moving_frames(2)
    flow = dense_flow(frames[0], frames[1])
    assert flow.shape == (H, W, 2) and flow.dtype == np.float32
    inner = flow[20:-20, 20:-20]
    assert np.median(inner[..., 0]) == pytest.approx(SHIFT[1], abs=0.25)
    assert np.median(inner[..., 1]) == pytest.approx(SHIFT[0], abs=0.25)


def test_a_corrected_region_follows_the_motion_frame_after_frame():
    frames = moving_frames(5)
    labels = np.zeros((H, W), np.uint8)
    region = np.zeros((H, W), bool)
    region[40:70, 50:90] = True
    labels[region] = 7
    results = propagate_correction(frames, labels, region)
    assert len(results) == 4
    for k, (warped_labels, warped_region) in enumerate(results, start=1):
        rows, cols = np.nonzero(warped_region)
        assert rows.mean() == pytest.approx(54.5 + k * SHIFT[0], abs=1)
        assert cols.mean() == pytest.approx(69.5 + k * SHIFT[1], abs=1)
        expected = np.zeros((H, W), bool)
        expected[40 + k * SHIFT[0] : 70 + k * SHIFT[0], 50 + k * SHIFT[1] : 90 + k * SHIFT[1]] = True
        assert (warped_region & expected).sum() / (warped_region | expected).sum() > 0.9
        assert (warped_labels[warped_region] == 7).all()  # class ids, never blended


def test_pixels_that_come_from_outside_the_corrected_frame_are_left_alone():
    frames = moving_frames(3)
    region = np.ones((H, W), bool)  # the whole frame was corrected
    (_, _), (_, region_2) = propagate_correction(frames, np.ones((H, W), np.uint8), region)
    assert not region_2[: 2 * SHIFT[0] - 1].any() and not region_2[:, : 2 * SHIFT[1] - 1].any()
    assert region_2[10:, 10:].all()


def test_apply_changes_only_the_carried_region():
    existing = np.full((4, 5), 3, np.uint8)
    warped = np.full((4, 5), 9, np.uint8)
    region = np.zeros((4, 5), bool)
    region[1:3, 2:4] = True
    out = apply_propagation(existing, warped, region)
    assert out.dtype == np.uint8
    assert (out[region] == 9).all() and (out[~region] == 3).all()
