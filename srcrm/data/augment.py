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
    blur: float = 0.0  # share of crops softened by a Gaussian blur (sigma 0.3-1.5 px): motion, focus
    focus: float = 0.0  # share of crops centred on a pixel of a class drawn uniformly (rare classes)


def augment(
    images: torch.Tensor,
    labels: torch.Tensor,
    cfg: AugmentConfig,
    ignore_index: int,
    generator: torch.Generator | None = None,
    focus: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Augment uint8 images (N,3,H,W) and labels (N,H,W) into float [0,1] crops and long labels.

    Parts of a crop that fall outside the scaled image get the ignore index. ``focus`` (N,2),
    source-pixel (y, x) per image or -1 for none, places that pixel at a random spot inside the
    crop: thin rare classes (poles, signs) are otherwise seldom in a small crop.
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
    if focus is not None:
        fy, fx = focus[:, 0].to(dev, torch.float32), focus[:, 1].to(dev, torch.float32)
        has = fy >= 0
        # Keep the focus pixel at least a tenth of the crop away from the crop's border.
        fy0 = (fy * scale - ch * rand(0.1, 0.9)).clamp(
            min=torch.zeros_like(free_y).minimum(free_y / 2), max=free_y.clamp(min=0)
        )
        fx0 = (fx * scale - cw * rand(0.1, 0.9)).clamp(
            min=torch.zeros_like(free_x).minimum(free_x / 2), max=free_x.clamp(min=0)
        )
        y0, x0 = torch.where(has, fy0, y0), torch.where(has, fx0, x0)
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

    x = F.grid_sample(images.float() / 255, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    # Shift labels by one so that the zero padding marks "outside the image".
    shifted = (labels.float() + 1)[:, None]
    y = F.grid_sample(shifted, grid, mode="nearest", padding_mode="zeros", align_corners=False)[:, 0]
    y = y.long() - 1
    y[y < 0] = ignore_index

    if cfg.jitter > 0:
        x = _photometric(x, cfg.jitter, rand)
    if cfg.blur > 0:
        x = _random_blur(x, cfg.blur, rand)
    return x, y


def _random_blur(x: torch.Tensor, share: float, rand) -> torch.Tensor:
    """Blur a random ``share`` of the batch, each with its own sigma (separable Gaussian)."""
    n = x.shape[0]
    chosen = rand(0, 1) < share
    if not bool(chosen.any()):
        return x
    sigma = rand(0.3, 1.5)
    offsets = torch.arange(-3, 4, device=x.device, dtype=x.dtype)
    kernels = torch.exp(-(offsets[None] ** 2) / (2 * sigma[:, None] ** 2))
    kernels = kernels / kernels.sum(1, keepdim=True)  # N, 7
    c = x.shape[1]
    # Group convolution: one kernel per image and channel.
    flat = x.reshape(1, n * c, *x.shape[2:])
    k = kernels.repeat_interleave(c, 0)
    blurred = F.conv2d(F.pad(flat, (3, 3, 0, 0), mode="reflect"), k[:, None, None, :], groups=n * c)
    blurred = F.conv2d(F.pad(blurred, (0, 0, 3, 3), mode="reflect"), k[:, None, :, None], groups=n * c)
    blurred = blurred.reshape_as(x)
    return torch.where(chosen.view(-1, 1, 1, 1), blurred, x)


def _photometric(x: torch.Tensor, strength: float, rand) -> torch.Tensor:
    lo, hi = 1 - strength, 1 + strength
    brightness = rand(lo, hi).view(-1, 1, 1, 1)
    contrast = rand(lo, hi).view(-1, 1, 1, 1)
    saturation = rand(lo, hi).view(-1, 1, 1, 1)
    x = x * brightness
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * contrast + mean
    grey = 0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]
    x = (x - grey) * saturation + grey
    return x.clamp(0, 1)
