"""``srcrm export``: ONNX and TorchScript files, each checked against the eager model."""

from __future__ import annotations

import argparse
from pathlib import Path

from srcrm.commands.options import add_checkpoint_arg, size


def register(subparsers) -> None:
    p = subparsers.add_parser("export", help="ONNX and TorchScript, checked against the eager model")
    add_checkpoint_arg(p)
    p.add_argument("--out", required=True)
    p.add_argument("--format", default="both", choices=["onnx", "torchscript", "both"])
    p.add_argument("--size", type=size, default=(512, 1024), help="example input size")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import torch

    from srcrm.base.outputs import refuse_aliasing
    from srcrm.inference.export import export_onnx, export_torchscript
    from srcrm.models.checkpoint import checkpoint_files, load_checkpoint

    out = Path(args.out)
    refuse_aliasing([out / "model.onnx", out / "model.torchscript.pt"], checkpoint_files(args.checkpoint))
    model = load_checkpoint(args.checkpoint).build_model()
    example = torch.rand(1, 3, *args.size)
    checks = []
    if args.format in ("onnx", "both"):
        checks.append(export_onnx(model, out / "model.onnx", example))
    if args.format in ("torchscript", "both"):
        checks.append(export_torchscript(model, out / "model.torchscript.pt", example))
    for check in checks:
        print(check)
    return 0 if all(c.label_agreement > 0.999 for c in checks) else 1
