"""The other tools' own rasterisers, loaded the way each can be in this test environment.

* labelme: ``labelme/utils/shape.py`` (``shapes_to_label``) is loaded from the installed
  package by file. Importing ``labelme`` itself starts its GUI stack (PyQt5, onnxruntime),
  which cannot share a process with PySide6; the rasteriser needs only numpy and Pillow.
* cityscapesScripts: ``json2labelImg.createLabelImage``, imported as it is.
* ultralytics needs torchvision, which this project cannot install: it is stood in for by its
  documented rasteriser, ``cv2.fillPoly`` of the denormalised points cast to int32, masks sorted
  by area, largest first (``polygons2masks_overlap`` with ``mask_ratio`` 1).
"""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import cv2
import numpy as np
import pytest


def labelme_shapes_to_label():
    """labelme's ``shapes_to_label``, or a skip where labelme is not installed."""
    spec = importlib.util.find_spec("labelme")
    if spec is None or spec.origin is None:
        pytest.skip("labelme is not installed (make test installs it with --no-deps)")
    folder = Path(spec.origin).parent
    package = types.ModuleType("labelme")
    package.__path__ = [str(folder)]
    label_file = types.ModuleType("labelme._label_file")
    label_file.ShapeDict = dict  # only a type annotation in shape.py
    saved = {k: sys.modules.get(k) for k in ("labelme", "labelme._label_file")}
    sys.modules.update({"labelme": package, "labelme._label_file": label_file})
    try:
        shape_spec = importlib.util.spec_from_file_location("labelme_shape", folder / "utils" / "shape.py")
        module = importlib.util.module_from_spec(shape_spec)
        shape_spec.loader.exec_module(module)
    finally:
        for key, value in saved.items():
            if value is None:
                sys.modules.pop(key, None)
            else:
                sys.modules[key] = value
    return module.shapes_to_label


def cityscapes_label_image(json_path: Path) -> np.ndarray:
    """cityscapesScripts' labelIds image of a ``*_polygons.json`` (its ``json2labelImg``)."""
    pytest.importorskip("cityscapesscripts", reason="make test installs it with --no-deps")
    from cityscapesscripts.helpers.annotation import Annotation
    from cityscapesscripts.preparation.json2labelImg import createLabelImage

    annotation = Annotation()
    annotation.fromJsonFile(str(json_path))
    return np.asarray(createLabelImage(annotation, "ids"))


def ultralytics_masks(text: str, height: int, width: int, fill: int) -> np.ndarray:
    """What ultralytics' trainer paints for a YOLO-seg label file (see the module docstring):
    the class of the smallest mask on top, ``fill`` where no mask is."""
    polygons, classes = [], []
    for line in text.splitlines():
        fields = line.split()
        classes.append(int(fields[0]))
        xy = np.array(fields[1:], np.float64).reshape(-1, 2) * (width, height)
        polygons.append(xy.astype(np.int32))
    masks = []
    for polygon in polygons:
        mask = np.zeros((height, width), np.uint8)
        cv2.fillPoly(mask, [polygon.reshape(-1, 1, 2)], 1)
        masks.append(mask)
    out = np.full((height, width), fill, np.int32)
    order = np.argsort([-int(m.sum()) for m in masks], kind="stable")
    for i in order:
        out[masks[i] > 0] = classes[i]
    return out
