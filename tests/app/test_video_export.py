"""Video > Export: each format from the menu, in a worker, with the counts a user checks."""

import json
import time

import cv2
import numpy as np
import pytest
from app_video_helpers import (
    FRAMES,
    BatchPredictor,
    H,
    W,
    square_box,
    trigger_export,
    wait_video_idle,
    write_clip,
)

from app.video import exports
from app.video.tasks import PrelabelRequest
from srcrm.base.io import read_label_png

pytestmark = pytest.mark.prelabel_by_hand  # these tests start pre-labelling themselves

CAR, ROAD = 8, 3
LABELLED = range(0, 30)  # pre-labelled frames; the rest have none


@pytest.fixture
def window(make_window, tmp_path, dialogs, qtbot):
    folder = tmp_path / "videos"
    folder.mkdir()
    clip = write_clip(folder / "street.mp4")
    dialogs.prelabel_options = lambda *a: PrelabelRequest(start=0, stop=len(LABELLED))
    w = make_window(clip, predictor=BatchPredictor())
    w.menus.action("video.prelabel").trigger()
    wait_video_idle(qtbot, w)
    return w


def run_entry(window, qtbot, title):
    trigger_export(window, title)
    wait_video_idle(qtbot, window)


def video_frames(path):
    cap = cv2.VideoCapture(str(path))
    out = []
    while True:
        ok, frame = cap.read()
        if not ok:
            return out
        out.append(frame)


def test_label_pngs_and_a_refusal_to_write_into_the_label_folder(window, tmp_path, dialogs, qtbot):
    out = tmp_path / "pngs"
    dialogs.export_folder = lambda parent, title, start: out
    run_entry(window, qtbot, "Label PNGs")
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"{k:06d}.png" for k in LABELLED]
    np.testing.assert_array_equal(read_label_png(out / "000007.png"), window.video.store.read(7))
    assert f"Exported {len(LABELLED)} label PNGs to {out}" in window.notice.text

    dialogs.export_folder = lambda parent, title, start: window.video.store.folder
    run_entry(window, qtbot, "Label PNGs")
    assert window.notice.level == "warning" and "own label files" in window.notice.text


def test_coco_with_video_and_frame_ids(window, tmp_path, dialogs, qtbot):
    dialogs.save_file = lambda parent, title, start, file_filter: tmp_path / "out" / "street"
    run_entry(window, qtbot, "COCO")
    path = tmp_path / "out" / "street.json"  # the suffix is added
    doc = json.loads(path.read_text())
    assert doc["videos"][0]["name"] == "street" and doc["videos"][0]["length"] == FRAMES
    assert [im["frame_id"] for im in doc["images"]] == list(LABELLED)
    assert all(im["video_id"] == 1 for im in doc["images"])
    assert (path.parent / doc["images"][3]["file_name"]).is_file()
    cars = [
        a
        for a in doc["annotations"]
        if a["category_id"] == CAR + 1 and a["image_id"] == doc["images"][5]["id"]
    ]
    x0, y0, _, _ = square_box(5)
    assert any(abs(a["bbox"][0] - x0) <= 1 and abs(a["bbox"][1] - y0) <= 1 for a in cars)
    assert f"Exported {len(LABELLED)} frames" in window.notice.text


def test_labelme_per_frame(window, tmp_path, dialogs, qtbot):
    out = tmp_path / "labelme"
    dialogs.export_folder = lambda parent, title, start: out
    run_entry(window, qtbot, "labelme")
    jsons = sorted(out.glob("*.json"))
    assert len(jsons) == len(LABELLED) and len(list(out.glob("*.jpg"))) == len(LABELLED)
    doc = json.loads((out / "000012.json").read_text())
    assert doc["imageWidth"] == W and doc["imageHeight"] == H
    assert {s["label"] for s in doc["shapes"]} >= {"car", "road", "sky"}


def test_overlay_and_matte_videos(window, tmp_path, dialogs, qtbot):
    dialogs.save_file = lambda parent, title, start, file_filter: tmp_path / "overlay.mp4"
    run_entry(window, qtbot, "Overlay")
    frames = video_frames(tmp_path / "overlay.mp4")
    assert len(frames) == FRAMES  # every frame, labelled or not
    road = np.array(window.video.classes.display[ROAD][::-1], float)  # BGR, as shown
    assert (
        np.abs(frames[3][55:60, 40:80].mean(axis=(0, 1)) - road).sum()
        < np.abs(frames[40][55:60, 40:80].mean(axis=(0, 1)) - road).sum()
    )  # tinted vs plain

    asked = []

    def pick(parent, classes, current):
        asked.append(current)
        return [CAR]

    dialogs.matte_classes = pick
    dialogs.save_file = lambda parent, title, start, file_filter: start  # the suggested name
    run_entry(window, qtbot, "Matte")
    path = tmp_path / "street_matte_car.mp4"  # in the folder used last
    assert asked == [window.editor.current_class]
    matte = [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in video_frames(path)]
    assert len(matte) == FRAMES
    x0, y0, x1, y1 = square_box(8)
    assert matte[8][y0 + 3 : y1 - 3, x0 + 3 : x1 - 3].mean() > 200  # the square is white
    assert matte[8][30:40, 70:90].mean() < 40 and matte[40].mean() < 20  # unlabelled: black


def test_cancelling_an_export_says_so(window, tmp_path, dialogs, qtbot, monkeypatch):
    real = exports.write_overlay_video

    def slow(*args, on_progress=None, **kw):
        def progress(done, total):
            on_progress(done, total)
            time.sleep(0.05)

        return real(*args, on_progress=progress, **kw)

    monkeypatch.setattr(exports, "write_overlay_video", slow)
    dialogs.save_file = lambda parent, title, start, file_filter: tmp_path / "cancelled.mp4"
    trigger_export(window, "Overlay")
    qtbot.waitUntil(lambda: window.status.progress_bar.value() >= 3, timeout=10000)
    window.menus.action("video.cancel").trigger()
    wait_video_idle(qtbot, window)
    assert "cancelled" in window.notice.text and "nothing was written" in window.notice.text
    assert not (tmp_path / "cancelled.mp4").exists()
