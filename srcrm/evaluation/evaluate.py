"""Evaluate a model on a dataset split: one confusion matrix over the whole split."""

from __future__ import annotations

import torch
import torch.distributed as dist
from tqdm import tqdm

from srcrm.data.datasets import SegmentationData
from srcrm.evaluation.metrics import SegmentationMetrics
from srcrm.inference.strategy import InferenceConfig, predict_probs


def to_input(image, device: torch.device) -> torch.Tensor:
    """RGB uint8 HxWx3 (numpy) to a (1,3,H,W) float tensor in [0, 1]."""
    return torch.from_numpy(image).to(device).permute(2, 0, 1)[None].float() / 255


@torch.no_grad()
def evaluate(
    model,
    data: SegmentationData,
    device: torch.device,
    inference: InferenceConfig = InferenceConfig(),
    progress: bool = True,
) -> dict:
    """mIoU, per-class IoU, pixel accuracy and boundary F-score. In a DDP run each rank takes
    every world-size-th image and the counts are summed."""
    rank, world = (dist.get_rank(), dist.get_world_size()) if dist.is_initialized() else (0, 1)
    metrics = SegmentationMetrics(data.labelset.num_classes, data.labelset.ignore_index)
    was_training = model.training
    model.eval()
    indices = range(rank, len(data), world)
    for i in tqdm(indices, desc="eval", disable=not progress or rank != 0, leave=False):
        image, label = data[i]
        probs = predict_probs(model, to_input(image, device), inference)
        metrics.update(probs.argmax(1), torch.from_numpy(label)[None].to(device))
    metrics.all_reduce()
    model.train(was_training)
    result = metrics.compute()
    result["class_names"] = list(data.labelset.class_names)
    return result


def format_table(result: dict) -> str:
    """The per-class IoU table, then the summary lines that scripts read (``mIoU: N``)."""
    names = result["class_names"]
    width = max(len(n) for n in names + ["class"])
    lines = [f"{'class':<{width}}  IoU (%)", "-" * (width + 10)]
    lines += [f"{n:<{width}}  {100 * v:6.2f}" for n, v in zip(names, result["iou"])]
    lines += [
        "-" * (width + 10),
        f"pixel accuracy: {100 * result['pixel_accuracy']:.2f}",
        f"boundary F: {100 * result['boundary_f']:.2f}",
        f"mIoU: {100 * result['miou']:.2f}",
    ]
    return "\n".join(lines)
