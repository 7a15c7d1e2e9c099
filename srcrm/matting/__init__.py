"""Refine edge: alpha matting of a region's rim, for cut-outs and video mattes (Qt-free)."""

from srcrm.matting.alpha import METHODS, estimate_alpha
from srcrm.matting.foreground import decontaminate
from srcrm.matting.refine import Cancelled, Matte, RefineConfig, check_edge_widths, refine
from srcrm.matting.trimap import make_trimap, paint_band

__all__ = [
    "METHODS",
    "Cancelled",
    "Matte",
    "RefineConfig",
    "check_edge_widths",
    "decontaminate",
    "estimate_alpha",
    "make_trimap",
    "paint_band",
    "refine",
]
