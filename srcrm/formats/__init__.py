"""Polygons and dataset formats: label maps to and from labelme, COCO, YOLO, Cityscapes, VOC
and PNG masks, plus cut-outs and SVG for editors. Needs no model.

The core is :func:`polygonize` (label map to polygons that tile the image) and
:func:`rasterize` (polygons back to a label map, with a stated rule for edges and overlaps).
Each format has its own module with ``read``/``write`` and a dataset ``Export``, listed in one
table (:mod:`srcrm.formats.registry`) that the command line and the app's menus share;
:func:`convert` converts files and folders; every reader raises :class:`FormatError`, which
names the file and the shape. Tools that fill polygons edges included (labelme, the Cityscapes
scripts, ultralytics) get outlines through pixel centres (:mod:`srcrm.formats.outlines`).
"""

from srcrm.formats.classes import ClassLookup, labelset_from_names, read_classes
from srcrm.formats.convert import convert, detect
from srcrm.formats.errors import FormatError
from srcrm.formats.polygons import Coverage, Region, polygonize
from srcrm.formats.rasterize import polygon_mask, rasterize
from srcrm.formats.reading import Sample

__all__ = [
    "ClassLookup",
    "Coverage",
    "FormatError",
    "Region",
    "Sample",
    "convert",
    "detect",
    "labelset_from_names",
    "polygon_mask",
    "polygonize",
    "rasterize",
    "read_classes",
]
