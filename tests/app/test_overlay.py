"""The overlay renderer: dirty-rectangle refreshes equal a full recolour, in every mode."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from app.document import ClassTable, OverlayMode, OverlayRenderer, Rect


def bgra(rgb):
    r, g, b = rgb
    return [b, g, r, 255]


def test_fill_mode_colours_each_class_and_hides_unlabelled():
    classes = ClassTable.default()
    labels = np.array([[0, 3], [classes.ignore_index, 8]], np.uint8)
    r = OverlayRenderer()
    r.attach(labels, None, classes)
    r.refresh()
    assert r.buffer[0, 0].tolist() == bgra(classes.colors[0])
    assert r.buffer[0, 1].tolist() == bgra(classes.colors[3])
    assert r.buffer[1, 0].tolist() == [0, 0, 0, 0]
    classes.set_visible(3, False)
    r.update_lut()
    r.refresh()
    assert r.buffer[0, 1].tolist() == [0, 0, 0, 0]
    assert r.buffer[1, 1].tolist() == bgra(classes.colors[8])


@settings(max_examples=30, deadline=None)
@given(
    mode=st.sampled_from(list(OverlayMode)),
    x0=st.integers(0, 59),
    y0=st.integers(0, 39),
    w=st.integers(1, 20),
    h=st.integers(1, 20),
    value=st.integers(0, 11),
)
def test_dirty_rect_refresh_equals_full_refresh(mode, x0, y0, w, h, value):
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 4, (40, 60), dtype=np.uint8)
    conf = rng.random((40, 60), dtype=np.float32)
    classes = ClassTable.default()
    r = OverlayRenderer()
    r.set_mode(mode)
    r.attach(labels, conf, classes)
    r.refresh()
    rect = Rect(x0, y0, x0 + w, y0 + h).clip(60, 40)
    labels[rect.slices] = value
    r.refresh(rect)
    incremental = r.buffer.copy()
    r.refresh()
    np.testing.assert_array_equal(incremental, r.buffer)


def test_boundaries_mode_marks_only_borders():
    labels = np.zeros((10, 10), np.uint8)
    labels[:, 5:] = 3
    r = OverlayRenderer()
    r.set_mode(OverlayMode.BOUNDARIES)
    r.attach(labels, None, ClassTable.default())
    r.refresh()
    alpha = r.buffer[..., 3]
    assert (alpha[:, 4:6] == 255).all()
    assert (alpha[:, :4] == 0).all() and (alpha[:, 6:] == 0).all()


def test_confidence_mode_is_strongest_where_the_model_is_unsure():
    conf = np.array([[1.0, 0.9, 0.6, 0.3]], np.float32)
    r = OverlayRenderer()
    r.set_mode(OverlayMode.CONFIDENCE)
    r.attach(np.zeros((1, 4), np.uint8), conf, ClassTable.default())
    r.refresh()
    alpha = r.buffer[0, :, 3].astype(int)
    assert alpha[0] == 0 and alpha[0] < alpha[1] < alpha[2] <= alpha[3] and alpha[3] > 200
