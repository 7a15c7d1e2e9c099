"""benchmarks/bench_annotator.py --learn-every K: the five lines other tools parse, on three
tiny synthetic images with a one-second learning budget."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from srcrm.base.io import write_png
from srcrm.models.checkpoint import load_checkpoint

REPO = Path(__file__).resolve().parents[2]
CONTRACT = (
    "actions without learning",
    "actions with learning",
    "clicks without learning",
    "clicks with learning",
    "seconds of learning per update",
)


def bench_module():
    path = REPO / "benchmarks" / "bench_annotator.py"
    spec = importlib.util.spec_from_file_location("bench_annotator", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def tiny_sequence(tmp_path):
    """Three 96x128 frames in the generic layout, with the bundled model's classes: a sky band,
    a building block that drifts right, road below (the model gets much of it wrong)."""
    root = tmp_path / "tiny"
    (root / "seq" / "images").mkdir(parents=True)
    (root / "seq" / "labels").mkdir()
    names = load_checkpoint(None).class_names
    (root / "classes.txt").write_text("".join(f"{n}\n" for n in names))
    rng = np.random.default_rng(0)
    for k in range(3):
        label = np.full((96, 128), names.index("road"), np.uint8)
        label[:30] = names.index("sky")
        label[30:60, 20 + 8 * k : 70 + 8 * k] = names.index("building")
        image = np.zeros((96, 128, 3), np.uint8)
        image[label == names.index("sky")] = (120, 170, 230)
        image[label == names.index("building")] = (140, 90, 70)
        image[label == names.index("road")] = (90, 90, 90)
        image = np.clip(image + rng.integers(-12, 12, image.shape), 0, 255).astype(np.uint8)
        cv2.imwrite(str(root / "seq" / "images" / f"f{k:02d}.png"), image[:, :, ::-1])
        write_png(root / "seq" / "labels" / f"f{k:02d}.png", label)
    return root


def test_learn_every_prints_the_five_contract_lines(tiny_sequence, tmp_path, capsys):
    bench = bench_module()
    out = tmp_path / "learn.md"
    argv = ["--data", str(tiny_sequence), "--split", "seq", "--images", "3", "--learn-every", "2"]
    code = bench.main([*argv, "--budget-s", "1", "--runs", "brush", "--out", str(out)])
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    values = {}
    for key in CONTRACT:
        found = [m for line in lines if (m := re.fullmatch(rf"{key}: (\d+(?:\.\d+)?)", line))]
        assert len(found) == 1, (key, lines)
        values[key] = float(found[0][1])
    assert values["clicks without learning"] >= values["actions without learning"]
    assert values["clicks with learning"] >= values["actions with learning"]
    assert out.is_file() and out.with_suffix(".png").is_file()
    update = re.search(r"^\| 2 \| \d+ \| (\d+) \|", out.read_text(), re.M)
    assert update and int(update[1]) > 0  # an update trained after the second image
