"""YOLO segmentation labels and Cityscapes-style files: round trips and clear errors."""

from __future__ import annotations

import json

import pytest
import yaml

from srcrm.formats import FormatError, cityscapes, polygonize, yolo
from srcrm.io import read_image, read_label_png


def test_yolo_round_trip_and_data_yaml(tmp_path, tricky_map, labelset):
    path = tmp_path / "labels" / "a.txt"
    yolo.write(path, polygonize(tricky_map, 11))
    first = path.read_text().splitlines()[0].split()
    assert int(first[0]) == 0 and len(first) % 2 == 1  # the largest shell first: the frame
    assert all(0 <= float(v) <= 1 for v in first[1:])
    labels = yolo.read(path, labelset, *tricky_map.shape).labels
    labelled = tricky_map < 11
    assert (labels[labelled] == tricky_map[labelled]).all()
    # Unlabelled pixels in a hole come back as the class around them: YOLO has no name for them.
    assert (labels[tricky_map == 11] == 8).all()
    data = yaml.safe_load(yolo.write_data_yaml(tmp_path, labelset).read_text())
    assert data["names"] == dict(enumerate(labelset.class_names))
    assert data["train"] == "images" and data["nc"] == 11
    assert yolo.read_names(tmp_path / "data.yaml") == list(labelset.class_names)


def test_yolo_maps_class_names_and_reports_bad_lines(tmp_path, labelset):
    path = tmp_path / "a.txt"
    path.write_text("1 0 0 0.5 0 0.5 0.5\n")
    assert yolo.read(path, labelset, 4, 4, names=["x", "car"]).labels[0, 0] == 8
    for text, reason in [("0 0 0 1 0 1\n", "odd number"), ("zero 0 0 1 0 1 1\n", "numbers"),
                         ("\n\n12 0 0 1 0 1 1\n", "line 3: class index 12"),
                         ("0 0 0 1.9 0 1 1\n", "outside"), ("0 0 0 1 1 1 0 0 1\n", "self-int"),
                         ("0 nan 0 1 0 1 1\n", "NaN")]:
        path.write_text(text)
        with pytest.raises(FormatError, match=reason):
            yolo.read(path, labelset, 4, 4)


def test_cityscapes_files_agree_and_read_back(tmp_path, camvid_label, labelset):
    cityscapes.write(tmp_path, "frame", polygonize(camvid_label, 11), labelset)
    files = cityscapes.paths(tmp_path, "frame")
    assert (read_label_png(files["labelIds.png"]) == camvid_label).all()
    colour = read_image(files["color.png"])
    road = camvid_label == 3
    assert (colour[road] == labelset.palette[3]).all() and (colour[camvid_label == 11] == 0).all()
    doc = json.loads(files["polygons.json"].read_text())
    assert (doc["imgHeight"], doc["imgWidth"]) == camvid_label.shape
    assert {o["label"] for o in doc["objects"]} <= set(labelset.class_names) | {"unlabeled"}
    sample = cityscapes.read(files["polygons.json"], labelset)
    assert sample.name == "frame" and (sample.labels == camvid_label).all()


def test_cityscapes_groups_deleted_objects_and_errors(tmp_path, labelset):
    doc = {"imgHeight": 4, "imgWidth": 4, "objects": [
        {"label": "cargroup", "polygon": [[0, 0], [4, 0], [4, 4]]},
        {"label": "road", "polygon": [[0, 0], [4, 0], [4, 4], [0, 4]], "deleted": 1},
        {"label": "sky", "bbox": [0, 0, 1, 1]}]}
    path = tmp_path / "x_gtFine_polygons.json"
    path.write_text(json.dumps(doc))
    labels = cityscapes.read(path, labelset).labels
    assert labels[0, 3] == 8 and labels[3, 0] == 11
    doc["objects"].append({"label": "zeppelin", "polygon": [[0, 0], [1, 0], [1, 1]]})
    path.write_text(json.dumps(doc))
    with pytest.raises(FormatError, match=r"object #3 \(zeppelin\): unknown class"):
        cityscapes.read(path, labelset)
    assert cityscapes.image_name(path) == "x"
