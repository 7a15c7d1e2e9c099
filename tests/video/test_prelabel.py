"""Pre-labelling a video: every frame gets its own labels, runs resume, edits are kept, a cancel
keeps what was written, and a truncated video is labelled to its true end and finishes."""

from __future__ import annotations

import numpy as np
from video_test_helpers import IndexPredictor, truncate_avi_inside_frame, write_video

from srcrm.inference.predictor import Predictor
from srcrm.video import (
    FrameLabelStore,
    VideoPrelabelConfig,
    open_source,
    prelabel_video,
)


def store_for(source, folder):
    return FrameLabelStore(folder, source.frame_count, (source.height, source.width))


def stored_indices(store, frames):
    """The frame index each stored map was made from (IndexPredictor writes it everywhere)."""
    return [int(store.read(i)[0, 0]) for i in frames]


def test_every_frame_gets_the_labels_of_that_frame(clip, tmp_path):
    source = open_source(clip)
    store = store_for(source, tmp_path / "labels")
    reports = []
    summary = prelabel_video(
        source, store, IndexPredictor(), VideoPrelabelConfig(batch_size=3), on_progress=reports.append
    )
    assert (summary.labelled, summary.skipped, summary.cancelled) == (40, 0, False)
    assert stored_indices(store, range(40)) == list(range(40))
    assert reports[-1].done == reports[-1].total == 40 and reports[-1].frame_index == 39
    assert [r.done for r in reports] == sorted(r.done for r in reports)
    assert reports[-1].frames_per_s > 0


def test_a_second_run_skips_labelled_frames_and_never_touches_edited_ones(clip, tmp_path):
    source = open_source(clip)
    store = store_for(source, tmp_path / "labels")
    prelabel_video(source, store, IndexPredictor(), VideoPrelabelConfig(start=5, stop=12))
    edit = np.full((source.height, source.width), 200, np.uint8)
    store.write(20, edit, edited=True)
    store.write(8, edit, edited=True)  # an edit over a pre-labelled frame
    model = IndexPredictor()
    summary = prelabel_video(source, store, model)
    assert sorted(model.seen) == [i for i in range(40) if not 5 <= i < 12 and i != 20]
    assert (summary.labelled, summary.skipped) == (32, 8)
    assert store.read(20)[0, 0] == 200 and store.read(8)[0, 0] == 200
    relabel = prelabel_video(source, store, IndexPredictor(), VideoPrelabelConfig(skip_labelled=False))
    assert (relabel.labelled, relabel.skipped) == (38, 2)
    assert store.read(20)[0, 0] == 200 and store.read(8)[0, 0] == 200


def test_a_cancel_keeps_what_was_written_and_the_next_run_finishes_without_redoing_it(clip, tmp_path):
    source = open_source(clip)
    store = store_for(source, tmp_path / "labels")
    first = IndexPredictor()
    progress = []
    summary = prelabel_video(
        source,
        store,
        first,
        VideoPrelabelConfig(batch_size=2),
        on_progress=progress.append,
        should_stop=lambda: len(first.seen) >= 10,
    )
    assert summary.cancelled and summary.labelled == len(first.seen) < 40
    assert store.labelled() == sorted(first.seen)
    second = IndexPredictor()
    rest = prelabel_video(source, store, second)
    assert not rest.cancelled and rest.skipped == summary.labelled
    assert sorted(first.seen + second.seen) == list(range(40))  # no frame computed twice
    assert stored_indices(store, range(40)) == list(range(40))


def test_a_truncated_video_is_labelled_to_its_true_end_and_a_rerun_finishes(tmp_path):
    cut = truncate_avi_inside_frame(write_video(tmp_path / "v.avi", 40, "MJPG"), 20)
    source = open_source(cut)
    store = store_for(source, tmp_path / "labels")
    seen = []
    summary = prelabel_video(source, store, IndexPredictor(), on_progress=seen.append)
    end = summary.frame_count
    # Frames 0-19 are whole; the cut-off frame 20 may or may not decode in part.
    assert summary.truncated and end in (20, 21) and source.frame_count == end
    assert store.frame_count == end  # the store learns the true length
    labelled = store.labelled()
    assert set(labelled) | set(summary.damaged) == set(range(end))  # every frame that decodes
    assert len(summary.damaged) <= 1  # at most the last, cut-off frame
    assert stored_indices(store, labelled[:-1]) == labelled[:-1]  # the last may be cut short
    assert all(0 <= p.done <= p.total for p in seen) and seen[-1].done == seen[-1].total
    # A rerun (a fresh source claims 40 frames again) finds nothing left and finishes.
    again = open_source(cut)
    rerun = prelabel_video(again, store_for(again, tmp_path / "labels"), IndexPredictor())
    assert rerun.labelled == 0 and rerun.truncated and rerun.frame_count == end


def test_the_real_default_model_labels_a_tiny_video(tmp_path):
    predictor = Predictor.from_checkpoint(None, "cpu")
    path = write_video(tmp_path / "street.mp4", 5)
    source = open_source(path)
    store = store_for(source, tmp_path / "labels")
    summary = prelabel_video(source, store, predictor, VideoPrelabelConfig(batch_size=2))
    assert summary.labelled == 5
    frames = [source.read(i) for i in range(5)]
    single = [predictor.predict(f).labels for f in frames]
    for i in range(5):
        labels = store.read(i)
        assert labels.shape == (64, 128) and labels.max() < 11
        assert (labels == single[i]).mean() > 0.999  # batched == one by one
    assert [p.labels.shape for p in predictor.predict_batch([])] == []
