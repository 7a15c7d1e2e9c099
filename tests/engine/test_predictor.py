"""The predictor labels any size, tiles huge images, and rejects wrong input clearly."""

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from srcrm.base.io import read_image
from srcrm.inference.predictor import Predictor
from srcrm.inference.strategy import InferenceConfig
from srcrm.models.checkpoint import load_checkpoint
from srcrm.models.config import ModelConfig

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "samples" / "camvid_0016E5_08085.jpg"


@pytest.fixture(scope="module")
def predictor(tmp_path_factory, write_checkpoint):
    path = write_checkpoint(tmp_path_factory.mktemp("ckpt") / "m.pt", ModelConfig(decoder_channels=32))
    return Predictor(load_checkpoint(path), device="cpu")


def test_labels_and_confidence_for_an_odd_size(predictor):
    image = np.random.default_rng(0).integers(0, 255, (123, 457, 3), dtype=np.uint8)
    result = predictor.predict(image)
    assert result.labels.shape == (123, 457) and result.labels.dtype == np.uint8
    assert result.labels.max() < 11
    assert result.confidence.shape == (123, 457)
    assert (result.confidence >= 1 / 11 - 1e-6).all() and (result.confidence <= 1).all()
    assert predictor.device_name == "CPU"


@pytest.fixture(scope="module")
def bundled():
    """The bundled trained model: an untrained one predicts one class everywhere, so no
    comparison of its labels could catch a broken tiler."""
    return Predictor.from_checkpoint(None, device="cpu")


@pytest.fixture(scope="module")
def street():
    """The bundled sample photo, small enough for a quick test."""
    return cv2.resize(read_image(SAMPLE), (224, 168), interpolation=cv2.INTER_AREA)


def _tiled(predictor: Predictor, inference: InferenceConfig) -> Predictor:
    return Predictor(predictor.checkpoint, "cpu", inference=inference, whole_below=0)


def test_tiled_inference_agrees_with_whole_inference_on_a_real_photo(bundled, street):
    whole = bundled.predict(street)
    tiled = _tiled(bundled, InferenceConfig(mode="slide", tile=112)).predict(street)
    assert len(np.unique(whole.labels)) >= 5  # a real scene, many classes: the check below can fail
    agree = tiled.labels == whole.labels
    assert agree.mean() > 0.85  # tiles see less context; a misplaced tile agrees on ~25%
    assert np.abs(tiled.confidence - whole.confidence)[agree].mean() < 0.1


def test_the_callers_tile_overlap_is_used(predictor):
    image = np.zeros((64, 160, 3), np.uint8)
    passes = {}
    for overlap in (0.0, 0.5):
        tiler = _tiled(predictor, InferenceConfig(mode="slide", tile=64, overlap=overlap))
        calls = []
        tiler.model.register_forward_pre_hook(lambda module, args, calls=calls: calls.append(args))
        tiler.predict(image)
        passes[overlap] = len(calls)
    assert passes == {0.0: 3, 0.5: 4}  # tile starts 0, 64, 96 without overlap; 0, 32, 64, 96 with half


def test_wrong_input_is_rejected_clearly(predictor):
    with pytest.raises(ValueError, match="RGB uint8"):
        predictor.predict(np.zeros((10, 10), np.uint8))


def test_flip_and_multiscale_averaging_still_gives_probabilities(predictor):
    from srcrm.inference.strategy import InferenceConfig, predict_probs

    x = torch.rand(1, 3, 64, 80)
    probs = predict_probs(predictor.model, x, InferenceConfig(flip=True, scales=(0.75, 1.0, 1.25)))
    assert probs.shape == (1, 11, 64, 80)
    assert torch.allclose(probs.sum(1), torch.ones(1, 64, 80), atol=1e-4)


# Peak memory of tiled predictions in a fresh process (ru_maxrss: the process's peak so far),
# a small image then a large one. The network is a per-pixel stand-in, so this takes seconds.
_PEAK = """
import resource, sys
import numpy as np, torch
from srcrm.models.checkpoint import load_checkpoint
from srcrm.inference.predictor import Predictor
from srcrm.inference.strategy import InferenceConfig
tiles = InferenceConfig(mode="slide", tile=256)  # both images hold whole tiles: same work per tile
predictor = Predictor(load_checkpoint(sys.argv[1]), "cpu", inference=tiles, whole_below=0)
predictor.forward = lambda x: torch.cat([x, x.flip(1), x[:, :2] * x[:, 1:]], 1)  # 8 classes
for h, w in ((600, 800), (2000, 3000)):
    image = np.random.default_rng(0).integers(0, 255, (h, w, 3), dtype=np.uint8)
    assert predictor.predict(image).labels.shape == (h, w)
    del image
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def test_tiled_prediction_memory_grows_with_the_maps_not_with_the_classes(tmp_path, write_checkpoint):
    """Holding the probabilities of every class for the whole image cost over 100 bytes a pixel
    (12000x9000: 11.5 GB). Now a pixel costs its image (3 bytes), label (1) and confidence (4);
    the rest is one tile."""
    import subprocess
    import sys

    path = write_checkpoint(tmp_path / "m.pt", ModelConfig(decoder_channels=16, crm_channels=8))
    run = subprocess.run(
        [sys.executable, "-c", _PEAK, str(path)], capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stderr[-2000:]
    small, large = map(int, run.stdout.split())
    per_pixel = (large - small) / (2000 * 3000 - 600 * 800)
    assert per_pixel < 16, f"{per_pixel:.1f} bytes a pixel"
