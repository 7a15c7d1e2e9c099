"""The CLI contract that scripts rely on: `GFLOPs: N`, `params: N`, `mIoU: N`, NAME.png outputs."""

import re

import numpy as np
import pytest

from srcrm.base.io import read_label_png, write_png
from srcrm.cli import main
from srcrm.data.labelsets import CAMVID
from srcrm.models.config import ModelConfig


@pytest.fixture
def checkpoint(tmp_path, write_checkpoint):
    return write_checkpoint(tmp_path / "model.pt", ModelConfig(decoder_channels=32))


def test_flops_of_the_papers_lightweight_model_is_within_its_budget(capsys):
    assert main(["flops", "--size", "1024x2048", "--backbone", "resnet18"]) == 0
    out = capsys.readouterr().out
    gflops = float(re.search(r"^GFLOPs: ([\d.]+)$", out, re.M).group(1))
    params = int(re.search(r"^params: (\d+)$", out, re.M).group(1))
    assert 100 < gflops <= 137.9
    assert 10_000_000 < params < 14_000_000


def test_flops_of_the_default_model_names_it_and_stays_within_the_budget(capsys):
    from srcrm.models.checkpoint import load_checkpoint

    assert main(["flops", "--size", "1024x2048"]) == 0
    out = capsys.readouterr().out
    assert f"model: {load_checkpoint(None).config.name}," in out
    assert 0 < float(re.search(r"^GFLOPs: ([\d.]+)$", out, re.M).group(1)) <= 137.9


def test_eval_prints_the_class_table_and_miou(camvid_root, tmp_path, checkpoint, capsys):
    # A two-image split of real CamVid, so that the test stays fast.
    for name in ("0016E5_07959", "0016E5_08159"):
        (tmp_path / "d" / "val" / "images").mkdir(parents=True, exist_ok=True)
        (tmp_path / "d" / "val" / "labels").mkdir(parents=True, exist_ok=True)
        (tmp_path / "d" / "val" / "images" / f"{name}.jpg").write_bytes(
            (camvid_root / "val" / "images" / f"{name}.jpg").read_bytes()
        )
        (tmp_path / "d" / "val" / "labels" / f"{name}.png").write_bytes(
            (camvid_root / "val" / "labels" / f"{name}.png").read_bytes()
        )
    (tmp_path / "d" / "classes.txt").write_text((camvid_root / "classes.txt").read_text())
    code = main(["eval", "--data", str(tmp_path / "d"), "--split", "val", "--checkpoint", str(checkpoint)])
    out = capsys.readouterr().out
    assert code == 0
    assert re.search(r"^mIoU: \d+\.\d+$", out, re.M)
    assert all(name in out for name in CAMVID.class_names)


def test_predict_writes_label_pngs_and_skips_bad_files(tmp_path, checkpoint, capsys):
    images = tmp_path / "in"
    write_png(images / "a.png", np.full((50, 70, 3), 120, np.uint8))
    (images / "broken.jpg").write_bytes(b"\xff\xd8 truncated jpeg")
    code = main(["predict", str(images), "--out", str(tmp_path / "out"), "--checkpoint", str(checkpoint)])
    assert code == 1  # one input failed
    assert "broken.jpg" in capsys.readouterr().err
    labels = read_label_png(tmp_path / "out" / "a.png")
    assert labels.shape == (50, 70) and labels.max() < 11
    assert (tmp_path / "out" / "overlays" / "a.jpg").is_file()


def test_a_bad_checkpoint_is_a_clear_error_not_a_traceback(tmp_path, capsys):
    (tmp_path / "bad.pt").write_bytes(b"garbage")
    assert main(["flops", "--checkpoint", str(tmp_path / "bad.pt")]) == 2
    assert "not a readable checkpoint" in capsys.readouterr().err


def test_export_matches_the_eager_model(tmp_path, capsys):
    """The bundled trained model: an untrained SRM is exactly bilinear upsampling and an untrained
    head scores one class everywhere, so an export that lost the learned warp would still pass."""
    pytest.importorskip("onnxruntime")
    code = main(["export", "--out", str(tmp_path / "x"), "--size", "96x128"])
    out = capsys.readouterr().out
    assert code == 0
    assert (tmp_path / "x" / "model.onnx").is_file() and (tmp_path / "x" / "model.torchscript.pt").is_file()
    assert out.count("labels agree on 100.000%") == 2
    diffs = [float(d) for d in re.findall(r"max \|logit diff\| (\S+),", out)]
    assert len(diffs) == 2 and max(diffs) < 1e-3, out
