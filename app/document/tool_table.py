"""The tool table: every editing tool is one entry here plus its handler file.

The editor dispatches the mouse to the entry's handler; the tool bar, the Edit > Tools menu and
the shortcuts are built from the entries, in this order. To add a tool, write a
:class:`~.handlers.base.ToolHandler` subclass in its own file and append a :class:`ToolSpec`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .handlers.base import ToolHandler
from .handlers.brush import BrushHandler, EraserHandler, ProtectedBrushHandler
from .handlers.fill import FillHandler
from .handlers.picker import PickerHandler
from .handlers.polygon import PolygonHandler
from .handlers.scribble import ScribbleHandler
from .handlers.smart_stroke import QuickSelectHandler, SuperpixelHandler
from .handlers.snap_polygon import SnapPolygonHandler
from .handlers.zoom import ZoomHandler


class Cursor(enum.StrEnum):
    """What the canvas shows under the mouse."""

    BRUSH = "brush"  # a circle of the brush diameter
    CROSS = "cross"
    PAN = "pan"  # an open hand; the left button pans the view instead of editing


@dataclass(frozen=True)
class ToolSpec:
    id: str  # stable: saved in the session, used by scripts and tests
    label: str  # menu and tool-bar text; also the name of a stroke's undo step
    shortcut: str
    tip: str
    handler: type[ToolHandler]
    paints: bool = False  # drags a brush: the brush size applies
    cursor: Cursor = Cursor.CROSS
    only_over: bool = False  # shows the "only over" class choice
    transient: bool = False  # hands back to the previous tool after one use


TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "brush", "Brush", "B", "Paint the current class", BrushHandler, paints=True, cursor=Cursor.BRUSH
    ),
    ToolSpec(
        "protected",
        "Protected brush",
        "R",
        "Paint the current class only over one class; every other class is protected "
        "(by default the class under the first point of the stroke)",
        ProtectedBrushHandler,
        paints=True,
        cursor=Cursor.BRUSH,
        only_over=True,
    ),
    ToolSpec(
        "eraser", "Eraser", "E", "Make pixels unlabelled", EraserHandler, paints=True, cursor=Cursor.BRUSH
    ),
    ToolSpec(
        "fill",
        "Flood fill",
        "F",
        "Fill the connected region under the click with the current class",
        FillHandler,
    ),
    ToolSpec(
        "polygon",
        "Polygon fill",
        "G",
        "Click the corners; double-click or Enter fills, Backspace removes a corner, Esc cancels",
        PolygonHandler,
    ),
    ToolSpec(
        "quick_select",
        "Quick select",
        "Q",
        "Drag: the class spreads from the drag up to the image's and the model's edges, "
        "never past the circle; the tinted outline shows what a click would change",
        QuickSelectHandler,
        paints=True,
        cursor=Cursor.BRUSH,
        only_over=True,
    ),
    ToolSpec(
        "superpixel",
        "Superpixels",
        "S",
        "Click or drag: fill the image regions under the centre, inside the circle; the "
        "tinted outline shows what a click would change",
        SuperpixelHandler,
        paints=True,
        cursor=Cursor.BRUSH,
        only_over=True,
    ),
    ToolSpec(
        "scribble",
        "Scribble re-segment",
        "W",
        "Drag scribbles of two or more classes (switch class between them); the result "
        "shows before Enter applies it, Backspace drops the last scribble, Esc cancels",
        ScribbleHandler,
        paints=True,
        cursor=Cursor.BRUSH,
        only_over=True,
    ),
    ToolSpec(
        "snap_polygon",
        "Edge-snapping polygon",
        "L",
        "Click corners: each side follows the image's edges; double-click or Enter fills, "
        "Backspace removes a corner, Esc cancels",
        SnapPolygonHandler,
        only_over=True,
    ),
    ToolSpec(
        "zoom",
        "Zoomed re-inference",
        "Z",
        "Drag a rectangle: the model looks again at it enlarged 2x and relabels the pixels "
        "no person has edited",
        ZoomHandler,
    ),
    ToolSpec(
        "picker",
        "Eyedropper",
        "I",
        "Pick the class under the click (Alt+click does it with any tool)",
        PickerHandler,
        transient=True,
    ),
    ToolSpec(
        "pan",
        "Pan",
        "H",
        "Drag to pan (or hold Space, or drag with the middle button)",
        ToolHandler,
        cursor=Cursor.PAN,
    ),
)

DEFAULT_TOOL = "brush"


def tool_spec(tool_id: str) -> ToolSpec:
    """The entry for ``tool_id``; ValueError for an unknown id (a stale saved session, say)."""
    for spec in TOOLS:
        if spec.id == tool_id:
            return spec
    raise ValueError(f"unknown tool {tool_id!r}")
