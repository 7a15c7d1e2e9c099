"""Network building blocks: backbone, the two refinement modules, and the assembled network."""

from srcrm.models.network import SRCRMNet, build_model

__all__ = ["SRCRMNet", "build_model"]
