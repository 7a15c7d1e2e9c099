"""Smart tools: edits that follow the image and the model instead of the pointer alone.

Qt-free, like the rest of the document layer. Each tool is a pure function of the image, the
label map and the model's evidence that returns the :class:`~..tools.Edit` to apply (a patch
when it writes several classes) and never mutates the map. Each works in a window around the
action, so its cost does not grow with the image.

* :mod:`.evidence`: image colour and class probabilities folded into one edge-aware image;
* :mod:`.segment`: the seeded watershed behind quick-select and scribbles;
* :mod:`.strokes`: a drag as pixels, and the window a tool works in;
* :mod:`.quick_select`: a stroke that grows up to image and model edges (watershed in a band);
* :mod:`.superpixels`: superpixel click and brush (OpenCV ximgproc SLIC);
* :mod:`.scribble`: a region re-segmented from scribbles of several classes;
* :mod:`.scissors`: the edge-snapping polygon (OpenCV ``IntelligentScissorsMB``);
* :mod:`.zoom`: zoomed re-inference of a rectangle, sparing pixels a person edited.
"""

from .errors import SmartToolError

__all__ = ["SmartToolError"]
