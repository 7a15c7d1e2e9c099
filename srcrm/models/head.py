"""Class-head surgery: give a trained network more classes without disturbing the ones it knows.

Fine-tuning on an annotator's data may rename classes (same id, same weights) or append new ones.
Every classifier (the main head and the auxiliary ones) gets one new output row per new class;
the old rows are copied bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import torch
from torch import nn

from srcrm.models.network import SegmentationHead, SRCRMNet

# How many logits below the mean of the old classes a new class starts.
NEW_CLASS_MARGIN = 1.0


def classifiers(model: SRCRMNet) -> list[tuple[SegmentationHead, int]]:
    """Every head of the network with the index of its final 1x1 class-scoring conv."""
    return [(m, len(m) - 1) for m in model.modules() if isinstance(m, SegmentationHead)]


def class_conv(head: SegmentationHead) -> nn.Conv2d:
    """A head's final 1x1 class-scoring conv."""
    conv = head[len(head) - 1]
    if not isinstance(conv, nn.Conv2d):
        raise TypeError(f"a class head ends in {type(conv).__name__}, not a Conv2d")
    return conv


def adapt_classes(model: SRCRMNet, old_names: Sequence[str], new_names: Sequence[str]) -> SRCRMNet:
    """Resize ``model``'s class heads from ``old_names`` to ``new_names`` in place and return it.

    Class ``i`` keeps its weights whatever its new name. A new class starts as the mean of the
    old rows, one logit lower: its score is then below the best old class at every pixel
    (a mean never exceeds a maximum), so pre-labels do not change until training teaches it,
    yet it starts from features that already mean something. Removing classes is refused: the
    ids in existing label maps would silently change meaning.
    """
    old, new = len(old_names), len(new_names)
    if model.cfg.num_classes != old:
        raise ValueError(f"the model has {model.cfg.num_classes} classes but {old} old names were given")
    if new < old:
        raise ValueError(
            f"the data has {new} classes but the model has {old}: fine-tuning may "
            f"rename classes or append new ones, never remove them (the model's "
            f"classes are: {', '.join(old_names)})"
        )
    if new == old:
        return model
    for head, index in classifiers(model):
        head[index] = _grown(class_conv(head), new)
    model.cfg = replace(model.cfg, num_classes=new)
    return model


@torch.no_grad()
def _grown(conv: nn.Conv2d, classes: int) -> nn.Conv2d:
    old = conv.out_channels
    # Conv2d keeps its sizes as tuple[int, ...], its constructor's stubs take pairs only.
    grown = nn.Conv2d(
        conv.in_channels,
        classes,
        conv.kernel_size,  # type: ignore[arg-type]
        conv.stride,  # type: ignore[arg-type]
        conv.padding,  # type: ignore[arg-type]
        bias=conv.bias is not None,
    ).to(conv.weight.device, conv.weight.dtype)
    grown.weight[:old] = conv.weight
    grown.weight[old:] = conv.weight.mean(dim=0, keepdim=True)
    if conv.bias is not None and grown.bias is not None:  # both or neither
        grown.bias[:old] = conv.bias
        grown.bias[old:] = conv.bias.mean() - NEW_CLASS_MARGIN
    return grown
