"""What the tools that run the model (zoomed re-inference) use of the app's model service:
whether one is loaded, a background job on its thread, a prediction. A protocol, so the
document layer never imports the jobs layer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np


class ModelPort(Protocol):
    @property
    def info(self) -> object | None: ...

    def submit(self, title: str, work: Callable[[Any], Any]) -> Any: ...

    def predict(self, image: np.ndarray) -> Any: ...
