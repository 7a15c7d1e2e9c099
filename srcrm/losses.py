"""Training loss: cross-entropy with an ignore index, optional online hard example mining, and
weighted auxiliary heads."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class LossConfig:
    ignore_index: int = 255
    ohem: bool = False
    ohem_threshold: float = 0.7  # keep pixels whose true-class probability is below this
    ohem_min_kept: int = 100_000
    aux_weight: float = 0.4


def cross_entropy(logits: torch.Tensor, target: torch.Tensor, cfg: LossConfig) -> torch.Tensor:
    if not cfg.ohem:
        return F.cross_entropy(logits, target, ignore_index=cfg.ignore_index)
    pixel_loss = F.cross_entropy(logits, target, ignore_index=cfg.ignore_index, reduction="none").flatten()
    valid = target.flatten() != cfg.ignore_index
    losses = pixel_loss[valid]
    if losses.numel() == 0:
        return logits.sum() * 0
    # A pixel is hard when its true-class probability p < threshold, i.e. loss > -log(threshold).
    hard = losses > -torch.log(torch.tensor(cfg.ohem_threshold, device=losses.device))
    if hard.sum() < min(cfg.ohem_min_kept, losses.numel()):
        return losses.topk(min(cfg.ohem_min_kept, losses.numel())).values.mean()
    return losses[hard].mean()


def segmentation_loss(logits: torch.Tensor, aux: list[torch.Tensor], target: torch.Tensor,
                      cfg: LossConfig) -> torch.Tensor:
    loss = cross_entropy(logits, target, cfg)
    for a in aux:
        loss = loss + cfg.aux_weight * cross_entropy(a, target, cfg)
    return loss
