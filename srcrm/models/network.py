"""The SRCRM network, composed as encoder -> decoder -> head (the segmentation_models_pytorch
layout), each part chosen from the tables in :mod:`srcrm.models.registry`."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from srcrm.models.config import ModelConfig
from srcrm.models.decoder import SRCRMDecoder
from srcrm.models.layers import ConvBNReLU
from srcrm.models.registry import ENCODERS, PRETRAINED, resolve


class SegmentationHead(nn.Sequential):
    def __init__(self, in_ch: int, mid_ch: int, num_classes: int, dropout: float = 0.1):
        super().__init__(
            ConvBNReLU(in_ch, mid_ch, 3), nn.Dropout2d(dropout), nn.Conv2d(mid_ch, num_classes, 1)
        )


IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class SRCRMNet(nn.Module):
    """Takes RGB in [0, 1] (N,3,H,W) of any size; normalisation is part of the network so that
    exported models need no preprocessing. ``forward(x)`` returns logits at the input size;
    ``return_aux=True`` (training) also returns the auxiliary logits for deep supervision."""

    mean: torch.Tensor  # buffers (register_buffer), not parameters
    std: torch.Tensor

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = resolve(ENCODERS, cfg.backbone)()
        # An encoder trained elsewhere states the input statistics its weights expect.
        mean = getattr(self.encoder, "input_mean", IMAGENET_MEAN)
        std = getattr(self.encoder, "input_std", IMAGENET_STD)
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)
        self.decoder = SRCRMDecoder(self.encoder.out_channels, self.encoder.strides, cfg)
        d = self.decoder.out_channels
        self.head = SegmentationHead(d, d // 2, cfg.num_classes)
        if cfg.aux_heads:
            self.aux = nn.ModuleList(SegmentationHead(d, 64, cfg.num_classes) for _ in range(2))

    def forward(self, x: torch.Tensor, return_aux: bool = False):
        size = x.shape[-2:]
        fused, pyramid = self.decoder(self.encoder((x - self.mean) / self.std))
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


# Checkpoint format 1 held SRCRMNet before it was split into encoder, decoder and head.
_V1_PREFIXES = {
    "backbone.": "encoder.",
    "top.": "decoder.context.",
    "laterals.": "decoder.laterals.",
    "top_down_align.": "decoder.top_down_align.",
    "smooth.": "decoder.smooth.",
    "fusion_align.": "decoder.fusion_align.",
    "fuse.": "decoder.fuse.",
}


def upgrade_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``state`` with format-1 parameter names moved to today's; today's names pass unchanged."""

    def renamed(key: str) -> str:
        for old, new in _V1_PREFIXES.items():
            if key.startswith(old):
                return new + key[len(old) :]
        return key

    return {renamed(k): v for k, v in state.items()}


def build_model(cfg: ModelConfig) -> SRCRMNet:
    return SRCRMNet(cfg)


def load_pretrained(encoder: nn.Module, backbone: str) -> None:
    """Put the ImageNet weights that :data:`registry.PRETRAINED` lists for ``backbone`` into
    ``encoder``; ``ValueError`` where there are none."""
    if backbone not in PRETRAINED:
        raise ValueError(
            f"no ImageNet weights for {backbone!r}; backbones that have them: {', '.join(PRETRAINED)}"
        )
    resolve(PRETRAINED, backbone)(encoder)
