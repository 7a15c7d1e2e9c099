"""``srcrm flops``: multiply-adds (GFLOPs as papers count them) and parameters."""

from __future__ import annotations

import argparse

from srcrm.commands.options import add_checkpoint_arg, add_model_args, model_config, size


def register(subparsers) -> None:
    p = subparsers.add_parser("flops", help="multiply-adds (GFLOPs as papers count them) and parameters")
    p.add_argument("--size", type=size, default=(1024, 2048))
    add_checkpoint_arg(p)
    add_model_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from srcrm.checkpoint import CheckpointError, load_checkpoint
    from srcrm.config import ModelConfig
    from srcrm.flops import count_gmacs, count_params
    from srcrm.models import build_model

    if args.checkpoint or not any((args.no_srm, args.no_crm, args.backbone != ModelConfig.backbone)):
        try:
            model = load_checkpoint(args.checkpoint).build_model()
        except CheckpointError:
            if args.checkpoint:
                raise
            model = build_model(ModelConfig())  # no bundled model yet: its architecture
    else:
        model = build_model(model_config(args))
    h, w = args.size
    print(f"model: {model.cfg.name}, input {h}x{w}")
    print(f"GFLOPs: {count_gmacs(model, h, w):.2f}")
    print(f"params: {count_params(model)}")
    return 0
