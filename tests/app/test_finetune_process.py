"""The child-process runner: JSON lines to signals, and every way a child can end. Small Python
children stand in for the trainer where the point is how the runner reacts."""

from __future__ import annotations

import sys
import textwrap
from dataclasses import asdict, fields

import pytest

from app.finetune.process import FinetuneCommand, FinetuneProcess
from srcrm.cli import build_parser
from srcrm.train.finetune import FinetuneConfig


class Recorder:
    def __init__(self, process: FinetuneProcess):
        self.events: list[tuple[str, object]] = []
        for name in ("started", "step", "evaluated", "succeeded", "failed"):
            getattr(process, name).connect(lambda value, n=name: self.events.append((n, value)))
        process.cancelled.connect(lambda: self.events.append(("cancelled", None)))

    def kinds(self) -> list[str]:
        return [k for k, _ in self.events]

    @property
    def ended(self) -> bool:
        return any(k in ("succeeded", "failed", "cancelled") for k in self.kinds())


def run_child(qtbot, script: str, grace_ms: int = 5000, cancel_after_step: bool = False):
    process = FinetuneProcess(grace_ms=grace_ms)
    rec = Recorder(process)
    if cancel_after_step:
        process.step.connect(lambda _e: process.cancel())
    process.start([sys.executable, "-c", textwrap.dedent(script)])
    qtbot.waitUntil(lambda: rec.ended, timeout=20000)
    return process, rec


def test_the_argv_is_what_the_finetune_command_parses(tmp_path):
    cfg = FinetuneConfig(
        steps=7,
        lr=0.0025,
        batch_size=3,
        crop=(96, 128),
        freeze_backbone=True,
        holdout_fraction=0.25,
        eval_every=2,
        seed=4,
        device="cpu",
        budget_s=90.0,
    )
    argv = FinetuneCommand("/m/parent.pt", tmp_path / "data", tmp_path / "new.pt", cfg).argv()
    assert argv[:4] == [sys.executable, "-m", "srcrm", "finetune"]
    args = vars(build_parser().parse_args(argv[3:]))
    assert (args["parent"], args["data"], args["out"], args["events"]) == (
        "/m/parent.pt",
        str(tmp_path / "data"),
        str(tmp_path / "new.pt"),
        "-",
    )
    # Every option reaches the engine's config as the app set it.
    assert {f.name: args[f.name] for f in fields(FinetuneConfig) if f.name in args} == asdict(cfg)
    plain = FinetuneCommand("p", tmp_path, tmp_path / "o.pt", FinetuneConfig()).argv()
    assert "--crop" not in plain and "--freeze-backbone" not in plain and "--budget-s" not in plain


def test_events_arrive_as_signals_even_when_lines_are_split(qtbot):
    _, rec = run_child(
        qtbot,
        """
        import json, sys, time
        def send(d, split=False):
            line = json.dumps(d) + "\\n"
            if split:  # half a line, a pause, the rest: the runner must wait for the newline
                sys.stdout.write(line[:9]); sys.stdout.flush(); time.sleep(0.2)
                line = line[9:]
            sys.stdout.write(line); sys.stdout.flush()
        print("a stray line from a library", flush=True)
        send({"kind": "start", "step": 0, "total": 2, "miou": 0.4})
        send({"kind": "step", "step": 1, "total": 2, "loss": 1.5, "eta_s": 3.0}, split=True)
        send({"kind": "eval", "step": 1, "total": 2, "miou": 0.45})
        send({"kind": "step", "step": 2, "total": 2, "loss": 1.2, "eta_s": 0.0})
        sys.stdout.write(json.dumps({"kind": "done", "report": {"steps": 2}}))  # no newline
    """,
    )
    assert rec.kinds() == ["started", "step", "evaluated", "step", "succeeded"]
    assert rec.events[1][1]["loss"] == 1.5 and rec.events[-1][1] == {"steps": 2}


def test_an_error_event_and_the_last_stderr_lines_explain_a_failure(qtbot):
    process, rec = run_child(
        qtbot,
        """
        import json, sys
        print("Traceback (most recent call last):", file=sys.stderr)
        print("ValueError: labels/a.png is 64x64 but its image is 120x160", file=sys.stderr)
        print(json.dumps({"kind": "error", "message": "labels/a.png is 64x64 but its image is 120x160"}))
        sys.exit(1)
    """,
    )
    assert rec.kinds() == ["failed"]
    assert rec.events[0][1] == "labels/a.png is 64x64 but its image is 120x160"
    assert process.tail()[-1].startswith("ValueError: labels/a.png")


@pytest.mark.parametrize(
    "script, expected",
    [
        ("import sys; print('CUDA out of memory', file=sys.stderr); sys.exit(3)", "exit code 3"),
        ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "killed (out of memory"),
        ("print('fine')", "without a report"),
    ],
)
def test_a_crash_a_bad_exit_or_a_silent_end_is_a_failure(qtbot, script, expected):
    _, rec = run_child(qtbot, script)
    assert rec.kinds() == ["failed"] and expected in rec.events[0][1]


def test_a_child_that_cannot_start_is_a_failure(qtbot):
    process = FinetuneProcess()
    rec = Recorder(process)
    process.start(["/no/such/python", "-m", "srcrm"])
    qtbot.waitUntil(lambda: rec.ended, timeout=10000)
    assert rec.kinds() == ["failed"] and "could not start" in rec.events[0][1]


def test_cancel_kills_a_child_that_ignores_sigterm_after_the_grace_period(qtbot):
    process, rec = run_child(
        qtbot,
        """
        import json, signal, sys, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for step in range(1, 1000):
            print(json.dumps({"kind": "step", "step": step, "total": 999, "loss": 1.0}), flush=True)
            time.sleep(0.05)
    """,
        grace_ms=300,
        cancel_after_step=True,
    )
    assert rec.kinds()[-1] == "cancelled" and not process.running
    assert rec.kinds().count("step") < 100
