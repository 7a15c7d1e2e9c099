"""The coarse-to-fine step: alpha carried to full size through the local colour model."""

import cv2
import numpy as np

from srcrm.matting.upsample import upsample_alpha


def test_alpha_linear_in_colour_comes_back_exactly_at_full_size():
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 1, (64, 96, 3)).astype(np.float32)
    truth = np.clip(image @ np.array([0.5, -0.25, 0.4], np.float32) + 0.1, -1, 2)  # a colour line
    coarse_image = cv2.resize(image, (48, 32), interpolation=cv2.INTER_AREA)
    coarse_alpha = coarse_image @ np.array([0.5, -0.25, 0.4], np.float32) + 0.1
    up = upsample_alpha(coarse_alpha, coarse_image, image)
    assert up.shape == truth.shape
    assert np.abs(up - truth).max() < 5e-3  # float32 sums


def test_a_sharp_edge_stays_sharp_where_a_plain_resize_blurs_it():
    image = np.zeros((40, 80, 3), np.float32)
    image[:, 41:] = (0.8, 0.1, 0.1)  # red from column 41: an edge between two coarse pixels' centres
    truth = (np.arange(80) >= 41).astype(np.float32)[None].repeat(40, 0)
    coarse_image = cv2.resize(image, (40, 20), interpolation=cv2.INTER_AREA)
    coarse_alpha = coarse_image[..., 0] / 0.8
    up = upsample_alpha(coarse_alpha, coarse_image, image)
    plain = cv2.resize(coarse_alpha, (80, 40), interpolation=cv2.INTER_LINEAR)
    assert np.abs(up - truth).max() < 0.02
    assert np.abs(plain - truth).max() > 0.2
