"""Model cost: multiply-accumulates (the "FLOPs" segmentation papers report) and parameters."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


@torch.no_grad()
def count_gmacs(model: nn.Module, height: int, width: int) -> float:
    """Multiply-accumulates (billions) for one image, counted by PyTorch's FlopCounterMode.

    FlopCounterMode counts a multiply-add as two FLOPs; papers count it as one, so halve it.
    Convolutions and matrix products are counted; elementwise ops, pooling, interpolation and
    grid sampling are not, as in the counters papers use (fvcore, mmcv).
    """
    was_training = model.training
    model.eval()
    x = torch.zeros(1, 3, height, width)
    with FlopCounterMode(display=False) as counter:
        model(x)
    model.train(was_training)
    return counter.get_total_flops() / 2e9


def count_params(model: nn.Module, include_aux: bool = False) -> int:
    """Parameters used at inference (auxiliary training heads left out unless asked)."""
    return sum(
        p.numel() for name, p in model.named_parameters() if include_aux or not name.startswith("aux.")
    )
