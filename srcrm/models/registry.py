"""The tables of swappable parts: encoders (backbones) and decoder blocks.

Each entry names a factory as ``"module:function"`` and is imported only when a model is
built, so the command line, configs and the app can list the choices without importing torch.
Adding a backbone is one file in ``srcrm/models/encoders/`` and one line in :data:`ENCODERS`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

# name -> factory() returning an encoder (see srcrm/models/encoders/__init__.py for the contract)
ENCODERS = {
    "resnet18": "srcrm.models.encoders.resnet:resnet18",
    "resnet50": "srcrm.models.encoders.resnet:resnet50",
    "resnet101": "srcrm.models.encoders.resnet:resnet101",
    "lite0": "srcrm.models.encoders.efficientnet_lite:lite0",
    "lite1": "srcrm.models.encoders.efficientnet_lite:lite1",
    "lite2": "srcrm.models.encoders.efficientnet_lite:lite2",
}

# name -> loader(encoder) that puts ImageNet weights into a built encoder (from a weight package).
PRETRAINED = {
    "lite0": "srcrm.models.encoders.efficientnet_lite:load_lite0",
    "lite1": "srcrm.models.encoders.efficientnet_lite:load_lite1",
    "lite2": "srcrm.models.encoders.efficientnet_lite:load_lite2",
}

# How a coarse decoder level is brought onto the next finer one: factory(channels).
ALIGN_BLOCKS = {
    "srm": "srcrm.models.srm:srm_block",
    "bilinear": "srcrm.models.srm:bilinear_block",
}

# What the decoder starts from at the coarsest level: factory(encoder_channels, encoder_strides,
# config), taking every encoder stage and returning decoder_channels on the coarsest grid.
CONTEXT_BLOCKS = {
    "crm": "srcrm.models.crm:crm_block",
    "lateral": "srcrm.models.crm:lateral_block",
}


def resolve(table: dict[str, str], name: str) -> Callable:
    """The factory that ``table`` lists under ``name``."""
    try:
        module, attr = table[name].split(":")
    except KeyError:
        raise ValueError(f"unknown name {name!r}; choose one of {sorted(table)}") from None
    return getattr(importlib.import_module(module), attr)
