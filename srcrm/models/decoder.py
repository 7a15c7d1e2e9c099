"""The SRCRM decoder: a context block on the coarsest encoder stage, then a top-down pyramid whose
levels are aligned by a swappable block (SRM or bilinear), fused at the finest level.

It knows the encoder only through the channels and strides it states, and its blocks only
through the tables in :mod:`srcrm.models.registry`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from srcrm.models.config import ModelConfig
from srcrm.models.layers import ConvBNReLU
from srcrm.models.registry import ALIGN_BLOCKS, CONTEXT_BLOCKS, resolve


class SRCRMDecoder(nn.Module):
    def __init__(self, encoder_channels: Sequence[int], encoder_strides: Sequence[int], cfg: ModelConfig):
        super().__init__()
        d, finer = cfg.decoder_channels, len(encoder_channels) - 1
        align = resolve(ALIGN_BLOCKS, cfg.align_block)
        self.context = resolve(CONTEXT_BLOCKS, cfg.context_block)(encoder_channels, encoder_strides, cfg)
        self.laterals = nn.ModuleList(ConvBNReLU(c, d, 1) for c in reversed(encoder_channels[:-1]))
        self.top_down_align = nn.ModuleList(align(d) for _ in range(finer))
        self.smooth = nn.ModuleList(ConvBNReLU(d, d, 3) for _ in range(finer))
        fusion_align = align if cfg.srm_in_fusion else resolve(ALIGN_BLOCKS, "bilinear")
        self.fusion_align = nn.ModuleList(fusion_align(d) for _ in range(finer))
        self.fuse = ConvBNReLU((finer + 1) * d, d, 1)
        self.out_channels = d

    def forward(self, features: Sequence[torch.Tensor]) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The fused finest-level features and the pyramid, coarsest first."""
        p = self.context(features)
        pyramid = [p]
        for lateral, align, smooth, feat in zip(
            self.laterals, self.top_down_align, self.smooth, reversed(features[:-1])
        ):
            lat = lateral(feat)
            p = smooth(lat + align(p, lat))
            pyramid.append(p)
        finest = pyramid[-1]
        levels = [finest] + [align(level, finest) for align, level in zip(self.fusion_align, pyramid[:-1])]
        return self.fuse(torch.cat(levels, dim=1)), pyramid
