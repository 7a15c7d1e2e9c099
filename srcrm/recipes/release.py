"""Ship a trained checkpoint as the bundled default model: fp16 weights, split into parts that
fit the GPU tool's 16 MiB file limit, with a manifest holding the SHA-256 the loader checks."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import torch

from srcrm.models.checkpoint import DEFAULT_MANIFEST, load_checkpoint, save_checkpoint, save_manifest
from srcrm.models.head import class_conv
from srcrm.models.network import SRCRMNet

LICENCE_NOTE = (
    "Trained on CamVid (Brostow et al., 2009), released for non-commercial research "
    "use only: do not use these weights in a commercial product. Fine-tune on your "
    "own data for other uses."
)


def _class_bias(model: SRCRMNet) -> torch.Tensor:
    """The bias of the main head's class-scoring conv (the prior correction shifts it)."""
    bias = class_conv(model.head).bias
    if bias is None:
        raise ValueError("the class head has no bias to correct")
    return bias


def ship_default(
    checkpoint, manifest=DEFAULT_MANIFEST, description: str = "", prior_correction: float = 0.0
) -> Path:
    """Re-save ``checkpoint`` in fp16 and write it as the manifest's parts (old parts removed).

    ``prior_correction`` (beta) divides ``class_weights ** beta`` of a class-balanced training
    run out of the classifier: balancing buys recall on rare classes with false positives on
    common ones, and a partial correction (chosen on val) keeps most of the first.
    """
    ckpt = load_checkpoint(checkpoint)
    model = ckpt.build_model()
    meta = dict(ckpt.meta, licence=LICENCE_NOTE)
    if prior_correction:
        weights = ckpt.meta["train"]["config"]["loss"]["class_weights"]
        with torch.no_grad():
            bias = _class_bias(model)
            bias -= prior_correction * torch.tensor([math.log(w) for w in weights])
        meta["prior_correction"] = prior_correction
    manifest = Path(manifest)
    for old in manifest.parent.glob(f"{manifest.stem}.pt.part*"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        half = save_checkpoint(
            Path(tmp) / "model.pt",
            model,
            class_names=ckpt.class_names,
            palette=ckpt.palette,
            ignore_index=ckpt.ignore_index,
            meta=meta,
            half=True,
        )
        return save_manifest(half, manifest, f"{description} {LICENCE_NOTE}".strip())


def choose_prior_correction(
    checkpoint, data: str, betas=(0.0, 0.25, 0.5, 0.75), split: str = "val", device: str = "auto"
) -> tuple[float, dict[float, dict]]:
    """Score ``checkpoint`` on ``split`` with each prior correction ``beta`` (as
    :func:`ship_default` would apply it, in fp16); return the beta with the best mIoU and every
    beta's metrics. Without class balancing there is nothing to correct: (0.0, {})."""
    from srcrm.base.device import pick_device
    from srcrm.data.datasets import open_dataset
    from srcrm.evaluation.evaluate import evaluate

    ckpt = load_checkpoint(checkpoint)
    weights = ckpt.meta.get("train", {}).get("config", {}).get("loss", {}).get("class_weights")
    if not weights:
        return 0.0, {}
    dataset = open_dataset(data, split)
    dev = pick_device(device)
    results = {}
    for beta in betas:
        model = ckpt.build_model()
        with torch.no_grad():
            bias = _class_bias(model)
            bias -= beta * torch.tensor([math.log(w) for w in weights])
        model = model.half().float().to(dev)  # the shipped weights are fp16
        results[beta] = evaluate(model, dataset, dev, progress=False)
    best = max(results, key=lambda b: results[b]["miou"])
    return best, results
