"""``srcrm eval``: the per-class IoU table and mIoU of a checkpoint on a dataset split."""

from __future__ import annotations

import argparse
import json
import sys

from srcrm.commands.options import add_checkpoint_arg


def register(subparsers) -> None:
    p = subparsers.add_parser("eval", help="per-class IoU table and mIoU on a split")
    p.add_argument("--data", required=True)
    p.add_argument("--split", default="val")
    add_checkpoint_arg(p)
    p.add_argument("--device", default="auto")
    p.add_argument("--slide", action="store_true", help="sliding-window inference")
    p.add_argument("--flip", action="store_true", help="flip test-time augmentation")
    p.add_argument("--scales", type=float, nargs="+", default=[1.0])
    p.add_argument("--json", help="also write the metrics to this JSON file")
    p.add_argument("--plot", help="also draw the per-class IoU chart to this PNG")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from srcrm.base.device import pick_device
    from srcrm.base.io import atomic_write_text
    from srcrm.base.outputs import refuse_aliasing
    from srcrm.data.datasets import open_dataset
    from srcrm.evaluation.evaluate import evaluate, format_table
    from srcrm.inference.strategy import InferenceConfig
    from srcrm.models.checkpoint import checkpoint_files, load_checkpoint

    refuse_aliasing([args.json, args.plot], [args.data, *checkpoint_files(args.checkpoint)])
    inference = InferenceConfig(
        mode="slide" if args.slide else "whole", flip=args.flip, scales=tuple(args.scales)
    )
    ckpt = load_checkpoint(args.checkpoint)
    data = open_dataset(args.data, args.split)
    if data.labelset.num_classes != ckpt.config.num_classes:
        print(
            f"error: the model has {ckpt.config.num_classes} classes but {args.data} has "
            f"{data.labelset.num_classes}",
            file=sys.stderr,
        )
        return 2
    device = pick_device(args.device)
    result = evaluate(ckpt.build_model().to(device), data, device, inference)
    print(format_table(result))
    if args.json:
        atomic_write_text(args.json, json.dumps(result, indent=2))
    if args.plot:
        from srcrm.evaluation.plots import plot_class_iou

        plot_class_iou({"model": result}, args.plot)
    return 0
