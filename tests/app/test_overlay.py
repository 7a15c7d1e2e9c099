"""The overlay renderer: dirty-rectangle refreshes equal a full recolour, in every mode."""

import numpy as np
import pytest
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
    assert r.buffer[0, 0].tolist() == bgra(classes.display[0])
    assert r.buffer[0, 1].tolist() == bgra(classes.display[3])
    assert r.buffer[1, 0].tolist() == [0, 0, 0, 0]
    classes.set_visible(3, False)
    r.update_lut()
    r.refresh()
    assert r.buffer[0, 1].tolist() == [0, 0, 0, 0]
    assert r.buffer[1, 1].tolist() == bgra(classes.display[8])


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
    classes = ClassTable.default()
    r = OverlayRenderer()
    r.set_mode(OverlayMode.BOUNDARIES)
    r.attach(labels, None, classes)
    r.refresh()
    assert r.buffer[:, 4].tolist() == [bgra(classes.display[0])] * 10  # the line, each side
    assert r.buffer[:, 5].tolist() == [bgra(classes.display[3])] * 10  # in its class colour
    assert (r.buffer[:, [3, 6]] == (0, 0, 0, 255)).all()  # edged in black over a light photo
    assert (r.buffer[:, :3, 3] == 0).all() and (r.buffer[:, 7:, 3] == 0).all()


def luminance(rgb):
    c = np.asarray(rgb, float) / 255
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return c @ [0.2126, 0.7152, 0.0722]


@pytest.mark.parametrize("photo", [10, 245], ids=["dark photo", "light photo"])
def test_boundaries_read_on_dark_and_light_photos(photo):
    """At the canvas's default opacity every border shows a pixel of at least 3:1 contrast
    (WCAG's figure for graphics) against the photo, whatever the two classes."""
    classes = ClassTable.default()
    labels = np.repeat(np.arange(11, dtype=np.uint8)[:, None], 8, axis=0).reshape(88, 1) * np.ones(
        (1, 8), np.uint8
    )
    image = np.full((88, 8), photo, np.uint8)
    r = OverlayRenderer()
    r.set_mode(OverlayMode.BOUNDARIES)
    r.attach(labels, None, classes, dark=image < 128)
    r.refresh()
    a = 0.5  # the overlay's opacity when the app starts
    premultiplied = r.buffer[..., 2::-1].astype(float)  # BGRA -> RGB
    shown = photo * (1 - a * r.buffer[..., 3:] / 255) + a * premultiplied
    lum, bg = luminance(shown), luminance([photo] * 3)
    contrast = (np.maximum(lum, bg) + 0.05) / (np.minimum(lum, bg) + 0.05)
    for border in range(8, 88, 8):  # rows border-1 and border meet
        assert contrast[border - 3 : border + 3].max() >= 3, border


def test_confidence_mode_is_strongest_where_the_model_is_unsure():
    conf = np.array([[1.0, 0.9, 0.6, 0.3]], np.float32)
    r = OverlayRenderer()
    r.set_mode(OverlayMode.CONFIDENCE)
    r.attach(np.zeros((1, 4), np.uint8), conf, ClassTable.default())
    r.refresh()
    alpha = r.buffer[0, :, 3].astype(int)
    assert alpha[0] == 0 and alpha[0] < alpha[1] < alpha[2] <= alpha[3] and alpha[3] > 200
