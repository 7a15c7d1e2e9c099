"""The bundled default model verifies, loads, and labels a real street scene sensibly."""

import json
import shutil

import pytest

from srcrm.base.io import read_image, read_label_png
from srcrm.inference.predictor import Predictor
from srcrm.models.checkpoint import CheckpointError, default_checkpoint_path, load_checkpoint

SAMPLE = "0016E5_08085"


def test_default_model_verifies_and_says_its_licence():
    ckpt = load_checkpoint()
    assert ckpt.config.srm and ckpt.config.crm and ckpt.config.backbone == "lite0"
    assert "Apache-2.0" in json.loads(default_checkpoint_path().read_text())["description"]
    assert ckpt.class_names[3] == "road" and ckpt.ignore_index == 11
    assert "non-commercial" in ckpt.meta["licence"]
    assert "non-commercial" in json.loads(default_checkpoint_path().read_text())["description"]


def test_the_resnet18_model_stays_bundled_for_comparison():
    ckpt = load_checkpoint(default_checkpoint_path().parent / "resnet18_camvid.json")
    assert ckpt.config.backbone == "resnet18" and ckpt.class_names == load_checkpoint().class_names


def test_a_damaged_copy_of_the_default_model_is_refused(tmp_path):
    manifest = default_checkpoint_path()
    for name in [manifest.name, *json.loads(manifest.read_text())["parts"]]:
        shutil.copy(manifest.parent / name, tmp_path / name)
    copy = tmp_path / manifest.name
    first = tmp_path / json.loads(manifest.read_text())["parts"][0]
    data = bytearray(first.read_bytes())
    data[-1] ^= 1
    first.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="damaged"):
        load_checkpoint(copy)


def test_default_model_labels_the_bundled_sample_like_the_ground_truth(camvid_root):
    predictor = Predictor.from_checkpoint(device="cpu")
    image = read_image(default_checkpoint_path().parents[1] / "samples" / f"camvid_{SAMPLE}.jpg")
    truth = read_label_png(camvid_root / "val" / "labels" / f"{SAMPLE}.png")
    labels = predictor.predict(image).labels
    valid = truth != 11
    assert (labels == truth)[valid].mean() > 0.8
