"""The loss ignores void pixels, and OHEM concentrates on the hard ones."""

import torch

from srcrm.losses import LossConfig, cross_entropy, segmentation_loss


def test_ignored_pixels_do_not_count():
    logits = torch.zeros(1, 3, 2, 2)
    logits[:, 0] = 10  # confident class 0 everywhere
    target = torch.tensor([[[0, 0], [9, 9]]])  # bottom row ignored
    assert cross_entropy(logits, target, LossConfig(ignore_index=9)).item() < 1e-3


def test_ohem_keeps_hard_pixels():
    torch.manual_seed(0)
    logits = torch.randn(1, 4, 32, 32)
    target = logits.argmax(1)  # every pixel right ...
    target[:, :4] = (target[:, :4] + 1) % 4  # ... but the top rows wrong
    plain = cross_entropy(logits, target, LossConfig())
    hard = cross_entropy(logits, target, LossConfig(ohem=True, ohem_min_kept=64))
    assert hard > plain


def test_auxiliary_losses_are_weighted():
    logits = torch.randn(1, 3, 8, 8)
    target = torch.randint(0, 3, (1, 8, 8))
    main_only = segmentation_loss(logits, [], target, LossConfig())
    with_aux = segmentation_loss(logits, [logits, logits], target, LossConfig(aux_weight=0.4))
    assert torch.allclose(with_aux, main_only * 1.8)
