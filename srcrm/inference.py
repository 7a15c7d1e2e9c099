"""Inference strategies shared by evaluation and the predictor: whole image or sliding window,
with optional flip and multi-scale test-time augmentation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class InferenceConfig:
    mode: str = "whole"  # "whole", or "slide" for images too large to run at once
    tile: int = 1024
    overlap: float = 1 / 3
    flip: bool = False
    scales: tuple[float, ...] = (1.0,)
    max_whole_pixels: int = 4096 * 4096  # "whole" falls back to tiles above this


@torch.no_grad()
def predict_probs(
    model: nn.Module | Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    cfg: InferenceConfig = InferenceConfig(),
) -> torch.Tensor:
    """Class probabilities (N,C,H,W) for RGB input in [0, 1] (N,3,H,W). ``model`` is a network
    or any forward pass to logits (a :mod:`srcrm.fast_inference` path)."""
    h, w = x.shape[-2:]
    total = None
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
    return total / views


def _forward(model: nn.Module, x: torch.Tensor, cfg: InferenceConfig) -> torch.Tensor:
    h, w = x.shape[-2:]
    if cfg.mode == "whole" and h * w <= cfg.max_whole_pixels:
        return torch.softmax(model(x).float(), dim=1)
    return _sliding(model, x, cfg)


def _sliding(model: nn.Module, x: torch.Tensor, cfg: InferenceConfig) -> torch.Tensor:
    n, _, h, w = x.shape
    tile = cfg.tile
    stride = max(int(tile * (1 - cfg.overlap)), 1)
    total = None
    count = torch.zeros(1, 1, h, w, device=x.device)
    for top in _starts(h, tile, stride):
        for left in _starts(w, tile, stride):
            patch = x[..., top : top + tile, left : left + tile]
            probs = torch.softmax(model(patch).float(), dim=1)
            if total is None:
                total = torch.zeros(n, probs.shape[1], h, w, device=x.device)
            total[..., top : top + tile, left : left + tile] += probs
            count[..., top : top + tile, left : left + tile] += 1
    return total / count


def _starts(size: int, tile: int, stride: int) -> list[int]:
    if size <= tile:
        return [0]
    starts = list(range(0, size - tile, stride))
    return starts + [size - tile]
