"""COCO RLE: exact both ways, pycocotools' string form, and compatibility with pycocotools."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from srcrm.formats import rle

masks = arrays(bool, st.tuples(st.integers(0, 15), st.integers(0, 15)))


def test_runs_go_down_the_columns_starting_with_zeros():
    mask = np.array([[0, 1], [1, 1], [0, 0]], bool)  # columns: 0 1 0 | 1 1 0
    assert rle.encode(mask) == [1, 1, 1, 2, 1]
    assert rle.encode(np.ones((2, 2), bool)) == [0, 4]
    assert rle.to_coco(np.ones((3, 4), bool)) == {"size": [3, 4], "counts": "0<"}


@settings(max_examples=200, deadline=None)
@given(mask=masks)
def test_encode_decode_is_exact(mask):
    counts = rle.encode(mask)
    assert sum(counts) == mask.size
    assert (rle.decode(counts, *mask.shape) == mask).all()
    assert rle.from_string(rle.to_string(counts)) == counts
    assert (rle.from_coco(rle.to_coco(mask)) == mask).all()
    assert (rle.from_coco({"size": list(mask.shape), "counts": counts}) == mask).all()


@settings(max_examples=100, deadline=None)
@given(
    mask=arrays(bool, (9, 7)),
    top=st.integers(0, 8),
    left=st.integers(0, 6),
    rows=st.integers(1, 9),
    cols=st.integers(1, 7),
)
def test_encoding_a_crop_equals_encoding_the_whole_mask(mask, top, left, rows, cols):
    crop = mask[top : top + rows, left : left + cols]
    whole = np.zeros_like(mask)
    whole[top : top + crop.shape[0], left : left + crop.shape[1]] = crop
    assert rle.encode_crop(crop, top, left, 9, 7) == rle.encode(whole)


@pytest.mark.parametrize(
    "segmentation",
    [
        {"size": [2, 2], "counts": "0!"},  # character outside '0'..'o'
        {"size": [2, 2], "counts": "0" + chr(48 + 0x20)},  # ends inside a number
        {"size": [2, 2], "counts": [1, 2]},  # 3 pixels for a 2x2 mask
        {"size": [2, 2], "counts": [5, -1]},
        {"size": [2], "counts": [4]},
        {"counts": "4"},
        [1, 2, 3],
    ],
)
def test_malformed_rle_is_a_clear_value_error(segmentation):
    with pytest.raises(ValueError):
        rle.from_coco(segmentation)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pycocotools' own, under numpy 2
@settings(max_examples=100, deadline=None)
@given(mask=arrays(bool, st.tuples(st.integers(1, 20), st.integers(1, 20))))
def test_matches_pycocotools(mask):
    mask_api = pytest.importorskip("pycocotools.mask")
    theirs = mask_api.encode(np.asfortranarray(mask.astype(np.uint8)))
    ours = rle.to_coco(mask)
    assert theirs["counts"].decode() == ours["counts"]
    assert (mask_api.decode(ours) == mask).all()
    assert int(mask_api.area(theirs)) == mask.sum()
