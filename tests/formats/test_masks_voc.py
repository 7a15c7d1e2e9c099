"""PNG masks: greyscale and indexed (VOC palette) read and write."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hostile_tools import convert_cli
from PIL import Image

from srcrm.base.io import ImageReadError, read_label_png, write_png
from srcrm.formats import FormatError, masks, voc
from srcrm.formats.tables import TableMismatch


def test_voc_png_has_voc_palette_and_reads_back(tmp_path, camvid_label, labelset):
    path = tmp_path / "v.png"
    voc.write(path, camvid_label, labelset)
    with Image.open(path) as im:
        assert im.mode == "P"
        palette = np.array(im.getpalette()[:768]).reshape(-1, 3)
        indices = np.asarray(im)
    assert palette[0].tolist() == [0, 0, 0] and palette[1].tolist() == [128, 0, 0]
    assert palette[255].tolist() == [224, 224, 192]  # VOC's void colour
    assert (indices[camvid_label == 11] == 255).all()
    assert (masks.read(path, labelset).labels == camvid_label).all()


def test_greyscale_masks_and_void(tmp_path, labelset):
    labels = np.array([[0, 10, 11], [255, 3, 3]], np.uint8)
    masks.write(tmp_path / "g.png", labels)
    read = masks.read(tmp_path / "g.png", labelset).labels
    assert read.tolist() == [[0, 10, 11], [11, 3, 3]]  # 255 is void, stored as the ignore index
    sixteen = tmp_path / "16.png"
    Image.fromarray(np.array([[0, 2], [1, 11]], np.uint16)).save(sixteen)
    assert masks.read(sixteen, labelset).labels.tolist() == [[0, 2], [1, 11]]


def test_masks_that_are_not_masks(tmp_path, labelset):
    write_png(tmp_path / "rgb.png", np.zeros((2, 2, 3), np.uint8))
    with pytest.raises(FormatError, match="rgb.png: a RGB image, not a mask"):
        masks.read(tmp_path / "rgb.png", labelset)
    masks.write(tmp_path / "odd.png", np.array([[0, 40], [77, 1]], np.uint8))
    with pytest.raises(
        TableMismatch, match=r"odd.png: id 40 is not in the class table of the class list \(0 sky, "
    ):
        masks.read(tmp_path / "odd.png", labelset)
    (tmp_path / "junk.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    with pytest.raises(FormatError, match="junk.png: not a readable image"):
        masks.read(tmp_path / "junk.png", labelset)


def test_a_datumaro_voc_export_is_detected_and_read_by_its_labelmap(tmp_path, camvid_label, labelset):
    """datumaro/CVAT put background first in labelmap.txt, so every index is ours + 1."""
    from srcrm.base.io import read_label_png
    from srcrm.formats import convert, detect

    root = tmp_path / "voc"
    (root / "SegmentationClass").mkdir(parents=True)
    (root / "labelmap.txt").write_text(
        "# label:color_rgb:parts:actions\nbackground:0,0,0::\n"
        + "".join(f"{n}:1,2,3::\n" for n in labelset.class_names)
    )
    indices = np.where(camvid_label < 11, camvid_label + 1, 0).astype(np.uint8)
    masks.write(root / "SegmentationClass" / "a.png", indices)
    assert detect(root) == "voc"
    report = convert(root, tmp_path / "out", "png")
    assert report.errors == []
    assert (tmp_path / "out" / "classes.txt").read_text().split() == list(labelset.class_names)
    assert (read_label_png(tmp_path / "out" / "a.png") == camvid_label).all()


def test_a_16_bit_label_png_past_255_is_refused_by_the_one_label_reader(tmp_path, capsys, labelset):
    """300 must never be read as class 44 (300 mod 256): the app and the datasets read label
    PNGs through ``read_label_png``, ``srcrm convert`` through ``masks.read``; both refuse it."""
    path = tmp_path / "src" / "wide.png"
    path.parent.mkdir()
    cv2.imwrite(str(path), np.array([[0, 3], [300, 1]], np.uint16))
    with pytest.raises(ImageReadError) as info:
        read_label_png(path)
    assert str(info.value) == f"{path}: value 300 does not fit a label map (0..255)"
    (tmp_path / "classes.txt").write_text("sky\nbuilding\npole\nroad\n")
    classes = tmp_path / "classes.txt"
    code, err = convert_cli(capsys, path.parent, tmp_path / "out", "--to", "labelme", "--classes", classes)
    assert code == 1 and err == [f"error: {path}: value 300 does not fit a label map (0..255)"]
    cv2.imwrite(str(path), np.array([[0, 3], [255, 1]], np.uint16))  # 16-bit, values that fit
    labels = read_label_png(path)
    assert labels.dtype == np.uint8 and labels.tolist() == [[0, 3], [255, 1]]
