"""Label RGB images of any size with a trained checkpoint: the entry point for the app and the
``predict`` command."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from srcrm.checkpoint import Checkpoint, load_checkpoint
from srcrm.device import device_name, pick_device
from srcrm.inference import InferenceConfig, predict_probs


@dataclass
class Prediction:
    labels: np.ndarray  # HxW uint8 class ids
    confidence: np.ndarray  # HxW float32, the winning class's probability


class Predictor:
    def __init__(self, checkpoint: Checkpoint, device: str | torch.device = "auto",
                 inference: InferenceConfig = InferenceConfig(mode="slide", tile=1024),
                 whole_below: int = 2048 * 2048):
        self.checkpoint = checkpoint
        self.class_names = list(checkpoint.class_names)
        self.palette = np.asarray(checkpoint.palette, dtype=np.uint8)
        self.ignore_index = checkpoint.ignore_index
        self.inference = inference
        self.whole_below = whole_below
        self.model = checkpoint.build_model()
        self.to(device)

    @classmethod
    def from_checkpoint(cls, path=None, device: str | torch.device = "auto") -> "Predictor":
        """``path`` None loads the bundled default model."""
        return cls(load_checkpoint(path), device)

    def to(self, device: str | torch.device) -> "Predictor":
        self.device = pick_device(device)
        self.device_name = device_name(self.device)
        # Half precision halves memory and time on GPUs; CPUs are faster in fp32.
        self.dtype = torch.float16 if self.device.type == "cuda" else torch.float32
        self.model = self.model.to(self.device, self.dtype).eval()
        return self

    @torch.no_grad()
    def predict(self, image: np.ndarray) -> Prediction:
        """Label an RGB uint8 image (HxWx3). Images up to ``whole_below`` pixels run at once;
        larger ones run in overlapping tiles, so memory stays bounded."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected an RGB uint8 image of shape HxWx3, got {image.dtype} {image.shape}")
        x = torch.from_numpy(np.ascontiguousarray(image)).to(self.device)
        x = x.permute(2, 0, 1)[None].to(self.dtype) / 255
        h, w = image.shape[:2]
        mode = "whole" if h * w <= self.whole_below else self.inference.mode
        probs = predict_probs(self.model, x, InferenceConfig(
            mode=mode, tile=self.inference.tile, flip=self.inference.flip,
            scales=self.inference.scales))
        confidence, labels = probs[0].max(dim=0)
        return Prediction(labels.to(torch.uint8).cpu().numpy(), confidence.float().cpu().numpy())
