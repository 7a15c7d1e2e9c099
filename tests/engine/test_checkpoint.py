"""Checkpoints round-trip, and bad files get a clear CheckpointError, never code execution."""

import json
import lzma
import os
import pickle
from pathlib import Path

import cv2
import pytest
import torch

from srcrm.base.io import read_image
from srcrm.data.labelsets import CAMVID
from srcrm.inference.strategy import predict_probs
from srcrm.models import build_model
from srcrm.models.checkpoint import CheckpointError, load_checkpoint, save_checkpoint, save_manifest
from srcrm.models.config import ModelConfig

SMALL = ModelConfig(num_classes=11, decoder_channels=32)
SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "samples" / "camvid_0016E5_08085.jpg"


def _save(path, cfg=SMALL, **kw):
    torch.manual_seed(0)
    model = build_model(cfg)
    save_checkpoint(
        path,
        model,
        class_names=CAMVID.class_names,
        palette=CAMVID.palette,
        ignore_index=CAMVID.ignore_index,
        meta={"metrics": {"miou": 0.5}},
        **kw,
    )
    return model


def test_round_trip_keeps_weights_classes_and_meta(tmp_path):
    model = _save(tmp_path / "m.pt")
    ckpt = load_checkpoint(tmp_path / "m.pt")
    assert ckpt.config == SMALL
    assert ckpt.class_names == list(CAMVID.class_names)
    assert ckpt.palette == list(CAMVID.palette) and ckpt.ignore_index == 11
    assert ckpt.meta["metrics"]["miou"] == 0.5
    x = torch.rand(1, 3, 64, 96)
    with torch.no_grad():
        assert torch.equal(model.eval()(x), ckpt.build_model()(x))


def test_half_precision_checkpoint_is_smaller_and_keeps_the_probabilities(tmp_path):
    """The bundled trained model (an untrained one predicts one class everywhere, whatever its
    weights), nudged off fp16-exact values so that halving really rounds."""
    bundled = load_checkpoint(None)
    model = bundled.build_model()
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for t in model.state_dict().values():
            if t.is_floating_point():
                t.mul_(1 + 1e-3 * torch.randn(t.shape, generator=g))
    for name, half in (("full.pt", False), ("half.pt", True)):
        save_checkpoint(
            tmp_path / name,
            model,
            class_names=bundled.class_names,
            palette=bundled.palette,
            ignore_index=bundled.ignore_index,
            half=half,
        )
    assert os.path.getsize(tmp_path / "half.pt") < 0.6 * os.path.getsize(tmp_path / "full.pt")
    image = cv2.resize(read_image(SAMPLE), (224, 168), interpolation=cv2.INTER_AREA)
    x = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255
    full, half = (
        predict_probs(load_checkpoint(tmp_path / name).build_model(), x) for name in ("full.pt", "half.pt")
    )
    assert full.argmax(1).unique().numel() >= 5  # a real scene, many classes
    # Measured on the EfficientNet-Lite default: fp16 rounding moves probabilities by 5.0e-3 at
    # most and 1.2e-4 on average (99.96% of labels kept); bf16's coarser rounding by 2.9e-2 and
    # 7.9e-4 (99.69%). The bounds sit between the two.
    assert (full - half).abs().max() < 1.2e-2 and (full - half).abs().mean() < 3e-4
    assert (full.argmax(1) == half.argmax(1)).float().mean() > 0.999


class _Exploit:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_hostile_pickle_is_refused_without_running_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open(tmp_path / "evil.pt", "wb") as fh:
        torch.save({"format": "srcrm-checkpoint", "payload": _Exploit()}, fh)
    with pytest.raises(CheckpointError, match="refused"):
        load_checkpoint(tmp_path / "evil.pt")
    assert not (tmp_path / "pwned").exists()
    # A raw pickle (not a torch zip file) is refused too.
    (tmp_path / "raw.pt").write_bytes(pickle.dumps(_Exploit()))
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "raw.pt")
    assert not (tmp_path / "pwned").exists()


def test_corrupt_and_truncated_files_get_clear_errors(tmp_path):
    _save(tmp_path / "m.pt")
    data = (tmp_path / "m.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint at all")
    for name in ("cut.pt", "junk.pt", "missing.pt"):
        with pytest.raises(CheckpointError, match=name):
            load_checkpoint(tmp_path / name)


def test_foreign_weights_and_other_architectures_are_rejected(tmp_path):
    torch.save({"state_dict": build_model(SMALL).state_dict()}, tmp_path / "plain.pt")
    with pytest.raises(CheckpointError, match="not an SRCRM checkpoint"):
        load_checkpoint(tmp_path / "plain.pt")
    _save(tmp_path / "m.pt")
    with pytest.raises(CheckpointError, match="expected"):
        load_checkpoint(tmp_path / "m.pt", expected_config=ModelConfig(num_classes=19))
    # Weights that do not fit the declared architecture.
    payload = torch.load(tmp_path / "m.pt", weights_only=True)
    payload["config"]["srm"] = False
    torch.save(payload, tmp_path / "mismatch.pt")
    with pytest.raises(CheckpointError, match="do not fit"):
        load_checkpoint(tmp_path / "mismatch.pt").build_model()


def test_manifest_checks_the_hash_of_its_parts(tmp_path, monkeypatch):
    monkeypatch.setattr("srcrm.models.checkpoint.PART_BYTES", 1 << 20)
    _save(tmp_path / "m.pt")
    manifest = save_manifest(tmp_path / "m.pt", tmp_path / "default.json", "test model")
    parts = json.loads(manifest.read_text())["parts"]
    assert len(parts) > 1
    assert load_checkpoint(manifest).config == SMALL
    part = tmp_path / parts[0]
    damaged = bytearray(part.read_bytes())
    damaged[100] ^= 0xFF
    part.write_bytes(bytes(damaged))
    with pytest.raises(CheckpointError, match="damaged"):
        load_checkpoint(manifest)


def test_a_checkpoint_from_before_the_encoder_decoder_split_loads_unchanged(tmp_path):
    """Format 1 (SRCRMNet's old parameter names) loads into today's modules with the logits it
    gave when it was written (tests/engine/data/README.md says how it was made)."""
    data = Path(__file__).parent / "data"
    (tmp_path / "v1.pt").write_bytes(lzma.decompress((data / "v1_resnet18_3cls.pt.xz").read_bytes()))
    assert torch.load(tmp_path / "v1.pt", weights_only=True)["version"] == 1
    expected = torch.load(data / "v1_resnet18_3cls_expected.pt", weights_only=True)
    model = load_checkpoint(tmp_path / "v1.pt").build_model()
    with torch.no_grad():
        logits = model(expected["input"])
    assert torch.allclose(logits, expected["logits"], atol=1e-5)
