"""``srcrm predict``: label images, folders, or one video."""

from __future__ import annotations

import argparse
from pathlib import Path

from srcrm.commands.options import add_checkpoint_arg


def register(subparsers) -> None:
    p = subparsers.add_parser("predict", help="label images, folders or videos")
    p.add_argument("inputs", nargs="+", help="images and folders, or one video")
    p.add_argument(
        "--out",
        required=True,
        help="output folder: NAME.png per image; for a "
        "video NNNNNN.png per frame (zero-based), resumed if a run was stopped",
    )
    add_checkpoint_arg(p)
    p.add_argument("--device", default="auto")
    p.add_argument(
        "--no-overlay",
        action="store_true",
        help="write label maps only (no overlays/NAME.jpg, no overlay.mp4)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from srcrm.inference.files import is_video, predict_paths, predict_video

    if any(is_video(p) for p in args.inputs):
        if len(args.inputs) > 1:
            raise ValueError("give a video alone: its frames go to --out DIR as NNNNNN.png")
        return predict_video(
            Path(args.inputs[0]), Path(args.out), args.checkpoint, args.device, overlays=not args.no_overlay
        )
    return predict_paths(
        args.inputs, Path(args.out), args.checkpoint, args.device, overlays=not args.no_overlay
    )
