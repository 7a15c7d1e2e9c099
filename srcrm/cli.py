"""The ``srcrm`` command line. Output lines that scripts read (``GFLOPs: N``, ``params: N``,
``mIoU: N``) are a stable contract; see the README."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from srcrm.config import ModelConfig


def _size(text: str) -> tuple[int, int]:
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HxW, e.g. 1024x2048, got {text!r}") from None
    if h < 32 or w < 32:
        raise argparse.ArgumentTypeError("height and width must be at least 32")
    return h, w


def _add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backbone", default="resnet18", choices=["resnet18", "resnet50", "resnet101"])
    p.add_argument("--decoder-channels", type=int, default=128)
    p.add_argument("--no-srm", action="store_true", help="bilinear upsampling instead of SRM (ablation)")
    p.add_argument("--no-crm", action="store_true", help="a 1x1 lateral instead of CRM (ablation)")


def _model_config(args, num_classes: int = 11) -> ModelConfig:
    return ModelConfig(num_classes=num_classes, backbone=args.backbone,
                       decoder_channels=args.decoder_channels, srm=not args.no_srm, crm=not args.no_crm)


def _checkpoint_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", default=None, help="a .pt checkpoint or model manifest "
                   "(default: the bundled model)")


# --- commands ------------------------------------------------------------------------------


def cmd_train(args) -> int:
    from tqdm import tqdm

    from srcrm.data.augment import AugmentConfig
    from srcrm.losses import LossConfig
    from srcrm.plots import plot_class_iou, plot_training
    from srcrm.train import TrainConfig, Trainer
    from srcrm.evaluate import format_table

    cfg = TrainConfig(
        data=args.data, out_dir=args.out, steps=args.steps, batch_size=args.batch_size, lr=args.lr,
        model=_model_config(args), augment=AugmentConfig(crop=args.crop, scale=tuple(args.scale), jitter=args.jitter,
                              blur=args.blur, focus=args.focus),
        warmup_steps=args.warmup, checkpoint_every=args.checkpoint_every,
        loss=LossConfig(ohem=args.ohem), amp=args.amp, sync_bn=args.sync_bn,
        eval_every=args.eval_every, seed=args.seed, device=args.device, workers=args.workers,
        init_from=args.init_from, freeze_backbone=args.freeze_backbone, val_split=args.val_split)
    trainer = Trainer(cfg)
    bar = tqdm(total=cfg.steps, initial=0, desc="train", disable=not trainer.dist.is_main)

    def on_event(event):
        if event.kind == "step":
            bar.n = event.step
            bar.set_postfix(loss=f"{event.loss:.3f}", lr=f"{event.lr:.2e}")
        elif event.kind == "eval":
            bar.write(f"step {event.step}: val mIoU {100 * event.metrics['miou']:.2f}")

    trainer.on_event = on_event
    metrics = trainer.fit()
    bar.close()
    if trainer.dist.is_main:
        out = Path(args.out)
        plot_training({cfg.model.name: trainer.history}, out / "curves.png")
        if metrics:
            print(format_table(metrics))
            plot_class_iou({cfg.model.name: metrics}, out / "class_iou.png")
        print(f"checkpoint: {out / 'model.pt'}")
    return 0


def cmd_eval(args) -> int:
    from srcrm.checkpoint import load_checkpoint
    from srcrm.data.datasets import open_dataset
    from srcrm.device import pick_device
    from srcrm.evaluate import evaluate, format_table
    from srcrm.inference import InferenceConfig

    ckpt = load_checkpoint(args.checkpoint)
    data = open_dataset(args.data, args.split)
    if data.labelset.num_classes != ckpt.config.num_classes:
        print(f"error: the model has {ckpt.config.num_classes} classes but {args.data} has "
              f"{data.labelset.num_classes}", file=sys.stderr)
        return 2
    device = pick_device(args.device)
    inference = InferenceConfig(mode="slide" if args.slide else "whole", flip=args.flip,
                                scales=tuple(args.scales))
    result = evaluate(ckpt.build_model().to(device), data, device, inference)
    print(format_table(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    if args.plot:
        from srcrm.plots import plot_class_iou

        plot_class_iou({"model": result}, args.plot)
    return 0


def cmd_predict(args) -> int:
    from srcrm.predict_files import is_video, predict_paths, predict_video

    if any(is_video(p) for p in args.inputs):
        if len(args.inputs) > 1:
            raise ValueError("give a video alone: its frames go to --out DIR as NNNNNN.png")
        return predict_video(Path(args.inputs[0]), Path(args.out), args.checkpoint, args.device,
                             overlays=not args.no_overlay)
    return predict_paths(args.inputs, Path(args.out), args.checkpoint, args.device,
                         overlays=not args.no_overlay)


def cmd_flops(args) -> int:
    from srcrm.checkpoint import CheckpointError, load_checkpoint
    from srcrm.flops import count_gmacs, count_params
    from srcrm.models import build_model

    if args.checkpoint or not any((args.no_srm, args.no_crm, args.backbone != "resnet18")):
        try:
            model = load_checkpoint(args.checkpoint).build_model()
        except CheckpointError:
            if args.checkpoint:
                raise
            model = build_model(ModelConfig())  # no bundled model yet: its architecture
    else:
        model = build_model(_model_config(args))
    h, w = args.size
    print(f"model: {model.cfg.name}, input {h}x{w}")
    print(f"GFLOPs: {count_gmacs(model, h, w):.2f}")
    print(f"params: {count_params(model)}")
    return 0


def cmd_export(args) -> int:
    import torch

    from srcrm.checkpoint import load_checkpoint
    from srcrm.export import export_onnx, export_torchscript

    model = load_checkpoint(args.checkpoint).build_model()
    example = torch.rand(1, 3, *args.size)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    checks = []
    if args.format in ("onnx", "both"):
        checks.append(export_onnx(model, out / "model.onnx", example))
    if args.format in ("torchscript", "both"):
        checks.append(export_torchscript(model, out / "model.torchscript.pt", example))
    for check in checks:
        print(check)
    return 0 if all(c.label_agreement > 0.999 for c in checks) else 1


def cmd_bench(args) -> int:
    from srcrm.bench import BenchConfig, run_benchmark

    cfg = BenchConfig(device=args.device, train_size=args.train_size, infer_size=args.infer_size,
                      batch_size=args.batch_size, repeats=args.repeats)
    print(run_benchmark(cfg, _model_config(args)))
    return 0


# --- parser --------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="srcrm", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train a model (torchrun for several GPUs)")
    p.add_argument("--data", required=True)
    p.add_argument("--out", default="runs/train")
    p.add_argument("--steps", type=int, default=10_000)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--crop", type=_size, default=(360, 480))
    p.add_argument("--scale", type=float, nargs=2, default=[0.5, 2.0], metavar=("MIN", "MAX"),
                   help="random rescaling range")
    p.add_argument("--warmup", type=int, default=200, help="linear warm-up steps")
    p.add_argument("--checkpoint-every", type=int, default=500, help="steps between resumable saves")
    p.add_argument("--jitter", type=float, default=0.25, help="colour jitter strength")
    p.add_argument("--blur", type=float, default=0.0, help="share of crops blurred")
    p.add_argument("--focus", type=float, default=0.0,
                   help="share of crops centred on a uniformly drawn class (over-samples rare ones)")
    p.add_argument("--ohem", action="store_true")
    p.add_argument("--amp", default="auto", choices=["auto", "bf16", "fp16", "off"])
    p.add_argument("--sync-bn", action="store_true")
    p.add_argument("--eval-every", type=int, default=0)
    p.add_argument("--val-split", default="val")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--init-from", default=None, help="start from this checkpoint's weights")
    p.add_argument("--freeze-backbone", action="store_true")
    _add_model_args(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("eval", help="per-class IoU table and mIoU on a split")
    p.add_argument("--data", required=True)
    p.add_argument("--split", default="val")
    _checkpoint_arg(p)
    p.add_argument("--device", default="auto")
    p.add_argument("--slide", action="store_true", help="sliding-window inference")
    p.add_argument("--flip", action="store_true", help="flip test-time augmentation")
    p.add_argument("--scales", type=float, nargs="+", default=[1.0])
    p.add_argument("--json", help="also write the metrics to this JSON file")
    p.add_argument("--plot", help="also draw the per-class IoU chart to this PNG")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("predict", help="label images, folders or videos")
    p.add_argument("inputs", nargs="+", help="images and folders, or one video")
    p.add_argument("--out", required=True, help="output folder: NAME.png per image; for a "
                   "video NNNNNN.png per frame (zero-based), resumed if a run was stopped")
    _checkpoint_arg(p)
    p.add_argument("--device", default="auto")
    p.add_argument("--no-overlay", action="store_true",
                   help="write label maps only (no overlays/NAME.jpg, no overlay.mp4)")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("flops", help="multiply-adds (GFLOPs as papers count them) and parameters")
    p.add_argument("--size", type=_size, default=(1024, 2048))
    _checkpoint_arg(p)
    _add_model_args(p)
    p.set_defaults(func=cmd_flops)

    p = sub.add_parser("export", help="ONNX and TorchScript, checked against the eager model")
    _checkpoint_arg(p)
    p.add_argument("--out", required=True)
    p.add_argument("--format", default="both", choices=["onnx", "torchscript", "both"])
    p.add_argument("--size", type=_size, default=(512, 1024), help="example input size")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("bench", help="training and inference speed, full model vs baseline")
    p.add_argument("--device", default="auto")
    p.add_argument("--train-size", type=_size, default=(256, 256))
    p.add_argument("--infer-size", type=_size, default=(360, 480))
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--repeats", type=int, default=5)
    _add_model_args(p)
    p.set_defaults(func=cmd_bench)

    from srcrm.finetune_cli import register as register_finetune
    from srcrm.formats.cli import register

    register(sub)
    register_finetune(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from srcrm.checkpoint import CheckpointError
    from srcrm.io import ImageReadError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (CheckpointError, ImageReadError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
