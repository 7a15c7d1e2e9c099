"""Training: configuration, the Trainer loop, and distributed set-up."""

from srcrm.train.config import TrainConfig
from srcrm.train.trainer import Trainer, TrainEvent

__all__ = ["TrainConfig", "TrainEvent", "Trainer"]
