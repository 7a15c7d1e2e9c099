"""``srcrm bench``: training and inference speed, the full model against the baseline, and fp32
against the fast paths."""

from __future__ import annotations

import argparse

from srcrm.commands.options import add_model_args, model_config, model_flags_given, size


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "bench", help="training and inference speed: full model vs baseline, fp32 vs the fast paths"
    )
    p.add_argument("--device", default="auto")
    p.add_argument("--train-size", type=size, default=(256, 256))
    p.add_argument("--infer-size", type=size, default=(360, 480))
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument(
        "--compile", action="store_true", help="also time torch.compile (minutes of compiling on a CPU)"
    )
    add_model_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from srcrm.models.checkpoint import load_checkpoint
    from srcrm.recipes.bench import BenchConfig, default_vs_reference_lines, run_benchmark

    cfg = BenchConfig(
        device=args.device,
        train_size=args.train_size,
        infer_size=args.infer_size,
        batch_size=args.batch_size,
        repeats=args.repeats,
        compile=args.compile,
    )
    default = load_checkpoint(None).config
    print(run_benchmark(cfg, model_config(args) if model_flags_given(args) else default))
    print("\n".join(default_vs_reference_lines(default, cfg)))
    return 0
