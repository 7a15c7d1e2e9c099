"""Damaged video outputs and inputs: a truncated video finishes with the true end reported and
an overlay written, on every rerun; a label PNG whose body is corrupt is redone; the overlay
video gets the same file mode as every other output."""

from __future__ import annotations

import os
import stat

import cv2
import numpy as np
from video_test_helpers import truncate_avi_inside_frame, write_video

from srcrm.cli import main
from srcrm.video import FrameLabelStore


def test_a_truncated_video_finishes_with_an_overlay_and_reruns_exit_0(tmp_path, capsys, write_checkpoint):
    cut = truncate_avi_inside_frame(write_video(tmp_path / "v.avi", 30, "MJPG"), 15)
    model = write_checkpoint(tmp_path / "small.pt")
    out = tmp_path / "out"
    for run in range(2):
        assert (
            main(["predict", str(cut), "--out", str(out), "--device", "cpu", "--checkpoint", str(model)]) == 0
        ), run
        err = capsys.readouterr().err
        assert "Traceback" not in err and "although its header says 30 frames" in err
        end = int(err.split("ends after frame ")[1].split()[0]) + 1
        assert end in (15, 16)  # frames 0-14 whole; the cut-off frame 15 may decode in part
        assert sorted(p.name for p in out.glob("*.png")) == [f"{i:06d}.png" for i in range(end)]
        cap = cv2.VideoCapture(str(out / "overlay.mp4"))
        assert cap.get(cv2.CAP_PROP_FRAME_COUNT) == end
        cap.release()
    mode = stat.S_IMODE(os.stat(out / "overlay.mp4").st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask == stat.S_IMODE(os.stat(out / "000000.png").st_mode)


def test_a_label_png_with_a_valid_header_and_a_corrupt_body_counts_as_missing(tmp_path):
    store = FrameLabelStore(tmp_path / "labels", 3, (40, 60))
    rng = np.random.default_rng(0)
    for i in range(3):
        store.write(i, rng.integers(0, 11, (40, 60), dtype=np.uint8))
    path = store.path(1)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 40] = bytes(40)  # header and end marker intact, compressed data broken
    path.write_bytes(bytes(data))
    assert store.labelled() == [0, 2]
    assert store.missing() == [1] and store.read(1) is None
    assert "does not decode" in store.problems[1]
    store.write(1, np.zeros((40, 60), np.uint8))  # what a pre-label rerun does
    assert store.missing() == [] and store.read(1).sum() == 0
