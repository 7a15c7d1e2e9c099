"""The predictor labels any size, tiles huge images, and rejects wrong input clearly."""

import numpy as np
import pytest
import torch

from srcrm.checkpoint import load_checkpoint, save_checkpoint
from srcrm.config import ModelConfig
from srcrm.data.labelsets import CAMVID
from srcrm.models import build_model
from srcrm.predictor import Predictor


@pytest.fixture(scope="module")
def predictor(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("ckpt") / "m.pt"
    save_checkpoint(path, build_model(ModelConfig(decoder_channels=32)), class_names=CAMVID.class_names,
                    palette=CAMVID.palette, ignore_index=11)
    return Predictor(load_checkpoint(path), device="cpu")


def test_labels_and_confidence_for_an_odd_size(predictor):
    image = np.random.default_rng(0).integers(0, 255, (123, 457, 3), dtype=np.uint8)
    result = predictor.predict(image)
    assert result.labels.shape == (123, 457) and result.labels.dtype == np.uint8
    assert result.labels.max() < 11
    assert result.confidence.shape == (123, 457)
    assert (result.confidence >= 1 / 11 - 1e-6).all() and (result.confidence <= 1).all()
    assert predictor.device_name == "CPU"


def test_large_images_are_tiled_and_agree_with_whole_inference(predictor):
    image = np.random.default_rng(1).integers(0, 255, (300, 700, 3), dtype=np.uint8)
    whole = predictor.predict(image).labels
    predictor.whole_below, predictor.inference = 0, predictor.inference.__class__(mode="slide", tile=256)
    try:
        tiled = predictor.predict(image).labels
    finally:
        predictor.whole_below = 2048 * 2048
    assert tiled.shape == whole.shape
    assert (tiled == whole).mean() > 0.6  # tiles see less context; most pixels still agree


def test_wrong_input_is_rejected_clearly(predictor):
    with pytest.raises(ValueError, match="RGB uint8"):
        predictor.predict(np.zeros((10, 10), np.uint8))


def test_flip_and_multiscale_averaging_still_gives_probabilities(predictor):
    from srcrm.inference import InferenceConfig, predict_probs

    x = torch.rand(1, 3, 64, 80)
    probs = predict_probs(predictor.model, x, InferenceConfig(flip=True, scales=(0.75, 1.0, 1.25)))
    assert probs.shape == (1, 11, 64, 80)
    assert torch.allclose(probs.sum(1), torch.ones(1, 64, 80), atol=1e-4)
