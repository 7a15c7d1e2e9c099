"""Training augmentation as one batched resampling: random scale, crop and flip become a single
sampling grid per image, so a whole batch is augmented in one ``grid_sample`` call on whatever
device holds it (the GPU keeps small datasets resident and augments there)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class AugmentConfig:
    crop: tuple[int, int] = (360, 480)  # height, width
    scale: tuple[float, float] = (0.5, 2.0)
    flip: bool = True
    jitter: float = 0.25  # brightness, contrast and saturation vary by up to +-25%


def augment(images: torch.Tensor, labels: torch.Tensor, cfg: AugmentConfig, ignore_index: int,
            generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Augment uint8 images (N,3,H,W) and labels (N,H,W) into float [0,1] crops and long labels.

    Parts of a crop that fall outside the scaled image get the ignore index.
    """
    n, _, h, w = images.shape
    ch, cw = cfg.crop
    dev = images.device

    def rand(lo: float, hi: float) -> torch.Tensor:
        return torch.rand(n, generator=generator, device=dev) * (hi - lo) + lo

    scale = rand(*cfg.scale)
    # Crop origin in scaled pixels; where the scaled image is smaller than the crop, centre it.
    free_y, free_x = h * scale - ch, w * scale - cw
    y0 = torch.where(free_y > 0, rand(0, 1) * free_y, free_y / 2)
    x0 = torch.where(free_x > 0, rand(0, 1) * free_x, free_x / 2)
    u = torch.arange(cw, device=dev, dtype=torch.float32) + 0.5
    v = torch.arange(ch, device=dev, dtype=torch.float32) + 0.5
    src_x = (u[None] + x0[:, None]) / scale[:, None]  # N, cw
    src_y = (v[None] + y0[:, None]) / scale[:, None]  # N, ch
    if cfg.flip:
        flip = torch.rand(n, generator=generator, device=dev) < 0.5
        src_x = torch.where(flip[:, None], w - src_x, src_x)
    gx = (2 * src_x / w - 1)[:, None, :].expand(n, ch, cw)
    gy = (2 * src_y / h - 1)[:, :, None].expand(n, ch, cw)
    grid = torch.stack((gx, gy), dim=-1)

    x = F.grid_sample(images.float() / 255, grid, mode="bilinear", padding_mode="zeros",
                      align_corners=False)
    # Shift labels by one so that the zero padding marks "outside the image".
    shifted = (labels.float() + 1)[:, None]
    y = F.grid_sample(shifted, grid, mode="nearest", padding_mode="zeros", align_corners=False)[:, 0]
    y = y.long() - 1
    y[y < 0] = ignore_index

    if cfg.jitter > 0:
        x = _photometric(x, cfg.jitter, rand)
    return x, y


def _photometric(x: torch.Tensor, strength: float, rand) -> torch.Tensor:
    lo, hi = 1 - strength, 1 + strength
    brightness = rand(lo, hi).view(-1, 1, 1, 1)
    contrast = rand(lo, hi).view(-1, 1, 1, 1)
    saturation = rand(lo, hi).view(-1, 1, 1, 1)
    x = x * brightness
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * contrast + mean
    grey = (0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3])
    x = (x - grey) * saturation + grey
    return x.clamp(0, 1)
