"""Refine edge on cases whose true alpha and colours are known exactly."""

import sys
import time

import cv2
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


def test_progress_goes_by_named_stages_and_never_back():
    image, truth = soft_edge(360, 480)
    seen = []
    refine(image, truth > 0.5, RefineConfig(band=10), on_progress=lambda f, stage: seen.append((f, stage)))
    fractions, stages = [f for f, _ in seen], [s for _, s in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1 and stages[-1] == "Done"
    assert "Solving the matte" in stages and "Cleaning the edge colours" in stages
    assert stages.index("Solving the matte") < stages.index("Cleaning the edge colours")


def test_cancel_is_answered_at_once_even_in_a_step_that_cannot_stop(monkeypatch):
    """Decontamination (like the matrix build and the one-time compile) cannot be interrupted;
    a stop during it is still answered within half a second."""
    refine_module = sys.modules["srcrm.matting.refine"]  # the package's `refine` is the function

    def slow(image, alpha):
        time.sleep(3)
        return image.copy()

    monkeypatch.setattr(refine_module, "decontaminate", slow)
    image, truth = soft_edge()
    stage = []
    started = time.monotonic()
    with pytest.raises(Cancelled):
        refine(
            image,
            truth > 0.5,
            RefineConfig(band=10),
            on_progress=lambda f, s: stage.append(s),
            should_stop=lambda: stage[-1:] == ["Cleaning the edge colours"],
        )
    assert time.monotonic() - started < 2.5, "it waited for the step to end"


def branches(h=120, w=160):
    """A crown as a model labels it, one blob: bare twigs (1 px, 6 px apart) against the sky
    on its left, dense foliage on its right; sky all around."""
    image = np.full((h, w, 3), (150, 200, 240), np.uint8)
    crown = np.zeros((h, w), np.uint8)
    cv2.ellipse(crown, (80, 60), (52, 42), 0, 0, 360, 1, -1)
    yy, xx = np.mgrid[0:h, 0:w]
    twigs = (crown > 0) & (xx < 80) & (((xx + yy) % 6 == 0) | ((xx - yy) % 6 == 0))
    foliage = (crown > 0) & (xx >= 80)
    image[twigs] = (70, 50, 35)
    image[foliage] = (40, 90, 30)
    labels = np.where(crown > 0, 5, 0).astype(np.uint8)  # tree in sky
    return image, labels, twigs


def test_the_sky_between_branches_is_transparent_and_the_branches_are_not():
    image, labels, twigs = branches()
    crown = labels == 5
    deep = cv2.erode(crown.astype(np.uint8), np.ones((21, 21), np.uint8)).astype(bool)  # past the band
    holes = deep & (image == (150, 200, 240)).all(2)
    holes[:, 62:] = False  # among bare twigs, not beside the foliage
    matte = refine(image, crown, RefineConfig(), labels=labels)
    assert holes.sum() > 300 and matte.alpha[holes].mean() < 0.1  # sky seen through the crown
    assert matte.alpha[twigs & deep].mean() > 0.6  # the twigs themselves (1 px: partly sky)
    assert matte.alpha[deep & (image == (40, 90, 30)).all(2)].min() > 0.95  # the foliage
    blob = refine(image, crown, RefineConfig(see_through=False), labels=labels)
    assert blob.alpha[holes].mean() > 0.99  # what a plain band leaves: solid sky


def test_a_solid_regions_own_pattern_stays_opaque():
    """A road's painted symbol is lighter, like the pavement beside it, but it lies in solid
    asphalt: it is road, not pavement seen through."""
    image = np.full((120, 160, 3), (190, 190, 185), np.uint8)  # pavement
    labels = np.full((120, 160), 4, np.uint8)
    labels[30:110, 20:140] = 3
    image[30:110, 20:140] = (60, 60, 65)  # asphalt
    cv2.circle(image, (80, 70), 18, (235, 235, 230), 3)  # the painted symbol
    symbol = (image == (235, 235, 230)).all(2)
    matte = refine(image, labels == 3, RefineConfig(), labels=labels)
    assert matte.alpha[symbol].min() > 0.9


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="method"):
        RefineConfig(method="magic")
    with pytest.raises(ValueError, match="band"):
        RefineConfig(band=-1)
    with pytest.raises(ValueError, match="size"):
        refine(np.zeros((4, 4, 3), np.uint8), np.ones((5, 4), bool))
    assert set(METHODS) >= {"cf", "guided"}
