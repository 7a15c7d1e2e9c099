"""Images whose true alpha and foreground colour are known exactly."""

import numpy as np

RED, BLUE = np.array([200, 30, 30]), np.array([20, 40, 180])


def soft_edge(h=40, w=64):
    """Red on the left, blue on the right, with a 10 px linear blend: the true alpha."""
    alpha = np.clip((35 - np.arange(w)) / 10, 0, 1)[None].repeat(h, 0)
    image = alpha[..., None] * RED + (1 - alpha[..., None]) * BLUE
    return np.rint(image).astype(np.uint8), alpha
