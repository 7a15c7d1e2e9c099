"""Staging a project's checked labels for the fine-tune command, read back by the engine."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from app_test_helpers import SAMPLE

from app.document.label_document import ImageState
from app.document.project import Project
from app.finetune.staging import StagingError, engine_label_lut, stage_training_data, training_images
from srcrm.base.io import read_label_png
from srcrm.data.finetune_data import open_finetune_data
from srcrm.models.checkpoint import load_checkpoint

SKY, BUILDING, ROAD, UNLABELLED = 0, 1, 3, 11


def band_labels(h=120, w=160) -> np.ndarray:
    """Sky over building over road, an unlabelled strip at the top: what a person painted."""
    labels = np.full((h, w), ROAD, np.uint8)
    labels[: h // 3] = SKY
    labels[h // 3 : 2 * h // 3] = BUILDING
    labels[:4] = UNLABELLED
    return labels


def save_labels(project: Project, index: int, labels: np.ndarray, state: ImageState) -> None:
    """Save a label map as the app does after a person's edit."""
    snap = project.prediction_snapshot(index, labels, None, "by hand")
    snap.state = state
    project.set_state(index, state)
    project.write_snapshot(snap)


def make_labelled_project(folder: Path, states: list[ImageState], size=(120, 160)) -> Path:
    """Views of the bundled CamVid sample, one per state; every state but NEW gets a label
    map saved the way the app saves it."""
    folder.mkdir(parents=True, exist_ok=True)
    sample = cv2.imread(str(SAMPLE))
    h, w = size
    for k in range(len(states)):
        view = sample[k * 12 : k * 12 + 300, k * 16 : k * 16 + 400]
        cv2.imwrite(str(folder / f"shot_{k:02d}.png"), cv2.resize(view, (w, h)))
    project = Project(folder)
    for index, state in enumerate(states):
        if state != ImageState.NEW:
            save_labels(project, index, band_labels(h, w), state)
    return folder


def test_only_edited_and_done_images_are_staged_in_the_engine_layout(tmp_path, tiny_checkpoint):
    folder = make_labelled_project(
        tmp_path / "p", [ImageState.EDITED, ImageState.PRELABELLED, ImageState.DONE, ImageState.NEW]
    )
    project = Project(folder)
    assert [p.name for p in training_images(project)] == ["shot_00.png", "shot_02.png"]
    staged = stage_training_data(project, tmp_path / "staged", parent_ignore_index=11)
    assert staged.names == ["shot_00", "shot_02"]
    assert sorted(p.name for p in (staged.root / "images").iterdir()) == ["shot_00.png", "shot_02.png"]
    assert (staged.root / "images" / "shot_00.png").resolve() == folder / "shot_00.png"
    np.testing.assert_array_equal(read_label_png(staged.root / "labels" / "shot_02.png"), band_labels())
    # The engine's own reader accepts it, with the CamVid classes and ignore index.
    data = open_finetune_data(staged.root, load_checkpoint(tiny_checkpoint))
    assert data.names == ["shot_00", "shot_02"]
    assert data.labelset.ignore_index == 11 and len(data.labelset.class_names) == 11


def test_an_added_and_a_renamed_class_reach_the_engine_with_their_ids(tmp_path, tiny_checkpoint):
    folder = make_labelled_project(tmp_path / "p", [ImageState.EDITED, ImageState.DONE])
    project = Project(folder)
    project.classes.rename(5, "vegetation")
    crane = project.classes.add("crane")  # after CamVid's ignore id 11: a placeholder sits there
    assert crane == 12 and project.classes.ignore_index == 11
    labels = band_labels()
    labels[50:70, 60:90] = crane
    save_labels(project, 0, labels, ImageState.EDITED)

    staged = stage_training_data(project, tmp_path / "staged", parent_ignore_index=11)
    lines = (staged.root / "classes.txt").read_text().splitlines()
    assert len(lines) == 13 and lines[5] == "vegetation" and lines[11] == "unlabelled"
    assert lines[12] == "crane"
    staged_labels = read_label_png(staged.root / "labels" / "shot_00.png")
    np.testing.assert_array_equal(staged_labels, labels)  # ids unchanged, crane included
    data = open_finetune_data(staged.root, load_checkpoint(tiny_checkpoint))
    assert data.labelset.class_names[12] == "crane" and data.labelset.class_names[5] == "vegetation"
    assert data.labelset.ignore_index == 11  # the placeholder line marks it


def test_ids_outside_the_table_and_a_foreign_ignore_id_become_the_engines_ignore_id(tmp_path):
    from app.document.classes import ClassTable

    table = ClassTable(["background", "square"], [(0, 0, 0), (255, 255, 255)], ignore_index=255)
    lut = engine_label_lut(table, parent_ignore_index=255)
    assert lut[0] == 0 and lut[1] == 1 and lut[255] == 255 and lut[7] == 255
    lut = engine_label_lut(table, parent_ignore_index=1)  # grown over the parent's: first id after
    assert lut[255] == 2 and lut[7] == 2 and lut[1] == 1


def test_fewer_than_two_checked_images_are_refused_with_a_reason(tmp_path):
    folder = make_labelled_project(tmp_path / "p", [ImageState.EDITED, ImageState.PRELABELLED])
    with pytest.raises(StagingError, match="at least 2 images you edited or marked done.*has 1"):
        stage_training_data(Project(folder), tmp_path / "staged", parent_ignore_index=11)
    assert not (tmp_path / "staged").exists()


def test_images_are_copied_where_links_are_refused(tmp_path, monkeypatch):
    folder = make_labelled_project(tmp_path / "p", [ImageState.EDITED, ImageState.EDITED])

    def refuse(*_args):
        raise OSError("symlinks are not allowed here")

    monkeypatch.setattr(os, "symlink", refuse)
    staged = stage_training_data(Project(folder), tmp_path / "staged", parent_ignore_index=11)
    copy = staged.root / "images" / "shot_01.png"
    assert not copy.is_symlink() and copy.read_bytes() == (folder / "shot_01.png").read_bytes()
