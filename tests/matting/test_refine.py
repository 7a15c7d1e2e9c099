"""Refine edge on cases whose true alpha and colours are known exactly."""

import numpy as np
import pytest
from matting_test_helpers import BLUE, RED, soft_edge

from srcrm.matting import (
    METHODS,
    Cancelled,
    RefineConfig,
    make_trimap,
    paint_band,
    refine,
)
from srcrm.matting.trimap import BACKGROUND, FOREGROUND, UNKNOWN


def test_trimap_band_is_the_pixels_near_the_rim_on_both_sides():
    mask = np.zeros((20, 30), bool)
    mask[:, :15] = True
    row = make_trimap(mask, 3)[10]
    assert (row[:12] == FOREGROUND).all() and (row[18:] == BACKGROUND).all()
    assert (row[12:18] == UNKNOWN).all()
    assert (make_trimap(mask, 0) == np.where(mask, FOREGROUND, BACKGROUND)).all()


def test_a_region_thinner_than_the_band_keeps_a_sure_core():
    mask = np.zeros((40, 40), bool)
    mask[12:28, 12:28] = True  # 16 px across, band 8: the band alone would swallow it
    trimap = make_trimap(mask, 8)
    assert (trimap[18:22, 18:22] == FOREGROUND).all()
    assert (trimap[12, 12:28] == UNKNOWN).all()
    assert (trimap[20, 4:16] == UNKNOWN).all() and (trimap[20, :4] == BACKGROUND).all()


def test_refine_brush_widens_the_band_only_where_painted():
    mask = np.zeros((20, 30), bool)
    mask[:, :15] = True
    widen = np.zeros_like(mask)
    paint_band(widen, [(15, 2), (15, 4)], radius=6)
    trimap = make_trimap(mask, 2, widen)
    assert (trimap[3, 9:22] == UNKNOWN).all()  # brushed: 6 px either side
    assert (trimap[15, 9:12] == FOREGROUND).all() and (trimap[15, 18:22] == BACKGROUND).all()


@pytest.mark.parametrize("method", ["cf", "guided"])
def test_a_known_soft_edge_is_recovered(method):
    image, truth = soft_edge()
    matte = refine(image, truth > 0.5, RefineConfig(band=10, method=method, decontaminate=False))
    hard_error = np.abs((truth > 0.5) - truth).mean()
    error = np.abs(matte.alpha - truth)
    if method == "cf":  # two flat colours fit closed-form matting's model exactly
        assert error.max() < 0.03
    else:
        assert error.mean() < 0.8 * hard_error
    # outside the band the matte is the hard region, exactly
    assert (matte.alpha[:, :15] == 1).all() and (matte.alpha[:, 56:] == 0).all()


def test_a_wide_band_is_solved_coarse_to_fine_and_still_recovers_the_edge(monkeypatch):
    from srcrm.matting import alpha as alpha_module

    coarse_calls = []
    solve_coarse = alpha_module._solve_coarse
    monkeypatch.setattr(
        alpha_module, "_solve_coarse", lambda *args: coarse_calls.append(1) or solve_coarse(*args)
    )
    w = 400  # a 60 px blend in a 140 px band down an 800 px edge: wide and large
    truth = np.clip((230 - np.arange(w)) / 60, 0, 1)[None].repeat(800, 0)
    image = np.rint(truth[..., None] * RED + (1 - truth[..., None]) * BLUE).astype(np.uint8)
    matte = refine(image, truth > 0.5, RefineConfig(band=70, decontaminate=False))
    assert coarse_calls, "the wide band was solved at full size"
    assert np.abs(matte.alpha - truth).max() < 0.03
    assert (matte.alpha[:, :120] == 1).all() and (matte.alpha[:, 280:] == 0).all()


def test_decontaminated_colours_carry_no_background():
    image, truth = soft_edge()
    matte = refine(image, truth > 0.5, RefineConfig(band=10))
    visible = truth > 0.1
    # the raw pixels drift towards blue across the edge; the decontaminated ones stay red
    assert np.abs(image[visible].astype(int) - RED).max() > 100
    assert np.abs(matte.foreground[visible].astype(int) - RED).max() <= 12
    rgba = matte.rgba()
    assert rgba.shape == (40, 64, 4) and (rgba[..., 3] == matte.alpha_u8()).all()
    assert (rgba[:, :10, :3] == image[:, :10]).all()  # opaque pixels keep their colour


def test_progress_rises_and_cancel_stops():
    image, truth = soft_edge()
    seen = []
    refine(image, truth > 0.5, RefineConfig(band=10), on_progress=seen.append)
    assert seen[0] == 0 and seen[-1] == 1 and seen == sorted(seen)
    calls = []
    with pytest.raises(Cancelled):
        refine(
            image, truth > 0.5, RefineConfig(band=10), should_stop=lambda: calls.append(1) or len(calls) > 2
        )
    assert len(calls) == 3


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="method"):
        RefineConfig(method="magic")
    with pytest.raises(ValueError, match="band"):
        RefineConfig(band=-1)
    with pytest.raises(ValueError, match="size"):
        refine(np.zeros((4, 4, 3), np.uint8), np.ones((5, 4), bool))
    assert set(METHODS) >= {"cf", "guided"}
