"""Metrics over a split match hand-computed values."""

import torch

from srcrm.evaluation.metrics import SegmentationMetrics


def test_confusion_matrix_miou_and_ignore():
    target = torch.tensor([[[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 2, 2]]])  # 2 = ignore
    pred = torch.tensor([[[0, 1, 1, 1], [0, 0, 1, 0], [1, 1, 0, 0]]])
    m = SegmentationMetrics(num_classes=2, ignore_index=2)
    m.update(pred, target)
    r = m.compute()
    # class 0: tp 3, fp 1, fn 1 -> 3/5; class 1: tp 3, fp 1, fn 1 -> 3/5
    assert r["iou"] == [0.6, 0.6]
    assert abs(r["miou"] - 0.6) < 1e-9
    assert abs(r["pixel_accuracy"] - 6 / 8) < 1e-9


def test_split_is_one_confusion_matrix_not_a_mean_of_images():
    m = SegmentationMetrics(2, 255)
    m.update(torch.zeros(1, 2, 2, dtype=torch.long), torch.zeros(1, 2, 2, dtype=torch.long))
    m.update(torch.tensor([[[1, 1], [1, 0]]]), torch.ones(1, 2, 2, dtype=torch.long))
    r = m.compute()
    assert abs(r["iou"][0] - 4 / 5) < 1e-9 and abs(r["iou"][1] - 3 / 4) < 1e-9


def test_boundary_f_is_perfect_for_a_perfect_prediction_and_drops_when_shifted():
    target = torch.zeros(1, 40, 40, dtype=torch.long)
    target[:, 10:30, 10:30] = 1
    m = SegmentationMetrics(2, 255, boundary_tolerance=2)
    m.update(target, target)
    assert m.compute()["boundary_f"] == 1.0
    shifted = torch.roll(target, shifts=6, dims=2)
    m = SegmentationMetrics(2, 255, boundary_tolerance=2)
    m.update(shifted, target)
    assert m.compute()["boundary_f"] < 0.7
