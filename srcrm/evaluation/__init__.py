"""Scoring a model: confusion-matrix metrics (mIoU, per-class IoU, pixel accuracy, boundary F),
evaluation over a dataset split, and the plots people read (loss curves, per-class IoU)."""
