"""Flicker is measured on known maps; smoothing removes one-frame blips but keeps edits."""

from __future__ import annotations

import math

import numpy as np
import pytest

from srcrm.video import FrameLabelStore, flicker, flicker_series, smooth_store, smooth_window


def test_flicker_is_the_share_of_pixels_that_change():
    prev = np.zeros((4, 10), np.uint8)
    cur = prev.copy()
    cur[0] = 1  # 10 of 40 pixels change
    assert flicker(prev, cur) == pytest.approx(0.25)
    cur[3] = 11  # ignored pixels are left out: 10 of 30 change
    assert flicker(prev, cur, ignore_index=11) == pytest.approx(1 / 3)
    assert flicker(prev, prev) == 0
    assert math.isnan(flicker(np.full((2, 2), 11), np.full((2, 2), 11), ignore_index=11))


def test_flicker_series_reads_the_store_and_marks_gaps(tmp_path):
    store = FrameLabelStore(tmp_path, frame_count=5, size=(4, 10))
    maps = [np.zeros((4, 10), np.uint8) for _ in range(5)]
    maps[1][:2] = 1  # frame 1 differs from 0 by half its pixels
    maps[2][:2] = 1
    for i in (0, 1, 2, 4):
        store.write(i, maps[i])
    series = flicker_series(store, 5)
    assert math.isnan(series[0]) and series[1] == pytest.approx(0.5) and series[2] == 0
    assert math.isnan(series[3]) and math.isnan(series[4])  # frame 3 has no labels


def test_majority_over_a_window_and_ties_keep_the_centre():
    a, b, c = (np.full((2, 2), v, np.uint8) for v in (1, 2, 3))
    assert (smooth_window([a, b, a], 4) == 1).all()
    assert (smooth_window([a, b, c], 4) == 2).all()  # no majority: the centre stays
    ignore = np.full((2, 2), 11, np.uint8)
    assert (smooth_window([a, ignore, a], 4) == 11).all()  # no class at the centre: kept
    assert (smooth_window([ignore, b, ignore], 4) == 2).all()


def test_smoothing_removes_a_one_frame_blip_but_never_changes_an_edited_frame(tmp_path):
    store = FrameLabelStore(tmp_path, frame_count=8, size=(5, 6))
    for i in range(8):
        labels = np.zeros((5, 6), np.uint8)
        if i in (2, 5):
            labels[1:3, 1:4] = 4  # a blip: one frame only
        store.write(i, labels, edited=(i == 5))
    progress = []
    changed = smooth_store(store, num_classes=5, radius=1, on_progress=lambda d, t: progress.append((d, t)))
    assert changed == 1
    assert (store.read(2) == 0).all()  # the blip is gone
    assert (store.read(5)[1:3, 1:4] == 4).all()  # the person's edit stays
    assert progress[-1] == (8, 8)
    assert smooth_store(store, num_classes=5) == 0  # already smooth


def test_smoothing_stops_when_asked(tmp_path):
    store = FrameLabelStore(tmp_path, frame_count=4, size=(2, 2))
    for i in range(4):
        store.write(i, np.full((2, 2), i % 2, np.uint8))
    assert smooth_store(store, 2, should_stop=lambda: True) == 0
    assert [store.read(i)[0, 0] for i in range(4)] == [0, 1, 0, 1]
