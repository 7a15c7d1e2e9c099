"""The other tools' own readers and writers, loaded the way each can be in this test
environment; each test that needs one is skipped, with the reason, where it is missing.

* labelme: ``labelme/utils/shape.py`` (``shapes_to_label``) is loaded from the installed
  package by file. Importing ``labelme`` itself starts its GUI stack (PyQt5, onnxruntime),
  which cannot share a process with PySide6; the rasteriser needs only numpy and Pillow.
* cityscapesScripts: ``json2labelImg.createLabelImage``, imported as it is.
* ultralytics: importing the package needs torchvision, which cannot be installed beside this
  project's torch; ``make`` installs it with ``--no-deps`` and its own functions
  (``convert_segment_masks_to_yolo_seg``, ``polygons2masks_overlap``, ...), which need only
  numpy, OpenCV and Pillow, are compiled from its source files as they are.
* datumaro needs Pillow 12 (this project pins 13): ``make`` installs it in ``.venv/interop``,
  and :func:`datumaro` runs ``datumaro_driver.py`` there.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import logging
import subprocess
import sys
import types
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.conftest import REPO

INTEROP_PYTHON = REPO / ".venv" / "interop" / "bin" / "python"
DRIVER = Path(__file__).with_name("datumaro_driver.py")


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


def cityscapes_color_image(json_path: Path) -> np.ndarray:
    """cityscapesScripts' ``_color.png`` of a ``*_polygons.json`` (RGB)."""
    pytest.importorskip("cityscapesscripts", reason="make test installs it with --no-deps")
    from cityscapesscripts.helpers.annotation import Annotation
    from cityscapesscripts.preparation.json2labelImg import createLabelImage

    annotation = Annotation()
    annotation.fromJsonFile(str(json_path))
    return np.asarray(createLabelImage(annotation, "color").convert("RGB"))


def labelme2voc(json_path: Path, labels_txt: Path) -> np.ndarray:
    """The SegmentationClass PNG that labelme's ``labelme2voc.py`` writes for one file: ids
    from ``labels.txt`` (line number - 2: ``__ignore__`` -1, ``_background_`` 0, ...),
    ``shapes_to_label``, and ``lblsave``'s uint8 palette PNG (-1 is 255)."""
    ids = {line.strip(): i - 1 for i, line in enumerate(labels_txt.read_text().splitlines())}
    doc = json.loads(json_path.read_text())
    size = (doc["imageHeight"], doc["imageWidth"])
    labels, _ = labelme_shapes_to_label()(size, doc["shapes"], ids)
    return labels.astype(np.uint8)


def ultralytics() -> types.SimpleNamespace:
    """ultralytics' own functions that write YOLO-seg files from masks and paint them, compiled
    from its source files (see the module docstring), or a skip."""
    spec = importlib.util.find_spec("ultralytics")
    if spec is None or spec.origin is None:
        pytest.skip("ultralytics is not installed (make test installs it with --no-deps)")
    root = Path(spec.origin).parent
    names = {
        "data/utils.py": ("read_mask", "polygon2mask", "polygons2masks_overlap"),
        "data/converter.py": ("convert_segment_masks_to_yolo_seg",),
    }
    scope = {"np": np, "cv2": cv2, "Image": Image, "Path": Path, "LOGGER": logging.getLogger("ultralytics")}
    for file, wanted in names.items():
        tree = ast.parse((root / file).read_text(encoding="utf-8"))
        body = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name in wanted]
        assert {node.name for node in body} == set(wanted), f"{file} no longer defines {wanted}"
        exec(compile(ast.Module(body=body, type_ignores=[]), str(root / file), "exec"), scope)
    return types.SimpleNamespace(**{name: scope[name] for wanted in names.values() for name in wanted})


def ultralytics_masks(text: str, height: int, width: int, fill: int) -> np.ndarray:
    """What ultralytics paints for a YOLO-seg label file at the image's size: the file parsed as
    its ``verify_image_label`` does (float32), scaled as ``Instances.denormalize`` does
    (float32), painted by its ``polygons2masks_overlap``; the class of the top mask, ``fill``
    where there is none."""
    rows = [line.split() for line in text.strip().splitlines() if line.strip()]
    classes = np.array([row[0] for row in rows], np.float32).astype(int)
    segments = [np.array(row[1:], np.float32).reshape(-1, 2) for row in rows]
    for segment in segments:
        segment[..., 0] *= width
        segment[..., 1] *= height
    out = np.full((height, width), fill, np.int32)
    if not rows:
        return out
    masks, index = ultralytics().polygons2masks_overlap((height, width), segments, 1)
    out[masks > 0] = classes[index][masks[masks > 0].astype(int) - 1]
    return out


def datumaro(jobs: list[dict], folder: Path) -> None:
    """Run ``datumaro_driver.py`` jobs in datumaro's environment, or skip."""
    if not INTEROP_PYTHON.is_file():
        pytest.skip(f"datumaro's environment {INTEROP_PYTHON.parent.parent} is missing (make installs it)")
    path = folder / "jobs.json"
    path.write_text(json.dumps(jobs))
    done = subprocess.run([INTEROP_PYTHON, DRIVER, path], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
