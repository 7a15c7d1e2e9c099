"""What an export is asked (its options, the classes to pick from) and the file filters of its
dialogs: plain data, shared by the exporters and the questions (:mod:`app.dialogs`)."""

from __future__ import annotations

from dataclasses import dataclass, replace

JSON_FILTER = "JSON files (*.json);;All files (*)"
PNG_FILTER = "PNG images (*.png);;All files (*)"
TXT_FILTER = "YOLO label files (*.txt);;All files (*)"
SVG_FILTER = "SVG images (*.svg);;All files (*)"


@dataclass(frozen=True)
class ExportOptions:
    """Every option an export may ask for; each dialog shows only the ones it needs."""

    tolerance: float = 1.0  # polygon simplification (about tolerance**2 px of area per vertex)
    min_area: float = 0.0  # pieces smaller than this (px) merge into their neighbours
    embed_image: bool = False  # labelme: the image's bytes in imageData
    rle_all: bool = False  # COCO: every object as RLE
    class_id: int | None = None  # cut-out, SVG
    feather: float = 0.0  # cut-out: soft edge, px
    crop: bool = False  # cut-out: trim to the class's bounding box

    def with_(self, **changes) -> ExportOptions:
        return replace(self, **changes)


@dataclass(frozen=True)
class ClassItem:
    """A class the user may pick: id, name, colour and its pixel count in this image."""

    id: int
    name: str
    color: tuple[int, int, int]
    pixels: int
