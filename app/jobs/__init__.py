"""Background work, without Qt: one runner (:mod:`~.runner`), the job handle (:mod:`~.job`) and
the model service that owns the predictor (:mod:`~.model`)."""

from .job import Job, JobProgress, describe_progress, format_eta
from .model import ModelInfo, ModelService, PrelabelResult
from .runner import MODEL_LANE, JobRunner

__all__ = [
    "MODEL_LANE",
    "Job",
    "JobProgress",
    "JobRunner",
    "ModelInfo",
    "ModelService",
    "PrelabelResult",
    "describe_progress",
    "format_eta",
]
