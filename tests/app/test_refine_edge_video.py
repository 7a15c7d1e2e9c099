"""Video > Export with refined edges: the matte MP4 and a PNG per frame carry soft alpha."""

from __future__ import annotations

import cv2
import pytest
from app_video_helpers import (
    FRAMES,
    BatchPredictor,
    square_box,
    trigger_export,
    wait_video_idle,
    write_clip,
)

from app.video.tasks import PrelabelRequest

pytestmark = pytest.mark.prelabel_by_hand  # the fixture pre-labels only the first frames

CAR = 8
LABELLED = 2  # the first frames are pre-labelled, the rest have no labels


@pytest.fixture
def window(make_window, tmp_path, dialogs, qtbot):
    folder = tmp_path / "videos"
    folder.mkdir()
    clip = write_clip(folder / "street.mp4")
    dialogs.prelabel_options = lambda *a: PrelabelRequest(start=0, stop=LABELLED)
    dialogs.matte_classes = lambda parent, classes, current: [CAR]
    w = make_window(clip, predictor=BatchPredictor())
    w.menus.action("video.prelabel").trigger()
    wait_video_idle(qtbot, w)
    return w


def run_entry(window, qtbot, title):
    trigger_export(window, title)
    wait_video_idle(qtbot, window, timeout=60000)


def test_refined_matte_pngs_and_mp4(window, tmp_path, dialogs, qtbot):
    window.menus.action(
        "image.refine_edge"
    ).trigger()  # the panel is for images; videos export refined mattes
    assert "Video > Export" in window.notice.text
    dialogs.export_folder = lambda parent, title, start: tmp_path / "mattes"
    run_entry(window, qtbot, "Matte PNG per Frame, Refined")
    files = sorted((tmp_path / "mattes").glob("*.png"))
    assert len(files) == FRAMES and "48 matte PNGs" in window.notice.text
    first = cv2.imread(str(files[0]), cv2.IMREAD_UNCHANGED)
    x0, y0, x1, y1 = square_box(0)
    assert first.shape == (64, 96) and (first[y0 + 5 : y1 - 5, x0 + 5 : x1 - 5] == 255).all()
    assert ((first > 0) & (first < 255)).any()  # a soft rim, not a hard step
    assert not cv2.imread(str(files[-1]), cv2.IMREAD_UNCHANGED).any()  # no labels: black

    dialogs.save_file = lambda parent, title, start, file_filter: start
    run_entry(window, qtbot, "Matte Video, Refined")
    cap = cv2.VideoCapture(str(tmp_path / "mattes" / "street_matte_car_refined.mp4"))  # last dir
    count = 0
    while cap.read()[0]:
        count += 1
    assert count == FRAMES
