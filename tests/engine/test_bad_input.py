"""Bad input and faults on the command line, each reproduced on files made here: one `error:`
line, no traceback, the other inputs still go through, no input or bundled file overwritten."""

from __future__ import annotations

import errno
import os
import re
import struct
import tempfile
import time
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

import srcrm.base.io
from srcrm.base.io import (
    BUNDLED_MODEL_DIR,
    ImageReadError,
    read_image,
    read_label_png,
    write_png,
)
from srcrm.cli import main
from srcrm.data.finetune_data import open_finetune_data
from srcrm.data.labelsets import CAMVID
from srcrm.models.checkpoint import CheckpointError, checkpoint_bytes, load_checkpoint
from srcrm.models.config import ModelConfig
from srcrm.train import finetune as finetune_module

SMALL = ModelConfig(decoder_channels=16, crm_channels=8)


@pytest.fixture
def checkpoint(tmp_path, write_checkpoint):
    return write_checkpoint(tmp_path / "model.pt", SMALL)


def png_bomb(path: Path, width: int, height: int) -> Path:
    """A few hundred bytes of PNG whose header declares ``width`` x ``height`` RGB pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = zlib.compress(b"\x00" * 10_000)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )
    return path


def predict(args: list[str], checkpoint) -> int:
    return main(["predict", *args, "--checkpoint", str(checkpoint), "--device", "cpu"])


def errors(capsys) -> list[str]:
    """The ``error:`` lines on stderr (the progress bar writes there too); no traceback."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return [line for line in err.splitlines() if line.startswith("error: ")]


def test_an_image_bomb_is_refused_from_its_header_and_the_batch_goes_on(tmp_path, checkpoint, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    png_bomb(folder / "bomb.png", 30_000, 30_000)
    write_png(folder / "fine.png", np.full((40, 60, 3), 90, np.uint8))
    started = time.perf_counter()
    with pytest.raises(ImageReadError, match="30000x30000.*SRCRM_MAX_PIXELS"):
        read_image(folder / "bomb.png")
    with pytest.raises(ImageReadError, match="30000x30000"):
        read_label_png(folder / "bomb.png")
    assert time.perf_counter() - started < 1.0  # nothing was decoded
    assert predict([str(folder), "--out", str(tmp_path / "out")], checkpoint) == 1
    [err] = errors(capsys)
    assert "bomb.png" in err and "skipped" in err
    assert (tmp_path / "out" / "fine.png").is_file()
    assert not (tmp_path / "out" / "bomb.png").exists()


def test_predict_never_overwrites_an_input(tmp_path, checkpoint, capsys):
    folder = tmp_path / "inplace"
    photo = folder / "photo.png"
    write_png(photo, np.full((40, 60, 3), 90, np.uint8))
    before = photo.read_bytes()
    (tmp_path / "link").symlink_to(folder)
    refused = "refused: this output would overwrite the input"
    for inputs, out, line in [
        (folder, folder, f"{photo}: {refused} {photo}"),
        (folder, tmp_path / "link", f"{tmp_path / 'link' / 'photo.png'}: {refused} {photo}"),
        (photo, folder, f"{photo}: {refused} {photo}"),  # named alone, beside its output
    ]:
        assert predict([str(inputs), "--out", str(out), "--no-overlay"], checkpoint) == 2
        [err] = errors(capsys)
        assert err.startswith(f"error: {line}")
    assert photo.read_bytes() == before and sorted(p.name for p in folder.iterdir()) == ["photo.png"]
    # An output of a new name in an input folder would be read as an input next time.
    jpegs = tmp_path / "jpegs"
    write_png(jpegs / "a.jpg", np.full((40, 60, 3), 90, np.uint8))
    assert predict([str(jpegs), "--out", str(jpegs), "--no-overlay"], checkpoint) == 2
    assert errors(capsys) == [
        f"error: {jpegs / 'a.png'}: refused: this output would be written among the inputs in "
        f"{jpegs}; choose another output"
    ]


def test_images_sharing_a_stem_keep_their_extension_and_true_clashes_are_refused(
    tmp_path, checkpoint, capsys
):
    folder = tmp_path / "in"
    write_png(folder / "a.png", np.full((40, 60, 3), 90, np.uint8))
    write_png(folder / "b.png", np.full((40, 60, 3), 90, np.uint8))
    (folder / "a.jpg").write_bytes((folder / "a.png").read_bytes())  # PNG data, .jpg name
    out = tmp_path / "out"
    assert predict([str(folder), "--out", str(out), "--no-overlay"], checkpoint) == 0
    assert sorted(p.name for p in out.iterdir()) == ["a.jpg.png", "a.png.png", "b.png"]
    assert errors(capsys) == []
    other = tmp_path / "other"
    write_png(other / "b.png", np.full((40, 60, 3), 30, np.uint8))
    assert (
        predict([str(folder / "b.png"), str(other / "b.png"), "--out", str(tmp_path / "o2")], checkpoint) == 2
    )
    [err] = errors(capsys)
    assert "same name" in err and str(other / "b.png") in err
    assert not (tmp_path / "o2").exists()  # refused up front


def test_a_full_disk_or_read_only_output_is_an_error_line(tmp_path, checkpoint, capsys, monkeypatch):
    folder = tmp_path / "in"
    write_png(folder / "a.png", np.full((40, 60, 3), 90, np.uint8))

    def full_disk(path, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(srcrm.base.io, "atomic_write_bytes", full_disk)
    assert predict([str(folder), "--out", str(tmp_path / "out")], checkpoint) == 2
    assert errors(capsys) == [f"error: {tmp_path / 'out' / 'a.png'}: No space left on device"]


def test_nothing_is_written_into_the_bundled_models_folder(tmp_path, checkpoint, capsys):
    before = sorted(BUNDLED_MODEL_DIR.iterdir())
    target = BUNDLED_MODEL_DIR / "default.pt.part0"
    size = target.stat().st_size
    for args in (
        ["finetune", "--data", str(tmp_path), "--out", str(target)],
        ["predict", str(tmp_path), "--out", str(BUNDLED_MODEL_DIR / "labels")],
    ):
        assert main(args) == 2
        assert "bundled model's folder" in capsys.readouterr().err
    with pytest.raises(ValueError, match="bundled model"):
        finetune_module.finetune(checkpoint, tmp_path, BUNDLED_MODEL_DIR / "x.pt")
    assert sorted(BUNDLED_MODEL_DIR.iterdir()) == before and target.stat().st_size == size


def test_more_than_255_classes_are_refused_everywhere(tmp_path, checkpoint):
    data = tmp_path / "data"
    write_png(data / "images" / "a.png", np.zeros((32, 32, 3), np.uint8))
    write_png(data / "labels" / "a.png", np.zeros((32, 32), np.uint8))
    (data / "classes.txt").write_text("\n".join(f"class{i}" for i in range(300)) + "\n")
    with pytest.raises(ValueError, match="classes.txt has 300 classes.*at most 255"):
        open_finetune_data(data, load_checkpoint(checkpoint))
    with pytest.raises(ValueError, match="300 classes.*at most 255"):
        ModelConfig(num_classes=300)  # training and every checkpoint build through this
    payload = torch.load(checkpoint, weights_only=True)
    payload["config"]["num_classes"] = 300
    payload["class_names"] = [f"c{i}" for i in range(300)]
    payload["palette"] = [[0, 0, 0]] * 300
    torch.save(payload, tmp_path / "wide.pt")
    with pytest.raises(CheckpointError, match="at most 255"):
        load_checkpoint(tmp_path / "wide.pt")


def test_a_checkpoint_asking_for_a_huge_model_is_refused_before_building(tmp_path, checkpoint):
    payload = torch.load(checkpoint, weights_only=True)
    payload["config"]["decoder_channels"] = 200_000
    torch.save(payload, tmp_path / "huge.pt")
    started = time.perf_counter()
    with pytest.raises(CheckpointError, match="decoder_channels is 200000"):
        load_checkpoint(tmp_path / "huge.pt")
    assert time.perf_counter() - started < 5


def test_hostile_and_corrupt_checkpoints_get_different_messages(tmp_path, checkpoint):
    class Exploit:
        def __reduce__(self):
            return (print, ("pwned",))

    torch.save({"format": "srcrm-checkpoint", "x": Exploit()}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError) as hostile:
        load_checkpoint(tmp_path / "evil.pt")
    assert "refused: the file contains code or objects a checkpoint must not have" in str(hostile.value)
    data = checkpoint.read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError) as corrupt:
        load_checkpoint(tmp_path / "cut.pt")
    assert "corrupt" in str(corrupt.value) and "refused" not in str(corrupt.value)


def test_finetune_from_a_symlink_loop_is_an_error_line(tmp_path, capsys):
    (tmp_path / "a.pt").symlink_to(tmp_path / "b.pt")
    (tmp_path / "b.pt").symlink_to(tmp_path / "a.pt")
    assert (
        main(
            [
                "finetune",
                "--from",
                str(tmp_path / "a.pt"),
                "--data",
                str(tmp_path),
                "--out",
                str(tmp_path / "new.pt"),
            ]
        )
        == 2
    )
    [err] = errors(capsys)
    assert "a.pt" in err and "symbolic link" in err


@pytest.mark.parametrize("error", ["ENOSPC", "torch"])
def test_finetune_keeps_the_trained_weights_when_the_output_cannot_be_written(
    tmp_path, checkpoint, monkeypatch, error
):
    """A full disk at the output: retried, then saved in the temporary folder, byte for byte
    the model; also when the failure would come from torch.save (a RuntimeError, before the
    model was serialised in memory)."""
    model = load_checkpoint(checkpoint).build_model()
    out = tmp_path / "full" / "new.pt"
    out.parent.mkdir()
    out.write_bytes(b"the previous model")
    attempts = []
    real_fsync = os.fsync

    def full_disk(fd):
        if os.readlink(f"/proc/self/fd/{fd}").startswith(str(out.parent)):
            attempts.append(fd)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    def torch_fails(*args, **kwargs):
        raise AssertionError("torch.save must not run while the output is written")

    monkeypatch.setattr(os, "fsync", full_disk)
    monkeypatch.setattr(finetune_module, "RETRY_DELAY_S", 0.0)
    weights = checkpoint_bytes(model, class_names=CAMVID.class_names, palette=CAMVID.palette, ignore_index=11)
    if error == "torch":
        monkeypatch.setattr(torch, "save", torch_fails)
    saved, message = finetune_module._save_keeping_weights(out, weights)
    try:
        assert len(attempts) == finetune_module.SAVE_RETRIES
        assert message == f"{out}: No space left on device"
        assert out.read_bytes() == b"the previous model" and os.listdir(out.parent) == ["new.pt"]
        assert saved.parent == Path(tempfile.gettempdir()) and saved.name.endswith("-new.pt")
        assert saved.read_bytes() == weights
        reloaded = load_checkpoint(saved).build_model()
        assert all(
            torch.equal(a, b) for a, b in zip(model.state_dict().values(), reloaded.state_dict().values())
        )
    finally:
        saved.unlink(missing_ok=True)


def test_the_finetune_command_says_where_the_weights_went(tmp_path, capsys, monkeypatch):
    from srcrm.train.finetune import FinetuneReport

    report = FinetuneReport(
        before={},
        after={},
        train_names=["a"],
        holdout_names=[],
        steps=1,
        seconds=1.0,
        parent="p.pt",
        class_names=["x"],
        out="/tmp/srcrm-finetune-new.pt",
        save_error=f"{tmp_path / 'new.pt'}: No space left on device",
    )
    monkeypatch.setattr(finetune_module, "finetune", lambda *args, **kwargs: report)
    assert (
        main(["finetune", "--data", str(tmp_path), "--out", str(tmp_path / "new.pt"), "--events", "-"]) == 2
    )
    out, err = capsys.readouterr()
    assert '"kind": "error"' in out and "/tmp/srcrm-finetune-new.pt" in out  # for the app
    assert err.splitlines()[-1] == (
        f"error: cannot write {tmp_path / 'new.pt'}: No space left on device; the trained model "
        f"was saved to /tmp/srcrm-finetune-new.pt instead"
    )


# --- issue 21: crashes, tracebacks and data loss on hostile input --------------------------


def finetune_folder(root: Path, labels: list[np.ndarray]) -> Path:
    """DIR/images, DIR/labels and DIR/classes.txt (CamVid's classes) for these label maps."""
    rng = np.random.default_rng(0)
    for i, label in enumerate(labels):
        write_png(root / "images" / f"a{i}.png", rng.integers(0, 255, (*label.shape, 3), dtype=np.uint8))
        write_png(root / "labels" / f"a{i}.png", label)
    (root / "classes.txt").write_text("\n".join(CAMVID.class_names) + "\n")
    return root


@pytest.mark.parametrize("kind", ["loop", "broken", "folder", "named loop"])
def test_predict_skips_a_symlink_loop_or_a_dangling_link_named_like_an_image(
    tmp_path, checkpoint, capsys, kind
):
    folder = tmp_path / "in"
    write_png(folder / "fine.png", np.full((40, 60, 3), 90, np.uint8))
    bad = folder / "bad.png"
    if kind in ("loop", "named loop"):
        (folder / "other.png").symlink_to(bad)
        bad.symlink_to(folder / "other.png")
    elif kind == "broken":
        bad.symlink_to(tmp_path / "gone.png")
    else:
        bad.mkdir()
    inputs = [str(folder / "fine.png"), str(bad)] if kind == "named loop" else [str(folder)]
    out = tmp_path / "out"
    assert predict([*inputs, "--out", str(out), "--no-overlay"], checkpoint) == 1
    reason = {
        "loop": "a symbolic link loop, not a file",
        "named loop": "a symbolic link loop, not a file",
        "broken": "no such file",
        "folder": "a folder, not a file",
    }[kind]
    assert f"error: {bad}: {reason} (skipped)" in errors(capsys)
    assert (out / "fine.png").is_file() and not (out / "bad.png").exists()


def test_an_unreadable_image_is_skipped_not_the_whole_batch(tmp_path, checkpoint, capsys, monkeypatch):
    """A file without read permission (chmod 000; the tests run as root, so the open is made
    to fail as it would for a user)."""
    folder = tmp_path / "in"
    for name in ("a.png", "locked.png", "z.png"):
        write_png(folder / name, np.full((40, 60, 3), 90, np.uint8))
    real_open = open

    def no_permission(file, *args, **kwargs):
        if isinstance(file, str | os.PathLike) and Path(file).name == "locked.png":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", no_permission)
    out = tmp_path / "out"
    assert predict([str(folder), "--out", str(out), "--no-overlay"], checkpoint) == 1
    assert errors(capsys) == [f"error: {folder / 'locked.png'}: cannot be read (Permission denied) (skipped)"]
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "z.png"]


def radiance_hdr(path: Path, width: int, height: int) -> Path:
    """A Radiance HDR file declaring ``width`` x ``height``, its pixels run-length coded: a
    few kilobytes that decode to 12 bytes a pixel."""
    line = b"\x02\x02" + struct.pack(">H", width)
    for _ in range(4):  # R, G, B, E: runs of at most 127 equal bytes
        line += (b"\xff\x80" * (width // 127)) + (bytes([128 + width % 127, 0x80]) if width % 127 else b"")
    header = b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n" + f"-Y {height} +X {width}\n".encode()
    path.write_bytes(header + line * min(height, 4))
    return path


@pytest.mark.parametrize(
    "name, make",
    [
        ("hdr.png", lambda p: radiance_hdr(p, 30_000, 30_000)),
        ("pfm.jpg", lambda p: p.write_bytes(b"PF\n30000 30000\n-1.0\n" + bytes(64))),
        ("pam.png", lambda p: p.write_bytes(b"P7\nWIDTH 30000\nHEIGHT 30000\nDEPTH 3\nMAXVAL 255\nENDHDR\n")),
    ],
)
def test_the_pixel_limit_holds_for_the_real_format_whatever_the_name_says(tmp_path, name, make):
    """OpenCV decodes these three by their content; Pillow cannot identify them, so their
    size used to go unchecked (a Radiance HDR named .png decoded to 6 GB)."""
    path = tmp_path / name
    make(path)
    started = time.perf_counter()
    with pytest.raises(ImageReadError, match=f"{name}: refused: the image declares 30000x30000 pixels"):
        read_image(path)
    assert time.perf_counter() - started < 1.0


def test_a_small_radiance_file_is_still_read_and_an_unknown_format_is_refused(tmp_path):
    hdr = tmp_path / "small.png"
    ok, data = cv2.imencode(".hdr", np.full((20, 30, 3), 0.5, np.float32))
    hdr.write_bytes(data.tobytes())
    assert read_image(hdr).shape == (20, 30, 3)
    (tmp_path / "odd.png").write_bytes(b"#?NOTAFORMAT\n" + bytes(100))
    with pytest.raises(ImageReadError, match="odd.png: not a readable image"):
        read_image(tmp_path / "odd.png")
    (tmp_path / "cut.hdr").write_bytes(b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n")
    with pytest.raises(ImageReadError, match="cut.hdr: not a readable image \\(Radiance HDR header"):
        read_image(tmp_path / "cut.hdr")


@pytest.mark.parametrize(
    "flag, value, message",
    [
        ("--lr", "1e12", "--lr must be a number above 0 and at most 1, got 1000000000000.0"),
        ("--lr", "1e6", "--lr must be a number above 0 and at most 1, got 1000000.0"),
        ("--lr", "inf", "--lr must be a number above 0 and at most 1, got inf"),
        ("--lr", "nan", "--lr must be a number above 0 and at most 1, got nan"),
        ("--lr", "0", "--lr must be a number above 0 and at most 1, got 0.0"),
        ("--batch-size", "0", "--batch-size must be a whole number from 1 to 1,024, got 0"),
        ("--batch-size", "-3", "--batch-size must be a whole number from 1 to 1,024, got -3"),
        ("--steps", "0", "--steps must be a whole number from 1 to 10,000,000, got 0"),
        ("--seed", "-1", "--seed must be a whole number from 0 to 4,294,967,295, got -1"),
        ("--holdout", "1", "--holdout must be below 1: at least one image must be left to train on"),
        ("--crop", "4000x4000", "--batch-size 4 of --crop 4000x4000 is 64,000,000 pixels a step"),
        ("--crop", "100000x100000", "argument --crop: height and width must be from 32 to 8192"),
    ],
)
def test_finetune_numbers_out_of_range_are_one_error_line_before_anything_runs(
    tmp_path, capsys, monkeypatch, flag, value, message
):
    """--lr 1e12, inf or nan used to crash the process (a segfault in the SRM's grid_sample
    backward) and leave a 50-100 MB scratch folder behind each time."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    args = ["finetune", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "new.pt"), flag, value]
    assert main(args) == 2
    [err] = errors(capsys)
    assert err.startswith(f"error: {message}")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# A checkpoint whose weights went NaN, fine-tuned in a child process: a crash there (the SRM's
# grid_sample backward on a NaN grid segfaulted) must not take the test run down with it.
_NAN_FINETUNE = """
import sys, torch
from srcrm.models.checkpoint import load_checkpoint, save_checkpoint
from srcrm.cli import main
ckpt = load_checkpoint(sys.argv[1])
model = ckpt.build_model()
with torch.no_grad():
    for name, p in model.named_parameters():
        if sys.argv[2] == "all" or "offset_head" in name:
            p.fill_(float("nan"))
save_checkpoint(sys.argv[3], model, class_names=ckpt.class_names, palette=ckpt.palette,
                ignore_index=ckpt.ignore_index)
sys.exit(main(["finetune", "--from", sys.argv[3], "--data", sys.argv[4], "--out", sys.argv[5],
               "--steps", "2", "--batch-size", "1", "--crop", "64x64", "--holdout", "0",
               "--device", "cpu"]))
"""


@pytest.mark.parametrize("weights, step", [("offsets", 2), ("all", 1)])
def test_nan_weights_stop_training_cleanly_instead_of_crashing(tmp_path, checkpoint, weights, step):
    """NaN offsets alone still give a finite first loss (the grid is sampled where they are
    NaN), then NaN gradients; NaN everywhere gives a NaN loss at once. Either way one error
    line, before the backward pass that used to segfault."""
    import subprocess
    import sys

    labels = [np.random.default_rng(i).integers(0, 11, (64, 96), dtype=np.uint8) for i in range(2)]
    data = finetune_folder(tmp_path / "data", labels)
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            _NAN_FINETUNE,
            str(checkpoint),
            weights,
            str(tmp_path / "nan.pt"),
            str(data),
            str(tmp_path / "new.pt"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    assert run.returncode == 2, run.stderr[-2000:]  # a segfault is -11
    assert "Traceback" not in run.stderr
    assert [line for line in run.stderr.splitlines() if line.startswith("error: ")] == [
        f"error: training diverged: the loss became nan at step {step}; lower the learning rate (--lr 0.005)"
    ]
    assert not (tmp_path / "new.pt").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("srcrm")] == []  # no scratch folder


def test_labels_that_are_all_unlabelled_get_their_own_message(tmp_path, checkpoint, capsys):
    """Not the misleading "lower the learning rate" of a NaN loss."""
    void = [np.full((64, 96), 11, np.uint8)] * 2
    data = finetune_folder(tmp_path / "void", void)
    args = ["finetune", "--from", str(checkpoint), "--data", str(data), "--out", str(tmp_path / "new.pt")]
    assert main([*args, "--holdout", "0", "--device", "cpu"]) == 2
    assert errors(capsys) == [
        "error: the labels of the training images (a0, a1) hold no class: every pixel is the ignore "
        "index 11 (unlabelled); label some pixels first"
    ]
    # Some labelled pixels, but none where a random crop lands: that step's loss is 0, not NaN.
    from srcrm.train.losses import LossConfig, cross_entropy

    logits = torch.randn(2, 11, 8, 8, requires_grad=True)
    for ohem in (False, True):
        loss = cross_entropy(logits, torch.full((2, 8, 8), 11), LossConfig(ignore_index=11, ohem=ohem))
        loss.backward()
        assert loss.item() == 0 and torch.isfinite(logits.grad).all()


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("palette", [[300, 0, 0]] * 11, "palette entry [300, 0, 0] is not an RGB colour"),
        ("palette", [[-1, 0, 0]] * 11, "palette entry [-1, 0, 0] is not an RGB colour"),
        ("palette", [[1, 2]] * 11, "palette entry [1, 2] is not an RGB colour"),
        ("palette", [[1.5, 2, 3]] * 11, "palette entry [1.5, 2, 3] is not an RGB colour"),
        ("ignore_index", 300, "ignore_index is 300; it must be a whole number from 0 to 255"),
        ("ignore_index", True, "ignore_index is True"),
        ("class_names", list(range(11)), "class_names must all be text"),
        ("meta", [1, 2], "meta is a list, not a dict"),
        ("version", torch.ones(3), "checkpoint version"),
        ("config", {"num_classes": 11.0}, "num_classes is 11.0, not a int"),
        ("config", {"srm": torch.ones(2)}, "srm is tensor"),
        ("state_dict", {"x": 3}, "state_dict entry 'x' is not a named tensor"),
    ],
)
def test_a_checkpoint_with_malformed_fields_is_one_error_line(
    tmp_path, checkpoint, capsys, field, value, message
):
    payload = torch.load(checkpoint, weights_only=True)
    if field == "config":
        payload["config"] = {**payload["config"], **value}
    else:
        payload[field] = value
    torch.save(payload, tmp_path / "bad.pt")
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(tmp_path / "bad.pt")
    assert message in str(caught.value)
    write_png(tmp_path / "in" / "a.png", np.zeros((32, 32, 3), np.uint8))
    assert predict([str(tmp_path / "in"), "--out", str(tmp_path / "out")], tmp_path / "bad.pt") == 2
    [err] = errors(capsys)
    assert err.startswith(f"error: {tmp_path / 'bad.pt'}: ") and message in err


def manifest_for(checkpoint: Path, folder: Path, **fields) -> Path:
    """A manifest beside a one-part copy of ``checkpoint``, with ``fields`` replaced."""
    import hashlib
    import json

    data = checkpoint.read_bytes()
    (folder / "m.pt.part0").write_bytes(data)
    manifest = {"parts": ["m.pt.part0"], "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    (folder / "m.json").write_text(json.dumps({**manifest, **fields}))
    return folder / "m.json"


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"parts": ["../model.pt"]}, "parts must be file names beside it"),
        ({"parts": ["/etc/passwd"]}, "parts must be file names beside it"),
        ({"parts": []}, "parts must be file names beside it"),
        ({"parts": "m.pt.part0"}, "parts is a str, not a list"),
        ({"bytes": 10**18}, "bytes 1000000000000000000"),
        ({"bytes": 12}, "the model file is damaged"),
        ({"sha256": "0" * 64}, "the model file is damaged (SHA-256"),
        ({"sha256": None}, "sha256 is a NoneType, not a str"),
    ],
)
def test_a_hostile_manifest_is_one_error_line(tmp_path, checkpoint, capsys, fields, message):
    assert load_checkpoint(manifest_for(checkpoint, tmp_path)).config == SMALL  # the untouched one loads
    manifest = manifest_for(checkpoint, tmp_path, **fields)
    with pytest.raises(CheckpointError, match=re.escape(message)):
        load_checkpoint(manifest)
    assert main(["flops", "--checkpoint", str(manifest)]) == 2
    [err] = errors(capsys)
    assert err.startswith(f"error: {manifest}: ") and message in err


def test_a_manifest_nested_100000_deep_is_refused_without_recursing(tmp_path, capsys):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    assert main(["flops", "--checkpoint", str(deep)]) == 2
    assert errors(capsys) == [
        f"error: {deep}: malformed model manifest: nested 100000 levels deep, more than the 64 allowed"
    ]
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (2 << 20) + b"{}")
    assert main(["flops", "--checkpoint", str(big)]) == 2
    [err] = errors(capsys)
    assert "bytes, more than the 1,048,576 allowed" in err


@pytest.mark.parametrize("size", ["32x32", "32x48", "48x32"])
def test_export_at_the_smallest_size_works(tmp_path, checkpoint, capsys, size):
    """--size 32x32 used to write model.onnx, then fail its check with a traceback."""
    out = tmp_path / "export"
    args = ["export", "--checkpoint", str(checkpoint), "--out", str(out), "--size", size]
    assert main([*args, "--format", "onnx"]) == 0
    assert errors(capsys) == [] and (out / "model.onnx").is_file()


def test_export_writes_nothing_when_its_check_fails(tmp_path, checkpoint, capsys, monkeypatch):
    import onnxruntime

    def broken(*args, **kwargs):
        raise ValueError("ONNX Runtime cannot load this graph")

    monkeypatch.setattr(onnxruntime, "InferenceSession", broken)
    out = tmp_path / "export"
    args = ["export", "--checkpoint", str(checkpoint), "--out", str(out), "--size", "64x64"]
    assert main([*args, "--format", "onnx"]) == 2
    assert errors(capsys) == ["error: ONNX Runtime cannot load this graph"]
    assert not out.exists()


@pytest.mark.parametrize("size", ["100000x100000", "8193x32", "5000x5000", "16x64", "0x0", "-64x64"])
def test_a_size_out_of_range_is_one_error_line(tmp_path, checkpoint, capsys, size):
    out = tmp_path / "export"
    assert main(["export", "--checkpoint", str(checkpoint), "--out", str(out), f"--size={size}"]) == 2
    [err] = errors(capsys)
    assert err.startswith("error: argument --size: height and width must be from 32 to 8192")
    assert not out.exists()


def test_a_batch_of_one_crop_too_small_for_batch_norm_is_refused_up_front():
    """Batch norm needs two values a channel: one 32x32 crop has one at the coarsest level,
    which torch reported mid-run as "Expected more than 1 value per channel"."""
    from srcrm.train.finetune import FinetuneConfig

    with pytest.raises(
        ValueError, match="--batch-size 1 of --crop 32x32 leaves batch normalisation one value"
    ):
        FinetuneConfig(batch_size=1, crop=(32, 32))
    FinetuneConfig(batch_size=2, crop=(32, 32))
    FinetuneConfig(batch_size=1, crop=(33, 32))


@pytest.mark.parametrize(
    "flag, target",
    [
        ("--out", "labels/a0.png"),  # a training label, replaced by a checkpoint
        ("--out", "classes.txt"),
        ("--out", "images/new.pt"),  # not a file yet, but it would sit among the images
        ("--events", "labels/a1.png"),  # opened (emptied) before training starts
        ("--report", "images/a0.png"),
    ],
)
def test_finetune_never_writes_over_its_data(tmp_path, checkpoint, capsys, flag, target):
    labels = [np.random.default_rng(i).integers(0, 11, (64, 96), dtype=np.uint8) for i in range(2)]
    data = finetune_folder(tmp_path / "data", labels)
    (tmp_path / "link").symlink_to(data)
    before = {p: p.read_bytes() for p in data.rglob("*") if p.is_file()}
    args = ["finetune", "--from", str(checkpoint), "--data", str(data), "--out", str(tmp_path / "new.pt")]
    given = tmp_path / "link" / target  # through a symbolic link: the same file
    assert main([*args, flag, str(given)]) == 2
    [err] = errors(capsys)
    if (data / target).exists():
        assert err.startswith(
            f"error: {given}: refused: this output would overwrite the input {data / target}"
        )
    else:
        assert err.startswith(f"error: {given}: refused: this output would be written among the inputs in")
    assert {p: p.read_bytes() for p in data.rglob("*") if p.is_file()} == before
    assert not (tmp_path / "new.pt").exists()
