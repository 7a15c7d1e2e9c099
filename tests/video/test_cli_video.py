"""`srcrm predict VIDEO --out DIR`: NNNNNN.png per frame, resumed after Ctrl-C, clear errors."""

from __future__ import annotations

import os
import struct

import cv2
import numpy as np
import pytest
from video_test_helpers import HEIGHT, WIDTH, index_frame, write_video

from srcrm.base.io import read_label_png
from srcrm.cli import main
from srcrm.inference.predictor import Predictor


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


def _labels(out):
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.png"))}


def test_a_different_video_of_the_same_size_and_length_is_refused(video, tmp_path, capsys, write_checkpoint):
    """It used to say "6 were already done" and keep the first video's labels as its own."""
    model = write_checkpoint(tmp_path / "m.pt")
    out = tmp_path / "out"
    run = ["--out", str(out), "--device", "cpu", "--checkpoint", str(model), "--no-overlay"]
    assert main(["predict", str(video), *run]) == 0
    first = _labels(out)
    other = write_video(tmp_path / "other.mp4", 6, make=lambda i: index_frame(i + 100))
    capsys.readouterr()
    assert main(["predict", str(other), *run]) == 2
    size = video.stat().st_size
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"error: {out} holds the labels of another video (clip.mp4, {size} bytes), not of "
        f"other.mp4: choose another folder, or delete that one to start over"
    )
    assert _labels(out) == first
    # The same content under another name is the same video: it resumes.
    copy = tmp_path / "renamed.mp4"
    copy.write_bytes(video.read_bytes())
    assert main(["predict", str(copy), *run]) == 0
    assert "labelled 0 frames (6 were already done)" in capsys.readouterr().out
    assert _labels(out) == first


def test_one_run_at_a_time_writes_into_a_folder(video, tmp_path, capsys, write_checkpoint):
    import subprocess
    import sys

    from srcrm.base.folder_lock import exclusive

    model = write_checkpoint(tmp_path / "m.pt")
    out = tmp_path / "out"
    run = ["predict", str(video), "--out", str(out), "--device", "cpu", "--checkpoint", str(model)]
    with exclusive(out, "srcrm predict"):
        assert main(run) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"error: {out}: another srcrm predict (process {os.getpid()}) is writing into this folder; "
        f"wait for it to finish, or choose another output folder"
    )
    assert sorted(p.name for p in out.iterdir()) == [".srcrm.lock"]
    # A holder killed outright leaves its lock file, but not its lock.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom srcrm.base.folder_lock import exclusive\n"
            "with exclusive(sys.argv[1], 'test'):\n    print('held', flush=True)\n    time.sleep(600)",
            str(out),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline() == "held\n"
    holder.kill()
    holder.wait()
    assert main(run) == 0
    assert len(list(out.glob("*.png"))) == 6


def test_a_header_claiming_fewer_frames_than_the_file_holds(tmp_path, capsys, write_checkpoint):
    """An AVI whose header says 6 frames while 18 decode: all 18 are labelled, and it says so."""
    avi = write_video(tmp_path / "long.avi", 18, "MJPG")
    data = bytearray(avi.read_bytes())
    for chunk, offset in ((b"avih", 16), (b"strh", 32)):  # dwTotalFrames, the stream's dwLength
        at = data.index(chunk) + 8 + offset
        data[at : at + 4] = struct.pack("<I", 6)
    avi.write_bytes(bytes(data))
    cap = cv2.VideoCapture(str(avi))
    assert cap.get(cv2.CAP_PROP_FRAME_COUNT) == 6
    cap.release()
    model = write_checkpoint(tmp_path / "m.pt")
    out = tmp_path / "out"
    args = ["predict", str(avi), "--out", str(out), "--device", "cpu", "--checkpoint", str(model)]
    assert main(args) == 0
    result = capsys.readouterr()
    assert "labelled 18 frames (0 were already done)" in result.out
    assert f"note: {avi} holds 18 frames although its header says 6; all 18 are labelled" in result.err
    assert sorted(out.glob("*.png")) == [out / f"{i:06d}.png" for i in range(18)]
    overlay = cv2.VideoCapture(str(out / "overlay.mp4"))
    assert overlay.get(cv2.CAP_PROP_FRAME_COUNT) == 18
    overlay.release()
    assert main([*args, "--no-overlay"]) == 0
    assert "labelled 0 frames (18 were already done)" in capsys.readouterr().out
