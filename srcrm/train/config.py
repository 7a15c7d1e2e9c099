"""Everything a training run needs, as data, with the range each number must lie in."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from srcrm.base.ranges import check_range
from srcrm.data.augment import AugmentConfig
from srcrm.models.config import ModelConfig
from srcrm.train.losses import LossConfig

MAX_STEPS = 10_000_000
MAX_LR = 1.0  # SGD with momentum 0.9 diverges long before this; the shipped runs use 0.005-0.01
MAX_BATCH = 1024
# Crops x pixels per step: 8 crops of 1024x1024. A training step of the default model takes
# about 1.6 KB a pixel in fp32 (measured on the CPU), so this is some 14 GB.
MAX_BATCH_PIXELS = 1 << 23
MAX_SEED = 2**32 - 1  # what numpy and torch both take


def check_run_numbers(steps, lr, batch_size, crop: tuple[int, int], seed, eval_every) -> None:
    """The numbers training and fine-tuning share, each against a sane range: an infinite,
    NaN or huge learning rate ends in NaN weights (and the SRM's sampling grid in a crash), a
    batch of 0 in a traceback, a huge batch or crop in an allocation of terabytes."""
    check_range(steps, "--steps", 1, MAX_STEPS, whole=True)
    check_range(lr, "--lr", 0, MAX_LR, above=True)
    check_range(batch_size, "--batch-size", 1, MAX_BATCH, whole=True)
    check_range(eval_every, "--eval-every", 0, MAX_STEPS, whole=True)
    check_range(seed, "--seed", 0, MAX_SEED, whole=True)
    h, w = crop
    check_range(h, "the crop height", 1, MAX_BATCH_PIXELS, whole=True)
    check_range(w, "the crop width", 1, MAX_BATCH_PIXELS, whole=True)
    if batch_size * -(-h // 32) * -(-w // 32) < 2:
        raise ValueError(
            f"--batch-size {batch_size} of --crop {h}x{w} leaves batch normalisation one value per "
            f"channel at the network's coarsest level (1/32 of the crop): give a batch of 2 or "
            f"more, or a crop over 32 pixels"
        )
    if batch_size * h * w > MAX_BATCH_PIXELS:
        raise ValueError(
            f"--batch-size {batch_size} of --crop {h}x{w} is {batch_size * h * w:,} pixels a step, "
            f"more than the {MAX_BATCH_PIXELS:,} one step may hold: give a smaller batch or crop"
        )


@dataclass
class TrainConfig:
    data: str
    out_dir: str = "runs/train"
    train_split: str = "train"
    val_split: str | None = "val"
    model: ModelConfig = field(default_factory=ModelConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    steps: int = 10_000
    batch_size: int = 8
    lr: float = 0.01
    encoder_lr_scale: float = 1.0  # the encoder's rate as a share of lr (below 1 for a pretrained one)
    momentum: float = 0.9
    weight_decay: float = 5e-4
    warmup_steps: int = 200
    poly_power: float = 0.9
    amp: str = "auto"  # "auto" (bf16 on CUDA and bf16-capable CPUs, else off), "bf16", "fp16", "off"
    channels_last: bool = True
    sync_bn: bool = False
    eval_every: int = 0  # steps between validations; 0 evaluates once at the end
    checkpoint_every: int = 500  # steps between resumable saves
    data_on_device: bool = True  # keep a small same-size dataset resident on the device, augment there
    resident_max_gib: float = 4.0  # larger datasets stream through a DataLoader instead
    workers: int = 2
    seed: int = 0
    device: str = "auto"
    init_from: str | None = None  # start from a checkpoint's weights (fine-tuning)
    pretrained: bool = False  # start the encoder from ImageNet weights (registry.PRETRAINED)
    freeze_backbone: bool = False
    resume: bool = True
    write_files: bool = True  # False: nothing goes to out_dir (fine-tuning keeps its model in memory)

    def __post_init__(self) -> None:
        check_run_numbers(self.steps, self.lr, self.batch_size, self.augment.crop, self.seed, self.eval_every)
        check_range(self.warmup_steps, "--warmup", 0, MAX_STEPS, whole=True)
        check_range(self.checkpoint_every, "--checkpoint-every", 0, MAX_STEPS, whole=True)
        check_range(self.workers, "--workers", 0, 256, whole=True)
        check_range(self.encoder_lr_scale, "--encoder-lr-scale", 0, 10)
        low, high = self.augment.scale
        check_range(low, "the smallest --scale", 0, 16, above=True)
        check_range(high, "the largest --scale", low, 16)
        check_range(self.augment.jitter, "--jitter", 0, 1)
        check_range(self.augment.blur, "--blur", 0, 1)
        check_range(self.augment.focus, "--focus", 0, 1)
        check_range(self.loss.class_balance, "--class-balance", 0, 4)

    def to_dict(self) -> dict:
        return asdict(self)
