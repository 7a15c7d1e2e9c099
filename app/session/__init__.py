"""The app's state without Qt: the session (:mod:`~.session`), its two modes (:mod:`~.modes`)
and what is saved (:mod:`~.save_state`)."""

from .modes import ImageMode, Mode, VideoMode
from .save_state import SaveState
from .session import Session

__all__ = ["ImageMode", "Mode", "SaveState", "Session", "VideoMode"]
