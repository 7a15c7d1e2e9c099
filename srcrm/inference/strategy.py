"""Inference strategies shared by evaluation and the predictor: whole image or sliding window,
with optional flip and multi-scale test-time augmentation.

Tiles overlap, and each pixel is labelled by the tile in which it lies furthest from an edge
(the tiles' cores, split at the middle of each overlap, partition the image): the model sees
the most context there, and nothing has to be summed across tiles. So the predictor labels an
image of any size holding one tile's probabilities at a time (:func:`label_tiles`), beside the
image and its label map themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from srcrm.base.ranges import check_range


@dataclass(frozen=True)
class InferenceConfig:
    mode: str = "whole"  # "whole", or "slide" for images too large to run at once
    tile: int = 1024
    overlap: float = 1 / 3
    flip: bool = False
    scales: tuple[float, ...] = (1.0,)
    max_whole_pixels: int = 4096 * 4096  # "whole" falls back to tiles above this

    def __post_init__(self) -> None:
        check_range(self.tile, "the tile size", 32, 8192, whole=True)
        check_range(self.overlap, "the tile overlap", 0, 0.9)
        if not self.scales:
            raise ValueError("--scales needs at least one scale")
        for scale in self.scales:
            check_range(scale, "each of --scales", 0, 4, above=True)


@torch.no_grad()
def predict_probs(
    model: nn.Module | Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    cfg: InferenceConfig = InferenceConfig(),
) -> torch.Tensor:
    """Class probabilities (N,C,H,W) for RGB input in [0, 1] (N,3,H,W). ``model`` is a network
    or any forward pass to logits (a :mod:`srcrm.inference.fast_path` path)."""
    h, w = x.shape[-2:]
    total: torch.Tensor | None = None
    views = 0
    for scale in cfg.scales:
        xs = x if scale == 1.0 else F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=False)
        for flip in (False, True) if cfg.flip else (False,):
            xv = xs.flip(-1) if flip else xs
            probs = _forward(model, xv, cfg)
            if flip:
                probs = probs.flip(-1)
            if scale != 1.0:
                probs = F.interpolate(probs, size=(h, w), mode="bilinear", align_corners=False)
            total = probs if total is None else total + probs
            views += 1
    assert total is not None  # InferenceConfig refuses an empty cfg.scales
    return total / views


def _forward(
    model: nn.Module | Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, cfg: InferenceConfig
) -> torch.Tensor:
    h, w = x.shape[-2:]
    if cfg.mode == "whole" and h * w <= cfg.max_whole_pixels:
        return torch.softmax(model(x).float(), dim=1)
    return _sliding(model, x, cfg)


def _sliding(
    model: nn.Module | Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, cfg: InferenceConfig
) -> torch.Tensor:
    n, _, h, w = x.shape
    total: torch.Tensor | None = None
    for window, core, inner in tiles(h, w, cfg.tile, cfg.overlap):
        probs = torch.softmax(model(x[(..., *window)]).float(), dim=1)
        if total is None:
            total = torch.empty(n, probs.shape[1], h, w, device=x.device)
        total[(..., *core)] = probs[(..., *inner)]
    assert total is not None  # tiles() gives every image at least one tile
    return total


@torch.no_grad()
def label_tiles(
    model: nn.Module | Callable[[torch.Tensor], torch.Tensor],
    image: np.ndarray,
    cfg: InferenceConfig,
    device: torch.device,
    dtype: torch.dtype,
) -> tuple[np.ndarray, np.ndarray]:
    """Labels (HxW uint8) and the winning class's probability (HxW float32) of an RGB uint8
    image (HxWx3) in tiles of ``cfg.tile``. Only one tile is ever in floating point: besides
    the image and these two maps, memory is bounded by the tile, not the image."""
    h, w = image.shape[:2]
    labels, confidence = np.empty((h, w), np.uint8), np.empty((h, w), np.float32)
    pixels = torch.from_numpy(image).permute(2, 0, 1)[None]  # a view: nothing is copied
    whole = replace(cfg, mode="whole")
    for window, core, inner in tiles(h, w, cfg.tile, cfg.overlap):
        x = pixels[(..., *window)].to(device).to(dtype) / 255
        best, label = predict_probs(model, x, whole).max(dim=1)
        labels[core] = label[0][inner].to(torch.uint8).cpu().numpy()
        confidence[core] = best[0][inner].float().cpu().numpy()
    return labels, confidence


Span = tuple[slice, slice]


def tiles(h: int, w: int, tile: int, overlap: float) -> Iterator[tuple[Span, Span, Span]]:
    """``(window, core, inner)`` per tile, rows then columns: the window the model sees, the
    core it labels (image coordinates), and the core within the window."""
    stride = max(int(tile * (1 - overlap)), 1)
    for rows, row_core in _spans(h, tile, stride):
        for cols, col_core in _spans(w, tile, stride):
            inner = (
                slice(row_core.start - rows.start, row_core.stop - rows.start),
                slice(col_core.start - cols.start, col_core.stop - cols.start),
            )
            yield (rows, cols), (row_core, col_core), inner


def _spans(size: int, tile: int, stride: int) -> list[tuple[slice, slice]]:
    """Windows along one axis and their cores, split at the middle of each overlap."""
    starts = _starts(size, tile, stride)
    bounds = [0] + [(a + tile + b) // 2 for a, b in zip(starts, starts[1:])] + [size]
    return [(slice(s, s + tile), slice(bounds[i], bounds[i + 1])) for i, s in enumerate(starts)]


def _starts(size: int, tile: int, stride: int) -> list[int]:
    if size <= tile:
        return [0]
    starts = list(range(0, size - tile, stride))
    return starts + [size - tile]
