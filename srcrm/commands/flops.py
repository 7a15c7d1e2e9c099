"""``srcrm flops``: multiply-adds (GFLOPs as papers count them) and parameters."""

from __future__ import annotations

import argparse

from srcrm.commands.options import add_checkpoint_arg, add_model_args, model_config, model_flags_given, size


def register(subparsers) -> None:
    p = subparsers.add_parser("flops", help="multiply-adds (GFLOPs as papers count them) and parameters")
    p.add_argument("--size", type=size, default=(1024, 2048))
    add_checkpoint_arg(p)
    add_model_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from srcrm.models import build_model
    from srcrm.models.checkpoint import load_checkpoint
    from srcrm.models.flops import count_gmacs, count_params
    from srcrm.recipes.bench import REFERENCE

    if args.checkpoint or not model_flags_given(args):
        model = load_checkpoint(args.checkpoint).build_model()
    else:
        model = build_model(model_config(args))
    h, w = args.size
    print(f"model: {model.cfg.name}, input {h}x{w}")
    print(f"GFLOPs: {count_gmacs(model, h, w):.2f}")
    print(f"params: {count_params(model)}")
    if not args.checkpoint and not model_flags_given(args) and model.cfg != REFERENCE:
        reference = build_model(REFERENCE)
        print(
            f"reference {REFERENCE.name}: {count_gmacs(reference, h, w):.2f} GFLOPs, "
            f"{count_params(reference)} params"
        )
    return 0
