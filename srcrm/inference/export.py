"""Export a checkpoint to ONNX and TorchScript, and check each against the eager model."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from srcrm.base.io import atomic_write_bytes

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
    """Trace ``model`` on ``example``, check the result on another size, then write ``path``:
    a failure anywhere before the write leaves nothing behind."""
    model = _Inference(model).eval()
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.trace(model, example), buffer)
    loaded = torch.jit.load(io.BytesIO(buffer.getvalue()))
    probe = _probe(example)
    check = _compare(model(probe), loaded(probe), Path(path))
    atomic_write_bytes(path, buffer.getvalue())
    return check


@torch.no_grad()
def export_onnx(model: nn.Module, path, example: torch.Tensor) -> ExportCheck:
    """Export ``model`` to ONNX, check it in ONNX Runtime on another size, then write ``path``:
    a failure anywhere before the write leaves nothing behind."""
    import onnxruntime as ort

    model = _Inference(model).eval()
    buffer = io.BytesIO()
    torch.onnx.export(
        model,
        (example,),
        buffer,  # type: ignore[arg-type]  # a file object works; the stubs name paths only
        input_names=["image"],
        output_names=["logits"],
        opset_version=ONNX_OPSET,
        dynamo=False,
        dynamic_axes={
            "image": {0: "batch", 2: "height", 3: "width"},
            "logits": {0: "batch", 2: "height", 3: "width"},
        },
    )
    session = ort.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    probe = _probe(example)
    (output,) = session.run(None, {"image": probe.numpy()})
    check = _compare(model(probe), torch.from_numpy(output), Path(path))
    atomic_write_bytes(path, buffer.getvalue())
    return check


def _probe(example: torch.Tensor) -> torch.Tensor:
    """An input of another height, width and aspect than ``example``: the export must not have
    frozen the shape it was traced with."""
    return torch.rand(1, 3, example.shape[2] + 32, example.shape[3] + 64)
