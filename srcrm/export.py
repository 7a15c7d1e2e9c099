"""Export a checkpoint to ONNX and TorchScript, and check each against the eager model."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from srcrm.io import atomic_write, atomic_write_bytes

ONNX_OPSET = 17  # GridSample arrived in opset 16


@dataclass
class ExportCheck:
    path: Path
    max_abs_diff: float
    label_agreement: float  # share of pixels whose argmax matches the eager model

    def __str__(self) -> str:
        return (
            f"{self.path}: max |logit diff| {self.max_abs_diff:.2e}, "
            f"labels agree on {100 * self.label_agreement:.3f}% of pixels"
        )


class _Inference(nn.Module):
    """The network in inference form: one tensor in, logits out."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


def _compare(reference: torch.Tensor, output: torch.Tensor, path: Path) -> ExportCheck:
    diff = (reference - output).abs().max().item()
    agree = (reference.argmax(1) == output.argmax(1)).float().mean().item()
    return ExportCheck(path, diff, agree)


@torch.no_grad()
def export_torchscript(model: nn.Module, path, example: torch.Tensor) -> ExportCheck:
    model = _Inference(model).eval()
    traced = torch.jit.trace(model, example)
    buffer = io.BytesIO()
    torch.jit.save(traced, buffer)
    atomic_write_bytes(path, buffer.getvalue())
    loaded = torch.jit.load(str(path))
    # Check on a second size: the trace must not have frozen the input shape.
    probe = torch.rand(1, 3, example.shape[2] + 32, example.shape[3] - 32)
    return _compare(model(probe), loaded(probe), Path(path))


@torch.no_grad()
def export_onnx(model: nn.Module, path, example: torch.Tensor) -> ExportCheck:
    import onnxruntime as ort

    model = _Inference(model).eval()
    with atomic_write(path) as fh:
        torch.onnx.export(
            model,
            (example,),
            fh,
            input_names=["image"],
            output_names=["logits"],
            opset_version=ONNX_OPSET,
            dynamo=False,
            dynamic_axes={
                "image": {0: "batch", 2: "height", 3: "width"},
                "logits": {0: "batch", 2: "height", 3: "width"},
            },
        )
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    probe = torch.rand(1, 3, example.shape[2] + 32, example.shape[3] - 32)
    (output,) = session.run(None, {"image": probe.numpy()})
    return _compare(model(probe), torch.from_numpy(output), Path(path))
