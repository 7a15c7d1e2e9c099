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
    # Class balancing: weight (median frequency / frequency) ** power, 0 = off, 1 = SegNet's
    # median-frequency balancing. The trainer fills ``class_weights`` from the training labels.
    class_balance: float = 0.0
    class_weights: tuple[float, ...] | None = None


def balanced_weights(pixel_counts, power: float) -> tuple[float, ...]:
    """Per-class weights ``(median frequency / frequency) ** power`` from pixel counts; classes
    absent from the data get weight 1."""
    counts = torch.as_tensor(pixel_counts, dtype=torch.float64)
    present = counts > 0
    freq = counts / counts.sum()
    median = freq[present].median()
    weights = torch.ones_like(freq)
    weights[present] = (median / freq[present]) ** power
    return tuple(float(w) for w in weights)


def cross_entropy(logits: torch.Tensor, target: torch.Tensor, cfg: LossConfig) -> torch.Tensor:
    weight = (
        torch.tensor(cfg.class_weights, device=logits.device, dtype=logits.dtype)
        if cfg.class_weights
        else None
    )
    if not (target != cfg.ignore_index).any():
        return logits.sum() * 0  # a crop with no labelled pixel teaches nothing (the mean would be NaN)
    if not cfg.ohem:
        return F.cross_entropy(logits, target, weight=weight, ignore_index=cfg.ignore_index)
    pixel_loss = F.cross_entropy(logits, target, ignore_index=cfg.ignore_index, reduction="none").flatten()
    valid = target.flatten() != cfg.ignore_index
    losses = pixel_loss[valid]
    pixel_weight = weight[target.flatten()[valid]] if weight is not None else torch.ones_like(losses)
    # A pixel is hard when its true-class probability p < threshold, i.e. loss > -log(threshold).
    hard = losses > -torch.log(torch.tensor(cfg.ohem_threshold, device=losses.device))
    if hard.sum() < min(cfg.ohem_min_kept, losses.numel()):
        hard = torch.zeros_like(hard)
        hard[losses.topk(min(cfg.ohem_min_kept, losses.numel())).indices] = True
    return (losses * pixel_weight)[hard].sum() / pixel_weight[hard].sum()


def segmentation_loss(
    logits: torch.Tensor, aux: list[torch.Tensor], target: torch.Tensor, cfg: LossConfig
) -> torch.Tensor:
    loss = cross_entropy(logits, target, cfg)
    for a in aux:
        loss = loss + cfg.aux_weight * cross_entropy(a, target, cfg)
    return loss
