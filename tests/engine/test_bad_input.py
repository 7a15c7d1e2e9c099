"""Bad input and faults on the command line, each reproduced on files made here: one `error:`
line, no traceback, the other inputs still go through, no input or bundled file overwritten."""

from __future__ import annotations

import errno
import os
import struct
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch

import srcrm.io
from srcrm import finetune as finetune_module
from srcrm.checkpoint import CheckpointError, checkpoint_bytes, load_checkpoint
from srcrm.cli import main
from srcrm.config import ModelConfig
from srcrm.data.labelsets import CAMVID
from srcrm.finetune_data import open_finetune_data
from srcrm.io import (
    BUNDLED_MODEL_DIR,
    ImageReadError,
    read_image,
    read_label_png,
    write_png,
)

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
    write_png(folder / "photo.png", np.full((40, 60, 3), 90, np.uint8))
    before = (folder / "photo.png").read_bytes()
    assert predict([str(folder), "--out", str(folder), "--no-overlay"], checkpoint) == 2
    assert "input folders" in capsys.readouterr().err
    # Named one by one, the output folder still holds an input of the same name.
    assert predict([str(folder / "photo.png"), "--out", str(folder)], checkpoint) == 2
    assert "would overwrite this input" in capsys.readouterr().err
    assert (folder / "photo.png").read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["photo.png"]


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

    monkeypatch.setattr(srcrm.io, "atomic_write_bytes", full_disk)
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
    from srcrm.finetune import FinetuneReport

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
