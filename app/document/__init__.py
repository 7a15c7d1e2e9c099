"""The document layer: data and operations, no Qt.

* :mod:`~app.document.label_document`: one image, its label map, confidence, state, undo;
* :mod:`~app.document.tools`: brush, protected brush, eraser, flood/polygon fill, eyedropper;
* :mod:`~app.document.smart`: tools that follow the image and the model (quick-select,
  superpixels, scribbles, edge-snapping polygon, zoomed re-inference);
* :mod:`~app.document.undo`: region patches, a step per stroke, memory-bounded;
* :mod:`~app.document.overlay`: label map -> overlay pixels, one dirty rectangle at a time;
* :mod:`~app.document.project`: a folder, per-image state, label PNG + sidecar on disk;
* :mod:`~app.document.saver`: the background autosave writer;
* :mod:`~app.document.tool_table`: one entry per tool (id, label, shortcut, tip, handler);
* :mod:`~app.document.handlers`: what each tool does with a press, drag or click;
* :mod:`~app.document.editor`: the shared tool state; sends the mouse to the current handler.
"""

from .classes import ClassTable
from .geometry import Rect
from .label_document import ImageState, LabelDocument
from .overlay import OverlayMode, OverlayRenderer
from .project import Project

__all__ = ["ClassTable", "ImageState", "LabelDocument", "OverlayMode", "OverlayRenderer", "Project", "Rect"]
