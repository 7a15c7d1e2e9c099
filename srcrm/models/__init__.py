"""The network and what describes it: its configuration (:mod:`~srcrm.models.config`), encoders,
the two refinement modules, the decoder, the network, safe checkpoints
(:mod:`~srcrm.models.checkpoint`) and FLOPs counting.

The tables of parts (:mod:`srcrm.models.registry`) import without torch; the network itself is
imported on first use of :func:`build_model` or :class:`SRCRMNet`.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what __getattr__ below hands out, for the type checker
    from srcrm.models.network import SRCRMNet, build_model, load_pretrained

__all__ = ["SRCRMNet", "build_model", "load_pretrained"]


def __getattr__(name: str):
    if name in __all__:
        from srcrm.models import network

        return getattr(network, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
