"""``srcrm finetune``: fine-tune a checkpoint on a folder of corrected images.

Prints the before/after table and the lines scripts read (``mIoU before: N``, ``mIoU after: N``).
``--events PATH`` (or ``-`` for stdout) streams one JSON object per line for a parent process
(the app): ``start``, ``step``, ``eval``, ``done`` with the report, and ``error`` or
``cancelled``. With ``--events -`` stdout carries only those lines; the table goes to stderr.
SIGTERM and Ctrl-C cancel cleanly: nothing is written and the exit code is 130.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from typing import TYPE_CHECKING

from srcrm.commands.events import EXIT_CANCELLED, cancel_on_signals, event_stream, reported_end
from srcrm.commands.options import size

if TYPE_CHECKING:
    from srcrm.train.finetune import FinetuneReport


def register(subparsers) -> None:
    """Add the ``finetune`` sub-command to an argparse subparsers object. Options left out are
    left out of the namespace too, so :class:`FinetuneConfig` alone holds the defaults (and
    torch is imported only when the command runs)."""
    p = subparsers.add_parser(
        "finetune",
        argument_default=argparse.SUPPRESS,
        help="fine-tune a model on corrected images, with a before/after report",
        description="Fine-tune a checkpoint on DIR/images/NAME.* + DIR/labels/NAME.png + "
        "DIR/classes.txt. Part of the images is held out to score the model before "
        "and after. classes.txt may rename the model's classes or append new ones.",
    )
    p.add_argument(
        "--from",
        dest="parent",
        metavar="CHECKPOINT",
        help="a .pt checkpoint or model manifest (default: the bundled model)",
    )
    p.add_argument("--data", required=True, metavar="DIR")
    p.add_argument("--out", required=True, metavar="NEW.pt")
    p.add_argument("--steps", type=int)
    p.add_argument(
        "--budget-s",
        type=float,
        metavar="SECONDS",
        help="stop training after this many seconds (--steps is then the most it may take)",
    )
    p.add_argument("--lr", type=float)
    p.add_argument(
        "--crop", type=size, help="training crop HxW (default: 512x512 on a GPU, 256x256 on the CPU)"
    )
    p.add_argument("--batch-size", type=int)
    p.add_argument("--freeze-backbone", action="store_true")
    p.add_argument(
        "--keep-bn-statistics",
        action=argparse.BooleanOptionalAction,
        help="batch norm keeps the parent's running statistics (small batches drift them)",
    )
    p.add_argument(
        "--holdout",
        dest="holdout_fraction",
        type=float,
        metavar="F",
        help="share of the images held out for the before/after scores",
    )
    p.add_argument(
        "--eval-every", type=int, help="steps between holdout scores (default: about five in the run)"
    )
    p.add_argument("--seed", type=int)
    p.add_argument("--device")
    p.add_argument("--events", metavar="PATH|-", help="write progress as JSON lines here")
    p.add_argument("--report", metavar="PNG", help="also draw the before/after per-class chart")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from srcrm.base.outputs import refuse_aliasing
    from srcrm.train.finetune import FinetuneConfig, finetune, input_paths

    cfg = FinetuneConfig(
        **{f.name: getattr(args, f.name) for f in fields(FinetuneConfig) if hasattr(args, f.name)}
    )
    events, report_png = getattr(args, "events", None), getattr(args, "report", None)
    refuse_aliasing(
        [args.out, None if events == "-" else events, report_png],
        input_paths(getattr(args, "parent", None), args.data),
    )
    to_stdout = events == "-"
    human = sys.stderr if to_stdout else sys.stdout
    with event_stream(events) as send, cancel_on_signals() as cancelled:
        bar = tqdm(total=cfg.steps, desc="fine-tune", disable=to_stdout)

        def on_event(event) -> None:
            send(event.to_dict())
            if event.kind == "step":
                bar.update(event.step - bar.n)
                bar.set_postfix(loss=f"{event.loss:.3f}")
            elif event.kind in ("start", "eval") and event.miou is not None:
                bar.write(f"step {event.step}: holdout mIoU {100 * event.miou:.2f}", file=human)

        with reported_end(send, bar.close, "; nothing was written") as ending:
            report = finetune(
                getattr(args, "parent", None), args.data, args.out, cfg, on_event, cancelled.is_set
            )
        if ending.cancelled:
            return EXIT_CANCELLED
        moved = (
            (f"cannot write {report.save_error}; the trained model was saved to {report.out} instead")
            if report.save_error
            else ""
        )
        if moved:  # the app shows this message
            send({"kind": "error", "message": moved})
    print(format_comparison(report), file=human)
    if report_png and report.before:
        plot_comparison(report, report_png)
    if moved:
        print(f"error: {moved}", file=sys.stderr)
        return 2
    return 0


def format_comparison(report: FinetuneReport) -> str:
    """Per-class IoU before and after on the holdout, then the summary lines scripts read."""
    lines = [
        f"trained on {len(report.train_names)} images, {report.steps} steps, "
        f"{report.seconds:.0f} s on {report.device}"
    ]
    if not report.before:
        lines.append("no holdout images (a single image, or --holdout 0): no before/after scores")
    else:
        names = list(report.before["iou"])
        width = max(len(n) for n in names + ["class"])
        rule = "-" * (width + 26)
        lines += [
            f"holdout: {len(report.holdout_names)} images",
            rule,
            f"{'class':<{width}}  before   after  change",
            rule,
        ]
        for name in names:
            b, a = 100 * report.before["iou"][name], 100 * report.after["iou"][name]
            lines.append(f"{name:<{width}}  {b:6.2f}  {a:6.2f}  {a - b:+6.2f}")
        lines.append(rule)
        for label, key in (
            ("pixel accuracy", "pixel_acc"),
            ("boundary F", "boundary_f"),
            ("pixels to change", "to_change"),
            ("mIoU", "miou"),
        ):
            lines += [
                f"{label} before: {100 * report.before[key]:.2f}",
                f"{label} after: {100 * report.after[key]:.2f}",
            ]
    lines.append(f"checkpoint: {report.out}")
    return "\n".join(lines)


def plot_comparison(report: FinetuneReport, path) -> None:
    from srcrm.evaluation.plots import plot_class_iou

    names = list(report.before["iou"])
    results = {
        f"{when} (mIoU {100 * scores['miou']:.1f}%)": {
            "class_names": names,
            "iou": list(scores["iou"].values()),
        }
        for when, scores in (("before", report.before), ("after", report.after))
    }
    plot_class_iou(results, path)
