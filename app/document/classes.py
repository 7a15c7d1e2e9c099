"""The class table: names, colours and the ignore ("unlabelled") index of a label map.

It comes from the checkpoint, can be edited (rename, recolour, add), and is saved with the
project. Colours are RGB tuples; ids are the values stored in the label PNG. Each class has two
colours: the dataset's (``colors``, what exports write) and the one the overlay shows
(``display``, told apart from every other class's, :mod:`.palette`; a person's recolouring
changes this one).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from .events import Event
from .palette import distinct_colors

UNLABELLED_NAME = "unlabelled"


def rgb8(rgb: Iterable[int]) -> tuple[int, int, int]:
    """A colour as three 0..255 ints (from numpy values, lists, anything iterable)."""
    r, g, b = (int(c) & 255 for c in rgb)
    return r, g, b


@dataclass
class ClassTable:
    names: list[str]
    colors: list[tuple[int, int, int]]
    ignore_index: int = 255
    visible: list[bool] = field(default_factory=list)
    display: list[tuple[int, int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if len(self.names) != len(self.colors):
            raise ValueError(f"{len(self.names)} class names but {len(self.colors)} colours")
        if not 0 <= self.ignore_index <= 255:
            raise ValueError("the ignore index must fit a uint8 label map (0..255)")
        if len(self.names) > 255:
            raise ValueError("at most 255 classes fit a uint8 label map")
        self.names = [str(n) for n in self.names]
        self.colors = [rgb8(rgb) for rgb in self.colors]
        if len(self.visible) != len(self.names):
            self.visible = [True] * len(self.names)
        if len(self.display) != len(self.names):
            self.display = distinct_colors(self.colors)
        self.display = [rgb8(rgb) for rgb in self.display]
        self.changed = Event()  # () -> None: names, colours or visibility changed

    # --- construction -------------------------------------------------------------------------

    @classmethod
    def default(cls) -> ClassTable:
        """CamVid's 11 classes: what the bundled model predicts, used until a model is loaded."""
        from srcrm.data.labelsets import CAMVID

        return cls(list(CAMVID.class_names), list(CAMVID.palette), CAMVID.ignore_index)

    @classmethod
    def from_dict(cls, data: dict) -> ClassTable:
        classes = sorted(data["classes"], key=lambda c: int(c["id"]))
        if [int(c["id"]) for c in classes] != list(range(len(classes))):
            raise ValueError("class ids must run 0..N-1")
        return cls(
            [c["name"] for c in classes],
            [tuple(c["color"]) for c in classes],
            int(data.get("ignore_index", 255)),
            [bool(c.get("visible", True)) for c in classes],
            [tuple(c["display"]) for c in classes] if all("display" in c for c in classes) else [],
        )

    def to_dict(self) -> dict:
        return {
            "classes": [
                {"id": i, "name": n, "color": list(c), "display": list(d), "visible": v}
                for i, (n, c, d, v) in enumerate(zip(self.names, self.colors, self.display, self.visible))
            ],
            "ignore_index": self.ignore_index,
        }

    def copy(self) -> ClassTable:
        return ClassTable(
            list(self.names), list(self.colors), self.ignore_index, list(self.visible), list(self.display)
        )

    # --- queries ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.names)

    def name(self, class_id: int) -> str:
        if class_id == self.ignore_index:
            return UNLABELLED_NAME
        if 0 <= class_id < len(self.names):
            return self.names[class_id]
        return f"class {class_id}"

    def same_classes(self, other: ClassTable) -> bool:
        return self.names == other.names and self.ignore_index == other.ignore_index

    def display_rgb(self, class_id: int) -> tuple[int, int, int]:
        """The colour the overlay shows ``class_id`` in (black for an unknown id)."""
        return self.display[class_id] if 0 <= class_id < len(self.display) else (0, 0, 0)

    def lut_bgra(self, alpha: int = 255) -> np.ndarray:
        """A 256x4 lookup table id -> premultiplied BGRA of the display colours (the byte order
        of QImage's ARGB32_Premultiplied on little-endian machines). Hidden classes, the
        ignore index and unknown ids are fully transparent."""
        lut = np.zeros((256, 4), np.uint8)
        a = alpha / 255.0
        for i, ((r, g, b), shown) in enumerate(zip(self.display, self.visible)):
            if shown and i != self.ignore_index:
                lut[i] = (round(b * a), round(g * a), round(r * a), alpha)
        return lut

    def palette_rgb(self) -> np.ndarray:
        """A 256x3 RGB table of the dataset colours (unknown ids black), for colour exports."""
        pal = np.zeros((256, 3), np.uint8)
        for i, rgb in enumerate(self.colors):
            pal[i] = rgb
        return pal

    # --- edits (each announces ``changed``) ---------------------------------------------------

    def rename(self, class_id: int, name: str) -> None:
        name = name.strip()
        if not name:
            raise ValueError("a class name cannot be empty")
        self.names[class_id] = name
        self.changed.emit()

    def set_color(self, class_id: int, rgb: tuple[int, int, int]) -> None:
        """Show ``class_id`` in ``rgb`` (exports keep the dataset colour)."""
        self.display[class_id] = rgb8(rgb)
        self.changed.emit()

    def set_visible(self, class_id: int, visible: bool) -> None:
        self.visible[class_id] = bool(visible)
        self.changed.emit()

    def show_all(self) -> None:
        self.visible = [True] * len(self.names)
        self.changed.emit()

    def add(self, name: str, rgb: tuple[int, int, int] | None = None) -> int:
        """Append a class and return its id (skipping the ignore index if it is in the way)."""
        new_id = len(self.names)
        if new_id == self.ignore_index:  # keep the ignore id as a hidden placeholder
            self.names.append(UNLABELLED_NAME)
            self.colors.append((0, 0, 0))
            self.display.append((0, 0, 0))
            self.visible.append(False)
            new_id += 1
        if new_id >= 255:
            raise ValueError("no free class id left (a uint8 label map holds 255 classes)")
        if rgb is None:
            from srcrm.data.labelsets import generated_palette

            rgb = generated_palette(new_id + 1)[new_id]
        self.names.append(name.strip() or f"class {new_id}")
        self.colors.append(rgb8(rgb))
        self.display.extend(distinct_colors([rgb8(rgb)], fixed=self.display))
        self.visible.append(True)
        self.changed.emit()
        return new_id

    def replace_with(self, other: ClassTable) -> None:
        """Take ``other``'s classes in place (listeners stay connected)."""
        self.names = list(other.names)
        self.colors = list(other.colors)
        self.ignore_index = other.ignore_index
        self.visible = list(other.visible)
        self.display = list(other.display)
        self.changed.emit()
