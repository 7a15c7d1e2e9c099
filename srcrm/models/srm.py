"""Semantic Refinement Module: aligns an upsampled coarse feature map with a finer one.

Bilinear upsampling places coarse features at the wrong sub-pixel positions, and the error is
largest at object boundaries. The SRM predicts a 2-d offset per fine pixel from both maps, then
refines each pixel's offset from its neighbours' offsets with a 3x3 weighting that the
high-resolution features predict (so offsets agree inside a region and may differ across an
edge), and finally samples the coarse map at the shifted positions with ``grid_sample``.

The offset convolution starts at zero, so an untrained SRM is exactly bilinear upsampling.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from srcrm.models.layers import ConvBNReLU


def upsample_like(x: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """Bilinear upsampling to ``ref``'s grid (half-pixel centres, as grid_sample uses)."""
    return F.interpolate(x, size=ref.shape[-2:], mode="bilinear", align_corners=False)


def warp(coarse: torch.Tensor, offset: torch.Tensor) -> torch.Tensor:
    """Sample ``coarse`` on the fine grid of ``offset`` moved by ``offset`` (fine-grid pixels, x then y).

    With a zero offset this equals :func:`upsample_like`: the base grid is the fine pixel
    centres and ``border`` padding clamps exactly as ``interpolate`` does. A NaN offset (weights
    gone NaN in a diverging run) samples the base grid instead: ``grid_sample``'s backward pass
    crashes the process on a NaN grid. Finite and infinite offsets pass unchanged.
    """
    n, _, h, w = offset.shape
    ys = (torch.arange(h, device=offset.device, dtype=offset.dtype) * 2 + 1) / h - 1
    xs = (torch.arange(w, device=offset.device, dtype=offset.dtype) * 2 + 1) / w - 1
    base_y = ys.view(1, h, 1).expand(n, h, w)
    base_x = xs.view(1, 1, w).expand(n, h, w)
    grid_x = base_x + offset[:, 0] * (2.0 / w)
    grid_y = base_y + offset[:, 1] * (2.0 / h)
    grid = torch.stack((grid_x, grid_y), dim=-1)
    grid = torch.where(grid.isnan(), torch.stack((base_x, base_y), dim=-1), grid)
    return F.grid_sample(
        coarse, grid.to(coarse.dtype), mode="bilinear", padding_mode="border", align_corners=False
    )


class NeighbourOffsetRefinement(nn.Module):
    """Replaces each pixel's offset by a content-weighted mean of its 3x3 neighbours' offsets."""

    def __init__(self, guide_channels: int):
        super().__init__()
        self.weights = nn.Conv2d(guide_channels, 9, 3, padding=1)

    def forward(self, offset: torch.Tensor, guide: torch.Tensor) -> torch.Tensor:
        n, c, h, w = offset.shape
        weights = torch.softmax(self.weights(guide), dim=1).unsqueeze(1)  # N,1,9,H,W
        padded = F.pad(offset, (1, 1, 1, 1), mode="replicate")
        neighbours = F.unfold(padded, kernel_size=3).view(n, c, 9, h, w)
        return (neighbours * weights).sum(dim=2)


class SemanticRefinement(nn.Module):
    """Align ``coarse`` to ``fine``'s resolution with learned, neighbour-aware offsets."""

    def __init__(self, coarse_channels: int, fine_channels: int, hidden: int = 32):
        super().__init__()
        self.reduce_coarse = nn.Conv2d(coarse_channels, hidden, 1, bias=False)
        self.reduce_fine = nn.Conv2d(fine_channels, hidden, 1, bias=False)
        mix = ConvBNReLU(2 * hidden, hidden, 3)
        offset = nn.Conv2d(hidden, 2, 3, padding=1)
        self.offset_head = nn.Sequential(mix, offset)
        self.neighbours = NeighbourOffsetRefinement(hidden)
        for p in offset.parameters():  # its weight and bias: no offset to begin with
            nn.init.zeros_(p)

    def offsets(self, coarse: torch.Tensor, fine: torch.Tensor) -> torch.Tensor:
        """The refined offset field (N,2,H,W) in fine-grid pixels."""
        fine_guide = self.reduce_fine(fine)
        coarse_up = upsample_like(self.reduce_coarse(coarse), fine)
        raw = self.offset_head(torch.cat((coarse_up, fine_guide), dim=1))
        return self.neighbours(raw, fine_guide)

    def forward(self, coarse: torch.Tensor, fine: torch.Tensor) -> torch.Tensor:
        return warp(coarse, self.offsets(coarse, fine))


class BilinearAlign(nn.Module):
    """The ablation stand-in for :class:`SemanticRefinement`: plain bilinear upsampling."""

    def forward(self, coarse: torch.Tensor, fine: torch.Tensor) -> torch.Tensor:
        return upsample_like(coarse, fine)


def srm_block(channels: int) -> nn.Module:
    return SemanticRefinement(channels, channels)


def bilinear_block(channels: int) -> nn.Module:
    return BilinearAlign()
