"""Encoders (backbones), one module per family, listed in :data:`srcrm.models.registry.ENCODERS`.

An encoder is an ``nn.Module`` whose ``forward(x)`` takes normalised RGB (N,3,H,W) and returns
its stages finest first, and which states ``out_channels`` and ``strides`` (one per stage,
relative to the input) so that a decoder can be built for it without running it.
"""
