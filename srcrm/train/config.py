"""Everything a training run needs, as data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from srcrm.config import ModelConfig
from srcrm.data.augment import AugmentConfig
from srcrm.losses import LossConfig


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

    def to_dict(self) -> dict:
        return asdict(self)
