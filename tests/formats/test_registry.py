"""The format table: every entry writes one image and reads it back (what a menu entry does),
and the command line offers exactly the table's formats."""

from __future__ import annotations

import argparse

import numpy as np
import pytest
from PIL import Image

from srcrm.formats import FormatError, registry
from srcrm.formats.cli import register
from srcrm.formats.layout import ExportSettings


@pytest.mark.parametrize("name", list(registry.FORMATS))
def test_each_format_exports_one_image_and_reads_it_back(tmp_path, tricky_map, labelset, name):
    fmt = registry.get(name)
    image = tmp_path / "photo.jpg"
    Image.new("RGB", tricky_map.shape[::-1]).save(image)  # YOLO files are sized by the image
    dst = tmp_path / (f"photo{fmt.suffix}" if fmt.suffix and not fmt.folder_only else "out")
    written, warnings = registry.export_one(
        fmt, dst, "photo", tricky_map, labelset, image, ExportSettings(copy_images=False)
    )
    assert written and all(p.is_file() for p in written) and image not in written
    label_file = next(p for p in written if p.name.endswith(READ_FROM[name]))
    sample = registry.read_one(fmt, label_file, labelset, image)
    truth = np.where(tricky_map < 11, tricky_map, 11)
    if name == "yolo":  # no "no class" in YOLO: the void hole takes the car's class, and says so
        assert (sample.labels[truth < 11] == truth[truth < 11]).all()
        assert "8 unlabelled pixels" in warnings[0]
    else:
        assert (sample.labels == truth).all() and warnings == []


READ_FROM = {
    "cityscapes": "_polygons.json",
    "voc": ".png",
    "coco": ".json",
    "labelme": ".json",
    "yolo": ".txt",
    "png": ".png",
}


def test_read_one_says_when_a_coco_file_has_no_labels_for_the_image(tmp_path, tricky_map, labelset):
    fmt = registry.get("coco")
    registry.export_one(fmt, tmp_path / "c.json", "other", tricky_map, labelset, None, ExportSettings())
    with pytest.raises(FormatError, match="no image named photo .it lists other"):
        registry.read_one(fmt, tmp_path / "c.json", labelset, tmp_path / "photo.jpg")


def test_the_command_line_offers_the_tables_formats():
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    action = next(
        a for a in parser._subparsers._group_actions[0].choices["convert"]._actions if a.dest == "to"
    )
    assert tuple(action.choices) == tuple(registry.FORMATS)
    with pytest.raises(ValueError, match="unknown format 'tiff'"):
        registry.get("tiff")
