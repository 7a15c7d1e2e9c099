"""Argument types and option groups that several commands share."""

from __future__ import annotations

import argparse

from srcrm.models.config import ModelConfig
from srcrm.models.registry import ENCODERS

MAX_SIDE = 8192
MAX_SIZE_PIXELS = 4096 * 4096  # a forward pass of this size already takes gigabytes


def size(text: str) -> tuple[int, int]:
    """``HxW`` as ``(h, w)``: at least 32 pixels each way (the network's coarsest stride), at
    most :data:`MAX_SIDE`, and :data:`MAX_SIZE_PIXELS` in all."""
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HxW, e.g. 1024x2048, got {text!r}") from None
    if not (32 <= h <= MAX_SIDE and 32 <= w <= MAX_SIDE) or h * w > MAX_SIZE_PIXELS:
        raise argparse.ArgumentTypeError(
            f"height and width must be from 32 to {MAX_SIDE}, and {MAX_SIZE_PIXELS:,} pixels "
            f"at most in all; got {h}x{w}"
        )
    return h, w


def add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--backbone", default=None, choices=list(ENCODERS), help=f"default: {ModelConfig.backbone}"
    )
    p.add_argument(
        "--decoder-channels", type=int, default=None, help=f"default: {ModelConfig.decoder_channels}"
    )
    p.add_argument("--no-srm", action="store_true", help="bilinear upsampling instead of SRM (ablation)")
    p.add_argument("--no-crm", action="store_true", help="a 1x1 lateral instead of CRM (ablation)")
    p.add_argument(
        "--no-srm-in-fusion",
        action="store_true",
        help="bilinear where the levels are fused at the finest grid; SRM only in the top-down path",
    )


def model_flags_given(args: argparse.Namespace) -> bool:
    """Whether any :func:`add_model_args` option was given (else a command may use the bundled
    model's architecture)."""
    return any((args.backbone, args.decoder_channels, args.no_srm, args.no_crm, args.no_srm_in_fusion))


def model_config(args: argparse.Namespace, num_classes: int = 11) -> ModelConfig:
    """The architecture that :func:`add_model_args` options describe."""
    return ModelConfig(
        num_classes=num_classes,
        backbone=args.backbone or ModelConfig.backbone,
        decoder_channels=args.decoder_channels or ModelConfig.decoder_channels,
        srm=not args.no_srm,
        crm=not args.no_crm,
        srm_in_fusion=not args.no_srm_in_fusion,
    )


def add_checkpoint_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--checkpoint", default=None, help="a .pt checkpoint or model manifest (default: the bundled model)"
    )
