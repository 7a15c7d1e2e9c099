"""Fuzzing with hypothesis: hostile but well-formed checkpoints and model manifests (a loader
returns a usable checkpoint or raises CheckpointError, nothing else), and numbers out of range
for every numeric option (one ``error:`` line naming the option, exit 2, never a traceback).
Example counts are small: the whole suite has to stay quick on two cores."""

from __future__ import annotations

import hashlib
import io
import json
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from srcrm.base.io import write_png
from srcrm.cli import main
from srcrm.data.labelsets import CAMVID
from srcrm.models import build_model
from srcrm.models.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from srcrm.models.config import ModelConfig

FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SMALL = ModelConfig(decoder_channels=16, crm_channels=8)


@pytest.fixture(scope="module")
def payload() -> dict:
    """A valid checkpoint's contents, to spoil one field at a time."""
    torch.manual_seed(0)
    buffer = io.BytesIO()
    path = Path(tempfile.mkdtemp()) / "m.pt"
    save_checkpoint(
        path,
        build_model(SMALL),
        class_names=CAMVID.class_names,
        palette=CAMVID.palette,
        ignore_index=CAMVID.ignore_index,
    )
    buffer.write(path.read_bytes())
    path.unlink()
    path.parent.rmdir()
    return torch.load(io.BytesIO(buffer.getvalue()), weights_only=True)


# Values torch.load(weights_only=True) lets through: plain containers, numbers, text, tensors.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.builds(torch.tensor, st.lists(st.floats(-1e3, 1e3), max_size=4)),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=12), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=24,
)
# Per field: anything, or something close to right (the mistakes a careless writer makes).
labels = st.integers(-300, 300)
FIELDS = {
    "format": values,
    "version": st.one_of(values, st.sampled_from([0, 1, 2, 3, True, 2.0])),
    "config": st.one_of(
        values,
        st.builds(
            lambda key, value: {**SMALL.to_dict(), key: value},
            st.sampled_from(["num_classes", "decoder_channels", "srm", "backbone", "unknown"]),
            values,
        ),
    ),
    "class_names": st.one_of(
        values, st.lists(st.one_of(st.text(max_size=5), labels), min_size=11, max_size=11)
    ),
    "palette": st.one_of(
        values, st.lists(st.lists(labels, min_size=2, max_size=4), min_size=11, max_size=11)
    ),
    "ignore_index": st.one_of(values, labels),
    "meta": values,
    "state_dict": st.one_of(values, st.dictionaries(st.text(max_size=8), values, max_size=3)),
}


@FUZZ
@given(spoiled=st.sets(st.sampled_from(list(FIELDS)), min_size=1, max_size=3), data=st.data())
def test_a_hostile_checkpoint_loads_as_a_usable_one_or_is_a_checkpoint_error(
    tmp_path, payload, spoiled, data
):
    hostile = dict(payload)
    for field in sorted(spoiled):
        if data.draw(st.booleans(), label=f"drop {field}"):
            hostile.pop(field)
        else:
            hostile[field] = data.draw(FIELDS[field], label=field)
    path = tmp_path / "hostile.pt"
    torch.save(hostile, path)
    try:
        ckpt = load_checkpoint(path)
    except CheckpointError:
        return
    # It loaded: everything a predictor does with it works.
    palette = np.asarray(ckpt.palette, dtype=np.uint8)
    assert palette.shape == (ckpt.config.num_classes, 3)
    assert all(isinstance(n, str) for n in ckpt.class_names) and 0 <= ckpt.ignore_index <= 255
    try:
        ckpt.build_model()
    except CheckpointError:
        pass


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**80), 2**80),
        st.floats(allow_nan=False),
        st.text(max_size=20),
        st.sampled_from(["m.pt.part0", "../m.pt.part0", "/etc/passwd", ".", "", "a\\b", "x" * 300]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=6), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@FUZZ
@given(
    fields=st.dictionaries(st.sampled_from(["parts", "bytes", "sha256", "description"]), json_values),
    depth=st.sampled_from([0, 0, 0, 70, 10_000]),
)
def test_a_hostile_manifest_is_a_checkpoint_error(tmp_path, payload, fields, depth):
    part = tmp_path / "m.pt.part0"
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    part.write_bytes(buffer.getvalue())
    good = {
        "parts": ["m.pt.part0"],
        "bytes": part.stat().st_size,
        "sha256": hashlib.sha256(part.read_bytes()).hexdigest(),
    }
    manifest = {**good, **fields}
    text = json.dumps(manifest)
    if depth:
        text = '{"nested": ' + "[" * depth + "]" * depth + ", " + text[1:]
    (tmp_path / "m.json").write_text(text)
    try:
        ckpt = load_checkpoint(tmp_path / "m.json")
    except CheckpointError:
        return
    assert not depth or depth <= 63
    assert {k: manifest[k] for k in ("parts", "bytes", "sha256")} == good
    assert ckpt.config == SMALL


# --- numbers out of range on the command line -------------------------------------------------

bad_numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**30), 10**30),
    st.sampled_from([0, -1, 1e-320, 1e308, 2**32, 2**63]),
)


def _out_of(low: float, high: float, whole: bool = False, above: bool = False):
    """Numbers outside [low, high] (or (low, high]), or not whole where whole numbers are asked."""

    def inside(v) -> bool:
        if isinstance(v, float) and (math.isnan(v) or (whole and not v.is_integer())):
            return False
        return (v > low if above else v >= low) and v <= high

    return bad_numbers.filter(lambda v: not inside(v))


def _text(value) -> str:
    """How a person would type it: whole numbers without a decimal point."""
    return (
        str(int(value))
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e30
        else str(value)
    )


# option -> (command, the numbers it refuses); the command lines are built in the test.
FLAGS = {
    ("finetune", "--lr"): _out_of(0, 1, above=True),
    ("finetune", "--steps"): _out_of(1, 10_000_000, whole=True),
    ("finetune", "--batch-size"): _out_of(1, 1024, whole=True),
    ("finetune", "--seed"): _out_of(0, 2**32 - 1, whole=True),
    ("finetune", "--holdout"): _out_of(0, 0.99),
    ("finetune", "--eval-every"): _out_of(0, 10_000_000, whole=True),
    ("train", "--lr"): _out_of(0, 1, above=True),
    ("train", "--warmup"): _out_of(0, 10_000_000, whole=True),
    ("train", "--checkpoint-every"): _out_of(0, 10_000_000, whole=True),
    ("train", "--workers"): _out_of(0, 256, whole=True),
    ("train", "--jitter"): _out_of(0, 1),
    ("train", "--blur"): _out_of(0, 1),
    ("train", "--focus"): _out_of(0, 1),
    ("train", "--class-balance"): _out_of(0, 4),
    ("train", "--encoder-lr-scale"): _out_of(0, 10),
    ("cutout", "--feather"): _out_of(0, 60),
    ("cutout", "--band"): _out_of(0, 60, whole=True),
    ("eval", "--scales"): _out_of(0, 4, above=True),
}


@pytest.fixture(scope="module")
def cutout_files(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cutout")
    write_png(root / "photo.png", np.zeros((40, 60, 3), np.uint8))
    mask = np.zeros((40, 60), np.uint8)
    mask[10:30, 20:40] = 1
    write_png(root / "mask.png", mask)
    return root


def _command(command: str, tmp: Path, files: Path) -> list[str]:
    return {
        "finetune": ["finetune", "--data", str(tmp / "data"), "--out", str(tmp / "new.pt")],
        "train": ["train", "--data", str(tmp / "data"), "--out", str(tmp / "run")],
        "cutout": [
            "cutout",
            str(files / "photo.png"),
            "--mask",
            str(files / "mask.png"),
            "--out",
            str(tmp / "c.png"),
        ],
        "eval": ["eval", "--data", str(tmp / "data")],
    }[command]


def _one_error_line(capsys) -> str:
    out, err = capsys.readouterr()
    assert "Traceback" not in err + out
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.mark.parametrize("command, flag", list(FLAGS), ids=[" ".join(k) for k in FLAGS])
def test_a_number_out_of_range_is_one_error_line_naming_the_option(
    tmp_path, cutout_files, capsys, command, flag
):
    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(value=FLAGS[command, flag])
    def check(value):
        assert main([*_command(command, tmp_path, cutout_files), f"{flag}={_text(value)}"]) == 2
        line = _one_error_line(capsys)
        assert flag in line or "invalid" in line  # a range error, or argparse's "invalid int value"
        assert sorted(p.name for p in tmp_path.iterdir()) == []  # refused before anything was made

    check()


sizes = st.tuples(st.integers(-(10**6), 10**6), st.integers(-(10**6), 10**6))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=sizes, command=st.sampled_from(["export", "finetune", "train", "flops"]))
def test_a_size_out_of_range_is_one_error_line(tmp_path, capsys, size, command):
    h, w = size
    assume(not (32 <= h <= 8192 and 32 <= w <= 8192 and h * w <= 4096 * 4096))
    flag = "--size" if command in ("export", "flops") else "--crop"
    args = {
        "export": ["export", "--out", str(tmp_path / "export")],
        "finetune": ["finetune", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "new.pt")],
        "train": ["train", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "run")],
        "flops": ["flops"],
    }[command]
    assert main([*args, f"{flag}={h}x{w}"]) == 2
    assert _one_error_line(capsys).startswith(f"error: argument {flag}: height and width must be from 32")
    assert sorted(p.name for p in tmp_path.iterdir()) == []
