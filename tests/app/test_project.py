"""Saving and loading: label PNG + sidecar beside the images, atomic writes, bad files."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.document import ImageState, Project
from app.document.editor import Editor
from app.document.saver import SaveQueue
from srcrm.base.io import ImageReadError, read_label_png

ROOT = Path(__file__).resolve().parents[2]


def write_image(path, h=60, w=80, seed=0):
    img = np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)
    cv2.imwrite(str(path), img)
    return path


@pytest.fixture
def folder(tmp_path):
    for i, name in enumerate(["img10.png", "img2.png", "img1.jpg"]):
        write_image(tmp_path / name, seed=i)
    (tmp_path / "notes.txt").write_text("not an image")
    return tmp_path


def paint(doc, cls=4, at=(20, 20), size=9):
    ed = Editor()
    ed.set_document(doc)
    ed.set_class(cls)
    ed.set_brush_size(size)
    ed.press(*at)
    ed.release()


def test_folder_lists_images_in_natural_order_all_new(folder):
    project = Project(folder)
    assert [e.path.name for e in project.entries] == ["img1.jpg", "img2.png", "img10.png"]
    assert all(e.state == ImageState.NEW for e in project.entries)
    assert project.label_dir == folder.resolve() / ".srcrm"


def test_save_writes_class_id_png_and_sidecar_and_reloads_identically(folder):
    project = Project(folder)
    doc, warnings = project.load_document(1)
    assert warnings == [] and (doc.labels == doc.classes.ignore_index).all()
    paint(doc, cls=4)
    project.save_document(doc)

    png = project.label_path(doc.path)
    assert png.name == "img2.png" and png.parent.name == ".srcrm"
    np.testing.assert_array_equal(read_label_png(png), doc.labels)
    side = json.loads(project.sidecar_path(doc.path).read_text())
    assert side["state"] == "edited" and side["image"] == "img2.png"
    assert side["width"] == 80 and side["height"] == 60
    assert [c["name"] for c in side["classes"]][:2] == ["sky", "building"]
    assert side["ignore_index"] == 11

    again = Project(folder)
    assert again.entries[1].state == ImageState.EDITED
    doc2, _ = again.load_document(1)
    np.testing.assert_array_equal(doc2.labels, doc.labels)


def test_prediction_with_confidence_round_trips(folder):
    project = Project(folder)
    doc, _ = project.load_document(0)
    conf = np.linspace(0, 1, doc.labels.size, dtype=np.float32).reshape(doc.shape)
    doc.set_prediction(np.full(doc.shape, 2, np.uint8), conf, "tiny")
    project.save_document(doc)
    doc2, _ = Project(folder).load_document(0)
    assert doc2.state == ImageState.PRELABELLED and doc2.model == "tiny"
    assert np.abs(doc2.confidence - conf).max() <= 1 / 255


def test_wrong_size_label_png_is_reported_and_kept(folder):
    project = Project(folder)
    wrong = np.full((10, 10), 3, np.uint8)
    project.label_dir.mkdir()
    cv2.imwrite(str(project.label_path(project.entries[0].path)), wrong)
    doc, warnings = project.load_document(0)
    assert len(warnings) == 1 and "10x10" in warnings[0] and "80x60" in warnings[0]
    assert doc.state == ImageState.NEW
    kept = [p for p in project.label_dir.iterdir() if "wrong-size" in p.name]
    assert len(kept) == 1 and (read_label_png(kept[0]) == 3).all()  # the user's file survives


def test_corrupt_label_png_and_corrupt_image(folder):
    project = Project(folder)
    project.label_dir.mkdir()
    project.label_path(project.entries[0].path).write_bytes(b"\x89PNG garbage")
    doc, warnings = project.load_document(0)
    assert "could not be read" in warnings[0]
    (folder / "img2.png").write_bytes(b"not really a png")
    with pytest.raises(ImageReadError, match="img2.png"):
        project.load_document(1)


def test_a_failed_save_leaves_the_previous_file_valid(folder, monkeypatch):
    project = Project(folder)
    doc, _ = project.load_document(0)
    paint(doc, cls=1)
    project.save_document(doc)
    saved = read_label_png(project.label_path(doc.path))
    paint(doc, cls=2, at=(40, 40))

    real_fsync = os.fsync

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        project.save_document(doc)
    monkeypatch.setattr(os, "fsync", real_fsync)
    np.testing.assert_array_equal(read_label_png(project.label_path(doc.path)), saved)
    assert not [p for p in project.label_dir.iterdir() if p.name.endswith(".tmp")]


KILL_SCRIPT = textwrap.dedent("""
    import sys, numpy as np
    sys.path.insert(0, sys.argv[2])
    from app.document import Project
    project = Project(sys.argv[1])
    doc, _ = project.load_document(0)
    v = 0
    print("ready", flush=True)
    while True:
        v += 1
        doc.labels[...] = np.random.default_rng(v).integers(0, 11, doc.shape, dtype=np.uint8)
        doc.labels[0, :3] = (v % 11, v // 11 % 11, v // 121 % 11)  # the version, readable back
        doc.set_state(doc.state.__class__("edited"))
        project.save_document(doc)
""")


def test_kill_during_saves_leaves_a_valid_previous_or_new_file(tmp_path):
    write_image(tmp_path / "big.png", h=1200, w=1600)
    project = Project(tmp_path)
    doc, _ = project.load_document(0)
    project.save_document(doc)  # version 0: all unlabelled
    versions = {0: doc.labels.copy()}
    script = tmp_path / "saver.py"
    script.write_text(KILL_SCRIPT)
    rng = np.random.default_rng(7)
    for _attempt in range(3):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(tmp_path), str(ROOT)], stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(float(rng.uniform(0.2, 0.6)))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        labels = read_label_png(project.label_path(tmp_path / "big.png"))  # must be readable
        v = (
            0
            if (labels == 11).all()
            else int(labels[0, 0]) + 11 * int(labels[0, 1]) + 121 * int(labels[0, 2])
        )
        if v in versions:
            expected = versions[v]
        else:
            expected = np.random.default_rng(v).integers(0, 11, labels.shape, dtype=np.uint8)
            expected[0, :3] = labels[0, :3]
        np.testing.assert_array_equal(labels, expected, "the label PNG is no version ever saved")
        json.loads(project.sidecar_path(tmp_path / "big.png").read_text())  # valid JSON
        if v:
            assert Project(tmp_path).entries[0].state == ImageState.EDITED


def test_save_queue_coalesces_and_reports_errors():
    q = SaveQueue()
    done, failed = [], []
    q.saved.connect(done.append)
    q.failed.connect(lambda key, exc: failed.append((key, str(exc))))
    gate = __import__("threading").Event()
    q.submit("a", gate.wait)
    for k in range(5):
        q.submit("b", lambda k=k: done.append(("b", k)))
    q.submit("c", lambda: 1 / 0)
    gate.set()
    assert q.flush(5)
    assert ("b", 4) in done and not any(d == ("b", 0) for d in done)
    assert failed and failed[0][0] == "c"
    q.close()


def test_a_crash_between_png_and_sidecar_is_taken_as_human_work(folder):
    project = Project(folder)
    doc, _ = project.load_document(0)
    doc.set_prediction(np.full(doc.shape, 2, np.uint8), None, "m")
    project.save_document(doc)
    assert Project(folder).entries[0].state == ImageState.PRELABELLED
    # The user's next save got the new PNG on disk, then the power went.
    edited = np.full(doc.shape, 5, np.uint8)
    png = project.label_path(doc.path)
    png.write_bytes(cv2.imencode(".png", edited)[1].tobytes())
    assert Project(folder).entries[0].state == ImageState.EDITED  # newer than its sidecar
    side = project.sidecar_path(doc.path)
    os.utime(png, ns=(side.stat().st_atime_ns, side.stat().st_mtime_ns))  # same time: hash decides
    again = Project(folder)
    assert again.entries[0].state == ImageState.PRELABELLED
    doc2, _ = again.load_document(0)
    assert doc2.state == ImageState.EDITED and (doc2.labels == 5).all()
    assert again.entries[0].state == ImageState.EDITED
