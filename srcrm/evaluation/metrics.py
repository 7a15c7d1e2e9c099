"""Segmentation metrics over a whole split: one confusion matrix (mIoU, per-class IoU, pixel
accuracy) and a boundary F-score, which shows the boundary quality that SRM is meant to fix."""

from __future__ import annotations

import torch
import torch.distributed as dist
import torch.nn.functional as F


def boundaries(labels: torch.Tensor) -> torch.Tensor:
    """Pixels (N,H,W bool) whose label differs from their right or lower neighbour."""
    edge = torch.zeros_like(labels, dtype=torch.bool)
    dx = labels[:, :, 1:] != labels[:, :, :-1]
    dy = labels[:, 1:, :] != labels[:, :-1, :]
    edge[:, :, 1:] |= dx
    edge[:, :, :-1] |= dx
    edge[:, 1:, :] |= dy
    edge[:, :-1, :] |= dy
    return edge


def _dilate(mask: torch.Tensor, radius: int) -> torch.Tensor:
    k = 2 * radius + 1
    return F.max_pool2d(mask[:, None].float(), k, 1, radius)[:, 0] > 0


class SegmentationMetrics:
    """Accumulates predictions (N,H,W class ids) against targets with an ignore index."""

    def __init__(self, num_classes: int, ignore_index: int, boundary_tolerance: int = 2):
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.tolerance = boundary_tolerance
        self.confusion = torch.zeros(num_classes, num_classes, dtype=torch.float64)
        # matched predicted boundary, predicted boundary, matched true boundary, true boundary
        self.boundary_counts = torch.zeros(4, dtype=torch.float64)

    @torch.no_grad()
    def update(self, pred: torch.Tensor, target: torch.Tensor) -> None:
        pred, target = pred.long(), target.long().to(pred.device)
        valid = target != self.ignore_index
        idx = target[valid] * self.num_classes + pred[valid]
        counts = torch.bincount(idx, minlength=self.num_classes**2)
        self.confusion += counts.view(self.num_classes, -1).double().cpu()

        pred_edge = boundaries(pred) & valid
        true_edge = boundaries(torch.where(valid, target, -1)) & valid
        near_true = _dilate(true_edge, self.tolerance)
        near_pred = _dilate(pred_edge, self.tolerance)
        self.boundary_counts += (
            torch.stack(
                [
                    (pred_edge & near_true).sum(),
                    pred_edge.sum(),
                    (true_edge & near_pred).sum(),
                    true_edge.sum(),
                ]
            )
            .double()
            .cpu()
        )

    def all_reduce(self) -> None:
        """Sum the counts over DDP ranks (no-op outside distributed runs)."""
        if dist.is_available() and dist.is_initialized():
            backend_dev = "cuda" if dist.get_backend() == "nccl" else "cpu"
            for t in (self.confusion, self.boundary_counts):
                buf = t.to(backend_dev)
                dist.all_reduce(buf)
                t.copy_(buf.cpu())

    def compute(self) -> dict:
        cm = self.confusion
        tp = cm.diag()
        union = cm.sum(0) + cm.sum(1) - tp
        present = cm.sum(1) > 0
        iou = torch.where(union > 0, tp / union.clamp(min=1), torch.zeros_like(tp))
        miou = iou[present].mean().item() if present.any() else 0.0
        mp, p, mt, t = self.boundary_counts.tolist()
        precision = mp / p if p else 0.0
        recall = mt / t if t else 0.0
        bf = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {
            "miou": miou,
            "iou": iou.tolist(),
            "pixel_accuracy": (tp.sum() / cm.sum().clamp(min=1)).item(),
            "boundary_f": bf,
            "boundary_precision": precision,
            "boundary_recall": recall,
        }
