"""Contextual Refinement Module: global context from all four backbone stages.

Each stage is projected with a 1x1 conv and pooled onto the coarsest (1/32) grid, then the
stages are concatenated: many channels on a small grid, which is cheap and sees the whole image.
Channel attention picks which stages and features matter, then spatial attention picks where
(the CBAM order, Woo et al., 2018). A 1x1 conv fuses the result to the decoder width.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from srcrm.models.config import ModelConfig
from srcrm.models.layers import ConvBNReLU


class ChannelAttention(nn.Module):
    """Average- and max-pooled descriptors through one shared MLP, summed, then a sigmoid gate."""

    def __init__(self, channels: int, reduction: int = 16):
        super().__init__()
        hidden = max(channels // reduction, 8)
        self.mlp = nn.Sequential(
            nn.Conv2d(channels, hidden, 1), nn.ReLU(inplace=True), nn.Conv2d(hidden, channels, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        avg = self.mlp(x.mean(dim=(2, 3), keepdim=True))
        mx = self.mlp(x.amax(dim=(2, 3), keepdim=True))
        return x * torch.sigmoid(avg + mx)


class SpatialAttention(nn.Module):
    """Mean and max over channels, a 7x7 conv, then a sigmoid gate per pixel."""

    def __init__(self, kernel_size: int = 7):
        super().__init__()
        self.conv = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        desc = torch.cat((x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)), dim=1)
        return x * torch.sigmoid(self.conv(desc))


class ContextualRefinement(nn.Module):
    def __init__(
        self, in_channels: Sequence[int], strides: Sequence[int], stage_channels: int, out_channels: int
    ):
        super().__init__()
        self.factors = tuple(strides[-1] // s for s in strides)
        self.projections = nn.ModuleList(ConvBNReLU(c, stage_channels, 1) for c in in_channels)
        total = stage_channels * len(in_channels)
        self.channel_attention = ChannelAttention(total)
        self.spatial_attention = SpatialAttention()
        self.fuse = ConvBNReLU(total, out_channels, 1)

    def forward(self, features: Sequence[torch.Tensor]) -> torch.Tensor:
        pooled = []
        for feat, proj, factor in zip(features, self.projections, self.factors):
            x = proj(feat)
            if factor > 1:
                # Each backbone stride-2 layer rounds up, so ceil-mode pooling lands on the c5 grid.
                x = F.avg_pool2d(x, factor, factor, ceil_mode=True)
            pooled.append(x)
        x = torch.cat(pooled, dim=1)
        x = self.spatial_attention(self.channel_attention(x))
        return self.fuse(x)


class LateralContext(ConvBNReLU):
    """The ablation stand-in for :class:`ContextualRefinement`: a 1x1 conv on the last stage."""

    def forward(self, features: Sequence[torch.Tensor]) -> torch.Tensor:
        return super().forward(features[-1])


def crm_block(in_channels: Sequence[int], strides: Sequence[int], cfg: ModelConfig) -> nn.Module:
    return ContextualRefinement(in_channels, strides, cfg.crm_channels, cfg.decoder_channels)


def lateral_block(in_channels: Sequence[int], strides: Sequence[int], cfg: ModelConfig) -> nn.Module:
    return LateralContext(in_channels[-1], cfg.decoder_channels, 1)
