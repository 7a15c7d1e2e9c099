"""A fault at every write site of the command line: one clear ``error:`` line naming the output
(never its temporary file), exit 2, every output that was there before byte-identical, and no
temporary file left behind. The faults are in ``fault_injection.py``; a new write site is one
row of ``SITES``."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
from fault_injection import inject, leftovers

from srcrm.base.io import write_png
from srcrm.cli import main
from srcrm.models.config import ModelConfig

SMALL = ModelConfig(decoder_channels=16, crm_channels=8)


@dataclass(frozen=True)
class Site:
    """A file a command writes. ``setup(tmp, checkpoint)`` makes the inputs and the outputs a
    user already has (by a first run, or by hand) and returns the command line; ``target`` is
    the file the fault hits; ``message`` the text of the error line after ``TARGET: ``."""

    name: str
    setup: Callable[[Path, Path], list[str]]
    target: str
    kinds: tuple[str, ...] = ("fsync",)
    message: str = "No space left on device"
    stream: bool = False  # written as it goes (a progress stream): what reached it may stay


def _images(tmp: Path) -> Path:
    for name in ("a", "b"):
        write_png(tmp / "in" / f"{name}.png", np.full((40, 60, 3), 90 if name == "a" else 30, np.uint8))
    return tmp / "in"


def predict_images(tmp: Path, model: Path) -> list[str]:
    args = [
        "predict",
        str(_images(tmp)),
        "--out",
        str(tmp / "out"),
        "--checkpoint",
        str(model),
        "--device",
        "cpu",
    ]
    assert main(args) == 0
    return args


def predict_video(first_run: bool, drop: str | None = None) -> Callable[[Path, Path], list[str]]:
    def setup(tmp: Path, model: Path) -> list[str]:
        video = tmp / "clip.mp4"
        writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 15.0, (64, 48))
        for i in range(6):
            writer.write(np.full((48, 64, 3), 40 * i, np.uint8))
        writer.release()
        args = [
            "predict",
            str(video),
            "--out",
            str(tmp / "out"),
            "--checkpoint",
            str(model),
            "--device",
            "cpu",
        ]
        if first_run:
            assert main(args) == 0
        if drop:
            (tmp / "out" / drop).unlink()  # a frame the rerun writes again
        return args

    return setup


def finetune(extra: list[str], had_model: bool = True) -> Callable[[Path, Path], list[str]]:
    def setup(tmp: Path, model: Path) -> list[str]:
        from test_bad_input import finetune_folder

        labels = [np.random.default_rng(i).integers(0, 11, (48, 64), dtype=np.uint8) for i in range(2)]
        data = finetune_folder(tmp / "data", labels)
        (tmp / "out").mkdir()
        if had_model:
            (tmp / "out" / "new.pt").write_bytes(b"the model the user had")
        steps = ["--steps", "1", "--batch-size", "2", "--crop", "32x32", "--holdout", "0", "--device", "cpu"]
        return [
            "finetune",
            "--from",
            str(model),
            "--data",
            str(data),
            "--out",
            str(tmp / "out" / "new.pt"),
            *steps,
        ]

    def with_extra(tmp: Path, model: Path) -> list[str]:
        return setup(tmp, model) + [a.replace("TMP", str(tmp)) for a in extra]

    return with_extra


def cutout(tmp: Path, model: Path) -> list[str]:
    image = np.zeros((40, 60, 3), np.uint8)
    write_png(tmp / "in" / "photo.png", image)
    mask = np.zeros((40, 60), np.uint8)
    mask[10:30, 20:40] = 1
    write_png(tmp / "in" / "mask.png", mask)
    out = ["--out", str(tmp / "out" / "cut.png"), "--matte", str(tmp / "out" / "matte.png")]
    args = [
        "cutout",
        str(tmp / "in" / "photo.png"),
        "--mask",
        str(tmp / "in" / "mask.png"),
        *out,
        "--feather",
        "2",
    ]
    assert main(args) == 0
    return args


def export(form: str, name: str) -> Callable[[Path, Path], list[str]]:
    def setup(tmp: Path, model: Path) -> list[str]:
        (tmp / "out").mkdir()
        (tmp / "out" / name).write_bytes(b"the export the user had")
        out = ["--out", str(tmp / "out"), "--size", "64x64", "--format", form]
        return ["export", "--checkpoint", str(model), *out]

    return setup


def train(tmp: Path, model: Path) -> list[str]:
    from tests.conftest import write_tiny_dataset

    data = write_tiny_dataset(tmp / "data", n=2, size=(48, 64))
    (tmp / "out").mkdir()
    (tmp / "out" / "model.pt").write_bytes(b"the model the user had")
    small = ["--decoder-channels", "16", "--crop", "32x32", "--batch-size", "2", "--workers", "0"]
    return [
        "train",
        "--data",
        str(data),
        "--out",
        str(tmp / "out"),
        "--steps",
        "1",
        *small,
        "--device",
        "cpu",
    ]


SITES = [
    Site("predict: label map", predict_images, "out/a.png", ("write", "fsync", "mkstemp", "replace")),
    Site("predict: overlay", predict_images, "out/overlays/b.jpg"),
    Site("predict video: a frame", predict_video(True, drop="000002.png"), "out/000002.png"),
    Site("predict video: store.json", predict_video(False), "out/store.json"),
    Site(
        "predict video: overlay.mp4",
        predict_video(True),
        "out/overlay.mp4",
        ("video",),
        "the video was not written whole (1 of 6 frames reached the disk; is it full?)",
    ),
    Site("predict video: overlay.mp4 flushed", predict_video(True), "out/overlay.mp4"),
    Site(
        "finetune: events",
        finetune(["--events", "TMP/out/events.jsonl"]),
        "out/events.jsonl",
        ("stream",),
        stream=True,
    ),
    Site(
        "finetune: report chart",
        finetune(["--report", "TMP/out/report.png", "--holdout", "0.5"], had_model=False),
        "out/report.png",
    ),
    Site("cutout: cut-out", cutout, "out/cut.png"),
    Site("cutout: matte", cutout, "out/matte.png"),
    Site("export: ONNX", export("onnx", "model.onnx"), "out/model.onnx"),
    Site("export: TorchScript", export("torchscript", "model.torchscript.pt"), "out/model.torchscript.pt"),
    Site("train: checkpoint", train, "out/model.pt"),
]
CASES = [pytest.param(site, kind, id=f"{site.name} ({kind})") for site in SITES for kind in site.kinds]
MESSAGES = {"mkstemp": "Permission denied", "replace": "Input/output error"}


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("site, kind", CASES)
def test_a_failed_write_is_one_error_line_and_leaves_the_outputs_as_they_were(
    tmp_path, write_checkpoint, capsys, monkeypatch, site, kind
):
    model = write_checkpoint(tmp_path / "model" / "m.pt", SMALL)
    args = site.setup(tmp_path, model)
    out = tmp_path / "out"
    before = _snapshot(out) if out.exists() else {}
    target = tmp_path / site.target
    capsys.readouterr()
    hits = inject(monkeypatch, kind, target)
    assert main(args) == 2
    monkeypatch.undo()
    assert hits, f"the fault at {target} was never reached"
    err = capsys.readouterr().err
    assert "Traceback" not in err
    message = MESSAGES.get(kind, site.message)
    assert [line for line in err.splitlines() if line.startswith("error: ")] == [
        f"error: {target}: {message}"
    ]
    after = _snapshot(out) if out.exists() else {}
    assert {k: v for k, v in after.items() if k in before} == before  # what was there, unchanged
    name = site.target.removeprefix("out/")
    assert name not in after or name in before or site.stream  # no half-written new file
    assert leftovers(tmp_path) == []


def test_finetune_saves_the_trained_model_elsewhere_when_its_output_cannot_be_written(
    tmp_path, write_checkpoint, capsys, monkeypatch
):
    """The trained model survives a full disk at its output: retried, then written to the
    temporary folder, and the error line says where."""
    import srcrm.train.finetune

    model = write_checkpoint(tmp_path / "model" / "m.pt", SMALL)
    args = finetune([])(tmp_path, model)
    target = tmp_path / "out" / "new.pt"
    monkeypatch.setattr(srcrm.train.finetune, "RETRY_DELAY_S", 0.0)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    hits = inject(monkeypatch, "fsync", target)
    assert main(args) == 2
    assert len(hits) == srcrm.train.finetune.SAVE_RETRIES
    [saved] = (tmp_path / "tmp").glob("srcrm-finetune-*")
    line = [x for x in capsys.readouterr().err.splitlines() if x.startswith("error: ")]
    assert line == [
        f"error: cannot write {target}: No space left on device; the trained model was saved to "
        f"{saved} instead"
    ]
    assert target.read_bytes() == b"the model the user had"
    from srcrm.models.checkpoint import load_checkpoint

    assert load_checkpoint(saved).meta["finetune"]["parent"]["path"] == str(model)
    assert leftovers(tmp_path) == []


# The command line in a child process whose atomic writes stop half-way, for a signal to land.
_SLOW_WRITE = """
import contextlib, sys, time
import srcrm.base.io
real = srcrm.base.io.atomic_write

@contextlib.contextmanager
def slow(path, mode="wb"):
    with real(path, mode) as fh:
        fh.write(b"half")
        fh.flush()
        print("writing", flush=True)
        time.sleep(60)
        yield fh

srcrm.base.io.atomic_write = slow
from srcrm.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_sigterm_mid_write_leaves_no_temporary_file(tmp_path, write_checkpoint):
    """SIGTERM ends a command as Ctrl-C does (exit 130), so the write in progress removes its
    temporary file: here the process is stopped while a label map is half written."""
    import signal
    import subprocess
    import sys
    import time

    model = write_checkpoint(tmp_path / "m.pt", SMALL)
    _images(tmp_path)
    args = ["predict", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--checkpoint", str(model)]
    child = subprocess.Popen(
        [sys.executable, "-c", _SLOW_WRITE, *args, "--device", "cpu"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout.readline() == "writing\n"
    assert len(leftovers(tmp_path / "out")) == 1
    started = time.perf_counter()
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=30) == 130 and time.perf_counter() - started < 30
    assert "interrupted" in child.stderr.read()
    assert leftovers(tmp_path) == [] and not (tmp_path / "out" / "a.png").exists()
    assert os.listdir(tmp_path / "out") in ([], ["overlays"])
