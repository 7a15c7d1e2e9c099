"""SRCRM: a semantic segmentation network with Semantic and Contextual Refinement Modules.

The engine of SRCRM Studio. It holds no Qt code, so it serves the CLI, scripts and the app alike.
"""

from srcrm.config import ModelConfig

__all__ = ["ModelConfig"]
__version__ = "0.1.0"
