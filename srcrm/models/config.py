"""The one dataclass that describes a model: what a checkpoint stores and what builds a network."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from srcrm.base.limits import check_channels, check_class_count
from srcrm.models.registry import ENCODERS


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of an SRCRM network.

    ``srm`` and ``crm`` are the ablation switches: with both off the same code is a plain
    FPN-style baseline with bilinear upsampling and a 1x1 lateral on the last stage.
    """

    num_classes: int = 11
    backbone: str = "resnet18"
    decoder_channels: int = 128
    srm: bool = True
    crm: bool = True
    crm_channels: int = 64  # per backbone stage before concatenation
    # SRM also where every level is brought to the finest grid for fusion (three SRMs at stride 4,
    # about a third of a light model's time); off, those steps are bilinear and SRM aligns only
    # the top-down pyramid.
    srm_in_fusion: bool = True
    aux_heads: bool = True

    def __post_init__(self) -> None:
        if self.backbone not in ENCODERS:
            raise ValueError(f"unknown backbone {self.backbone!r}; choose one of {tuple(ENCODERS)}")
        if self.num_classes < 1:
            raise ValueError("num_classes must be at least 1")
        check_class_count(self.num_classes, "the model")
        check_channels(self.decoder_channels, "decoder_channels")
        check_channels(self.crm_channels, "crm_channels")

    @property
    def align_block(self) -> str:
        """The decoder's level-alignment block (a key of ``registry.ALIGN_BLOCKS``)."""
        return "srm" if self.srm else "bilinear"

    @property
    def context_block(self) -> str:
        """The decoder's coarsest-level block (a key of ``registry.CONTEXT_BLOCKS``)."""
        return "crm" if self.crm else "lateral"

    @property
    def name(self) -> str:
        parts = [self.backbone]
        parts.append(("srm" if self.srm_in_fusion else "srm-topdown") if self.srm else "bilinear")
        if self.crm:
            parts.append("crm")
        return "-".join(parts)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        """The config a checkpoint stores; ValueError or TypeError for unknown fields and for
        values of another type than the field's (a file may hold anything)."""
        known = {f.name: type(f.default) for f in fields(cls)}
        unknown = set(data) - set(known)
        if unknown:
            raise ValueError(f"model config has unknown fields: {sorted(unknown, key=str)}")
        for key, value in data.items():
            if type(value) is not known[key]:  # exact: True is an int too, 11.0 a float
                raise TypeError(f"model config field {key} is {value!r}, not a {known[key].__name__}")
        return cls(**data)
