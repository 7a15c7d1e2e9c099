"""Refine edge: alpha matting of a region's rim, for cut-outs and video mattes (Qt-free)."""

from srcrm.matting import kernels
from srcrm.matting.alpha import METHODS, estimate_alpha
from srcrm.matting.foreground import decontaminate
from srcrm.matting.refine import Cancelled, Matte, RefineConfig, check_edge_widths, refine
from srcrm.matting.see_through import SeeThroughConfig, open_thin_structures
from srcrm.matting.trimap import make_trimap, paint_band

__all__ = [
    "METHODS",
    "Cancelled",
    "Matte",
    "RefineConfig",
    "SeeThroughConfig",
    "check_edge_widths",
    "decontaminate",
    "estimate_alpha",
    "kernels",
    "make_trimap",
    "open_thin_structures",
    "paint_band",
    "refine",
]
