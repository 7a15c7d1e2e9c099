"""`srcrm predict VIDEO --out DIR`: NNNNNN.png per frame, resumed after Ctrl-C, clear errors."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from video_test_helpers import HEIGHT, WIDTH, write_video

from srcrm.cli import main
from srcrm.io import read_label_png
from srcrm.predictor import Predictor


@pytest.fixture
def video(tmp_path):
    return write_video(tmp_path / "clip.mp4", 6)


def test_predict_labels_every_frame_and_a_rerun_only_does_what_is_missing(video, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["predict", str(video), "--out", str(out), "--device", "cpu"]) == 0
    names = sorted(p.name for p in out.glob("*.png"))
    assert names == [f"{i:06d}.png" for i in range(6)]
    labels = read_label_png(out / "000005.png")
    assert labels.shape == (HEIGHT, WIDTH) and labels.max() < 11
    cap = cv2.VideoCapture(str(out / "overlay.mp4"))
    assert cap.get(cv2.CAP_PROP_FRAME_COUNT) == 6 and cap.read()[1].shape == (HEIGHT, WIDTH, 3)
    assert "labelled 6 frames" in capsys.readouterr().out

    (out / "000003.png").unlink()
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.png")}
    assert main(["predict", str(video), "--out", str(out), "--device", "cpu", "--no-overlay"]) == 0
    assert "labelled 1 frames (5 were already done)" in capsys.readouterr().out
    assert (out / "000003.png").is_file()
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.png") if p.name in before} == before


def test_ctrl_c_keeps_the_frames_done_and_the_next_run_continues(video, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    real = Predictor.predict_batch
    batches = []

    def interrupted_on_the_second_batch(self, images):
        batches.append(len(images))
        if len(batches) == 2:
            raise KeyboardInterrupt
        return real(self, images)

    monkeypatch.setattr(Predictor, "predict_batch", interrupted_on_the_second_batch)
    args = ["predict", str(video), "--out", str(out), "--device", "cpu", "--no-overlay"]
    assert main(args) == 130
    done = sorted(p.name for p in out.glob("*.png"))
    assert done == [f"{i:06d}.png" for i in range(batches[0])]
    monkeypatch.setattr(Predictor, "predict_batch", real)
    assert main(args) == 0
    assert f"labelled {6 - batches[0]} frames ({batches[0]} were already done)" in capsys.readouterr().out
    assert sorted(p.name for p in out.glob("*.png")) == [f"{i:06d}.png" for i in range(6)]


@pytest.mark.parametrize("content", [np.random.default_rng(0).bytes(4000), "truncated"])
def test_a_corrupt_or_truncated_video_is_a_clear_error(video, tmp_path, capsys, content):
    bad = tmp_path / "bad.mp4"
    data = video.read_bytes()
    bad.write_bytes(data[: len(data) // 2] if content == "truncated" else content)
    assert main(["predict", str(bad), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "bad.mp4" in err and "Traceback" not in err


def test_a_video_must_come_alone(video, tmp_path, capsys):
    image = tmp_path / "a.png"
    cv2.imwrite(str(image), np.zeros((8, 8, 3), np.uint8))
    assert main(["predict", str(video), str(image), "--out", str(tmp_path / "out")]) == 2
    assert "give a video alone" in capsys.readouterr().err
