"""The per-frame label store: round trip, what counts as labelled, edits, and bad files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from srcrm.base.io import write_png
from srcrm.video import FrameLabelStore, LabelStoreError


def labels_of(value: int, shape=(6, 8)) -> np.ndarray:
    out = np.full(shape, value, np.uint8)
    out[0, 0] = 11
    return out


def test_round_trip_names_and_what_is_missing(tmp_path):
    store = FrameLabelStore(tmp_path / "labels", frame_count=10, size=(6, 8))
    assert store.read(3) is None and not store.has(3) and store.labelled() == []
    store.write(3, labels_of(3))
    store.write(0, labels_of(1))
    assert store.path(3) == tmp_path / "labels" / "000003.png" and store.path(3).is_file()
    assert np.array_equal(store.read(3), labels_of(3))
    assert store.labelled() == [0, 3]
    assert store.missing() == [1, 2, 4, 5, 6, 7, 8, 9]
    assert store.missing(2, 5) == [2, 4]


def test_metadata_survives_reopening(tmp_path):
    store = FrameLabelStore(tmp_path / "s", frame_count=5, size=(6, 8))
    store.write(2, labels_of(2), edited=True)
    store.mark_edited(4)
    store.model = "default model"
    again = FrameLabelStore(tmp_path / "s")
    assert (again.frame_count, again.size, again.model) == (5, (6, 8), "default model")
    assert again.edited == frozenset({2, 4}) and again.is_edited(2) and not again.is_edited(3)
    meta = json.loads((tmp_path / "s" / "store.json").read_text())
    assert meta["edited"] == [2, 4]


def test_edited_frames_are_not_overwritten_by_machine_labels(tmp_path):
    store = FrameLabelStore(tmp_path, frame_count=3, size=(6, 8))
    store.write(1, labels_of(7), edited=True)
    assert store.write_unless_edited(1, labels_of(0)) is False
    assert store.write_unless_edited(2, labels_of(0)) is True
    assert store.read(1)[3, 3] == 7 and store.read(2)[3, 3] == 0


def test_wrong_labels_are_refused(tmp_path):
    store = FrameLabelStore(tmp_path, frame_count=3, size=(6, 8))
    with pytest.raises(ValueError, match="9x6, the video is 8x6"):
        store.write(0, np.zeros((6, 9), np.uint8))
    with pytest.raises(ValueError, match="HxW uint8"):
        store.write(0, np.zeros((6, 8), np.int64))
    with pytest.raises(IndexError, match="outside 0..2"):
        store.write(3, labels_of(0))
    assert store.labelled() == []


def test_a_store_of_another_video_size_is_refused(tmp_path):
    FrameLabelStore(tmp_path, frame_count=3, size=(6, 8))
    with pytest.raises(LabelStoreError, match="8x6 frames, not 10x6"):
        FrameLabelStore(tmp_path, size=(6, 10))


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda p: write_png(p, np.zeros((6, 9), np.uint8)), "9x6, the video is 8x6"),
        (lambda p: write_png(p, np.zeros((6, 8, 3), np.uint8)), "not an 8-bit single-channel"),
        (lambda p: p.write_bytes(b"junk that is not a png at all, really not"), "not a PNG"),
        (lambda p: p.write_bytes(b"\x89PNG"), "cut short"),
        ("truncated", "cut short"),
    ],
)
def test_foreign_or_broken_pngs_count_as_missing_with_a_reason(tmp_path, make, reason):
    store = FrameLabelStore(tmp_path, frame_count=3, size=(6, 8))
    store.write(0, labels_of(1))
    if make == "truncated":
        data = store.path(0).read_bytes()
        store.path(1).write_bytes(data[: len(data) - 5])
    else:
        make(store.path(1))
    assert not store.has(1) and store.read(1) is None
    assert store.labelled() == [0] and store.missing() == [1, 2]
    assert reason in store.problems[1] and "000001.png" in store.problems[1]
    store.write(1, labels_of(2))  # and a new write replaces it
    assert store.has(1) and 1 not in store.problems


def test_damage_inside_a_png_is_found_when_it_is_read(tmp_path):
    store = FrameLabelStore(tmp_path, frame_count=1, size=(6, 8))
    store.write(0, labels_of(1))
    data = bytearray(store.path(0).read_bytes())
    data[40:50] = b"\x00" * 10  # inside the image data: header and end marker intact
    store.path(0).write_bytes(bytes(data))
    assert store.read(0) is None
    assert "000000.png" in store.problems[0]


def test_an_unreadable_store_file_is_a_clear_error_not_forgotten_edits(tmp_path):
    (tmp_path / "store.json").write_text("{ not json")
    with pytest.raises(LabelStoreError, match="edited by hand"):
        FrameLabelStore(tmp_path)
