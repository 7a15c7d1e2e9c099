"""File > Export and File > Import as a user drives them (offscreen Qt, pytest-qt): what gets
written reads back with the engine's readers, and an import is one undo step."""

from __future__ import annotations

import json
import threading
import time
import xml.etree.ElementTree as ET

import cv2
import numpy as np
import pytest
import yaml
from app_test_helpers import FakePredictor, drag, key
from PIL import Image
from PySide6 import QtCore, QtWidgets

from app.document import ImageState
from app.document.classes import ClassTable
from app.io_actions import folder_export
from srcrm.base.io import read_label_png
from srcrm.data.labelsets import LabelSet
from srcrm.formats import cityscapes, coco, labelme, masks

Qt = QtCore.Qt
CAMVID = ClassTable.default()
LABELSET = LabelSet("camvid", tuple(CAMVID.names), tuple(CAMVID.colors), CAMVID.ignore_index)


# --- helpers ----------------------------------------------------------------------------------


class Answers:
    """What the stubbed file and option dialogs answer, and what they were asked."""

    def __init__(self, dialogs):
        self.save = self.open = self.folder = None
        self.options: dict = {}
        self.asked: list[tuple[str, tuple, list]] = []  # (title, fields, class ids offered)
        self.offered = []  # the options each dialog opened with
        dialogs.save_file = lambda parent, title, start, flt: self.save
        dialogs.open_file = lambda parent, title, start, flt: self.open
        dialogs.export_folder = lambda parent, title, start: self.folder
        dialogs.export_options = self._options

    def _options(self, parent, title, options, fields, classes=(), total_pixels=1):
        self.asked.append((title, tuple(fields), [c.id for c in classes]))
        self.offered.append(options)
        return options.with_(**self.options)


@pytest.fixture
def answers(dialogs):
    return Answers(dialogs)


def find_action(menu: QtWidgets.QMenu, *path: str):
    """The menu entry at ``path`` (submenu titles, then the entry), as the user sees it once
    the menu opens."""
    menu.aboutToShow.emit()
    *submenus, title = path
    for name in submenus:
        menu = next(a.menu() for a in menu.actions() if a.menu() is not None and a.text() == name)
    return next(a for a in menu.actions() if a.text() == title)


def trigger(menu, *path):
    action = find_action(menu, *path)
    assert action.isEnabled(), f"{' > '.join(path)} is greyed out"
    action.trigger()


def open_prelabelled(make_window, qtbot, path):
    window = make_window(path, predictor=FakePredictor())
    qtbot.waitUntil(
        lambda: (
            window.doc is not None and window.doc.state == ImageState.PRELABELLED and not window.model.busy
        ),
        timeout=30000,
    )
    return window


def paint(window, cls, a, b, size=21):
    """A brush stroke of class ``cls`` from image point ``a`` to ``b``."""
    window.editor.set_class(cls)
    window.editor.set_brush_size(size)
    drag(window.canvas, [QtCore.QPointF(window.canvas.image_to_widget(*p)) for p in (a, b)])


def wait_saved(qtbot, window):
    qtbot.waitUntil(lambda: window.saver.idle, timeout=10000)


# --- the menus --------------------------------------------------------------------------------


def test_the_menus_list_the_formats_and_grey_out_what_cannot_run(make_window, image_folder, qtbot):
    window = make_window(image_folder / "frame_03.png")  # the corrupt one: no image open
    assert window.doc is None
    assert not find_action(window.menus.menu("file.export"), "Current Image As").isEnabled()
    assert not find_action(window.menus.menu("file.export"), "Folder as COCO JSON…").isEnabled()
    assert not find_action(window.menus.menu("file.import"), "PNG Mask (indexed or greyscale)…").isEnabled()

    key(window, Qt.Key.Key_A)  # frame_02 opens (pre-labelling needs no model here: none)
    assert window.doc is not None
    titles = [
        a.text() for a in find_action(window.menus.menu("file.export"), "Current Image As").menu().actions()
    ]
    assert titles == [
        "labelme JSON…",
        "VOC Palette PNG…",
        "Cityscapes Files…",
        "YOLO Segmentation…",
        "PNG Mask (indexed or greyscale)…",
    ]  # the engine's table of formats
    for title in ("Cut-out of a Class (RGBA PNG)…", "SVG Path of a Class…"):
        assert find_action(window.menus.menu("file.export"), title).isEnabled()
    assert [a.text() for a in window.menus.menu("file.import").actions()] == [
        "labelme JSON…",
        "VOC Palette PNG…",
        "Cityscapes Files…",
        "YOLO Segmentation…",
        "COCO JSON (this image)…",
        "PNG Mask (indexed or greyscale)…",
    ]
    # Nothing labelled yet: no COCO export of the folder.
    assert not find_action(window.menus.menu("file.export"), "Folder as COCO JSON…").isEnabled()


# --- exports of the open image ----------------------------------------------------------------


def test_labelme_export_reads_back_the_same_labels(make_window, image_folder, answers, tmp_path, qtbot):
    window = open_prelabelled(make_window, qtbot, image_folder / "frame_00.png")
    paint(window, 8, (30, 30), (120, 100))  # a car across all three bands
    window.editor.set_tool("eraser")
    paint(window, 0, (60, 60), (60, 60))  # and an unlabelled hole in it
    assert (window.doc.labels == CAMVID.ignore_index).any()
    doc = window.doc
    answers.save = tmp_path / "out" / "frame_00.json"
    answers.options = {"tolerance": 0.0}
    trigger(window.menus.menu("file.export"), "Current Image As", "labelme JSON…")

    assert answers.asked[0][1] == ("tolerance", "min_area", "embed_image")
    assert answers.offered[0].tolerance == 1.0  # the default simplification
    assert window.notice.level == "info" and "frame_00.json" in window.notice.text
    sample = labelme.read(answers.save, LABELSET)
    np.testing.assert_array_equal(sample.labels, doc.labels)
    assert sample.image.resolve() == doc.path  # imagePath points at the image
    data = json.loads(answers.save.read_text())
    assert {s["label"] for s in data["shapes"]} >= {"sky", "building", "road", "car"}

    # The dialog opens with the last choice; tolerance 1 thins the staircase of pixel edges.
    answers.options = {"tolerance": 1.0}
    answers.save = tmp_path / "out" / "simplified.json"
    trigger(window.menus.menu("file.export"), "Current Image As", "labelme JSON…")
    assert answers.offered[1].tolerance == 0.0
    points = lambda p: sum(len(s["points"]) for s in json.loads(p.read_text())["shapes"])  # noqa: E731
    assert points(answers.save) < points(tmp_path / "out" / "frame_00.json")


def test_save_dialogs_start_beside_the_images_or_where_the_last_export_went_never_in_the_install(
    make_window, image_folder, dialogs, tmp_path, qtbot
):
    from app.settings import SAMPLE_IMAGE, SAMPLES_DIR

    starts = []
    dialogs.save_file = lambda parent, title, start, flt: (
        starts.append(start) or tmp_path / "out" / start.name
    )
    dialogs.export_options = lambda parent, title, options, *a, **k: options
    (tmp_path / "out").mkdir()
    window = open_prelabelled(make_window, qtbot, SAMPLE_IMAGE)  # the bundled sample
    trigger(window.menus.menu("file.export"), "Current Image As", "labelme JSON…")
    install = SAMPLES_DIR.resolve().parent
    assert install not in starts[0].resolve().parents, "the dialog opened inside the install"
    assert (tmp_path / "out" / starts[0].name).is_file()
    trigger(window.menus.menu("file.export"), "Current Image As", "labelme JSON…")
    assert starts[1].parent == tmp_path / "out"  # where the last one went
    window.session.open_path(image_folder)
    window.close()
    again = make_window(image_folder / "frame_00.png", predictor=FakePredictor())
    trigger(again.menus.menu("file.export"), "Current Image As", "labelme JSON…")
    assert starts[2].parent == tmp_path / "out"  # remembered across runs


def test_cutout_is_opaque_exactly_on_the_chosen_class(make_window, image_folder, answers, tmp_path, qtbot):
    window = open_prelabelled(make_window, qtbot, image_folder / "frame_00.png")
    doc = window.doc
    answers.save = tmp_path / "building.png"
    answers.options = {"class_id": 1, "feather": 0.0, "crop": False}
    trigger(window.menus.menu("file.export"), "Cut-out of a Class (RGBA PNG)…")

    title, fields, offered = answers.asked[0]
    assert fields == ("class", "feather", "crop") and offered == [0, 1, 3]  # classes present
    bgra = cv2.imread(str(answers.save), cv2.IMREAD_UNCHANGED)
    assert bgra.shape == (*doc.shape, 4)
    alpha = bgra[..., 3]
    np.testing.assert_array_equal(alpha, np.where(doc.labels == 1, 255, 0))
    rgb = cv2.cvtColor(bgra[..., :3], cv2.COLOR_BGR2RGB)
    np.testing.assert_array_equal(rgb[alpha > 0], doc.image[alpha > 0])

    # Feathered: soft along the edge, still opaque inside and clear far away.
    answers.save = tmp_path / "soft.png"
    answers.options = {"class_id": 1, "feather": 4.0, "crop": False}
    trigger(window.menus.menu("file.export"), "Cut-out of a Class (RGBA PNG)…")
    soft = cv2.imread(str(answers.save), cv2.IMREAD_UNCHANGED)[..., 3]
    assert (soft[50:70] == 255).all() and (soft[:25] == 0).all() and (soft[95:] == 0).all()
    assert ((soft > 0) & (soft < 255)).any()


def test_svg_voc_cityscapes_and_yolo_exports(make_window, image_folder, answers, tmp_path, qtbot):
    window = open_prelabelled(make_window, qtbot, image_folder / "frame_00.png")
    paint(window, 8, (40, 60), (110, 60))
    doc = window.doc
    answers.options = {"tolerance": 0.0, "class_id": 8}

    answers.save = tmp_path / "car.svg"
    trigger(window.menus.menu("file.export"), "SVG Path of a Class…")
    paths = ET.parse(answers.save).getroot().findall("{http://www.w3.org/2000/svg}path")
    assert [p.get("id") for p in paths] == ["class-8"]

    answers.save = tmp_path / "voc.png"
    trigger(window.menus.menu("file.export"), "Current Image As", "VOC Palette PNG…")
    assert Image.open(answers.save).mode == "P"
    np.testing.assert_array_equal(masks.read(answers.save, LABELSET).labels, doc.labels)

    answers.folder = tmp_path / "cityscapes"
    answers.folder.mkdir()
    trigger(window.menus.menu("file.export"), "Current Image As", "Cityscapes Files…")
    # CamVid's classes are Cityscapes labels (tree is vegetation...): the files carry those ids.
    files = answers.folder / "gtFine" / "default" / "frame"  # the layout its scripts expect
    np.testing.assert_array_equal(
        cityscapes.read(files / "frame_00_gtFine_labelIds.png", LABELSET).labels, doc.labels
    )

    (tmp_path / "yolo" / "labels").mkdir(parents=True)
    answers.save = tmp_path / "yolo" / "labels" / "frame_00.txt"
    trigger(window.menus.menu("file.export"), "Current Image As", "YOLO Segmentation…")
    classes = {int(line.split()[0]) for line in answers.save.read_text().splitlines()}
    assert classes == {0, 1, 3, 8}
    data = yaml.safe_load((tmp_path / "yolo" / "data.yaml").read_text())
    assert data["names"][8] == "car" and data["nc"] == 11

    # An export never writes over one of the images being labelled.
    before = doc.path.read_bytes()
    answers.save = doc.path
    trigger(window.menus.menu("file.export"), "Current Image As", "VOC Palette PNG…")
    assert window.notice.level == "warning" and "being labelled" in window.notice.text
    assert doc.path.read_bytes() == before


# --- imports into the open image --------------------------------------------------------------


def test_png_mask_import_is_one_undo_step(make_window, image_folder, answers, tmp_path, qtbot):
    window = open_prelabelled(make_window, qtbot, image_folder / "frame_00.png")
    doc = window.doc
    before = doc.labels.tobytes()
    steps = len(doc.undo_stack)
    mask = np.full(doc.shape, 5, np.uint8)  # tree
    mask[20:60, 30:90] = 8  # a car
    mask[70:, :40] = 255  # void: unlabelled
    answers.open = tmp_path / "mask.png"
    cv2.imwrite(str(answers.open), mask)
    trigger(window.menus.menu("file.import"), "PNG Mask (indexed or greyscale)…")

    expected = np.where(mask == 255, CAMVID.ignore_index, mask)
    np.testing.assert_array_equal(doc.labels, expected)
    assert len(doc.undo_stack) == steps + 1 and doc.state == ImageState.EDITED
    assert window.image_list.tree.topLevelItem(0).text(1) == "edited"
    assert "Import" in window.menus.action("edit.undo").text()
    wait_saved(qtbot, window)  # autosaved
    np.testing.assert_array_equal(read_label_png(window.project.label_path(doc.path)), expected)

    key(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert doc.labels.tobytes() == before
    assert doc.state == ImageState.PRELABELLED
    wait_saved(qtbot, window)
    assert read_label_png(window.project.label_path(doc.path)).tobytes() == before


def test_voc_export_imports_back_as_an_indexed_mask(make_window, image_folder, answers, tmp_path, qtbot):
    window = open_prelabelled(make_window, qtbot, image_folder / "frame_00.png")
    paint(window, 9, (20, 20), (140, 110))
    painted = window.doc.labels.copy()
    answers.save = tmp_path / "labels.png"
    trigger(window.menus.menu("file.export"), "Current Image As", "VOC Palette PNG…")
    key(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not np.array_equal(window.doc.labels, painted)
    answers.open = answers.save
    trigger(window.menus.menu("file.import"), "PNG Mask (indexed or greyscale)…")
    np.testing.assert_array_equal(window.doc.labels, painted)


def _malformed_labelme(path):
    path.write_text('{"version": "5.5.0", "shapes": [{"label": "car", "points": [[1, 2],')


def _unknown_class(path):
    shape = {"label": "unicorn", "points": [[10, 10], [50, 10], [50, 40]], "shape_type": "polygon"}
    path.write_text(json.dumps({"shapes": [shape], "imageHeight": 120, "imageWidth": 160}))


def _wrong_size_mask(path):
    cv2.imwrite(str(path), np.zeros((60, 80), np.uint8))


def _colour_png(path):
    cv2.imwrite(str(path), np.zeros((120, 160, 3), np.uint8) + 40)


@pytest.mark.parametrize(
    "make_file, name, menu_entry, reason",
    [
        (_malformed_labelme, "broken.json", "labelme JSON…", "not valid JSON"),
        (_unknown_class, "unicorn.json", "labelme JSON…", "unknown class 'unicorn'"),
        (_wrong_size_mask, "small.png", "PNG Mask (indexed or greyscale)…", "80x60"),
        (_colour_png, "photo.png", "PNG Mask (indexed or greyscale)…", "not a mask"),
    ],
)
def test_a_bad_file_shows_an_error_and_leaves_the_labels(
    make_window, image_folder, answers, tmp_path, qtbot, make_file, name, menu_entry, reason
):
    window = open_prelabelled(make_window, qtbot, image_folder / "frame_00.png")
    doc = window.doc
    before, steps = doc.labels.tobytes(), len(doc.undo_stack)
    answers.open = tmp_path / name
    make_file(answers.open)
    trigger(window.menus.menu("file.import"), menu_entry)
    assert window.notice.isVisible() and window.notice.level == "error"
    assert name in window.notice.text and reason in window.notice.text
    assert "unchanged" in window.notice.text
    assert doc.labels.tobytes() == before and len(doc.undo_stack) == steps
    assert doc.state == ImageState.PRELABELLED


# --- the folder as COCO -----------------------------------------------------------------------


def _label_two_of_three(make_window, image_folder, qtbot):
    """frame_00 edited, frame_01 pre-labelled (open), frame_02 never opened (new)."""
    window = open_prelabelled(make_window, qtbot, image_folder / "frame_00.png")
    paint(window, 8, (30, 30), (120, 100))
    key(window, Qt.Key.Key_D)
    qtbot.waitUntil(
        lambda: window.doc.path.name == "frame_01.png" and window.doc.state == ImageState.PRELABELLED,
        timeout=30000,
    )
    wait_saved(qtbot, window)
    states = [e.state for e in window.project.entries]
    assert states[:3] == [ImageState.EDITED, ImageState.PRELABELLED, ImageState.NEW]
    return window


def test_coco_folder_export_has_one_image_per_labelled_image(
    make_window, image_folder, answers, qtbot, monkeypatch
):
    threads = []
    real = folder_export.polygonize
    monkeypatch.setattr(
        folder_export,
        "polygonize",
        lambda *a, **k: (threads.append(threading.current_thread()), real(*a, **k))[-1],
    )
    window = _label_two_of_three(make_window, image_folder, qtbot)
    answers.save = image_folder / "dataset_coco.json"
    answers.options = {"tolerance": 0.0}
    trigger(window.menus.menu("file.export"), "Folder as COCO JSON…")
    qtbot.waitUntil(lambda: window.io.current_job() is None, timeout=20000)

    assert window.notice.level == "info" and "Exported 2 images" in window.notice.text
    assert threads and all(t is not threading.main_thread() for t in threads)  # off the GUI thread
    data = json.loads(answers.save.read_text())
    assert [im["file_name"] for im in data["images"]] == ["frame_00.png", "frame_01.png"]
    assert [c["name"] for c in data["categories"]] == list(CAMVID.names)
    samples, errors = coco.read(answers.save, LABELSET)
    assert not errors
    project = window.project
    np.testing.assert_array_equal(
        samples[0].labels, read_label_png(project.label_path(image_folder / "frame_00.png"))
    )
    np.testing.assert_array_equal(samples[1].labels, window.doc.labels)

    # ... and imports back into the open image by its file name, as one undo step.
    exported = window.doc.labels.copy()
    paint(window, 9, (10, 10), (150, 110), size=41)
    answers.open = answers.save
    trigger(window.menus.menu("file.import"), "COCO JSON (this image)…")
    np.testing.assert_array_equal(window.doc.labels, exported)
    key(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert (window.doc.labels == 9).any()

    # An image the file does not list gets a message, not someone else's labels.
    key(window, Qt.Key.Key_D)  # frame_02
    before = window.doc.labels.tobytes()
    trigger(window.menus.menu("file.import"), "COCO JSON (this image)…")
    assert window.notice.level == "error" and "no image named frame_02" in window.notice.text
    assert window.doc.labels.tobytes() == before


def test_coco_folder_export_can_be_cancelled_and_writes_nothing(
    make_window, image_folder, answers, qtbot, monkeypatch
):
    calls, jobs = [], []
    real = folder_export.polygonize

    def slow(*args, **kwargs):
        """An image that takes until the export is cancelled (10 s at most)."""
        calls.append(1)
        deadline = time.monotonic() + 10
        while not (jobs and jobs[-1].job.cancelled) and time.monotonic() < deadline:
            time.sleep(0.01)
        return real(*args, **kwargs)

    monkeypatch.setattr(folder_export, "polygonize", slow)
    window = _label_two_of_three(make_window, image_folder, qtbot)
    answers.save = image_folder / "dataset_coco.json"
    trigger(window.menus.menu("file.export"), "Folder as COCO JSON…")
    job = window.io.current_job()
    jobs.append(job)
    qtbot.waitUntil(lambda: bool(calls), timeout=5000)
    assert find_action(window.menus.menu("file.export"), "Folder as COCO JSON…").isEnabled()
    trigger(window.menus.menu("file.export"), "Folder as COCO JSON…")  # a second one is refused
    assert "already running" in window.notice.text
    # The window stays usable while it runs.
    paint(window, 2, (10, 100), (150, 100))
    assert (window.doc.labels[100] == 2).any()
    job.dialog.findChild(QtWidgets.QPushButton).click()  # the Cancel button
    qtbot.waitUntil(lambda: window.io.current_job() is None, timeout=10000)
    assert len(calls) == 1 and job.report.cancelled
    assert "cancelled" in window.notice.text
    assert not answers.save.exists()

    # Closing the window during an export stops it, writes nothing, and waits for the thread.
    trigger(window.menus.menu("file.export"), "Folder as COCO JSON…")
    job = window.io.current_job()
    jobs.append(job)
    qtbot.waitUntil(lambda: len(calls) == 2, timeout=5000)
    window.close()
    assert job.report is not None and job.report.cancelled
    assert job.job.done
    assert not answers.save.exists()


def test_unlabelled_pixels_stay_unlabelled_when_the_class_list_grew(
    make_window, image_folder, dialogs, answers, tmp_path, qtbot
):
    """Adding a 12th class to CamVid's 11 puts a placeholder at the ignore id (11): exports
    must still write those pixels as unlabelled, and imports give them back as such."""
    window = open_prelabelled(make_window, qtbot, image_folder / "frame_00.png")
    dialogs.text = "crane"
    window.class_panel.add_class()
    classes = window.project.classes
    assert classes.ignore_index == 11 and classes.names[12] == "crane"
    paint(window, 12, (20, 100), (140, 100))
    window.editor.set_tool("eraser")
    paint(window, 0, (80, 20), (80, 60))
    labels = window.doc.labels.copy()
    assert {11, 12} <= set(np.unique(labels).tolist())
    answers.options = {"tolerance": 0.0}
    answers.save = tmp_path / "grown.json"
    trigger(window.menus.menu("file.export"), "Current Image As", "labelme JSON…")
    shapes = json.loads(answers.save.read_text())["shapes"]
    assert "unlabelled" not in {s["label"] for s in shapes} and "crane" in {s["label"] for s in shapes}
    answers.save = tmp_path / "grown.png"
    trigger(window.menus.menu("file.export"), "Current Image As", "VOC Palette PNG…")
    assert (np.asarray(Image.open(answers.save))[labels == 11] == 255).all()

    key(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    key(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    for source, entry in (
        (tmp_path / "grown.json", "labelme JSON…"),
        (tmp_path / "grown.png", "PNG Mask (indexed or greyscale)…"),
    ):
        answers.open = source
        trigger(window.menus.menu("file.import"), entry)
        np.testing.assert_array_equal(window.doc.labels, labels)
        key(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
