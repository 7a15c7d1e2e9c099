"""SRCRM: a semantic segmentation network with Semantic and Contextual Refinement Modules.

The engine of SRCRM Studio. It holds no Qt code, so it serves the CLI, scripts and the app alike.
Its rooms are described in ``docs/design.md``; the names a script needs most are re-exported
here and imported on first use (``import srcrm`` loads no torch).
"""

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what __getattr__ below hands out, for the type checker
    from srcrm.evaluation.metrics import SegmentationMetrics
    from srcrm.inference.predictor import Prediction, Predictor
    from srcrm.models.checkpoint import load_checkpoint
    from srcrm.models.config import ModelConfig
    from srcrm.models.network import SRCRMNet, build_model
    from srcrm.train.config import TrainConfig
    from srcrm.train.finetune import FinetuneConfig, finetune

_PUBLIC = {
    "FinetuneConfig": "srcrm.train.finetune",
    "ModelConfig": "srcrm.models.config",
    "Prediction": "srcrm.inference.predictor",
    "Predictor": "srcrm.inference.predictor",
    "SRCRMNet": "srcrm.models.network",
    "SegmentationMetrics": "srcrm.evaluation.metrics",
    "TrainConfig": "srcrm.train.config",
    "build_model": "srcrm.models.network",
    "finetune": "srcrm.train.finetune",
    "load_checkpoint": "srcrm.models.checkpoint",
}
__all__ = [
    "FinetuneConfig",
    "ModelConfig",
    "Prediction",
    "Predictor",
    "SRCRMNet",
    "SegmentationMetrics",
    "TrainConfig",
    "build_model",
    "finetune",
    "load_checkpoint",
]
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
