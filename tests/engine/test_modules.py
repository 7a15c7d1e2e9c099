"""The refinement modules behave as designed: SRM starts as bilinear upsampling, learns a
sub-pixel shift, passes gradients to its offsets; CRM and the network handle odd sizes; the
ablation switches really remove the modules."""

import torch
import torch.nn.functional as F

from srcrm.models import build_model
from srcrm.models.config import ModelConfig
from srcrm.models.crm import ContextualRefinement
from srcrm.models.registry import ENCODERS
from srcrm.models.srm import SemanticRefinement, warp


def test_untrained_srm_is_bilinear_upsampling():
    torch.manual_seed(0)
    srm = SemanticRefinement(16, 8).eval()
    coarse, fine = torch.randn(2, 16, 23, 31), torch.randn(2, 8, 46, 61)
    expected = F.interpolate(coarse, size=(46, 61), mode="bilinear", align_corners=False)
    assert torch.allclose(srm(coarse, fine), expected, atol=1e-5)


def test_warp_shifts_by_whole_pixels():
    image = torch.arange(40.0).view(1, 1, 5, 8)
    offset = torch.zeros(1, 2, 5, 8)
    offset[:, 0] = 1.0  # sample one pixel to the right
    moved = warp(image, offset)
    assert torch.allclose(moved[..., :-1], image[..., 1:])


def _smooth_features(channels: int, size: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    noise = torch.randn(1, channels, size // 4, size // 4, generator=g)
    return F.interpolate(noise, size=(size, size), mode="bicubic", align_corners=False)


def test_srm_learns_a_known_subpixel_shift():
    torch.manual_seed(0)
    coarse = _smooth_features(8, 24)
    shift = torch.tensor([0.6, -0.4])  # fine-grid pixels, x then y
    offset = shift.view(1, 2, 1, 1).expand(1, 2, 48, 48)
    target = warp(coarse, offset)  # the fine features: the coarse map, shifted
    srm = SemanticRefinement(8, 8, hidden=16)
    optimizer = torch.optim.Adam(srm.parameters(), lr=1e-2)
    start = F.mse_loss(srm(coarse, target), target).item()
    for _ in range(200):
        loss = F.mse_loss(srm(coarse, target), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    srm.eval()
    with torch.no_grad():
        learned = srm.offsets(coarse, target)[..., 8:-8, 8:-8].mean(dim=(0, 2, 3))
        end = F.mse_loss(srm(coarse, target), target).item()
    assert end < start / 10
    assert torch.allclose(learned, shift, atol=0.1), learned


def test_gradients_reach_the_offsets():
    srm = SemanticRefinement(8, 8)
    coarse, fine = torch.randn(1, 8, 8, 8), torch.randn(1, 8, 16, 16)
    srm(coarse, fine).square().mean().backward()
    offset_conv = srm.offset_head[-1]
    assert offset_conv.weight.grad is not None and offset_conv.weight.grad.abs().sum() > 0
    assert offset_conv.bias.grad.abs().sum() > 0


def test_a_nan_offset_samples_the_plain_grid_and_other_offsets_pass_unchanged():
    """grid_sample's backward pass segfaults on a NaN grid (a diverging fine-tune crashed)."""
    coarse = torch.rand(1, 3, 6, 7)
    offset = torch.zeros(1, 2, 12, 14)
    offset[:, :, :4] = float("nan")
    offset[:, 0, 8:] = 1.0
    guarded = warp(coarse, offset)
    plain = F.interpolate(coarse, size=(12, 14), mode="bilinear", align_corners=False)
    assert torch.allclose(guarded[..., :8, :], plain[..., :8, :], atol=1e-6)  # NaN and zero: bilinear
    assert torch.equal(guarded, warp(coarse, offset.nan_to_num(0.0)))  # the shifted rows kept
    assert not torch.allclose(guarded[..., 8:, :], plain[..., 8:, :])


def test_crm_output_on_the_coarsest_grid_at_odd_sizes():
    torch.manual_seed(0)
    net = build_model(ModelConfig(decoder_channels=32)).eval()
    with torch.no_grad():
        feats = net.encoder(torch.rand(1, 3, 361, 479))
        out = net.decoder.context(feats)
    assert isinstance(net.decoder.context, ContextualRefinement)
    assert out.shape == (1, 32, *feats[-1].shape[-2:]) == (1, 32, 12, 15)


def test_network_output_matches_odd_input_size():
    net = build_model(ModelConfig(num_classes=5, decoder_channels=32)).eval()
    with torch.no_grad():
        out = net(torch.rand(1, 3, 361, 479))
    assert out.shape == (1, 5, 361, 479)
    net.train()
    logits, aux = net(torch.rand(2, 3, 97, 131), return_aux=True)
    assert logits.shape == (2, 5, 97, 131) and len(aux) == 2
    assert all(a.shape == logits.shape for a in aux)


def _count(net, kind) -> int:
    return sum(isinstance(m, kind) for m in net.modules())


def test_ablation_switches_remove_the_modules():
    full = build_model(ModelConfig())
    base = build_model(ModelConfig(srm=False, crm=False))
    only_srm = build_model(ModelConfig(crm=False))
    only_crm = build_model(ModelConfig(srm=False))
    assert _count(full, SemanticRefinement) == 6 and _count(full, ContextualRefinement) == 1
    assert _count(base, SemanticRefinement) == 0 and _count(base, ContextualRefinement) == 0
    assert _count(only_srm, SemanticRefinement) == 6 and _count(only_srm, ContextualRefinement) == 0
    assert _count(only_crm, SemanticRefinement) == 0 and _count(only_crm, ContextualRefinement) == 1
    n = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert n(base) < n(only_srm) < n(full) and n(base) < n(only_crm) < n(full)


class _TinyEncoder(torch.nn.Module):
    """A three-stage encoder at strides 2, 4, 8: what a new backbone file would hold."""

    out_channels, strides = (8, 16, 24), (2, 4, 8)

    def __init__(self):
        super().__init__()
        chans = (3, *self.out_channels)
        self.stages = torch.nn.ModuleList(torch.nn.Conv2d(a, b, 3, 2, 1) for a, b in zip(chans, chans[1:]))

    def forward(self, x):
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        return feats


def test_a_backbone_is_one_table_entry_and_the_decoder_follows_its_channels(monkeypatch):
    monkeypatch.setitem(ENCODERS, "tiny", f"{__name__}:_TinyEncoder")
    net = build_model(ModelConfig(num_classes=4, backbone="tiny", decoder_channels=16)).eval()
    assert isinstance(net.decoder.context, ContextualRefinement) and net.decoder.context.factors == (4, 2, 1)
    with torch.no_grad():
        assert net(torch.rand(1, 3, 50, 70)).shape == (1, 4, 50, 70)
    assert _count(net, SemanticRefinement) == 4  # two top-down and two fusion steps for 3 stages


def test_every_listed_encoder_states_the_channels_and_strides_it_returns():
    from srcrm.models.registry import resolve

    for name in ENCODERS:
        encoder = resolve(ENCODERS, name)().eval()
        with torch.no_grad():
            feats = encoder(torch.rand(1, 3, 64, 96))
        assert tuple(f.shape[1] for f in feats) == encoder.out_channels, name
        assert tuple(64 // f.shape[2] for f in feats) == encoder.strides, name
