"""Fine-tuning from an annotator's corrections: it learns, it writes a checkpoint that says where
it came from, a cancel or bad input leaves nothing behind, classes can be renamed and added, and
the CLI keeps its contract (``mIoU before: N``, ``mIoU after: N``, JSON-line events)."""

import hashlib
import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from srcrm.base.io import read_image, read_label_png, write_png
from srcrm.cli import main
from srcrm.data.labelsets import CAMVID
from srcrm.evaluation.evaluate import to_input
from srcrm.models.checkpoint import CheckpointError, default_checkpoint_path, load_checkpoint
from srcrm.models.head import adapt_classes, classifiers
from srcrm.train.finetune import Cancelled, FinetuneConfig, finetune, split_holdout
from srcrm.train.losses import LossConfig, segmentation_loss

REPO = Path(__file__).resolve().parents[2]
FRAMES = ("0016E5_07959", "0016E5_08039", "0016E5_08119")  # CamVid val, 2.7 s apart
FAST = dict(steps=15, batch_size=2, crop=(128, 128), lr=FinetuneConfig.lr, eval_every=5, device="cpu")


def write_corrections(
    camvid_root: Path, folder: Path, frames=FRAMES, classes=CAMVID.class_names, relabel=None
) -> Path:
    """Real CamVid frames with their ground truth at half size, in the fine-tuning layout;
    ``relabel`` edits each label map (the annotator's corrections)."""
    for name in frames:
        image = read_image(camvid_root / "val" / "images" / f"{name}.jpg")
        label = read_label_png(camvid_root / "val" / "labels" / f"{name}.png")
        image = cv2.resize(image, (240, 180), interpolation=cv2.INTER_AREA)
        label = cv2.resize(label, (240, 180), interpolation=cv2.INTER_NEAREST)
        write_png(folder / "images" / f"{name}.png", image)
        write_png(folder / "labels" / f"{name}.png", relabel(label) if relabel else label)
    (folder / "classes.txt").write_text("\n".join(classes) + "\n")
    return folder


def default_model_file(folder: Path) -> Path:
    """The bundled model as one ordinary .pt file (the manifest's parts joined)."""
    manifest = json.loads(default_checkpoint_path().read_text())
    data = b"".join((default_checkpoint_path().parent / p).read_bytes() for p in manifest["parts"])
    path = folder / "parent.pt"
    path.write_bytes(data)
    return path


def image_loss(model, image: np.ndarray, label: np.ndarray) -> float:
    model.eval()
    with torch.no_grad():
        logits, aux = model(to_input(image, torch.device("cpu")), return_aux=True)
    target = torch.from_numpy(label)[None].long()
    return segmentation_loss(logits, aux, target, LossConfig(ignore_index=11)).item()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the split and the class heads -----------------------------------------------------------


def test_split_holdout_is_deterministic_disjoint_and_keeps_a_training_image():
    names = [f"frame{i:03d}" for i in range(10)]
    train, holdout = split_holdout(names, 0.2, seed=3)
    assert (train, holdout) == split_holdout(list(reversed(names)), 0.2, seed=3)
    assert len(holdout) == 2 and not set(train) & set(holdout)
    assert sorted(train + holdout) == names
    assert any(split_holdout(names, 0.2, seed=s)[1] != holdout for s in range(4, 10))
    assert split_holdout(names, 0.01, seed=0)[1] != []  # at least one image held out
    assert split_holdout(["only"], 0.2, seed=0) == (["only"], [])  # ...but one is kept to train
    assert split_holdout(names, 0.0, seed=0) == (names, [])
    with pytest.raises(ValueError):
        split_holdout(names, 1.0, seed=0)


def test_added_classes_keep_old_rows_bit_identical_and_never_win_before_training(camvid_root):
    ckpt = load_checkpoint(None)
    model = ckpt.build_model()
    image = read_image(camvid_root / "val" / "images" / "0016E5_08159.jpg")
    x = to_input(image, torch.device("cpu"))
    with torch.no_grad():
        before = model(x)
    old_rows = [(head[i].weight.clone(), head[i].bias.clone()) for head, i in classifiers(model)]

    renamed = ["heaven"] + list(ckpt.class_names[1:])
    state = {k: v.clone() for k, v in model.state_dict().items()}
    assert adapt_classes(model, ckpt.class_names, renamed) is model
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())

    grown = adapt_classes(model, renamed, renamed + ["lane marking", "bollard"])
    assert grown.cfg.num_classes == 13
    assert len(classifiers(grown)) == 3  # the main head and both auxiliary heads
    for (head, i), (weight, bias) in zip(classifiers(grown), old_rows):
        assert head[i].weight.shape[0] == 13
        assert torch.equal(head[i].weight[:11], weight) and torch.equal(head[i].bias[:11], bias)
    with torch.no_grad():
        after = grown(x)
    assert torch.allclose(after[:, :11], before, atol=1e-4)
    assert (after.argmax(1) < 11).all()  # the pre-labels do not change until training
    with pytest.raises(ValueError, match="never remove"):
        adapt_classes(grown, grown.cfg.num_classes * ["c"], ["a", "b"])


# --- fine-tuning ------------------------------------------------------------------------------


def test_a_few_cpu_steps_fit_the_corrected_image_and_write_a_loadable_checkpoint(camvid_root, tmp_path):
    data = write_corrections(camvid_root, tmp_path / "data", FRAMES[:2])
    cfg = FinetuneConfig(holdout_fraction=0.5, **FAST)
    train_names, _ = split_holdout(list(FRAMES[:2]), 0.5, cfg.seed)
    image = read_image(data / "images" / f"{train_names[0]}.png")
    label = read_label_png(data / "labels" / f"{train_names[0]}.png")
    events = []

    report = finetune(None, data, tmp_path / "new.pt", cfg, on_event=events.append)

    parent, child = load_checkpoint(None), load_checkpoint(tmp_path / "new.pt")
    before = image_loss(parent.build_model(), image, label)
    after = image_loss(child.build_model(), image, label)
    # Measured with the EfficientNet-Lite default at the fine-tune's default rate: 0.644 -> 0.607.
    # (The ResNet-18 default started worse and fell by more than 10%.)
    assert after < 0.95 * before, (before, after)
    meta = child.meta["finetune"]
    assert meta["parent"]["sha256"] == json.loads(default_checkpoint_path().read_text())["sha256"]
    assert meta["data"]["train"] == train_names == report.train_names
    assert meta["data"]["holdout"] == report.holdout_names and len(report.holdout_names) == 1
    assert meta["metrics"]["before"]["miou"] == report.before["miou"] > 0.2
    assert set(report.after) >= {"miou", "boundary_f", "pixel_acc", "to_change", "iou"}
    assert report.after["to_change"] == pytest.approx(1 - report.after["pixel_acc"])
    assert meta["config"]["steps"] == 15 and meta["created"]
    assert child.meta["licence"] == parent.meta["licence"]  # the parent's terms carry over
    assert child.class_names == parent.class_names and child.palette == parent.palette
    kinds = [e.kind for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done" and kinds.count("step") == 15
    assert events[-1].report is report and "eval" in kinds


def test_a_cancel_writes_nothing_and_leaves_the_parent_byte_identical(camvid_root, tmp_path, monkeypatch):
    import tempfile

    data = write_corrections(camvid_root, tmp_path / "data", FRAMES[:2])
    parent = default_model_file(tmp_path)
    digest = sha256(parent)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    steps = []

    with pytest.raises(Cancelled):
        finetune(
            parent,
            data,
            tmp_path / "out" / "new.pt",
            FinetuneConfig(**FAST),
            on_event=lambda e: e.kind == "step" and steps.append(e.step),
            should_stop=lambda: len(steps) >= 2,
        )

    assert steps == [1, 2]
    assert sha256(parent) == digest
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert not any(scratch.iterdir())  # training writes no scratch files at all
    with pytest.raises(ValueError, match=f"{parent}: refused: this output would overwrite the input"):
        finetune(parent, data, parent, FinetuneConfig(**FAST))
    assert sha256(parent) == digest


def test_classes_can_be_renamed_and_appended(camvid_root, tmp_path):
    def paint_lane(label):  # void moves past the new class; a lane marking on the road
        label = np.where(label == 11, 12, label).astype(np.uint8)
        label[150:160, 60:180][label[150:160, 60:180] == 3] = 11
        return label

    names = ["heaven"] + list(CAMVID.class_names[1:]) + ["lane marking"]
    data = write_corrections(camvid_root, tmp_path / "data", FRAMES[:2], names, paint_lane)

    report = finetune(
        None, data, tmp_path / "new.pt", FinetuneConfig(holdout_fraction=0.5, **{**FAST, "steps": 2})
    )

    ckpt = load_checkpoint(tmp_path / "new.pt")
    assert ckpt.class_names == names == report.class_names
    assert ckpt.config.num_classes == 12 and ckpt.ignore_index == 12
    assert ckpt.palette[:11] == list(CAMVID.palette)
    assert "lane marking" in report.after["iou"]


def test_bad_input_gives_a_clear_error_before_any_training(camvid_root, tmp_path):
    def run(folder, parent=None):
        finetune(parent, folder, tmp_path / "new.pt", FinetuneConfig(**FAST))

    fewer = write_corrections(camvid_root, tmp_path / "fewer", FRAMES[:2], CAMVID.class_names[:5])
    with pytest.raises(ValueError, match="never remove"):
        run(fewer)
    void_255 = write_corrections(
        camvid_root,
        tmp_path / "void255",
        FRAMES[:2],
        relabel=lambda lb: np.where(lb == 11, 255, lb).astype(np.uint8),
    )
    with pytest.raises(ValueError, match=r"label values \[255\].*ignore index 11"):
        run(void_255)
    wrong_size = write_corrections(camvid_root, tmp_path / "size", FRAMES[:2])
    write_png(wrong_size / "labels" / f"{FRAMES[1]}.png", np.zeros((90, 120), np.uint8))
    with pytest.raises(ValueError, match=f"{FRAMES[1]}.png: label is 120x90 but the image is 240x180"):
        run(wrong_size)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weight": torch.zeros(3)}, foreign)
    with pytest.raises(CheckpointError, match="not an SRCRM checkpoint"):
        run(fewer, foreign)
    assert not (tmp_path / "new.pt").exists()


# --- the command line -------------------------------------------------------------------------


def test_cli_prints_before_and_after_and_streams_json_events(camvid_root, tmp_path, capsys):
    data = write_corrections(camvid_root, tmp_path / "data")
    args = [
        "finetune",
        "--data",
        str(data),
        "--out",
        str(tmp_path / "new.pt"),
        "--steps",
        "3",
        "--crop",
        "128x128",
        "--batch-size",
        "2",
        "--holdout",
        "0.34",
        "--device",
        "cpu",
    ]

    assert (
        main(args + ["--events", str(tmp_path / "events.jsonl"), "--report", str(tmp_path / "report.png")])
        == 0
    )

    out = capsys.readouterr().out
    before = float(re.search(r"^mIoU before: (\d+\.\d\d)$", out, re.M).group(1))
    after = float(re.search(r"^mIoU after: (\d+\.\d\d)$", out, re.M).group(1))
    assert 20 < before < 100 and 0 < after < 100
    assert re.search(r"^boundary F after: \d+\.\d\d$", out, re.M)
    assert re.search(r"^pixels to change after: \d+\.\d\d$", out, re.M)
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert [e["kind"] for e in events if e["kind"] == "step"] == ["step"] * 3
    assert {"step", "total", "loss", "eta_s"} <= set(events[1])
    assert events[-1]["kind"] == "done"
    assert events[-1]["report"]["after"]["miou"] == pytest.approx(after / 100, abs=5e-5)
    assert load_checkpoint(tmp_path / "new.pt").meta["finetune"]["data"]["holdout"]
    assert cv2.imread(str(tmp_path / "report.png")) is not None

    fewer = write_corrections(camvid_root, tmp_path / "fewer", FRAMES[:1], CAMVID.class_names[:3])
    assert main(["finetune", "--data", str(fewer), "--out", str(tmp_path / "x.pt"), "--events", "-"]) == 2
    error = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert error["kind"] == "error" and "never remove" in error["message"]


def test_sigterm_cancels_the_cli_cleanly(camvid_root, tmp_path):
    data = write_corrections(camvid_root, tmp_path / "data", FRAMES[:2])
    out = tmp_path / "new.pt"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "srcrm",
            "finetune",
            "--data",
            str(data),
            "--out",
            str(out),
            "--steps",
            "1000",
            "--crop",
            "128x128",
            "--batch-size",
            "2",
            "--device",
            "cpu",
            "--events",
            "-",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        for line in proc.stdout:
            lines.append(json.loads(line))
            if lines[-1]["kind"] == "step":
                proc.send_signal(signal.SIGTERM)
                break
        rest, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    lines += [json.loads(line) for line in rest.splitlines()]
    assert proc.returncode == 130, err
    assert lines[-1]["kind"] == "cancelled"
    assert lines[-2]["kind"] == "step" and lines[-2]["step"] < 1000
    assert not out.exists()
