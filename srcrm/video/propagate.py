"""Carry a correction made on one frame to the frames after it, along the optical flow.

When a person fixes frame N, the same fix is usually needed on N+1, N+2, ... where the
scene has moved a little. Dense optical flow (OpenCV's DIS) says where each pixel of a later
frame came from; following it back to frame N gives the corrected label and whether the pixel
was in the fixed region. Flows are chained frame to frame (N+2 -> N+1 -> N), since neighbouring
frames match far better than distant ones, and the chain is composed as coordinates so labels
are sampled from frame N once (nearest neighbour: class ids are never blended).
"""

from __future__ import annotations

import cv2
import numpy as np


def dense_flow(src_rgb: np.ndarray, dst_rgb: np.ndarray) -> np.ndarray:
    """HxWx2 float32 flow from ``src`` to ``dst``: pixel ``(x, y)`` of ``src`` is seen at
    ``(x + fx, y + fy)`` in ``dst``."""
    if src_rgb.shape != dst_rgb.shape:
        raise ValueError(f"frames differ in size: {src_rgb.shape} and {dst_rgb.shape}")
    dis = cv2.DISOpticalFlow.create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    src, dst = cv2.cvtColor(src_rgb, cv2.COLOR_RGB2GRAY), cv2.cvtColor(dst_rgb, cv2.COLOR_RGB2GRAY)
    # None: OpenCV allocates the flow (its stubs want an output array).
    return dis.calc(src, dst, None)  # type: ignore[call-overload]


def propagate_correction(
    frames: list[np.ndarray], labels: np.ndarray, region: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``frames[0]`` is the corrected frame N and ``frames[1:]`` the frames after it;
    ``labels`` are N's corrected labels and ``region`` the pixels the person changed. Returns,
    for each later frame, ``(labels, region)`` carried there along the flow. Pixels whose
    source lies outside frame N are outside the region."""
    h, w = labels.shape
    if region.shape != (h, w) or frames[0].shape[:2] != (h, w):
        raise ValueError("frames, labels and region must be the same size")
    grid = np.dstack(np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)))
    source: np.ndarray = grid  # for each pixel of the current frame, where it came from in frame N
    valid: np.ndarray = np.ones((h, w), np.uint8)  # whether that place lies inside frame N
    region_u8 = region.astype(np.uint8)
    out = []
    for prev, cur in zip(frames, frames[1:]):
        back = grid + dense_flow(cur, prev)  # where each pixel of `cur` was in `prev`
        valid = cv2.remap(valid, back, None, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        source = cv2.remap(source, back, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        warped_labels = cv2.remap(labels, source, None, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)
        warped_region: np.ndarray = cv2.remap(
            region_u8, source, None, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=0
        )
        out.append((warped_labels, (warped_region & valid).astype(bool)))
    return out


def apply_propagation(
    existing: np.ndarray, warped_labels: np.ndarray, warped_region: np.ndarray
) -> np.ndarray:
    """A frame's labels with the carried correction laid over them, inside its region only."""
    return np.where(warped_region, warped_labels, existing).astype(existing.dtype)
