"""Faults around saving: a full disk, a kill between saves, hostile or read-only label files,
image bombs. Every edit is either on disk, in the journal, or in memory with the person told,
and asked before quitting would lose it."""

from __future__ import annotations

import errno
import os
import struct
import zlib

import cv2
import numpy as np
import pytest
from app_test_helpers import drag, key
from PySide6 import QtCore
from PySide6.QtCore import Qt

import app.document.project as project_module
from app.document import ImageState, Project
from app.document.geometry import Rect
from app.document.journal import StrokeJournal
from srcrm.base.io import ImageReadError, read_label_png


def write_images(folder, n=2, h=40, w=50):
    folder.mkdir(exist_ok=True)
    for i in range(n):
        cv2.imwrite(
            str(folder / f"img{i}.png"), np.random.default_rng(i).integers(0, 255, (h, w, 3), dtype=np.uint8)
        )
    return folder


def stroke(doc, value, x0=5, y0=5, size=6):
    """One finished edit: a size x size square of class ``value``."""
    doc.set_region(Rect(x0, y0, x0 + size, y0 + size), np.full((size, size), value, np.uint8), "stroke")


def full_disk(path, data):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


# --- a full disk ------------------------------------------------------------------------------


def test_a_failed_save_keeps_the_edits_through_navigation_and_retries(tmp_path, monkeypatch):
    project = Project(write_images(tmp_path / "f"))
    doc, _ = project.load_document(0)
    stroke(doc, 3)
    monkeypatch.setattr(project_module, "atomic_write_bytes", full_disk)
    with pytest.raises(OSError):
        project.write_snapshot(project.snapshot(doc))
    assert project.unsaved() == [doc.path]
    project.load_document(1)  # D: the next image
    again, warnings = project.load_document(0)  # A: back
    assert (again.labels[5:11, 5:11] == 3).all() and again.state == ImageState.EDITED
    assert "not saved yet" in warnings[0] and "No space left on device" in warnings[0]
    monkeypatch.undo()  # space again: opening the image retries the save
    project.load_document(0)
    assert project.unsaved() == []
    assert (read_label_png(project.label_path(doc.path))[5:11, 5:11] == 3).all()


@pytest.fixture
def window_folder(tmp_path):
    return write_images(tmp_path / "win", n=2, h=120, w=160)


def test_the_window_keeps_a_stroke_through_d_and_a_and_asks_before_quitting(
    make_window, window_folder, dialogs, qtbot, monkeypatch
):
    window = make_window(window_folder / "img0.png")
    window.editor.set_class(2)
    monkeypatch.setattr(project_module, "atomic_write_bytes", full_disk)
    point = QtCore.QPointF(window.canvas.image_to_widget(40, 40))
    drag(window.canvas, [point])
    painted = window.doc.labels.copy()
    assert (painted == 2).any()
    key(window, Qt.Key.Key_D)
    key(window, Qt.Key.Key_A)
    assert window.doc.path.name == "img0.png"
    np.testing.assert_array_equal(window.doc.labels, painted)
    assert "not saved yet" in window.notice.text
    dialogs.quit_unsaved = False
    window.close()
    assert window.isVisible() and dialogs.asked[-1] == "quit-unsaved:img0.png"
    monkeypatch.undo()
    dialogs.asked.clear()
    window.close()  # the retry at close succeeds: nothing to ask
    assert not window.isVisible() and dialogs.asked == []
    np.testing.assert_array_equal(
        read_label_png(window.project.label_path(window_folder / "img0.png")), painted
    )


# --- label files written by someone else -----------------------------------------------------


def paint(window, x, y, class_id=2):
    window.editor.set_class(class_id)
    drag(window.canvas, [QtCore.QPointF(window.canvas.image_to_widget(x, y))])
    window.flush_saves()


@pytest.mark.prelabel_by_hand
def test_a_label_file_another_program_rewrote_is_kept_and_ours_saved_beside_it(
    make_window, window_folder, qtbot
):
    window = make_window(window_folder / "img0.png")
    paint(window, 40, 40)
    label_file = window.project.label_path(window_folder / "img0.png")
    theirs = np.full((120, 160), 5, np.uint8)
    cv2.imwrite(str(label_file), theirs)  # another program, while the image is open here
    paint(window, 80, 60, class_id=4)
    qtbot.waitUntil(lambda: "img0.conflict.png" in window.notice.text)
    assert window.notice.level == "warning" and "changed by another program" in window.notice.text
    np.testing.assert_array_equal(read_label_png(label_file), theirs)
    kept = label_file.with_name("img0.conflict.png")
    np.testing.assert_array_equal(read_label_png(kept), window.doc.labels)
    paint(window, 100, 90, class_id=6)  # later saves never overwrite it either
    np.testing.assert_array_equal(read_label_png(label_file), theirs)
    np.testing.assert_array_equal(read_label_png(kept), window.doc.labels)


@pytest.mark.prelabel_by_hand
def test_a_16_bit_label_png_with_values_past_255_is_refused_and_never_saved_over(make_window, window_folder):
    label_file = window_folder / ".srcrm" / "img0.png"
    label_file.parent.mkdir()
    wide = np.full((120, 160), 300, np.uint16)  # 300 must never be read as class 44
    wide[:60] = 3
    cv2.imwrite(str(label_file), wide)
    original = label_file.read_bytes()
    window = make_window(window_folder / "img0.png")
    assert window.notice.level == "warning" and "img0.png" in window.notice.text
    assert "could not be read" in window.notice.text
    assert (window.doc.labels == window.project.classes.ignore_index).all()  # opens unlabelled
    (kept,) = label_file.parent.glob("img0.unreadable-*.png")
    assert kept.name in window.notice.text and kept.read_bytes() == original
    paint(window, 40, 40)
    assert kept.read_bytes() == original
    assert read_label_png(label_file).max() <= 255 and (read_label_png(label_file) != 44).all()


# --- the stroke journal -----------------------------------------------------------------------


def test_strokes_after_the_last_save_survive_a_kill_and_are_replayed(tmp_path):
    folder = write_images(tmp_path / "f")
    project = Project(folder)
    doc, _ = project.load_document(0)
    stroke(doc, 1)
    project.save_document(doc)
    assert not project.journal_path(doc.path).exists()  # the save dropped the journal
    stroke(doc, 2, x0=20)
    stroke(doc, 3, x0=30)  # ... and the process is killed before the autosave writes
    expected = doc.labels.copy()
    restarted = Project(folder)
    assert restarted.entries[0].state == ImageState.EDITED
    recovered, warnings = restarted.load_document(0)
    np.testing.assert_array_equal(recovered.labels, expected)
    assert "2 stroke(s)" in warnings[0]
    # Recovered strokes are saved at once, and the journal emptied.
    np.testing.assert_array_equal(read_label_png(restarted.label_path(doc.path)), expected)
    assert not restarted.journal_path(doc.path).exists()


def test_a_torn_record_is_ignored_and_a_save_keeps_later_records(tmp_path):
    labels = np.zeros((10, 12), np.uint8)
    journal = StrokeJournal(tmp_path / "a.journal")
    labels[0:2, 0:2] = 1
    first = journal.append(labels, 0, 0, 2, 2)
    labels[5:7, 5:7] = 2
    journal.append(labels, 5, 5, 2, 2)
    with open(journal.path, "ab") as fh:  # a third record cut off by the kill
        fh.write(struct.pack("<3s7I", b"SJ1", 10, 12, 0, 0, 4, 4, 99) + b"\x00" * 5)
    fresh = np.zeros((10, 12), np.uint8)
    assert journal.replay(fresh) == 2 and (fresh == labels).all()
    journal.drop_through(first)  # a save that held only the first stroke
    only_second = np.zeros((10, 12), np.uint8)
    assert journal.replay(only_second) == 1
    assert only_second[5:7, 5:7].min() == 2 and only_second[0:2, 0:2].max() == 0
    assert journal.replay(np.zeros((3, 3), np.uint8)) == 0  # another size: not applied


def _bad_first_record(kind: str) -> bytes:
    """What a kill, a disk fault or another image leaves at the start of a journal."""
    if kind == "torn":
        return struct.pack("<3s7I", b"SJ1", 40, 50, 0, 0, 4, 4, 99) + b"\x00" * 5
    if kind == "garbage":
        return bytes(range(7, 250, 3)) * 2
    if kind == "zeros":
        return b"\x00" * 4096
    # A whole record, made for a 3x3 image.
    values = zlib.compress(np.full((3, 3), 5, np.uint8).tobytes())
    head = struct.pack("<3s7I", b"SJ1", 3, 3, 0, 0, 3, 3, len(values))
    return head + values + struct.pack("<I", zlib.crc32(head + values))


@pytest.mark.parametrize("kind", ["torn", "garbage", "zeros", "other size"])
def test_a_damaged_journal_is_set_aside_and_strokes_after_opening_survive_a_kill(tmp_path, kind):
    folder = write_images(tmp_path / "f")
    project = Project(folder)
    image = project.entries[0].path
    bad = _bad_first_record(kind)
    project.journal_path(image).parent.mkdir(parents=True, exist_ok=True)
    project.journal_path(image).write_bytes(bad)
    doc, warnings = project.load_document(0)
    (aside,) = project.label_dir.glob("img0.damaged-*.journal")
    assert aside.read_bytes() == bad  # kept as it was, and named in the notice
    assert any("damaged" in w and aside.name in w for w in warnings)
    stroke(doc, 4)
    stroke(doc, 6, x0=20)  # ... and the process is killed before the autosave writes
    expected = doc.labels.copy()
    recovered, warnings = Project(folder).load_document(0)
    np.testing.assert_array_equal(recovered.labels, expected)
    assert "2 stroke(s)" in warnings[0] and not any("damaged" in w for w in warnings)


def test_strokes_an_older_version_journalled_after_a_damaged_record_are_recovered(tmp_path):
    folder = write_images(tmp_path / "f")
    project = Project(folder)
    image = project.entries[0].path
    path = project.journal_path(image)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_bad_first_record("garbage"))
    labels = np.zeros((40, 50), np.uint8)
    labels[10:14, 10:14] = 7
    StrokeJournal(path).append(labels, 10, 10, 4, 4)  # appended behind the garbage
    doc, warnings = project.load_document(0)
    assert (doc.labels[10:14, 10:14] == 7).all() and doc.state == ImageState.EDITED
    assert "1 stroke(s)" in warnings[0] and "damaged" in warnings[1]
    assert (read_label_png(project.label_path(image))[10:14, 10:14] == 7).all()  # saved at once
    assert not path.exists()


def test_a_save_that_lands_after_another_drops_only_its_own_records(tmp_path):
    # Found by benchmarks/soak_kill.py: two snapshots queued back to back, the second's mark
    # taken before the first save shortened the journal.
    labels = np.zeros((10, 12), np.uint8)
    journal = StrokeJournal(tmp_path / "a.journal")
    for value in (1, 2):
        labels[2 * value : 2 * value + 2, 0:2] = value
        journal.append(labels, 2 * value, 0, 2, 2)
        if value == 1:
            first = journal.mark()
    second = journal.mark()
    labels[8:10, 0:2] = 3
    journal.append(labels, 8, 0, 2, 2)  # a stroke neither save holds
    journal.drop_through(first)
    journal.drop_through(second)
    fresh = np.zeros((10, 12), np.uint8)
    assert journal.replay(fresh) == 1 and fresh[8:10, 0:2].min() == 3


def test_a_journal_record_cannot_inflate_past_its_region(tmp_path):
    path = tmp_path / "bomb.journal"
    values = zlib.compress(b"\x07" * 10_000_000)  # claims a 2x2 region, holds 10 MB
    head = struct.pack("<3s7I", b"SJ1", 10, 12, 0, 0, 2, 2, len(values))
    path.write_bytes(head + values + struct.pack("<I", zlib.crc32(head + values)))
    labels = np.zeros((10, 12), np.uint8)
    assert StrokeJournal(path).replay(labels) == 0 and labels.max() == 0


# --- hostile and read-only label folders ------------------------------------------------------


def test_deeply_nested_project_and_sidecar_json_do_not_stop_the_folder_opening(tmp_path):
    folder = write_images(tmp_path / "f")
    project = Project(folder)
    doc, _ = project.load_document(0)
    stroke(doc, 4)
    project.save_document(doc)
    nested = "[" * 200_000 + "]" * 200_000
    project.project_file.write_text(nested)
    project.sidecar_path(doc.path).write_text(nested)
    reopened = Project(folder)
    assert reopened.entries[0].state == ImageState.EDITED  # labels without a usable sidecar
    again, _ = reopened.load_document(0)
    assert (again.labels[5:11, 5:11] == 4).all()


def test_labels_in_a_read_only_folder_are_shown_and_edits_go_elsewhere(tmp_path):
    folder = write_images(tmp_path / "share")
    first = Project(folder)
    doc, _ = first.load_document(0)
    stroke(doc, 5)
    doc.set_state(ImageState.DONE)
    first.save_document(doc)
    own = first.label_path(doc.path)
    before = own.read_bytes()
    elsewhere = tmp_path / "appdata" / "labels"
    project = Project(folder, label_dir=elsewhere)  # what the app passes for a read-only folder
    assert project.entries[0].state == ImageState.DONE  # not NEW: never pre-labelled again
    shown, warnings = project.load_document(0)
    assert (shown.labels[5:11, 5:11] == 5).all() and shown.state == ImageState.DONE
    assert "cannot be written" in warnings[0] and str(elsewhere) in warnings[0]
    stroke(shown, 6, x0=20)
    project.save_document(shown)
    assert own.read_bytes() == before
    assert (read_label_png(project.label_path(doc.path))[5:11, 20:26] == 6).all()


# --- image bombs ------------------------------------------------------------------------------


def png_declaring(path, width, height):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + chunk(b"IEND", b"")
    )


def test_an_image_bomb_gets_a_notice_and_the_app_goes_on(make_window, window_folder, qtbot):
    png_declaring(window_folder / "bomb.png", 30_000, 30_000)
    with pytest.raises(ImageReadError, match="SRCRM_MAX_PIXELS"):
        Project(window_folder).load_document(0)
    window = make_window(window_folder / "bomb.png")
    assert window.doc is None and window.notice.level == "error"
    assert "30000x30000" in window.notice.text
    key(window, Qt.Key.Key_D)
    assert window.doc is not None and window.doc.path.name == "img0.png"


def test_a_deeply_nested_model_list_or_video_meta_does_not_stop_the_app_opening(tmp_path):
    from app.document.model_versions import ModelVersions, VersionRegistryError
    from app.video.session import _read_meta
    from srcrm.video import FrameLabelStore, LabelStoreError

    nested = "[" * 200_000 + "]" * 200_000
    registry = ModelVersions.for_label_dir(tmp_path)
    registry.path.parent.mkdir(parents=True)
    registry.path.write_text(nested)
    with pytest.raises(VersionRegistryError, match="nested"):
        ModelVersions.for_label_dir(tmp_path)
    (tmp_path / "meta.json").write_text(nested)
    assert _read_meta(tmp_path / "meta.json") == {}
    (tmp_path / "frames").mkdir()
    (tmp_path / "frames" / "store.json").write_text(nested)
    with pytest.raises(LabelStoreError, match="nested"):
        FrameLabelStore(tmp_path / "frames")


def test_an_approved_pre_label_of_a_closed_image_replaces_its_journal(tmp_path):
    folder = write_images(tmp_path / "f")
    project = Project(folder)
    doc, _ = project.load_document(0)
    stroke(doc, 7)  # ... killed before the save: the stroke is only in the journal
    restarted = Project(folder)
    assert restarted.entries[0].state == ImageState.EDITED
    prediction = np.full((40, 50), 1, np.uint8)
    restarted.write_snapshot(restarted.prediction_snapshot(0, prediction, None, "model"))
    reopened, warnings = Project(folder).load_document(0)
    assert (reopened.labels == 1).all() and warnings == []
