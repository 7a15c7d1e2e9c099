"""The ``srcrm`` command line. Output lines that scripts read (``GFLOPs: N``, ``params: N``,
``mIoU: N``) are a stable contract; see the README."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import signal
import sys
import threading

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
    "learn": "srcrm.commands.learn",
}


class _Parser(argparse.ArgumentParser):
    """Usage errors as one ``error:`` line too (exit 2), like every other error."""

    def error(self, message: str):
        print(f"error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser with every command, or with ``only`` that one (so that running a command
    imports no other command's module)."""
    parser = _Parser(prog="srcrm", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, module in COMMANDS.items():
        if only in (None, name):
            importlib.import_module(module).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    named = next((a for a in argv if not a.startswith("-")), None)
    try:
        args = build_parser(named if named in COMMANDS else None).parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error already said in one line
        return int(exc.code or 0)
    with _terminate_as_interrupt():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    """The command, with its errors as one ``error:`` line and exit code 2."""
    try:
        if getattr(args, "out", None):
            from srcrm.base.io import refuse_bundled_output

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


@contextlib.contextmanager
def _terminate_as_interrupt():
    """SIGTERM (a kill, a container stopping) ends a command as Ctrl-C does: the ``finally``
    blocks run, so no temporary file of an atomic write is left behind."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
