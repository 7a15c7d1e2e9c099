"""What fine-tuning sets aside to measure a new model: only labels a person drew. A video frame
that a propagated correction wrote, and nobody edited since, never measures a model; it trains
only once a person marked it done."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from app_video_helpers import wait_video_idle
from test_finetune_flow import QUICK, wait_ended, wait_staged
from test_finetune_video import clip, correct_frame  # noqa: F401 (a fixture)

from app.finetune.staging import train_only_names, training_frames
from srcrm.data.finetune_data import TRAIN_ONLY_FILE
from srcrm.data.finetune_data import train_only_names as engine_train_only
from srcrm.train.finetune import split_holdout
from srcrm.video.label_store import FrameLabelStore

pytestmark = pytest.mark.prelabel_by_hand


def test_split_holdout_never_sets_aside_a_train_only_name():
    names = [f"{i:06d}" for i in range(20)]
    propagated = set(names[5:17])
    for seed in range(30):
        train, holdout = split_holdout(names, 0.25, seed, propagated)
        assert holdout and not set(holdout) & propagated
        assert sorted(train + holdout) == names
        assert len(holdout) == 2  # a quarter of the 8 a person drew
    # Nothing but train-only names: nothing is set aside, all train.
    assert split_holdout(names[:3], 0.5, 0, set(names)) == (names[:3], [])
    # Without train-only names the split is what it always was.
    assert split_holdout(names, 0.2, 3, ()) == split_holdout(names, 0.2, 3)


def test_the_store_remembers_propagated_frames_until_a_person_edits_one(tmp_path):
    store = FrameLabelStore(tmp_path / "frames", frame_count=10, size=(4, 6))
    store.write(1, np.zeros((4, 6), np.uint8), edited=True)
    store.mark_propagated([2, 3, 4])
    assert store.propagated == {2, 3, 4} and store.edited == {1, 2, 3, 4}
    store.person_edited(3)
    store.person_edited(1)  # never propagated: nothing to change
    reopened = FrameLabelStore(tmp_path / "frames")
    assert reopened.propagated == {2, 4} and reopened.edited == {1, 2, 3, 4}


def test_propagated_frames_are_never_set_aside_and_train_only_when_done(make_window, clip, dialogs, qtbot):  # noqa: F811
    window = make_window(clip)  # the bundled default model, to fine-tune
    assert window.model.info is not None, window.notice.text
    correct_frame(window, 2)
    correct_frame(window, 5)
    dialogs.propagate_count = lambda parent, default, maximum: 3
    dialogs.confirm_propagation = lambda parent, dialog: True
    window.menus.action("video.propagate").trigger()  # frame 5's correction to 6, 7, 8
    wait_video_idle(qtbot, window)
    video = window.video
    store = video.store
    assert store.propagated == {6, 7, 8} and {2, 5, 6, 7, 8} <= store.edited
    correct_frame(window, 7)  # a person edits a propagated frame: theirs now
    assert store.propagated == {6, 8}
    window.flush_saves()
    # Unconfirmed propagated frames do not train at all.
    assert training_frames(video) == [2, 5, 7]
    assert train_only_names(video) == []
    video.done = {8}  # a person marked frame 8 done: it trains, and still never measures
    assert training_frames(video) == [2, 5, 7, 8]
    assert train_only_names(video) == ["frame 8"]

    run = window.finetuning.start(replace(QUICK, holdout_fraction=0.6))
    assert run is not None, window.notice.text
    wait_staged(qtbot, run)
    staged = Path(run.scratch.name) / "data"
    assert sorted(p.stem for p in (staged / "labels").iterdir()) == ["000002", "000005", "000007", "000008"]
    assert (staged / TRAIN_ONLY_FILE).read_text() == "000008\n"
    assert engine_train_only(staged) == {"000008"}
    assert "2 to train on, 2 set aside" in run.progress.summary_label.text()
    wait_ended(qtbot, window)
    report = run.report_dialog.report
    assert set(report["holdout_names"]) <= {"000002", "000005", "000007"}  # a person's frames only
    assert "000008" in report["train_names"] and len(report["holdout_names"]) == 2
    run.report_dialog.discard_button.click()
