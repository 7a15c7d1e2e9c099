"""What the hostile-input tests share: ``srcrm convert`` run as a user runs it, a time limit that
turns a hang into a failure, the peak memory of a read in a fresh process, and one-shape files of
each polygon format for the same points."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from srcrm.cli import main


def convert_cli(capsys, *argv) -> tuple[int, list[str]]:
    """``srcrm convert ARGV``: its exit code and its stderr lines (a traceback fails the test)."""
    code = main(["convert", *map(str, argv), "--no-progress"])
    return code, capsys.readouterr().err.splitlines()


@contextlib.contextmanager
def time_limit(seconds: int):
    """Fail instead of hanging: the alarm interrupts a blocked ``open`` or ``read`` too, and
    fails the test with an exception no ``except OSError`` or ``except Exception`` catches."""

    def expire(signum, frame):
        pytest.fail(f"still running after {seconds} s: it hangs")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def peak_memory_mb(setup: str, code: str) -> float:
    """How far ``code`` raises the peak resident memory of a fresh Python after ``setup`` ran:
    memory that GEOS and Pillow take in C++ and C, which tracemalloc does not see."""
    script = "\n".join(
        (
            textwrap.dedent(setup),
            "import resource",
            "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss",
            textwrap.dedent(code),
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)",
        )
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1]) / 1024


def write_shape(fmt: str, folder: Path, points, height: int, width: int, label: str = "car") -> Path:
    """A file of ``fmt`` whose only shape is a polygon of ``points`` (any JSON value, hostile
    ones too) labelled ``label``, for a ``width`` x ``height`` image; YOLO gets the image and
    a ``data.yaml`` beside it, its points divided by the size as the format stores them."""
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "labelme":
        doc = {"shapes": [{"label": label, "points": points, "shape_type": "polygon"}]}
        return _json(folder / "a.json", {**doc, "imageHeight": height, "imageWidth": width})
    if fmt == "cityscapes":
        doc = {"imgHeight": height, "imgWidth": width, "objects": [{"label": label, "polygon": points}]}
        return _json(folder / "a_gtFine_polygons.json", doc)
    if fmt == "coco":
        flat = [v for p in points for v in p] if _pairs(points) else points
        return _json(
            folder / "a.json",
            {
                "images": [{"id": 1, "file_name": "a.png", "height": height, "width": width}],
                "categories": [{"id": 1, "name": label}],
                "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": [flat]}],
            },
        )
    assert fmt == "yolo"
    (folder / "data.yaml").write_text(f"names: [{label}]\n")
    (folder / "images").mkdir(exist_ok=True)
    Image.new("RGB", (width, height)).save(folder / "images" / "a.png")
    values = np.asarray(points, np.float64).reshape(-1, 2) / (width, height) if _pairs(points) else points
    path = folder / "labels" / "a.txt"
    path.parent.mkdir(exist_ok=True)
    path.write_text("0 " + " ".join(repr(float(v)) for v in np.ravel(values)) + "\n")
    return path


def _pairs(points) -> bool:
    return isinstance(points, list) and all(isinstance(p, list) and len(p) == 2 for p in points)


def _json(path: Path, doc) -> Path:
    path.write_text(json.dumps(doc))
    return path
