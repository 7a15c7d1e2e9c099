"""The ``srcrm`` command line. Output lines that scripts read (``GFLOPs: N``, ``params: N``,
``mIoU: N``) are a stable contract; see the README."""

from __future__ import annotations

import argparse
import importlib
import sys

# Every sub-command: its name and the module whose ``register(subparsers)`` adds it, in the
# order ``srcrm --help`` lists them. Adding a command is one module and one line here.
COMMANDS = {
    "train": "srcrm.commands.train",
    "eval": "srcrm.commands.evaluate",
    "predict": "srcrm.commands.predict",
    "flops": "srcrm.commands.flops",
    "export": "srcrm.commands.export",
    "bench": "srcrm.commands.bench",
    "convert": "srcrm.formats.cli",
    "finetune": "srcrm.commands.finetune",
    "cutout": "srcrm.commands.cutout",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser with every command, or with ``only`` that one (so that running a command
    imports no other command's module)."""
    parser = argparse.ArgumentParser(prog="srcrm", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, module in COMMANDS.items():
        if only in (None, name):
            importlib.import_module(module).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    named = next((a for a in argv if not a.startswith("-")), None)
    args = build_parser(named if named in COMMANDS else None).parse_args(argv)
    try:
        if getattr(args, "out", None):
            from srcrm.io import refuse_bundled_output

            refuse_bundled_output(args.out)
        return args.func(args)
    except (FileNotFoundError, ValueError) as exc:  # CheckpointError and ImageReadError too
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a full disk, a read-only output: one line, not a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
