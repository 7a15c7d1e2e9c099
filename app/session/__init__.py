"""The app's state without Qt: the session (:mod:`~.session`), its two modes (:mod:`~.modes`),
what is saved (:mod:`~.save_state`), the model a folder was last used with
(:mod:`~.model_choice`) and the table of commands (:mod:`~.commands`)."""

from .commands import Command, CommandTable, Menu
from .modes import DocumentError, ImageMode, Mode, VideoMode
from .save_state import SaveState
from .session import Opener, Session

__all__ = [
    "Command",
    "CommandTable",
    "DocumentError",
    "ImageMode",
    "Menu",
    "Mode",
    "Opener",
    "SaveState",
    "Session",
    "VideoMode",
]
