"""The editing tools, on plain numpy arrays."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from app.document import tools
from app.document.geometry import Rect


def expected_disk(shape, cx, cy, diameter):
    """Reference: pixel centres within d/2 of the dab, plus the pixel under it (brute force)."""
    h, w = shape
    out = np.zeros(shape, bool)
    r = max(diameter, 1) / 2
    for i in range(h):
        for j in range(w):
            if (j + 0.5 - cx) ** 2 + (i + 0.5 - cy) ** 2 <= r * r:
                out[i, j] = True
    if 0 <= int(np.floor(cx)) < w and 0 <= int(np.floor(cy)) < h:
        out[int(np.floor(cy)), int(np.floor(cx))] = True
    return out


def apply(labels, edit):
    out = labels.copy()
    if edit is not None:
        tools.apply_edit(out, edit)
    return out


def test_dab_changes_exactly_the_disk():
    labels = np.zeros((40, 50), np.uint8)
    out = apply(labels, tools.brush(labels, (20.5, 15.5), (20.5, 15.5), 7, 3))
    changed = out != labels
    assert changed.sum() == expected_disk(labels.shape, 20.5, 15.5, 7).sum() == 37
    np.testing.assert_array_equal(changed, expected_disk(labels.shape, 20.5, 15.5, 7))
    assert set(np.unique(out[changed])) == {3}


@settings(max_examples=60, deadline=None)
@given(cx=st.floats(-5, 35), cy=st.floats(-5, 25), d=st.integers(1, 15))
def test_dab_matches_reference_anywhere(cx, cy, d):
    labels = np.zeros((20, 30), np.uint8)
    out = apply(labels, tools.brush(labels, (cx, cy), (cx, cy), d, 1))
    np.testing.assert_array_equal(out == 1, expected_disk(labels.shape, cx, cy, d))


def test_stroke_covers_the_swept_capsule_without_gaps():
    labels = np.zeros((30, 60), np.uint8)
    out = apply(labels, tools.brush(labels, (5.5, 10.5), (50.5, 10.5), 5, 2))
    # A horizontal stroke of diameter 5 covers rows 8..12 from x=5 to x=50, fully.
    assert (out[8:13, 5:51] == 2).all()
    assert (out[:8] == 0).all() and (out[13:] == 0).all()


def test_protected_brush_leaves_other_classes_alone():
    labels = np.zeros((40, 40), np.uint8)
    labels[:, 20:] = 5  # right half: class 5
    labels[10:15, :] = 7  # a band of class 7 across
    out = apply(labels, tools.brush(labels, (2, 20), (38, 20), 30, 9, only_over=5))
    changed = out != labels
    assert changed.any()
    assert (labels[changed] == 5).all(), "only class-5 pixels may change"
    assert (out[labels != 5] == labels[labels != 5]).all()
    # Every class-5 pixel inside the brush became 9.
    swept = apply(labels, tools.brush(labels, (2, 20), (38, 20), 30, 9)) != labels
    assert (out[swept & (labels == 5)] == 9).all()


def test_edit_mask_holds_only_changing_pixels():
    labels = np.full((20, 20), 4, np.uint8)
    assert tools.brush(labels, (10, 10), (10, 10), 9, 4) is None  # same class: nothing to do
    labels[10, 10] = 1
    edit = tools.brush(labels, (10, 10), (10, 10), 9, 4)
    assert edit.rect == Rect(10, 10, 11, 11) and edit.count == 1


def test_flood_fill_fills_the_connected_region_only():
    labels = np.zeros((20, 20), np.uint8)
    labels[:, 10] = 1  # a wall
    labels[5, 15] = 0
    out = apply(labels, tools.flood_fill(labels, 3, 3, 2))
    assert (out[:, :10] == 2).all()
    assert (out[:, 10] == 1).all() and (out[:, 11:] == 0).all()
    assert tools.flood_fill(labels, 10.5, 3, 1) is None  # already that class


def test_polygon_fill_covers_the_polygon():
    labels = np.zeros((30, 30), np.uint8)
    out = apply(labels, tools.polygon_fill(labels, [(5, 5), (25, 5), (25, 20), (5, 20)], 6))
    assert (out[5:20, 5:25] == 6).all()
    assert (out == 6).sum() <= 21 * 16
    assert (out[:4] == 0).all() and (out[22:] == 0).all()
    assert tools.polygon_fill(labels, [(1, 1), (2, 2)], 6) is None


def test_eyedropper_picks_the_class_under_the_point():
    labels = np.zeros((10, 10), np.uint8)
    labels[3, 7] = 8
    assert tools.pick(labels, 7.9, 3.1) == 8
    assert tools.pick(labels, 6.9, 3.1) == 0
    assert tools.pick(labels, -1, 3) is None


def test_fill_gaps_gives_each_hole_its_nearest_class():
    labels = np.full((10, 20), 11, np.uint8)
    labels[:, :5] = 1
    labels[:, 15:] = 2
    rect, values = tools.fill_gaps(labels, 11)
    out = labels.copy()
    out[rect.slices] = values
    assert (out[:, :10] == 1).all() and (out[:, 10:] == 2).all()
    assert tools.fill_gaps(out, 11) is None
