"""Files that a dataset names: read only when they are regular files inside the dataset's folder
(an untrusted labelme file must not have any file on disk copied into the output, nor hang the
conversion on a FIFO), and names no file system can hold fail their own image only."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest
from hostile_tools import convert_cli, time_limit
from PIL import Image

from srcrm.data.labelsets import CAMVID
from srcrm.formats import FormatError, registry

LAYOUTS = ["labelme", "coco", "yolo", "cityscapes", "voc"]  # the targets that copy images


def labelme_doc(image_path: str, size: bool = True) -> dict:
    doc = {
        "shapes": [{"label": "car", "points": [[1, 1], [6, 1], [6, 4]], "shape_type": "polygon"}],
        "imagePath": image_path,
    }
    return {**doc, "imageHeight": 6, "imageWidth": 8} if size else doc


@pytest.fixture
def secret(tmp_path):
    """An image outside the dataset folder, with bytes no other file has."""
    path = tmp_path / "elsewhere" / "secret.png"
    path.parent.mkdir()
    Image.fromarray(np.arange(48, dtype=np.uint8).reshape(6, 8)).save(path)
    return path


@pytest.mark.parametrize("target", LAYOUTS)
def test_images_named_outside_the_dataset_are_neither_read_nor_copied(tmp_path, capsys, secret, target):
    src = tmp_path / "src"
    src.mkdir()
    Image.new("RGB", (8, 6)).save(src / "inside.png")
    (src / "link.png").symlink_to(secret)
    names = {"absolute": str(secret), "climbing": "../elsewhere/secret.png", "linked": "link.png"}
    for name, image_path in {**names, "plain": "inside.png"}.items():
        (src / f"{name}.json").write_text(json.dumps(labelme_doc(image_path)))
    code, err = convert_cli(capsys, src, tmp_path / "out", "--to", target)
    assert code == 0
    written = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert all(p.read_bytes() != secret.read_bytes() for p in written)
    assert sum(p.read_bytes() == (src / "inside.png").read_bytes() for p in written) == 1  # copied
    refused = [line for line in err if "refused" in line]
    for name, image_path in names.items():
        assert (
            f"warning: {src / name}.json: {src / image_path} is refused: it lies outside the "
            f"dataset folder {src}, so it is neither read nor copied"
        ) in refused
    assert len(refused) == 3


def test_a_labelme_file_without_its_size_sizes_only_an_image_inside_its_folder(tmp_path, secret):
    (tmp_path / "src").mkdir()
    path = tmp_path / "src" / "a.json"
    path.write_text(json.dumps(labelme_doc("../elsewhere/secret.png", size=False)))
    [error] = registry.FORMATS["labelme"].read(path, CAMVID)
    assert str(error) == (
        f"{path}: image size unknown: no imageHeight/imageWidth, no imageData, and imagePath "
        "'../elsewhere/secret.png' is not a file inside its folder, so it is not read"
    )


@pytest.mark.parametrize("kind", ["fifo", "stdin"])
def test_an_image_path_that_is_a_fifo_or_stdin_is_an_error_not_a_hang(tmp_path, capsys, kind):
    src = tmp_path / "src"
    src.mkdir()
    if kind == "fifo":
        os.mkfifo(src / "pipe.png")
    image_path = "pipe.png" if kind == "fifo" else "/dev/stdin"
    (src / "a.json").write_text(json.dumps(labelme_doc(image_path, size=False)))
    r, w = os.pipe()  # stdin a pipe nobody writes to: reading it would block forever
    saved = os.dup(0)
    os.dup2(r, 0)
    try:
        with time_limit(30):
            code, err = convert_cli(capsys, src, tmp_path / "out", "--to", "png")
    finally:
        os.dup2(saved, 0)
        for fd in (r, w, saved):
            os.close(fd)
    reason = (
        "the image at imagePath cannot be opened"
        if kind == "fifo"
        else "imagePath '/dev/stdin' is not a file inside its folder, so it is not read"
    )
    assert code == 1 and err == [
        f"error: {src / 'a.json'}: image size unknown: no imageHeight/imageWidth, no imageData, and {reason}"
    ]


def test_coco_file_names_no_file_system_holds_fail_their_image_only(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    long_name = "x" * 300 + ".png"
    images = [
        {"id": 1, "file_name": "good.png", "height": 4, "width": 4},
        {"id": 2, "file_name": "nul\u0000.png", "height": 4, "width": 4},
        {"id": 3, "file_name": long_name, "height": 4, "width": 4},
        {"id": 4, "file_name": "\ud800.png", "height": 4, "width": 4},
    ]
    annotations = [
        {"id": i, "image_id": i, "category_id": 1, "segmentation": [[0, 0, 4, 0, 4, 4]]} for i in range(1, 5)
    ]
    doc = {"images": images, "annotations": annotations, "categories": [{"id": 1, "name": "car"}]}
    path = src / "c.json"
    path.write_text(json.dumps(doc))
    code, err = convert_cli(capsys, src, tmp_path / "out", "--to", "labelme")
    assert code == 1
    assert err == [
        f"warning: {tmp_path / 'out' / 'good.json'}: no image is known for it; labelme opens it only "
        "once the image is at good.png beside it",
        f"error: {path}: image 'nul\\x00.png': has a NUL byte in its file_name, which no file name can hold",
        f"error: {path}: image 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxx...xxxxxxxxxxxxxxxxxxxxxxxxx.png': has a "
        "file_name with a part longer than 255 bytes, more than file systems allow",
        f"error: {path}: image '\\ud800.png': has a file_name that is not valid text",
    ]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["classes.txt", "good.json"]


def test_a_name_too_long_once_a_format_adds_its_suffix_fails_that_image_only(tmp_path, capsys):
    """A 240-byte name is a file name; with Cityscapes' ``_gtFine_polygons.json`` it is not."""
    src = tmp_path / "src"
    src.mkdir()
    labels = np.zeros((4, 4), np.uint8)
    long_name = "y" * 236
    for name in ("short", long_name):
        Image.fromarray(labels).save(src / f"{name}.png")
    shutil.copy(src / "short.png", src / "other.png")
    (src / "classes.txt").write_text("sky\nroad\n")
    code, err = convert_cli(capsys, src, tmp_path / "out", "--to", "cityscapes")
    assert code == 1
    folder = tmp_path / "out" / "gtFine" / "default" / "default"
    shown = "'" + "y" * 29 + "..." + "y" * 29 + "'"
    assert err == [
        f"error: {folder}: {shown} makes a file name of 256 bytes, more than the 241 allowed; it is left out"
    ]
    assert not [p for p in (tmp_path / "out").rglob("*") if long_name in p.name]
    assert len(list((tmp_path / "out").rglob("*_gtFine_polygons.json"))) == 2


def test_a_format_error_is_what_a_reader_gives_for_a_name_with_a_nul_byte(tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps(labelme_doc("a\u0000.png", size=False)))
    [error] = registry.FORMATS["labelme"].read(path, CAMVID)
    assert isinstance(error, FormatError) and "is not a file inside its folder" in str(error)
