"""Frames come back by index exactly: random order, backwards, after sequential reads, from
image folders, and when a codec's seeks land on the wrong frame. Bad files fail clearly."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from video_test_helpers import frame_index, index_frame, truncate, write_video

from srcrm.base.io import write_png
from srcrm.video import VideoReadError, open_source, seeking


@pytest.mark.parametrize("fourcc, suffix", [("mp4v", ".mp4"), ("MJPG", ".avi"), ("mp4v", ".mkv")])
def test_random_backward_and_sequential_reads_land_on_the_asked_frame(tmp_path, fourcc, suffix):
    path = write_video(tmp_path / f"v{suffix}", 40, fourcc)
    order = list(np.random.default_rng(0).permutation(40)) + list(range(39, -1, -3))
    with open_source(path) as source:
        assert (source.frame_count, source.height, source.width) == (40, 64, 128)
        assert source.fps == pytest.approx(15, abs=0.01) and source.name == "v"
        assert [frame_index(source.read(i)) for i in order] == order
        assert [frame_index(source.read(i)) for i in range(10, 20)] == list(range(10, 20))
        assert frame_index(source.read(3)) == 3  # a long jump back after stepping forward
        assert [(i, frame_index(f)) for i, f in source.frames(25, 31)] == [(i, i) for i in range(25, 31)]


def test_reads_are_rgb_copies_and_outside_indices_are_refused(clip):
    with open_source(clip) as source:
        frame = source.read(5)
        assert frame.dtype == np.uint8 and frame.shape == (64, 128, 3)
        assert tuple(frame[50, 5]) == pytest.approx((90, 90, 90), abs=6)
        frame[:] = 0  # the caller's copy: the cached frame is unharmed
        assert frame_index(source.read(5)) == 5
        with pytest.raises(IndexError, match="outside 0..39"):
            source.read(40)
        with pytest.raises(IndexError):
            source.read(-1)


class _InexactCapture:
    """A VideoCapture whose frame seeks land ``shift`` frames off the target and say nothing,
    as some codecs do."""

    real = cv2.VideoCapture

    def __init__(self, shift, *args):
        self._cap = self.real(*args)
        self._shift = shift

    def set(self, prop, value):
        if prop == cv2.CAP_PROP_POS_FRAMES:
            value = max(value + self._shift, 0)
        return self._cap.set(prop, value)

    def __getattr__(self, name):
        return getattr(self._cap, name)


@pytest.mark.parametrize("shift", [-5, 3])
def test_a_codec_that_seeks_to_the_wrong_frame_still_gives_the_right_one(clip, monkeypatch, shift):
    monkeypatch.setattr(seeking.cv2, "VideoCapture", lambda *args: _InexactCapture(shift, *args))
    order = [30, 8, 37, 2, 21, 20, 39, 11]
    with open_source(clip) as source:
        for i in range(0, 40, 2):  # timestamps seen in sequence: seeks are checked against them
            source.read(i)
        assert [frame_index(source.read(i)) for i in order] == order
    fresh = open_source(clip)  # nothing seen yet: landings are checked against the time grid
    assert [frame_index(fresh.read(i)) for i in order] == order
    # Landing early only costs decoding forward; landing late is noticed, and worked around.
    assert fresh.seeks_verified is (shift < 0)


def test_an_image_folder_is_read_in_natural_order(tmp_path):
    for i in (1, 2, 10, 11):
        write_png(tmp_path / "seq" / f"frame{i}.png", index_frame(i))
    (tmp_path / "seq" / "notes.txt").write_text("not a frame")
    with open_source(tmp_path / "seq", fps=12) as source:
        assert (source.frame_count, source.fps, source.name) == (4, 12, "seq")
        assert [frame_index(source.read(i)) for i in (3, 0, 2, 1)] == [11, 1, 10, 2]
        assert [frame_index(f) for _, f in source.frames()] == [1, 2, 10, 11]


def test_an_image_of_another_size_in_a_folder_is_named(tmp_path):
    write_png(tmp_path / "seq" / "a1.png", index_frame(1))
    write_png(tmp_path / "seq" / "a2.png", index_frame(2, height=32))
    source = open_source(tmp_path / "seq")
    with pytest.raises(VideoReadError, match=r"a2\.png: frame 1 is 128x32, the first frame is 128x64"):
        source.read(1)


@pytest.mark.parametrize(
    "content, expected",
    [
        (np.random.default_rng(0).bytes(20_000), "not a readable video"),
        (b"", "not a readable video"),
    ],
)
def test_a_corrupt_file_is_a_clear_error(tmp_path, content, expected):
    path = tmp_path / "broken.mp4"
    path.write_bytes(content)
    with pytest.raises(VideoReadError, match=expected) as info:
        open_source(path)
    assert "broken.mp4" in str(info.value)


def test_missing_files_and_empty_folders_are_clear_errors(tmp_path):
    with pytest.raises(VideoReadError, match="no such file"):
        open_source(tmp_path / "nothing.mp4")
    (tmp_path / "empty").mkdir()
    with pytest.raises(VideoReadError, match="no images"):
        open_source(tmp_path / "empty")


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_a_truncated_mp4_is_a_clear_error(clip, keep):
    with pytest.raises(VideoReadError, match="cut_clip.mp4") as info:
        open_source(truncate(clip, keep))
    assert "truncated" in str(info.value)


@pytest.mark.parametrize("fourcc, suffix", [("MJPG", ".avi"), ("mp4v", ".mkv")])
def test_a_truncated_video_whose_header_overstates_its_length_finds_its_true_end(tmp_path, fourcc, suffix):
    cut = truncate(write_video(tmp_path / f"v{suffix}", 40, fourcc), 0.5)
    source = open_source(cut)
    assert source.frame_count == 40  # what the header claims; not yet known to be wrong
    with pytest.raises(VideoReadError, match=r"frame 35 .*truncated") as info:
        source.read(35)
    end = source.frame_count
    assert 5 < end < 35 and f"ends after frame {end - 1}" in str(info.value)
    assert frame_index(source.read(5)) == 5  # frames before the end still read
    fresh = open_source(cut)
    decoded = [frame_index(frame) for _, frame in fresh.frames()]  # ends at the true end
    assert fresh.truncated and fresh.frame_count == end
    assert decoded[: end - 1] == list(range(end - 1))  # the last frame may be cut short
