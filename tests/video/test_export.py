"""Exports of a labelled video: files, counts and formats that other tools read."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from video_test_helpers import HEIGHT, WIDTH, frame_index, write_video

from srcrm.data.labelsets import LabelSet
from srcrm.formats import labelme
from srcrm.video import (
    FrameLabelStore,
    export_coco_video,
    export_label_pngs,
    export_labelme_frames,
    open_source,
    write_matte_video,
    write_overlay_video,
)

CLASSES = LabelSet("toy", ("ground", "box", "sky"), ((0, 255, 0), (255, 0, 0), (0, 0, 255)), 3)
UNLABELLED = 3


def box_labels(i: int) -> np.ndarray:
    """Ground with a box that moves right, sky on top, one void corner."""
    labels = np.zeros((HEIGHT, WIDTH), np.uint8)
    labels[:10] = 2
    labels[20:40, 10 + 4 * i : 40 + 4 * i] = 1
    labels[-4:, -4:] = UNLABELLED
    return labels


@pytest.fixture
def labelled(tmp_path):
    """A 6-frame video with labels on every frame except frame 3."""
    source = open_source(write_video(tmp_path / "drive.mp4", 6))
    store = FrameLabelStore(tmp_path / "labels", source.frame_count, (HEIGHT, WIDTH))
    for i in (0, 1, 2, 4, 5):
        store.write(i, box_labels(i))
    return source, store


def test_label_pngs_keep_their_frame_names(labelled, tmp_path):
    _, store = labelled
    progress = []
    count = export_label_pngs(store, tmp_path / "out", on_progress=lambda d, t: progress.append((d, t)))
    assert count == 5 and progress[-1] == (5, 5)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "000000.png",
        "000001.png",
        "000002.png",
        "000004.png",
        "000005.png",
    ]
    assert export_label_pngs(store, tmp_path / "some", frames=[1, 3, 5]) == 2


def test_coco_has_video_fields_and_pycocotools_reads_the_masks_back(labelled, tmp_path):
    pycocotools = pytest.importorskip("pycocotools.coco")
    source, store = labelled
    path = tmp_path / "coco" / "annotations.json"
    assert export_coco_video(store, source, CLASSES, path) == 5
    doc = json.loads(path.read_text())
    assert doc["videos"] == [
        {"id": 1, "name": "drive", "width": WIDTH, "height": HEIGHT, "length": 6, "fps": pytest.approx(15)}
    ]
    images = {im["frame_id"]: im for im in doc["images"]}
    assert sorted(images) == [0, 1, 2, 4, 5] and {im["video_id"] for im in doc["images"]} == {1}
    assert images[4]["file_name"] == "drive/000004.jpg"
    frame = cv2.imread(str(path.parent / "drive" / "000004.jpg"))
    assert frame_index(frame) == 4
    coco = pycocotools.COCO(str(path))
    for frame_id, im in images.items():
        painted = np.full((HEIGHT, WIDTH), UNLABELLED, np.uint8)
        for ann in coco.loadAnns(coco.getAnnIds(imgIds=im["id"])):
            painted[coco.annToMask(ann) > 0] = ann["category_id"] - 1
        assert (painted == box_labels(frame_id)).mean() > 0.995


def test_labelme_files_read_back_as_the_labels(labelled, tmp_path):
    source, store = labelled
    out = tmp_path / "labelme"
    assert export_labelme_frames(store, source, CLASSES, out, frames=[0, 3, 5]) == 2
    assert sorted(p.name for p in out.iterdir()) == ["000000.jpg", "000000.json", "000005.jpg", "000005.json"]
    doc = json.loads((out / "000005.json").read_text())
    assert doc["imagePath"] == "000005.jpg" and (doc["imageHeight"], doc["imageWidth"]) == (HEIGHT, WIDTH)
    sample = labelme.read(out / "000005.json", CLASSES)
    assert (sample.labels == box_labels(5)).mean() > 0.995


@pytest.mark.parametrize("export", ["coco", "labelme"])
def test_a_frame_cleared_during_the_export_is_left_out(labelled, tmp_path, export):
    """Listed as labelled, then cleared (the person deletes its labels while the export runs):
    the export leaves it out like any unlabelled frame, where it used to crash on its None."""
    source, store = labelled

    def clear_frame_2(done, total):
        if done == 1:
            store.path(2).unlink()

    if export == "coco":
        path = tmp_path / "coco" / "annotations.json"
        count = export_coco_video(store, source, CLASSES, path, on_progress=clear_frame_2)
        frame_ids = [im["frame_id"] for im in json.loads(path.read_text())["images"]]
    else:
        out = tmp_path / "labelme"
        count = export_labelme_frames(store, source, CLASSES, out, on_progress=clear_frame_2)
        frame_ids = sorted(int(p.stem) for p in out.glob("*.json"))
    assert count == 4 and frame_ids == [0, 1, 4, 5]


def read_video(path):
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            return frames
        frames.append(frame)


def test_overlay_video_shows_labels_and_plain_frames(labelled, tmp_path):
    source, store = labelled
    path = tmp_path / "overlay.mp4"
    assert write_overlay_video(source, store, CLASSES.palette, path, alpha=0.6) == 6
    frames = read_video(path)
    assert len(frames) == 6 and frames[0].shape == (HEIGHT, WIDTH, 3)
    b, g, r = frames[1][50, 100].astype(int)  # ground (green) over grey at 0.6
    assert g > r + 60 and g > b + 60
    plain = frames[3][50, 100].astype(int)  # frame 3 has no labels: shown as it is
    assert np.abs(plain - 90).max() < 15
    assert [p.name for p in tmp_path.glob("*overlay*")] == ["overlay.mp4"]  # no temporary left


def test_matte_is_white_on_the_chosen_classes_only(labelled, tmp_path):
    source, store = labelled
    path = tmp_path / "matte.mp4"
    assert write_matte_video(source, store, [1], path, frames=[0, 1, 2, 3]) == 4
    frames = read_video(path)
    assert len(frames) == 4 and frames[0].shape[:2] == (HEIGHT, WIDTH)
    grey = [f[..., 1] for f in frames]
    assert grey[1][30, 25 + 4] > 230 and grey[1][50, 100] < 25  # inside / outside the box
    assert grey[3].max() < 25  # no labels: empty matte


def test_a_cancelled_video_export_leaves_no_file(labelled, tmp_path):
    source, store = labelled
    out = tmp_path / "out"
    assert (
        write_overlay_video(source, store, CLASSES.palette, out / "overlay.mp4", should_stop=lambda: True)
        == 0
    )
    assert export_coco_video(store, source, CLASSES, out / "c.json", should_stop=lambda: True) == 0
    assert list(out.iterdir()) == []  # nothing, not even a temporary file
