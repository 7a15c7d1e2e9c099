"""Refined video mattes: the PNG sequence and the MP4 carry soft alpha, steadied along the
optical flow so the soft rim flickers less than per-frame matting."""

import cv2
import numpy as np
from matting_test_helpers import BLUE, RED

from srcrm.base.io import write_png
from srcrm.matting import RefineConfig
from srcrm.video import (
    FrameLabelStore,
    SteadyMatting,
    export_matte_pngs,
    matte_flicker,
    open_source,
    write_matte_video,
)

H, W, FRAMES = 48, 64, 6
CAR, ROAD = 8, 3


def noisy_edge(i: int):
    """A red-to-blue soft edge (8 px) at a fixed place, with fresh sensor noise per frame."""
    alpha = np.clip((36 - np.arange(W)) / 8, 0, 1)[None].repeat(H, 0)
    clean = alpha[..., None] * RED + (1 - alpha[..., None]) * BLUE
    noise = np.random.default_rng(i).normal(0, 6, clean.shape)
    return np.clip(np.rint(clean + noise), 0, 255).astype(np.uint8), alpha


def clip(tmp_path):
    frames = tmp_path / "frames"
    frames.mkdir()
    store = FrameLabelStore(tmp_path / "labels", FRAMES, (H, W))
    for i in range(FRAMES):
        image, alpha = noisy_edge(i)
        write_png(frames / f"f{i:02d}.png", image)
        if i != 3:  # frame 3 has no labels
            store.write(i, np.where(alpha > 0.5, CAR, ROAD).astype(np.uint8))
    return open_source(frames), store, alpha


def test_png_sequence_of_a_refined_matte(tmp_path):
    source, store, truth = clip(tmp_path)
    config = RefineConfig(band=8, decontaminate=False)
    assert export_matte_pngs(source, store, [CAR], tmp_path / "soft", refine_with=config) == FRAMES
    assert export_matte_pngs(source, store, [CAR], tmp_path / "hard") == FRAMES
    soft = [cv2.imread(str(tmp_path / "soft" / f"{i:06d}.png"), cv2.IMREAD_UNCHANGED) for i in range(FRAMES)]
    hard = cv2.imread(str(tmp_path / "hard" / "000000.png"), cv2.IMREAD_UNCHANGED)
    assert (hard == np.where(truth > 0.5, 255, 0)).all()
    assert not soft[3].any()  # no labels, no matte
    for i in (0, 1, 2, 4, 5):
        error = np.abs(soft[i] / 255 - truth).mean()
        assert error < 0.5 * np.abs(hard / 255 - truth).mean()


def test_steadying_along_the_flow_lowers_matte_flicker():
    config = RefineConfig(band=8, decontaminate=False)
    flicker = {}
    for carry in (0.0, 0.5):
        steady, prev, changes = SteadyMatting(config, carry), None, []
        for i in range(FRAMES):
            image, alpha = noisy_edge(i)
            cur = steady(i, image, alpha > 0.5).alpha
            if prev is not None:
                changes.append(matte_flicker(prev, cur))
            prev = cur
        flicker[carry] = np.mean(changes)
    assert flicker[0.5] < 0.8 * flicker[0.0]


def test_refined_matte_mp4_and_its_cancel(tmp_path):
    source, store, _ = clip(tmp_path)
    config = RefineConfig(band=8, decontaminate=False)
    path = tmp_path / "matte.mp4"
    assert write_matte_video(source, store, [CAR], path, refine_with=config) == FRAMES
    reader = cv2.VideoCapture(str(path))
    ok, first = reader.read()
    reader.release()
    assert ok and first.shape == (H, W, 3)
    soft = ((first[..., 0] > 30) & (first[..., 0] < 225)).sum(1)
    assert soft.mean() >= 4  # the 8 px ramp is soft, not a step
    calls = []
    stop = lambda: calls.append(1) or len(calls) > 3
    assert (
        write_matte_video(source, store, [CAR], tmp_path / "no.mp4", refine_with=config, should_stop=stop)
        == 0
    )
    assert not (tmp_path / "no.mp4").exists()
