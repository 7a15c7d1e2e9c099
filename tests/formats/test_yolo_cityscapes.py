"""YOLO segmentation labels and Cityscapes-style files: round trips, what their own tools make
of them, the layouts datumaro/CVAT write, and clear errors."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import yaml
from interop_tools import ultralytics_masks

from srcrm.base.io import read_image, read_label_png, write_png
from srcrm.data.labelsets import LabelSet
from srcrm.formats import FormatError, cityscapes, yolo


def test_yolo_round_trip_data_yaml_and_holes_it_cannot_keep(tmp_path, tricky_map, labelset):
    path = tmp_path / "labels" / "a.txt"
    [warning] = yolo.write(path, tricky_map, labelset)
    assert "a.txt: 8 unlabelled pixels lie in holes" in warning  # the void around pixel (6, 7)
    first = path.read_text().splitlines()[0].split()
    assert int(first[0]) == 0 and len(first) % 2 == 1  # the largest outline first: the frame
    assert all(0 < float(v) < 1 for v in first[1:])  # pixel centres, never on the frame
    labels = yolo.read(path, labelset, *tricky_map.shape).labels
    trainer = ultralytics_masks(path.read_text(), *tricky_map.shape, fill=11)
    assert (labels == trainer).all()
    labelled = tricky_map < 11
    assert (labels[labelled] == tricky_map[labelled]).all()
    assert (labels[tricky_map == 11] == 8).all()  # the car around the void hole
    data = yaml.safe_load(yolo.write_data_yaml(tmp_path, labelset).read_text())
    assert data["names"] == dict(enumerate(labelset.class_names))
    assert data["train"] == "images" and data["nc"] == 11
    assert yolo.read_names(tmp_path / "data.yaml") == list(labelset.class_names)


def test_yolo_reads_self_intersecting_polygons_as_the_trainer_fills_them(tmp_path, labelset):
    path = tmp_path / "a.txt"
    path.write_text("8 0.05 0.05 0.95 0.95 0.95 0.05 0.05 0.95\n")  # a bow tie
    labels = yolo.read(path, labelset, 20, 20).labels
    assert (labels == ultralytics_masks(path.read_text(), 20, 20, fill=11)).all()
    assert labels[10, 3] == 8 and labels[3, 10] == 11


def test_yolo_maps_class_names_and_reports_bad_lines(tmp_path, labelset):
    path = tmp_path / "a.txt"
    path.write_text("1 0 0 0.5 0 0.5 0.5\n")
    assert yolo.read(path, labelset, 4, 4, names=["x", "car"]).labels[0, 0] == 8
    for text, reason in [
        ("0 0 0 1 0 1\n", "even number"),
        ("zero 0 0 1 0 1 1\n", "numbers"),
        ("\n\n12 0 0 1 0 1 1\n", "line 3: class index 12"),
        ("0 0 0 1.9 0 1 1\n", "0..1"),
        ("0 0.5 0.5 0.2 0.2\n", "box"),
        ("0 nan 0 1 0 1 1\n", "0..1"),
    ]:
        path.write_text(text)
        with pytest.raises(FormatError, match=reason):
            yolo.read(path, labelset, 4, 4)


def test_cityscapes_files_agree_and_use_the_cityscapes_table(tmp_path, camvid_label, labelset):
    assert cityscapes.write(tmp_path, "frame", camvid_label, labelset) == []
    files = cityscapes.paths(tmp_path, "frame")
    ids = read_label_png(files["labelIds.png"])
    # CamVid's names map onto Cityscapes labels: road is 7, tree is vegetation (21), void 0.
    assert (ids[camvid_label == 3] == 7).all() and (ids[camvid_label == 5] == 21).all()
    assert (ids[camvid_label == 11] == 0).all()
    instances = cv2.imread(str(files["instanceIds.png"]), cv2.IMREAD_UNCHANGED)  # 16-bit, not class ids
    cars = instances[camvid_label == 8]
    assert cars.dtype == np.uint16 and (cars // 1000 == 26).all() and len(np.unique(cars)) > 1
    assert (instances[camvid_label == 3] == 7).all()  # road has no instances
    colour = read_image(files["color.png"])
    assert (colour[camvid_label == 3] == labelset.palette[3]).all()
    doc = json.loads(files["polygons.json"].read_text())
    assert (doc["imgHeight"], doc["imgWidth"]) == camvid_label.shape
    assert {o["label"] for o in doc["objects"]} <= set(cityscapes.TABLE)
    for source in (files["polygons.json"], files["labelIds.png"]):
        sample = cityscapes.read(source, labelset)
        assert sample.name == "frame" and (sample.labels == camvid_label).all()


def test_cityscapes_keeps_its_own_ids_for_other_class_lists(tmp_path, tricky_map):
    names = ("cat", "dog", "moon", "road", "b", "c", "d", "e", "f", "g", "h")
    own = LabelSet("own", names, tuple((i, i, i) for i in range(11)), 11)
    [warning] = cityscapes.write(tmp_path, "x", tricky_map, own)
    assert "cityscapesScripts will not know them" in warning
    files = cityscapes.paths(tmp_path, "x")
    assert (read_label_png(files["labelIds.png"]) == np.where(tricky_map < 11, tricky_map, 11)).all()
    assert (
        cityscapes.read(files["polygons.json"], own).labels == np.where(tricky_map < 11, tricky_map, 11)
    ).all()


def test_datumaro_label_ids_are_read_with_its_label_colors(tmp_path, camvid_label, labelset):
    """datumaro/CVAT write labelIds with their own table: background first, so every id is
    ours + 1; read with our table, bicyclist (10) would become void (11)."""
    (tmp_path / "label_colors.txt").write_text(
        "0 0 0 background\n"
        + "".join(f"{r} {g} {b} {n}\n" for n, (r, g, b) in zip(labelset.class_names, labelset.palette))
    )
    ids = np.where(camvid_label < 11, camvid_label + 1, 0).astype(np.uint8)
    path = tmp_path / "gtFine" / "default" / "city" / "a_000000_gtFine_labelIds.png"
    path.parent.mkdir(parents=True)
    write_png(path, ids)
    assert (cityscapes.read(path, labelset).labels == camvid_label).all()
    assert cityscapes.class_names(tmp_path, [path]) == list(labelset.class_names)


def test_cityscapes_groups_deleted_objects_and_errors(tmp_path, labelset):
    doc = {
        "imgHeight": 4,
        "imgWidth": 4,
        "objects": [
            {"label": "cargroup", "polygon": [[0, 0], [3, 0], [3, 3]]},
            {"label": "road", "polygon": [[0, 0], [3, 0], [3, 3], [0, 3]], "deleted": 1},
            {"label": "sky", "bbox": [0, 0, 1, 1]},
        ],
    }
    path = tmp_path / "x_gtFine_polygons.json"
    path.write_text(json.dumps(doc))
    sample = cityscapes.read(path, labelset)
    assert sample.labels[0, 3] == 8 and sample.labels[3, 0] == 11
    assert ["marked deleted" in w for w in sample.warnings] == [True, False]  # none left quietly
    assert "object #2 (sky): not an object with a polygon" in sample.warnings[1]
    doc["objects"].append({"label": "zeppelin", "polygon": [[0, 0], [1, 0], [1, 1]]})
    path.write_text(json.dumps(doc))
    with pytest.raises(FormatError, match=r"object #3 \(zeppelin\): unknown class"):
        cityscapes.read(path, labelset)
    assert cityscapes.image_name(path) == "x"
