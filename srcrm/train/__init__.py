"""Training: configuration, the Trainer loop, losses and distributed set-up; fine-tuning a
checkpoint on corrected images (:mod:`~srcrm.train.finetune`) and learning as a person works
(:mod:`~srcrm.train.learning`)."""

from srcrm.train.config import TrainConfig
from srcrm.train.trainer import Trainer, TrainEvent

__all__ = ["TrainConfig", "TrainEvent", "Trainer"]
