"""The SRCRM network: ResNet encoder, CRM context at the top, an SRM-aligned top-down decoder,
and a classifier on the fused 1/4-resolution levels."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from srcrm.config import ModelConfig
from srcrm.models.backbone import ResNet
from srcrm.models.crm import ContextualRefinement
from srcrm.models.layers import ConvBNReLU
from srcrm.models.srm import BilinearAlign, SemanticRefinement


def _aligner(cfg: ModelConfig) -> nn.Module:
    d = cfg.decoder_channels
    return SemanticRefinement(d, d) if cfg.srm else BilinearAlign()


class SegmentationHead(nn.Sequential):
    def __init__(self, in_ch: int, mid_ch: int, num_classes: int, dropout: float = 0.1):
        super().__init__(ConvBNReLU(in_ch, mid_ch, 3), nn.Dropout2d(dropout), nn.Conv2d(mid_ch, num_classes, 1))


IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class SRCRMNet(nn.Module):
    """Takes RGB in [0, 1] (N,3,H,W) of any size; normalisation is part of the network so that
    exported models need no preprocessing. ``forward(x)`` returns logits at the input size;
    ``return_aux=True`` (training) also returns the auxiliary logits for deep supervision."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        d = cfg.decoder_channels
        self.backbone = ResNet(cfg.backbone)
        c2, c3, c4, c5 = self.backbone.channels
        if cfg.crm:
            self.top = ContextualRefinement(self.backbone.channels, cfg.crm_channels, d)
        else:
            self.top = ConvBNReLU(c5, d, 1)
        self.laterals = nn.ModuleList(ConvBNReLU(c, d, 1) for c in (c4, c3, c2))
        self.top_down_align = nn.ModuleList(_aligner(cfg) for _ in range(3))
        self.smooth = nn.ModuleList(ConvBNReLU(d, d, 3) for _ in range(3))
        self.fusion_align = nn.ModuleList(_aligner(cfg) for _ in range(3))
        self.fuse = ConvBNReLU(4 * d, d, 1)
        self.head = SegmentationHead(d, d // 2, cfg.num_classes)
        if cfg.aux_heads:
            self.aux = nn.ModuleList(SegmentationHead(d, 64, cfg.num_classes) for _ in range(2))

    def decode(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Return the fused 1/4 features and the pyramid [p5, p4, p3, p2]."""
        feats = self.backbone((x - self.mean) / self.std)
        p = self.top(feats) if self.cfg.crm else self.top(feats[-1])
        pyramid = [p]
        for lateral, align, smooth, feat in zip(self.laterals, self.top_down_align, self.smooth,
                                                reversed(feats[:-1])):
            lat = lateral(feat)
            p = smooth(lat + align(p, lat))
            pyramid.append(p)
        p2 = pyramid[-1]
        levels = [p2] + [align(level, p2) for align, level in zip(self.fusion_align, pyramid[:-1])]
        return self.fuse(torch.cat(levels, dim=1)), pyramid

    def forward(self, x: torch.Tensor, return_aux: bool = False):
        size = x.shape[-2:]
        fused, pyramid = self.decode(x)
        logits = F.interpolate(self.head(fused), size=size, mode="bilinear", align_corners=False)
        if not return_aux:
            return logits
        if not self.cfg.aux_heads:
            return logits, []
        aux = [
            F.interpolate(head(level), size=size, mode="bilinear", align_corners=False)
            for head, level in zip(self.aux, pyramid[:2])
        ]
        return logits, aux


def build_model(cfg: ModelConfig) -> SRCRMNet:
    return SRCRMNet(cfg)
