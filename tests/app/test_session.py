"""The session without a window: what is open, autosave after each stroke, save failures,
approvals to replace edits, image mode and video mode behind one interface."""

from __future__ import annotations

import errno

import cv2
import numpy as np
import pytest
from app_video_helpers import write_clip

from app.document import ImageState, Project
from app.jobs import JobRunner, ModelService
from app.session import ImageMode, SaveState, Session, VideoMode
from app.video.session import VideoSession
from srcrm.base.io import read_label_png


@pytest.fixture
def session():
    jobs = JobRunner()
    s = Session(jobs, ModelService(jobs))
    yield s
    s.shutdown()


@pytest.fixture
def folder(tmp_path):
    for k in range(3):
        cv2.imwrite(str(tmp_path / f"img{k}.png"), np.full((40, 60, 3), 40 * k, np.uint8))
    return tmp_path


def open_image(session, folder, index=0):
    project = Project(folder)
    session.open_mode(ImageMode(project, session.saver, session.saves))
    assert session.open_document(index)
    return project, session.doc


def stroke(session, cls, points):
    ed = session.editor
    ed.set_class(cls)
    ed.press(*points[0])
    for p in points[1:]:
        ed.move(*p)
    ed.release()


def test_a_stroke_is_saved_without_asking_and_the_state_follows(session, folder):
    project, doc = open_image(session, folder)
    events = []
    session.saver.queued.connect(lambda _key: events.append("saving"))
    session.edited.connect(lambda d: events.append("edited"))
    stroke(session, 4, [(10, 10), (30, 20)])
    assert events == ["saving", "edited"]
    assert session.saver.flush(10)
    saved = read_label_png(project.label_path(doc.path))
    np.testing.assert_array_equal(saved, doc.labels)
    assert project.entries[0].state == ImageState.EDITED
    # Nothing changed since: leaving the image writes nothing more.
    events.clear()
    session.leave_document()
    assert events == []
    # Marking it done is saved too (the state lives in the sidecar).
    session.open_document(0, reload=True)
    session.toggle_done()
    assert events == ["saving"] and project.entries[0].state == ImageState.DONE


def test_a_failed_write_is_written_again_by_the_next_autosave(session, folder, monkeypatch):
    project, doc = open_image(session, folder)
    real = Project.write_snapshot
    failures = []

    def full_disk(self, snap):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Project, "write_snapshot", full_disk)
    session.saver.failed.connect(lambda key, exc: (failures.append(key), session.saves.unsaved(key)))
    stroke(session, 2, [(5, 5)])
    assert session.saver.flush(10) and failures == [doc.path]
    assert not project.label_path(doc.path).exists()
    monkeypatch.setattr(Project, "write_snapshot", real)
    assert session.autosave()  # (what Ctrl+S does) the edit is still in memory: written now
    assert session.saver.flush(10)
    np.testing.assert_array_equal(read_label_png(project.label_path(doc.path)), doc.labels)


def test_save_state_tracks_revisions_meta_changes_and_one_time_approvals():
    saves = SaveState()
    saves.loaded("a", 0)
    assert not saves.needs_save("a", 0) and saves.needs_save("a", 1)
    saves.submitted("a", 1)
    assert not saves.needs_save("a", 1)
    saves.meta_changed("a")
    assert saves.needs_save("a", 1)
    saves.submitted("a", 1)
    saves.unsaved("a")
    assert saves.needs_save("a", 1)
    saves.approve_overwrite(["a", "b"])
    assert saves.take_approval("a") and not saves.take_approval("a") and not saves.take_approval("c")


def test_video_mode_saves_frames_to_the_label_store_behind_the_same_interface(session, tmp_path):
    clip = write_clip(tmp_path / "clip.mp4", n=6)
    video = VideoSession.open(clip, None)
    notices = []
    session.notice.connect(lambda text, level, key: notices.append(text))
    session.open_mode(VideoMode(video, session.saver))
    mode = session.mode
    assert (mode.count, mode.noun, mode.image_commands, mode.index) == (6, "frame", False, None)
    assert session.open_document(2) and notices == []
    doc = session.doc
    assert doc.path is None and mode.index == 2 and doc.state == ImageState.NEW
    stroke(session, 5, [(10, 10), (20, 12)])
    assert session.saver.flush(10)
    assert video.store.is_edited(2)
    np.testing.assert_array_equal(video.store.read(2), doc.labels)
    # Moving to another frame saves nothing new and never writes the old map to the new frame.
    assert session.open_document(3)
    other = session.doc
    assert session.saver.flush(10) and not video.store.has(3)
    assert mode.session_fields(other) == {"folder": None, "video": str(video.path), "image": None}
    assert "frame 3" in mode.title(other)
    session.open_mode(None)
    assert session.doc is None and session.video is None


def test_the_image_mode_interface(session, folder):
    project, doc = open_image(session, folder, index=1)
    mode = session.mode
    assert (mode.count, mode.noun, mode.image_commands, mode.index) == (3, "image", True, 1)
    assert session.project is project and session.video is None
    assert mode.session_fields(doc) == {"folder": str(folder), "video": None, "image": "img1.png"}
    assert mode.title(doc).startswith("img1.png (new)")
    assert mode.finetune_target is project and mode.label_dir == project.label_dir


def test_the_session_jobs_and_tools_load_without_qt():
    import subprocess
    import sys

    code = (
        "import sys, app.session, app.jobs, app.document.tool_table; "
        "sys.exit(any(m.startswith('PySide6') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_predictions_go_into_the_open_image_or_onto_disk_and_never_over_edits(session, folder):
    from app.jobs import PrelabelResult

    project, doc = open_image(session, folder, index=0)
    mode = session.mode
    stroke(session, 6, [(5, 5)])  # the open image has a person's edit
    assert mode.prelabel_paths() == [project.entries[1].path, project.entries[2].path]

    def result(path, value):
        return PrelabelResult(path, np.full((40, 60), value, np.uint8), np.ones((40, 60), np.float32), "m")

    asked = []
    no = lambda name: asked.append(name) or False  # noqa: E731
    # The open, edited image: asked first; "no" keeps the edit.
    assert mode.receive_prediction(result(doc.path, 1), doc, no) == "kept"
    assert asked == ["img0.png"] and (doc.labels == 6).any()
    # Approved (the user chose "replace" for the folder): applied at once, one undo step.
    assert mode.prelabel_paths(replace_edited=True)[0] == doc.path
    assert mode.receive_prediction(result(doc.path, 1), doc, no) == "applied"
    assert asked == ["img0.png"] and (doc.labels == 1).all() and doc.state == ImageState.PRELABELLED
    assert doc.undo() and (doc.labels == 6).any()
    # Another image goes to disk; one a person edited meanwhile is kept.
    assert mode.receive_prediction(result(project.entries[1].path, 3), doc, no) == "written"
    assert session.saver.flush(10)
    assert (read_label_png(project.label_path(project.entries[1].path)) == 3).all()
    project.set_state(2, ImageState.EDITED)
    assert mode.receive_prediction(result(project.entries[2].path, 3), doc, no) == "kept"
    assert mode.receive_prediction(result(folder / "elsewhere.png", 3), doc, no) == "gone"


def test_which_image_opens_first_and_which_is_next_unfinished(session, folder):
    project, doc = open_image(session, folder, index=0)
    mode = session.mode
    assert mode.first_index("img2.png") == 2 and mode.first_index(folder / "img1.png") == 1
    project.set_state(0, ImageState.DONE)
    project.last_image = None
    assert mode.first_index() == 1  # the first not marked done
    project.last_image = "img2.png"
    assert mode.first_index() == 2 and mode.first_index("nope.png") == 2
    project.set_state(1, ImageState.DONE)
    assert mode.next_unfinished() == 2
    project.set_state(2, ImageState.DONE)
    assert mode.next_unfinished() is None


class _StoppedSaver:
    """A save queue whose writer never runs: the app killed before a frame's write."""

    def submit(self, key, job):
        pass


def test_strokes_on_a_video_frame_survive_a_kill_before_the_frame_is_written(session, tmp_path):
    clip = write_clip(tmp_path / "clip.mp4", n=4)
    video = VideoSession.open(clip, None)
    session.open_mode(VideoMode(video, _StoppedSaver()))
    assert session.open_document(1)
    doc = session.doc
    stroke(session, 5, [(10, 10), (20, 12)])
    stroke(session, 3, [(30, 20), (40, 24)])
    drawn = doc.labels.copy()
    assert not video.store.has(1)  # nothing reached the label store
    session.close_document()
    video.close()

    reopened = VideoSession.open(clip, None)  # the next start
    session.open_mode(VideoMode(reopened, session.saver))
    doc, warnings = session.mode.load(1, reopened.source.read(1))
    np.testing.assert_array_equal(doc.labels, drawn)
    assert doc.state == ImageState.EDITED and "2 stroke(s) on frame 1" in warnings[0]
    assert session.saver.flush(10)
    np.testing.assert_array_equal(reopened.store.read(1), drawn)  # written at once
    assert not reopened.journal(1).path.exists()  # and the journal emptied once it was
