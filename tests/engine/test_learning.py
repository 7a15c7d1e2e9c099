"""Learning as the person works: an update is kept only when it leaves no more to fix on the
newest done image, a harmful one is dropped with a reason, an image a person edited or marked
done is never pre-labelled again, training stops at its time budget, and a cancel leaves
nothing behind; ``srcrm learn`` does the same from the command line."""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from srcrm.base.io import read_image, read_label_png, write_png
from srcrm.cli import main
from srcrm.data.labelsets import CAMVID
from srcrm.inference.predictor import Prediction, Predictor
from srcrm.train.finetune import Cancelled, FinetuneConfig
from srcrm.train.learning import LearnConfig, learn, regions_to_fix, relabel, trusted_label
from tests.conftest import write_tiny_dataset

DONE = ["img0", "img1", "img2", "img3"]  # the newest, img3, judges
# Every pixel trusted: these tests are about the judge, not about which pixels teach.
QUICK = LearnConfig(
    holdout=1,
    unsure=0.0,
    train=FinetuneConfig(steps=15, batch_size=2, crop=(64, 64), lr=0.02, device="cpu"),
)


def squares_folder(root: Path, swap: bool = False, n: int = 7) -> Path:
    """Tiny scenes (a bright square, class 1, on a dark ground, class 0) with CamVid's classes:
    labels for the images of DONE, the rest still to label. ``swap`` mislabels every done image
    but the newest (square and ground exchanged): a harmful lesson the judge can see."""
    write_tiny_dataset(root / "scenes", splits=("train",), n=n)
    for i in range(n):
        name = f"img{i}"
        (root / "images").mkdir(parents=True, exist_ok=True)
        (root / "scenes" / "train" / "images" / f"{name}.png").rename(root / "images" / f"{name}.png")
        if name in DONE:
            label = read_label_png(root / "scenes" / "train" / "labels" / f"{name}.png")
            label[label == 2] = CAMVID.ignore_index  # the void border
            if swap and name != DONE[-1]:
                label = np.where(label < 2, 1 - label, label).astype(np.uint8)
            write_png(root / "labels" / f"{name}.png", label)
    (root / "classes.txt").write_text("\n".join(CAMVID.class_names) + "\n")
    return root


@pytest.fixture(scope="module")
def learned(tmp_path_factory, write_checkpoint):
    """An untrained model, the update it learned from the squares, and that update's summary."""
    root = tmp_path_factory.mktemp("learning")
    start = write_checkpoint(root / "untrained.pt")
    summary = learn(start, squares_folder(root / "data"), DONE, root / "learned.pt", cfg=QUICK)
    return start, root / "learned.pt", summary


def test_an_update_that_helps_is_kept_and_says_what_it_saves(learned):
    _, model, summary = learned
    assert summary.accepted and model.is_file() and summary.model == str(model)
    assert summary.trained_on == DONE[:-1] and summary.held_out == DONE[-1:]
    assert summary.error_after < summary.error_before
    assert summary.message().startswith("learned from 3 of your images; 0 images re-labelled; about ")


def test_a_harmful_update_is_dropped_with_a_reason_and_nothing_written(learned, tmp_path):
    _, model, _ = learned
    out = tmp_path / "next.pt"
    summary = learn(model, squares_folder(tmp_path / "data", swap=True), DONE, out, cfg=QUICK)
    assert not summary.accepted and summary.error_after > summary.error_before
    assert summary.message().startswith("kept the model in use: on your newest image the update would leave")
    assert "\n" not in summary.message()
    assert list(tmp_path.glob("next*")) == []


def test_too_few_done_images_to_judge_teach_nothing(learned, tmp_path):
    start, _, _ = learned
    summary = learn(start, squares_folder(tmp_path / "data"), DONE[:1], tmp_path / "m.pt", cfg=QUICK)
    assert not summary.accepted and summary.message() == "not learning yet: 2 done images needed, 1 so far"
    assert not (tmp_path / "m.pt").exists()


def test_done_images_that_agree_with_the_model_teach_nothing_and_train_nothing(learned, tmp_path):
    _, model, _ = learned
    folder = squares_folder(tmp_path / "data")
    predictor = Predictor.from_checkpoint(model, "cpu")
    for name in DONE:  # the person marked the pre-labels done as they were
        write_png(
            folder / "labels" / f"{name}.png",
            predictor.predict(read_image(folder / "images" / f"{name}.png")).labels,
        )
    summary = learn(model, folder, DONE, tmp_path / "m.pt", cfg=QUICK)
    assert not summary.accepted and summary.steps == 0
    assert summary.message() == "nothing new to learn: your done images agree with the model in use"


def test_a_held_out_image_without_labels_cannot_judge_an_update(learned, tmp_path):
    start, _, _ = learned
    folder = squares_folder(tmp_path / "data")
    write_png(folder / "labels" / f"{DONE[-1]}.png", np.full((64, 96), CAMVID.ignore_index, np.uint8))
    summary = learn(start, folder, DONE, tmp_path / "m.pt", cfg=QUICK)
    assert not summary.accepted and summary.steps == 0
    assert summary.message() == "kept the model in use: your newest image has no label to judge an update by"


def test_only_untouched_images_are_pre_labelled_in_visiting_order(learned, tmp_path):
    _, model, _ = learned
    folder = squares_folder(tmp_path / "data")
    todo = [folder / "images" / f"img{i}.png" for i in (6, 2, 4, 5, 0)]
    edited = {"img5"}
    written = {}

    def write(name, prediction):
        written[name] = prediction.labels
        edited.add("img4")  # a person opens img4 while the learner works

    names = relabel(Predictor.from_checkpoint(model, "cpu"), todo, write, edited, done=DONE)
    assert names == ["img6"] == list(written)  # img2 and img0 are done, img5 edited, img4 then
    assert written["img6"].shape == (64, 96)


def test_training_stops_at_its_time_budget_and_reports_its_share(learned, tmp_path):
    start, _, _ = learned
    cfg = replace(QUICK, train=replace(QUICK.train, steps=100_000, budget_s=4.0))
    fractions = []
    summary = learn(
        start,
        squares_folder(tmp_path / "data"),
        DONE,
        tmp_path / "m.pt",
        cfg=cfg,
        on_event=lambda e: fractions.append(e.fraction) if e.kind == "train" else None,
    )
    # One event per step: no step starts once the budget is spent, and the budget is used.
    assert summary.steps == len(fractions) and fractions == sorted(fractions)
    assert all(f < 1.0 for f in fractions[:-1]) and 0.5 <= fractions[-1] <= 1.0


def test_a_cancel_stops_the_update_and_writes_nothing(learned, tmp_path):
    start, _, _ = learned
    events, prelabelled = [], []
    with pytest.raises(Cancelled):
        learn(
            start,
            squares_folder(tmp_path / "data"),
            DONE,
            tmp_path / "m.pt",
            todo=[tmp_path / "data" / "images" / "img6.png"],
            on_prelabel=lambda name, p: prelabelled.append(name),
            cfg=replace(QUICK, train=replace(QUICK.train, steps=100_000, budget_s=60.0)),
            on_event=events.append,
            should_stop=lambda: len(events) >= 3,
        )
    assert list(tmp_path.glob("m.pt*")) == [] and prelabelled == []


def test_pixels_left_as_an_unsure_model_had_them_neither_teach_nor_judge():
    label = np.array([[0, 1, 1, 2]], np.uint8)
    prelabel = Prediction(np.array([[0, 1, 0, 2]], np.uint8), np.array([[0.9, 0.5, 0.5, 0.6]], np.float32))
    # sure and agreeing: kept; unsure and agreeing: dropped; corrected by the person: kept
    assert trusted_label(label, prelabel, 11, 0.7).tolist() == [[0, 11, 1, 11]]


def test_regions_to_fix_counts_the_largest_wrong_regions_needed_to_reach_done():
    label = np.zeros((100, 100), np.uint8)
    pred = label.copy()
    pred[:10, :] = 1  # 10% wrong in one region
    pred[50:52, 50:52] = 1  # and a speck
    valid = np.ones_like(label, bool)
    assert regions_to_fix(pred, label, valid, 0.95) == 1
    assert regions_to_fix(pred, label, valid, 0.8) == 0
    pred[20:30, :] = 1  # a second band: 20.04% wrong, so 15.04% to fix
    assert regions_to_fix(pred, label, valid, 0.95) == 2


def test_learn_command_pre_labels_only_the_untouched_images(learned, tmp_path, capsys):
    start, _, _ = learned
    folder = squares_folder(tmp_path / "data")
    keep = tmp_path / "keep.txt"
    keep.write_text("img5\n")
    out = tmp_path / "out"
    code = main(
        ["learn", "--from", str(start), "--data", str(folder), "--out", str(out), "--budget-s", "3"]
        + ["--keep", str(keep)]
    )
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert [u["accepted"] for u in summary["updates"]] == [True]
    assert (out / "model.pt").is_file()
    assert sorted(p.name for p in (out / "prelabels").iterdir()) == [
        "img4.confidence.png",
        "img4.png",
        "img6.confidence.png",
        "img6.png",
    ]
    assert "updates kept: 1 of 1; images re-labelled: 2" in capsys.readouterr().out
