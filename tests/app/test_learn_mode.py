"""Learn-as-you-go mode in the window, on a folder: the Model menu's switch and its K, the update
that starts after K images marked done, a kept update (a version, the model in use, the
untouched images pre-labelled again, an edited image never overwritten, even one edited while
the update ran), a dropped one (a one-line notice, nothing changed) and Cancel.

The child here is a stand-in for ``srcrm learn`` (same arguments, same JSON lines, SIGTERM
answered the same way), so these tests say what the app does with what the engine decides;
``test_learn_real_child.py`` runs the real one."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from app_test_helpers import FakePredictor
from test_finetune_staging import make_labelled_project

from app.document.label_document import ImageState
from app.document.model_versions import ModelVersions
from app.learning.child import LearnCommand
from srcrm.base.io import read_label_png

STUB = r"""
import json, os, signal, sys, time
from pathlib import Path

import cv2
import numpy as np

args = sys.argv[1:]
def opt(name):
    return args[args.index(name) + 1] if name in args else None

def names(path):
    return [line.strip() for line in Path(path).read_text().splitlines() if line.strip()]

data, out = Path(opt("--data")), Path(opt("--out"))
order, keep = names(opt("--order")), set(names(opt("--keep")))
done = [n for n in order if (data / "labels" / f"{n}.png").is_file()]
behaviour = os.environ.get("LEARN_STUB", "accept")
log = Path(os.environ["LEARN_STUB_LOG"])
asked = {"argv": args, "done": done, "keep": sorted(keep), "order": order, "pid": os.getpid()}
log.write_text(json.dumps(asked))

def say(**event):
    print(json.dumps(event), flush=True)

def on_term(*_):
    with log.open("a") as f:
        f.write("\nSIGTERM")
    say(kind="cancelled", message="learning cancelled before the update was kept; nothing was written")
    sys.exit(130)

signal.signal(signal.SIGTERM, on_term)
say(kind="train", fraction=0.5)
if behaviour == "fail":
    print("Traceback: something deep in torch", file=sys.stderr, flush=True)
    say(kind="error", message="not enough memory to train")
    sys.exit(1)
if behaviour == "hang":
    while True:
        time.sleep(0.05)
accept = behaviour == "accept"
KEPT = ("kept the update: 8.0% of the pixels and 4 regions to fix on images it did not train on, "
        "against 10.0% of the pixels and 5 regions")
DROPPED = ("kept the model in use: on your newest image the update would leave 12.0% of the pixels "
           "and 6 regions to fix, against 10.0% of the pixels and 5 regions")
reason = KEPT if accept else DROPPED
summary = dict(accepted=accept, reason=reason, trained_on=done[:-1], held_out=done[-1:], error_before=0.1,
               error_after=0.08 if accept else 0.12, regions_before=5, regions_after=4 if accept else 6,
               steps=12, seconds=1.0, model="", relabelled=[])
if accept:
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.pt").write_bytes(b"a stand-in model")
say(kind="train", fraction=1.0)
say(kind="done", fraction=1.0, summary={**summary, "message": reason})
if not accept:
    sys.exit(0)
gate = os.environ.get("LEARN_STUB_GATE")
if gate:
    deadline = time.time() + 60
    while not Path(gate).exists() and time.time() < deadline:
        time.sleep(0.02)
todo = [n for n in order if n not in done and n not in keep]
(out / "prelabels").mkdir(parents=True, exist_ok=True)
for i, name in enumerate(todo):
    image = next((data / "images").glob(f"{name}.*"))
    h, w = cv2.imread(str(image)).shape[:2]
    cv2.imwrite(str(out / "prelabels" / f"{name}.png"), np.full((h, w), 2, np.uint8))
    cv2.imwrite(str(out / "prelabels" / f"{name}.confidence.png"), np.full((h, w), 200, np.uint8))
    say(kind="relabel", fraction=(i + 1) / len(todo), name=name)
"""

SIDEWALK = 2  # what the stand-in pre-labels every pixel as


@pytest.fixture
def stub_child(tmp_path, monkeypatch):
    """The stand-in replaces ``python -m srcrm learn``; returns its log file (what it was
    asked, and "SIGTERM" when it got one). ``LEARN_STUB``: accept (default), reject, hang."""
    script = tmp_path / "learn_stub.py"
    script.write_text(STUB)
    log = tmp_path / "learn_stub.log"
    argv = LearnCommand.argv
    monkeypatch.setattr(LearnCommand, "argv", lambda self: [sys.executable, str(script), *argv(self)[4:]])
    monkeypatch.setenv("LEARN_STUB_LOG", str(log))
    return log


def stub_said(log: Path) -> dict:
    return json.loads(log.read_text().split("\nSIGTERM")[0])


def learning_folder(tmp_path: Path, n: int = 8) -> Path:
    return make_labelled_project(tmp_path / "shots", [ImageState.NEW] * n)


def mark_done(window, qtbot, index: int) -> None:
    """Open image ``index``, wait for its pre-label, mark it done (Ctrl+Enter)."""
    assert window.session.open_document(index)
    qtbot.waitUntil(lambda: window.doc.state != ImageState.NEW, timeout=10000)
    assert window.commands.run("image.done")
    assert window.doc.state == ImageState.DONE


def wait_learned(qtbot, window, timeout=30000) -> None:
    qtbot.waitUntil(lambda: window.learning.run is None, timeout=timeout)
    window.flush_saves()


def labels_of(window, index: int) -> np.ndarray:
    project = window.project
    return read_label_png(project.label_path(project.entries[index].path))


def digest(folder: Path) -> str:
    files = sorted(p for p in (folder / ".srcrm").rglob("*") if p.is_file() and p.name != "project.json")
    h = hashlib.sha256()
    for p in files:
        h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


# --- the switch -------------------------------------------------------------------------------


def test_the_switch_is_on_for_more_than_a_handful_and_the_person_decides(make_window, tmp_path):
    few = make_labelled_project(tmp_path / "few", [ImageState.NEW] * 3)
    window = make_window(few, predictor=FakePredictor())
    learn = window.commands["model.learn"]
    action = window.menus.action("model.learn")
    assert learn.menu == "model" and action.isCheckable()
    assert not learn.checked() and not action.isChecked()  # three images: off by default
    window.session.open_path(learning_folder(tmp_path))
    assert learn.checked() and action.isChecked()  # eight: on
    assert window.commands.run("model.learn")
    assert not window.learning.active and not action.isChecked()  # the person's word stands
    window.session.open_path(few)
    assert not window.learning.active
    assert window.commands.run("model.learn") and window.learning.active
    # K: the engine's default until chosen, and a choice is remembered.
    every = window.commands.menu("model.learn_every").fill()
    from srcrm.train.learning import LearnConfig

    assert [c.text() for c in every if c.checked()] == [f"{LearnConfig().every} Done Images"]
    next(c for c in every if c.text() == "2 Done Images").run()
    assert window.learning.every == 2 and window.settings.learn_every() == 2


# --- an update, kept --------------------------------------------------------------------------


def test_after_k_done_images_a_kept_update_becomes_a_version_and_relabels_the_untouched(
    make_window, tmp_path, qtbot, stub_child
):
    folder = learning_folder(tmp_path)
    window = make_window(folder, predictor=FakePredictor())
    assert window.learning.active and window.learning.every == 4
    # An image the person edited (and left): never pre-labelled again.
    assert window.session.open_document(6)
    qtbot.waitUntil(lambda: window.doc.state == ImageState.PRELABELLED, timeout=10000)
    window.doc.set_state(ImageState.EDITED)
    window.session.autosave()
    for index in range(3):
        mark_done(window, qtbot, index)
    assert window.learning.run is None  # three of four: not yet
    edited_before = labels_of(window, 6)
    mark_done(window, qtbot, 3)  # the fourth
    run = window.learning.run
    assert run is not None
    assert window.status.cancel_button.isVisible()  # its progress and Cancel are the status view's
    wait_learned(qtbot, window)
    asked = stub_said(stub_child)
    assert asked["done"] == ["shot_00", "shot_01", "shot_02", "shot_03"]  # in the order marked
    # The images nobody touched, in the order the person will visit them (after the open one).
    assert asked["order"][4:] == ["shot_04", "shot_05", "shot_06", "shot_07"]
    assert set(asked["keep"]) >= {"shot_03", "shot_06"}  # on screen, edited
    # A version, now in use.
    registry = ModelVersions.for_label_dir(folder / ".srcrm")
    assert [v.id for v in registry.list()] == ["v1"] and registry.current == "v1"
    version = registry.get("v1")
    assert version.train_names == ["shot_00", "shot_01", "shot_02"] and version.holdout_names == ["shot_03"]
    assert window.session.model_path == str(registry.file_of("v1"))
    # Untouched images re-labelled; edited and done ones as the person left them.
    for index in (4, 5, 7):
        assert (labels_of(window, index) == SIDEWALK).all(), index
        assert window.project.entries[index].state == ImageState.PRELABELLED
    np.testing.assert_array_equal(labels_of(window, 6), edited_before)
    for index in range(4):
        assert not (labels_of(window, index) == SIDEWALK).all()
    # The status says what happened, in the engine's words.
    text = window.notice.text
    assert text.startswith("Learned from 3 of your images; 3 images re-labelled; about 20% fewer pixels")
    assert "now using v1" in text
    assert "Learning" not in window.status.job_label.text() or not window.status.job_label.isVisible()


def test_an_image_edited_while_learning_ran_keeps_the_persons_work(
    make_window, tmp_path, qtbot, stub_child, monkeypatch
):
    gate = tmp_path / "go"
    monkeypatch.setenv("LEARN_STUB_GATE", str(gate))  # the stand-in waits before re-labelling
    folder = learning_folder(tmp_path)
    window = make_window(folder, predictor=FakePredictor())
    for index in range(4):
        mark_done(window, qtbot, index)
    assert window.learning.run is not None
    qtbot.waitUntil(lambda: stub_child.exists(), timeout=20000)
    assert "shot_05" not in stub_said(stub_child)["keep"]  # untouched when the update started
    # Meanwhile the person edits shot_05 and moves on.
    assert window.session.open_document(5)
    qtbot.waitUntil(lambda: window.doc.state == ImageState.PRELABELLED, timeout=10000)
    doc = window.doc
    editor = window.session.editor
    editor.set_class(4)
    editor.press(20, 20)
    editor.move(60, 40)
    editor.release()
    assert doc.state == ImageState.EDITED
    assert window.session.open_document(7)
    window.flush_saves()
    mine = labels_of(window, 5)
    gate.write_text("go")
    wait_learned(qtbot, window)
    np.testing.assert_array_equal(labels_of(window, 5), mine)
    assert window.project.entries[5].state == ImageState.EDITED
    assert (labels_of(window, 4) == SIDEWALK).all()
    assert not (labels_of(window, 7) == SIDEWALK).all()  # on screen when its pre-label came
    assert "; 1 image you edited meanwhile kept as you left them" in window.notice.text


# --- an update, dropped -----------------------------------------------------------------------


def test_a_dropped_update_says_why_in_one_line_and_changes_nothing(
    make_window, tmp_path, qtbot, stub_child, monkeypatch
):
    monkeypatch.setenv("LEARN_STUB", "reject")
    folder = learning_folder(tmp_path)
    window = make_window(folder, predictor=FakePredictor())
    for index in range(3):
        mark_done(window, qtbot, index)
    window.flush_saves()
    model_before = window.session.model_path
    mark_done(window, qtbot, 3)
    window.flush_saves()
    before = digest(folder)
    wait_learned(qtbot, window)
    text = window.notice.text
    assert text.startswith("Learning: kept the model in use: on your newest image") and "\n" not in text
    assert window.session.model_path == model_before
    assert not (folder / ".srcrm" / "models" / "versions.json").exists()
    assert digest(folder) == before


def test_a_failed_update_says_so_and_changes_nothing(make_window, tmp_path, qtbot, stub_child, monkeypatch):
    monkeypatch.setenv("LEARN_STUB", "fail")
    folder = learning_folder(tmp_path)
    window = make_window(folder, predictor=FakePredictor())
    for index in range(4):
        mark_done(window, qtbot, index)
    window.flush_saves()
    before = digest(folder)
    wait_learned(qtbot, window)
    assert window.notice.level == "warning"
    assert window.notice.text.startswith("Learning stopped: not enough memory to train")
    assert "unchanged" in window.notice.text
    assert not (folder / ".srcrm" / "models").exists() and digest(folder) == before


# --- cancel -----------------------------------------------------------------------------------


def test_cancel_in_the_status_view_stops_the_child_and_keeps_everything(
    make_window, tmp_path, qtbot, stub_child, monkeypatch
):
    monkeypatch.setenv("LEARN_STUB", "hang")
    folder = learning_folder(tmp_path)
    window = make_window(folder, predictor=FakePredictor())
    for index in range(4):
        mark_done(window, qtbot, index)
    qtbot.waitUntil(lambda: stub_child.exists(), timeout=20000)
    # The training's seconds against its budget (the engine's 60 s), in the status view.
    qtbot.waitUntil(lambda: "seconds 30/60" in window.status.job_label.text(), timeout=20000)
    assert window.status.job_label.text() == "Learning from 4 done images · seconds 30/60"
    assert window.status.progress_bar.format() == "Learning 30/60" and window.status.cancel_button.isVisible()
    window.flush_saves()
    before = digest(folder)
    window.status.cancel_button.click()
    wait_learned(qtbot, window)
    assert stub_child.read_text().endswith("SIGTERM")
    assert "Learning cancelled" in window.statusBar().currentMessage()
    assert not (folder / ".srcrm" / "models").exists()
    assert digest(folder) == before
    assert [e.state for e in window.project.entries[:4]] == [ImageState.DONE] * 4


def test_closing_the_window_or_the_folder_stops_the_child(
    make_window, tmp_path, qtbot, stub_child, monkeypatch
):
    monkeypatch.setenv("LEARN_STUB", "hang")
    folder = learning_folder(tmp_path)
    window = make_window(folder, predictor=FakePredictor())
    for index in range(4):
        mark_done(window, qtbot, index)
    qtbot.waitUntil(lambda: stub_child.exists(), timeout=20000)
    scratch = Path(window.learning.run.scratch.name)
    # Another folder: the update stops and nothing of it reaches either folder.
    window.session.open_path(make_labelled_project(tmp_path / "other", [ImageState.NEW] * 2))
    wait_learned(qtbot, window)
    assert stub_child.read_text().endswith("SIGTERM") and not scratch.exists()
    # The window closing: the same.
    window.session.open_path(folder)
    window.learning.set_every(1)
    stub_child.unlink()
    mark_done(window, qtbot, 5)
    qtbot.waitUntil(lambda: stub_child.exists(), timeout=20000)
    pid = stub_said(stub_child)["pid"]
    started = time.monotonic()
    window.close()
    assert stub_child.read_text().endswith("SIGTERM")
    assert time.monotonic() - started < 15
    assert ModelVersions.for_label_dir(folder / ".srcrm").list() == []
    assert states_on_disk(folder)[:4] == [ImageState.DONE] * 4 and pid


def states_on_disk(folder: Path) -> list[ImageState]:
    from app.document.project import Project

    return [e.state for e in Project(folder).entries]
