"""Label RGB images of any size with a trained checkpoint: the entry point for the app, the
``predict`` command and video pre-labelling. On a CPU the forward pass takes the fastest path
measured for this machine (:mod:`srcrm.inference.fast_path`)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from srcrm.base.device import device_name, pick_device
from srcrm.inference.fast_path import FastPathConfig, PathChoice, Progress, build_forward, choose_path
from srcrm.inference.strategy import InferenceConfig, label_tiles, predict_probs
from srcrm.models.checkpoint import Checkpoint, load_checkpoint


@dataclass
class Prediction:
    labels: np.ndarray  # HxW uint8 class ids
    confidence: np.ndarray  # HxW float32, the winning class's probability


class Predictor:
    def __init__(
        self,
        checkpoint: Checkpoint,
        device: str | torch.device = "auto",
        inference: InferenceConfig = InferenceConfig(mode="slide", tile=1024),
        whole_below: int = 2048 * 2048,
        fast_path: FastPathConfig = FastPathConfig(),
        progress: Progress | None = None,
    ):
        self.checkpoint = checkpoint
        self.class_names = list(checkpoint.class_names)
        self.palette = np.asarray(checkpoint.palette, dtype=np.uint8)
        self.ignore_index = checkpoint.ignore_index
        self.inference = inference
        self.whole_below = whole_below
        self.fast_path = fast_path
        self.model = checkpoint.build_model()
        self.to(device, progress)

    @classmethod
    def from_checkpoint(
        cls, path=None, device: str | torch.device = "auto", progress: Progress | None = None
    ) -> Predictor:
        """``path`` None loads the bundled default model. ``progress`` hears of the first-start
        measuring of the CPU inference paths (:func:`srcrm.inference.fast_path.choose_path`)."""
        return cls(load_checkpoint(path), device, progress=progress)

    def to(self, device: str | torch.device, progress: Progress | None = None) -> Predictor:
        self.device = pick_device(device)
        self.device_name = device_name(self.device)
        # Half precision halves memory and time on GPUs; CPUs are faster in fp32.
        self.dtype = torch.float16 if self.device.type == "cuda" else torch.float32
        self.model = self.model.to(self.device, self.dtype).eval()
        if self.device.type == "cpu":
            self.path = choose_path(self.model, self.device, self.fast_path, progress)
            self.forward = build_forward(self.model, self.path.path, self.fast_path)
        else:
            self.path = PathChoice("fp16" if self.dtype == torch.float16 else "fp32", {})
            self.forward = self.model
        return self

    @torch.no_grad()
    def predict(self, image: np.ndarray) -> Prediction:
        """Label an RGB uint8 image (HxWx3). Images up to ``whole_below`` pixels run at once;
        larger ones run in overlapping tiles, so the memory beyond the image and its label and
        confidence maps is bounded by the tile (:func:`srcrm.inference.strategy.label_tiles`)."""
        _check_image(image)
        h, w = image.shape[:2]
        if h * w <= self.whole_below:
            return self._run([image])[0]
        return Prediction(*label_tiles(self.forward, image, self.inference, self.device, self.dtype))

    @torch.no_grad()
    def predict_batch(self, images: list[np.ndarray]) -> list[Prediction]:
        """Label several images. Same-size images run together, in forward passes of up to
        ``whole_below`` pixels (video frames: fewer, fuller passes); images of mixed sizes, or
        too large to run whole, run one by one as :meth:`predict` runs them."""
        for image in images:
            _check_image(image)
        pixels = images[0].shape[0] * images[0].shape[1] if images else 0
        if len({im.shape for im in images}) != 1 or pixels > self.whole_below:
            return [self.predict(image) for image in images]
        step = self.whole_below // pixels
        return [p for i in range(0, len(images), step) for p in self._run(images[i : i + step])]

    def _run(self, images: list[np.ndarray]) -> list[Prediction]:
        batch = images[0][None] if len(images) == 1 else np.stack(images)  # no copy for one
        x = torch.from_numpy(np.ascontiguousarray(batch)).to(self.device)
        x = x.permute(0, 3, 1, 2).to(self.dtype) / 255
        probs = predict_probs(self.forward, x, replace(self.inference, mode="whole"))
        best, label = probs.max(dim=1)
        labels, confidence = label.to(torch.uint8).cpu().numpy(), best.float().cpu().numpy()
        return [Prediction(lab, conf) for lab, conf in zip(labels, confidence, strict=True)]


def _check_image(image: np.ndarray) -> None:
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected an RGB uint8 image of shape HxWx3, got {image.dtype} {image.shape}")
