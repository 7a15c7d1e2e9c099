"""The fast inference paths label like fp32, the automatic choice is measured once and cached,
and the benchmark sets fp32 beside the fast paths."""

import json
import os

import numpy as np
import pytest
import torch

import srcrm.inference.fast_path as fi
from srcrm.data.datasets import open_dataset
from srcrm.inference.fast_path import FastPathConfig, candidate_paths, choose_path
from srcrm.inference.predictor import Predictor
from srcrm.models.checkpoint import load_checkpoint
from srcrm.models.config import ModelConfig
from srcrm.recipes.bench import BenchConfig, fast_path_lines

SMALL = ModelConfig(decoder_channels=16, crm_channels=8)


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory, write_checkpoint):
    return load_checkpoint(write_checkpoint(tmp_path_factory.mktemp("ckpt") / "m.pt", SMALL))


@pytest.mark.slow  # the default model on full-size images, along four paths
def test_every_path_labels_val_images_like_fp32(camvid_root, tmp_path):
    """bf16 runs here even where it is only emulated: its labels are checked everywhere."""
    val = open_dataset(camvid_root, "val")
    images = [val[i][0] for i in (0, len(val) // 2)]
    ckpt = load_checkpoint(None)
    labels = {}
    for path in candidate_paths(torch.device("cpu"), emulated_bf16=True):
        predictor = Predictor(ckpt, "cpu", fast_path=FastPathConfig(path=path, cache_dir=str(tmp_path)))
        assert predictor.path.path == path
        labels[path] = np.stack([p.labels for p in predictor.predict_batch(images)])
    assert {"fp32", "channels_last", "bf16", "onnx"} <= set(labels)
    assert len(np.unique(labels["fp32"])) >= 6  # a real scene: disagreement would show
    for path, lab in labels.items():
        agreement = (lab == labels["fp32"]).mean()
        assert agreement >= 0.995, f"{path} agrees with fp32 on {100 * agreement:.2f}% of pixels"


def test_the_automatic_choice_is_the_fastest_measured_and_is_cached(tiny_checkpoint, tmp_path, monkeypatch):
    monkeypatch.delenv(fi.ENV_PATH, raising=False)
    monkeypatch.setattr(fi, "candidate_paths", lambda device: ["fp32", "channels_last"])
    cfg = FastPathConfig(probe_size=(32, 48), repeats=1, cache_dir=str(tmp_path))
    model = tiny_checkpoint.build_model()
    heard = []
    first = choose_path(model, torch.device("cpu"), cfg, lambda *step: heard.append(step))
    assert set(first.timings_ms) == {"fp32", "channels_last"} and not first.cached
    assert heard == [(0, 2, "fp32"), (1, 2, "channels_last"), (2, 2, "")]  # the first start's wait, told
    assert first.path == min(first.timings_ms, key=first.timings_ms.get)
    (entry,) = json.loads((tmp_path / "inference_paths.json").read_text()).values()
    assert entry["path"] == first.path

    def no_timing(*args, **kwargs):
        raise AssertionError("a cached choice must not be measured again")

    monkeypatch.setattr(fi, "measure_paths", no_timing)
    again = choose_path(model, torch.device("cpu"), cfg, lambda *step: heard.append(step))
    assert again.cached and again.path == first.path and len(heard) == 3
    predictor = Predictor(tiny_checkpoint, "cpu", fast_path=cfg)
    assert predictor.path.path == first.path
    image = np.random.default_rng(0).integers(0, 255, (40, 56, 3), dtype=np.uint8)
    reference = Predictor(tiny_checkpoint, "cpu", fast_path=FastPathConfig(path="fp32")).predict(image)
    assert np.array_equal(predictor.predict(image).labels, reference.labels)


def test_a_forced_path_is_used_without_measuring_and_a_bad_one_is_refused(tiny_checkpoint, monkeypatch):
    monkeypatch.setenv(fi.ENV_PATH, "channels_last")
    monkeypatch.setattr(fi, "measure_paths", lambda *a, **k: pytest.fail("measured a forced path"))
    assert choose_path(tiny_checkpoint.build_model(), torch.device("cpu")).path == "channels_last"
    monkeypatch.setenv(fi.ENV_PATH, "fp8")
    with pytest.raises(ValueError, match="unknown inference path 'fp8'"):
        Predictor(tiny_checkpoint, "cpu")


@pytest.mark.slow  # real training steps and an ONNX export
def test_bench_sets_fp32_beside_each_fast_path():
    cfg = BenchConfig(
        device="cpu", train_size=(32, 32), infer_size=(32, 48), batch_size=2, repeats=1, warmup=0
    )
    text = "\n".join(fast_path_lines(SMALL, cfg))
    rows = {line.split()[0]: line.split() for line in text.splitlines()[3:] if line.split()}
    assert rows["fp32"][2] == "1.00"  # the ratio column: fp32 against itself
    assert "fast" in rows  # the training fast path
    for path in candidate_paths(torch.device("cpu")):
        assert float(rows[path][1]) > 0
    assert "fastest automatic inference path:" in text
    assert "pre-label (32x48, Predictor.predict): fp32" in text


def test_only_the_most_recently_used_onnx_exports_are_kept(tmp_path):
    for i in range(fi.KEEP_EXPORTS + 3):
        export = tmp_path / f"{i}.onnx"
        export.write_bytes(b"x")
        os.utime(export, (1000 + i, 1000 + i))
    fi._prune(tmp_path, fi.KEEP_EXPORTS)
    kept = sorted(int(f.stem) for f in tmp_path.glob("*.onnx"))
    assert kept == list(range(3, fi.KEEP_EXPORTS + 3))


@pytest.mark.slow  # real training steps and ONNX exports of two models
def test_bench_sets_the_default_model_beside_the_resnet18_srcrm():
    from srcrm.recipes.bench import REFERENCE, default_vs_reference_lines

    cfg = BenchConfig(
        device="cpu", train_size=(32, 32), infer_size=(32, 48), batch_size=2, repeats=1, warmup=0
    )
    lines = default_vs_reference_lines(SMALL, cfg)
    assert lines[3].startswith(f"default {SMALL.name}") and lines[4].startswith(f"reference {REFERENCE.name}")
    for row in lines[3:5]:
        assert float(row.split()[2]) > 0 and float(row.split()[3]) > 0
        assert row.split()[4] in candidate_paths(torch.device("cpu"))
    assert lines[-1].startswith("default / reference: training throughput x")
