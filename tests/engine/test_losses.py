"""The loss ignores void pixels, and OHEM concentrates on the hard ones."""

import pytest
import torch

from srcrm.train.losses import LossConfig, cross_entropy, segmentation_loss


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


def test_class_balance_weights_rare_classes_up_and_shifts_the_loss_to_them():
    from srcrm.train.losses import balanced_weights

    weights = balanced_weights([900, 90, 9, 0], power=1.0)
    assert weights[1] == 1.0 and weights[0] < 1.0 < weights[2] and weights[3] == 1.0
    assert balanced_weights([900, 90, 9], power=0.5)[2] == pytest.approx(weights[2] ** 0.5)
    # Balanced, the rare class's pixels get a larger share of the gradient, in plain and OHEM
    # losses (OHEM keeps only the hard pixels: those of classes 1 and 2 here).
    target = torch.tensor([[[0, 1, 1, 2]]])

    def rare_share(cfg: LossConfig) -> float:
        logits = torch.zeros(1, 3, 1, 4)
        logits[0, 0] = torch.tensor([4.0, 2.0, 2.0, 1.0])
        logits.requires_grad_(True)
        segmentation_loss(logits, [], target, cfg).backward()
        per_pixel = logits.grad.abs().sum(1).flatten()
        return float(per_pixel[3] / per_pixel.sum())

    for ohem in (False, True):
        plain = rare_share(LossConfig(ohem=ohem, ohem_min_kept=1))
        balanced = rare_share(LossConfig(ohem=ohem, ohem_min_kept=1, class_weights=weights[:3]))
        assert balanced > 2 * plain
