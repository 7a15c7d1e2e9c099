"""``srcrm learn``: learn from the images a person marked done, as the app's learning mode does.

DIR is a fine-tuning folder (``images/``, ``labels/``, ``classes.txt``): the images with a label
are done, those without are still to label; they are visited in natural name order, or in the
order of ``--order FILE``. With ``--every K`` the done images are replayed in that order and the
model is updated after every K of them (and once more on all of them); without it, one update
on all of them. Each update trains within ``--budget-s`` seconds at the lowest priority and is
kept only if it leaves no more to fix on the newest done image (:mod:`srcrm.train.learning`). If one
was kept, OUT gets ``model.pt`` and ``prelabels/NAME.png`` (class ids) with
``NAME.confidence.png`` (0..255) for every image still to label, except those named in
``--keep FILE`` (images a person edited); OUT always gets ``summary.json``.

Prints one line per update (what a person reads); ``--events PATH`` (or ``-``) streams JSON lines
(``train``, ``relabel``, ``done`` with the summary, ``cancelled``, ``error``) for a parent process.
SIGTERM and Ctrl-C cancel (exit code 130): an update in progress writes nothing; pre-labels
written before the cancel stay, each one whole.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from dataclasses import asdict, replace
from pathlib import Path

from srcrm.commands.events import EXIT_CANCELLED, cancel_on_signals, event_stream, reported_end


def register(subparsers) -> None:
    """Add the ``learn`` sub-command. Options left out are left out of the namespace, so
    :class:`srcrm.train.learning.LearnConfig` alone holds the defaults (and torch is imported only
    when the command runs)."""
    p = subparsers.add_parser(
        "learn",
        argument_default=argparse.SUPPRESS,
        help="learn from the images marked done and pre-label the rest again",
        description=__doc__.split("\n\n")[1],
    )
    p.add_argument(
        "--from",
        dest="parent",
        default=None,
        metavar="CHECKPOINT",
        help="a .pt checkpoint or model manifest (default: the bundled model)",
    )
    p.add_argument("--data", required=True, metavar="DIR")
    p.add_argument(
        "--out", required=True, metavar="OUT", help="a folder for model.pt, prelabels/, summary.json"
    )
    p.add_argument(
        "--every",
        type=int,
        default=0,
        metavar="K",
        help="replay: an update after every K done images, in order (the app updates after every "
        "LearnConfig.every); 0 (default): one update on all of them",
    )
    p.add_argument(
        "--budget-s",
        type=float,
        metavar="S",
        help="training seconds per update: the loop stops there (default: LearnConfig's)",
    )
    p.add_argument(
        "--holdout",
        type=int,
        metavar="N",
        help="newest done images that judge an update instead of training it (default: LearnConfig's)",
    )
    p.add_argument(
        "--order", default=None, metavar="FILE", help="the visiting order: one image name per line"
    )
    p.add_argument(
        "--keep", default=None, metavar="FILE", help="images never to pre-label again: one name per line"
    )
    p.add_argument("--device", default="cpu", help="default: cpu (the person keeps the GPU)")
    p.add_argument("--events", default=None, metavar="PATH|-", help="write progress as JSON lines here")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from srcrm.inference.predictor import Predictor
    from srcrm.train.finetune import Cancelled
    from srcrm.train.learning import LearnConfig, Learner, lower_priority, relabel

    base = LearnConfig()
    cfg = LearnConfig(
        every=args.every,
        holdout=getattr(args, "holdout", base.holdout),
        train=replace(
            base.train, budget_s=getattr(args, "budget_s", base.train.budget_s), device=args.device
        ),
    )
    lower_priority(cfg.threads)
    images, done = visiting_order(Path(args.data), args.order)
    keep = set(_names(args.keep)) if args.keep else set()
    todo = [path for path in images if path.stem not in done and path.stem not in keep]
    stops = list(range(cfg.every, len(done), cfg.every)) if cfg.every else []
    to_stdout = args.events == "-"
    out = Path(args.out)
    with (
        event_stream(args.events) as send,
        cancel_on_signals() as cancelled,
        tempfile.TemporaryDirectory(prefix="srcrm-learn-") as work,
    ):
        learner = Learner(args.parent, Path(work), cfg)
        bar = tqdm(total=100, desc="learn", unit="%", disable=to_stdout, bar_format="{l_bar}{bar}| {n:.0f}%")

        def on_event(event) -> None:
            send(event.to_dict())
            bar.n = 100 * event.fraction
            bar.refresh()

        with reported_end(send, bar.close) as ending:
            for n in [*stops, len(done)]:
                bar.reset()
                bar.set_description(f"update on {n} done images")
                summary = learner.update(args.data, done[:n], on_event=on_event, should_stop=cancelled.is_set)
                bar.write(summary.message(), file=sys.stderr if to_stdout else sys.stdout)
            relabelled = []
            if learner.model != args.parent:
                out.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(learner.model, out / "model.pt")
                bar.reset()
                bar.set_description("pre-label")
                predictor = Predictor.from_checkpoint(learner.model, cfg.train.device)
                relabelled = relabel(
                    predictor,
                    todo,
                    lambda name, p: write_prelabel(out / "prelabels", name, p),
                    on_event=on_event,
                    should_stop=cancelled.is_set,
                )
                if cancelled.is_set():
                    raise Cancelled(f"cancelled after {len(relabelled)} of {len(todo)} pre-labels")
        if ending.cancelled:
            return EXIT_CANCELLED
    out.mkdir(parents=True, exist_ok=True)
    summaries = [asdict(s) for s in learner.updates]
    (out / "summary.json").write_text(json.dumps({"updates": summaries, "relabelled": relabelled}, indent=1))
    kept = sum(s.accepted for s in learner.updates)
    print(f"updates kept: {kept} of {len(learner.updates)}; images re-labelled: {len(relabelled)}")
    return 0


def visiting_order(root: Path, order_file: str | None) -> tuple[list[Path], list[str]]:
    """The images of a fine-tuning folder in visiting order, and the names of the done ones
    (those with a label) in the same order."""
    from srcrm.base.natural_sort import natural_key
    from srcrm.base.suffixes import IMAGE_SUFFIXES

    base = root if (root / "images").is_dir() else root / "train"
    images = sorted(
        (p for p in (base / "images").iterdir() if p.suffix.lower() in IMAGE_SUFFIXES),
        key=lambda p: natural_key(p.name),
    )
    if order_file:
        rank = {Path(name).stem: i for i, name in enumerate(_names(order_file))}
        images.sort(key=lambda p: rank.get(p.stem, len(rank)))
    return images, [p.stem for p in images if (base / "labels" / f"{p.stem}.png").is_file()]


def write_prelabel(folder: Path, name: str, prediction) -> None:
    from srcrm.base.io import write_png

    write_png(folder / f"{name}.png", prediction.labels)
    write_png(folder / f"{name}.confidence.png", (prediction.confidence * 255).round().astype("uint8"))


def _names(path: str) -> list[str]:
    return [line.strip() for line in Path(path).read_text().splitlines() if line.strip()]
