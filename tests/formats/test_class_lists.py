"""Class lists found beside a dataset: a name's line number minus one is its id, so nothing may
move a name to another line (a dropped first line shifted every id by one, silently)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hostile_tools import convert_cli

from srcrm.base.io import read_label_png, write_png
from srcrm.formats.classes import labelset_from_names


def masks_folder(tmp_path, classes: bytes):
    """A 3x3 mask whose columns hold the values 0, 1 and 2, and ``classes.txt`` beside it."""
    src = tmp_path / "src"
    src.mkdir()
    write_png(src / "m.png", np.tile(np.arange(3, dtype=np.uint8), (3, 1)))
    (src / "classes.txt").write_bytes(classes)
    return src


@pytest.mark.parametrize("first", ["_background_", "unlabelled", "unlabeled"])
def test_a_first_line_meaning_no_class_keeps_its_id(tmp_path, capsys, first):
    src = masks_folder(tmp_path, f"{first}\ncar\nroad\n".encode())
    code, err = convert_cli(capsys, src, tmp_path / "out", "--to", "coco")
    assert code == 0 and not [line for line in err if line.startswith("error:")]
    doc = json.loads((tmp_path / "out" / "annotations" / "instances_default.json").read_text())
    names = {c["id"]: c["name"] for c in doc["categories"]}
    assert list(names.values()) == [first, "car", "road"]
    columns = {names[a["category_id"]]: a["bbox"][0] for a in doc["annotations"]}
    assert columns == {first: 0, "car": 1, "road": 2}  # value 1 is car, as the file says


def test_a_byte_order_mark_is_not_part_of_the_first_name(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    shape = {"label": "car", "points": [[0, 0], [2, 0], [2, 2]], "shape_type": "polygon"}
    (src / "a.json").write_text(json.dumps({"shapes": [shape], "imageHeight": 3, "imageWidth": 3}))
    (src / "classes.txt").write_bytes("car\nroad\n".encode("utf-8-sig"))  # as Notepad saves it
    code, err = convert_cli(capsys, src, tmp_path / "out", "--to", "png")
    assert code == 0 and err == []
    assert (tmp_path / "out" / "classes.txt").read_bytes() == b"car\nroad\n"
    assert read_label_png(tmp_path / "out" / "a.png")[0, 2] == 0


def test_a_last_line_meaning_no_class_is_the_ignore_index_with_its_own_id(tmp_path, capsys):
    src = masks_folder(tmp_path, b"car\nroad\nunlabelled\n")
    code, err = convert_cli(capsys, src, tmp_path / "out", "--to", "png")
    assert code == 0 and err == []
    assert (tmp_path / "out" / "classes.txt").read_text() == "car\nroad\n"
    assert (read_label_png(tmp_path / "out" / "m.png") == read_label_png(src / "m.png")).all()


@pytest.mark.parametrize("given", [False, True])
def test_a_blank_line_between_names_is_an_error_not_skipped(tmp_path, capsys, given):
    src = masks_folder(tmp_path, b"car\n\nroad\n\n\n")
    classes = ["--classes", src / "classes.txt"] if given else []
    code, err = convert_cli(capsys, src, tmp_path / "out", "--to", "png", *classes)
    assert code == 2 and err == [
        f"error: {src / 'classes.txt'}: line 2 is blank; each line is the class whose id is its "
        "line number minus one, so a blank line would shift the ids after it"
    ]
    assert not (tmp_path / "out").exists()


def test_more_classes_than_label_maps_hold_is_said_as_such(tmp_path, capsys):
    src = masks_folder(tmp_path, "".join(f"c{i}\n" for i in range(300)).encode())
    code, err = convert_cli(capsys, src, tmp_path / "out", "--to", "png")
    assert code == 2 and err == [
        "error: the class list has 300 classes; label maps are 8-bit, so at most 255 classes are supported"
    ]
    with pytest.raises(ValueError, match=r"^the ignore index must be in 3\.\.255 for 3 classes, got 2$"):
        labelset_from_names(["a", "b", "c"], ignore_index=2)


def test_training_reads_class_lists_with_the_same_reader(tmp_path):
    """``srcrm.data.labelsets.read_class_names`` (fine-tuning, datasets) skipped blank lines and
    kept a byte order mark: the ids after either moved."""
    from srcrm.data.labelsets import read_class_names
    from srcrm.formats import FormatError

    path = tmp_path / "classes.txt"
    path.write_bytes("car\nroad\n".encode("utf-8-sig"))
    assert read_class_names(path) == ["car", "road"]
    path.write_text("car\n\nroad\n")
    with pytest.raises(FormatError, match="line 2 is blank"):
        read_class_names(path)
