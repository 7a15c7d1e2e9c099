"""Smart tools on synthetic images whose edges are known, and through the editor (no Qt)."""

from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from app_test_helpers import expected_disk

from app.document import ClassTable, ImageState, LabelDocument
from app.document.editor import Editor
from app.document.geometry import Rect
from app.document.smart import SmartToolError
from app.document.smart.evidence import Evidence
from app.document.smart.quick_select import quick_select
from app.document.smart.scissors import snapping_polygon_fill
from app.document.smart.scribble import resegment
from app.document.smart.superpixels import superpixel_fill
from app.document.smart.zoom import ZoomConfig, zoom_edit, zoom_labels, zoom_rect
from app.document.tools import apply_edit, polygon_fill

EDGE = 60  # the step edge: columns < EDGE are red, the others green


def step_image(h=40, w=200):
    image = np.zeros((h, w, 3), np.uint8)
    image[:, :EDGE] = (200, 50, 50)
    image[:, EDGE:] = (50, 200, 50)
    return image


def written(labels, edit):
    """The label map after ``edit``, leaving ``labels`` alone."""
    out = labels.copy()
    apply_edit(out, edit)
    return out


def left_of(shape, x):
    mask = np.zeros(shape, bool)
    mask[:, :x] = True
    return mask


def test_quick_select_stops_exactly_at_a_colour_edge():
    image, labels = step_image(), np.zeros((40, 200), np.uint8)
    edit = quick_select(Evidence(image, labels, 11), labels, [(30, 0), (30, 39.9)], 5, 3, reach=40)
    np.testing.assert_array_equal(written(labels, edit) == 3, left_of(labels.shape, EDGE))


def test_quick_select_with_a_reach_beyond_the_image_still_stops_at_the_edge():
    image, labels = step_image(40, 100), np.zeros((40, 100), np.uint8)
    edit = quick_select(Evidence(image, labels, 11), labels, [(30, 0), (30, 39.9)], 5, 3, reach=200)
    np.testing.assert_array_equal(written(labels, edit) == 3, left_of(labels.shape, EDGE))


def test_quick_select_without_an_edge_spreads_to_its_reach_and_no_farther():
    image, labels = np.full((40, 200, 3), 90, np.uint8), np.zeros((40, 200), np.uint8)
    edit = quick_select(Evidence(image, labels, 11), labels, [(30, 0), (30, 39.9)], 5, 3, reach=20)
    cols = np.flatnonzero((written(labels, edit) == 3).any(axis=0))
    assert cols[0] == 10 and cols[-1] == 49  # the brush circle's extent: 30 +- 20


def test_quick_select_stops_at_the_models_boundary_in_a_flat_image():
    image = np.full((40, 200, 3), 90, np.uint8)
    labels = np.zeros((40, 200), np.uint8)
    labels[:, EDGE:] = 1  # the model says building from the edge on, where the photo shows none
    evidence = Evidence(image, labels, 11, confidence=np.ones((40, 200), np.float32))
    edit = quick_select(evidence, labels, [(30, 0), (30, 39.9)], 5, 3, reach=40)
    np.testing.assert_array_equal(written(labels, edit) == 3, left_of(labels.shape, EDGE))


def test_quick_select_in_protected_mode_changes_only_that_class():
    image, labels = step_image(), np.zeros((40, 200), np.uint8)
    labels[10:20, 5:25] = 7  # fence inside the red region: protected
    edit = quick_select(Evidence(image, labels, 11), labels, [(30, 0), (30, 39.9)], 5, 3, 40, only_over=0)
    after = written(labels, edit)
    expected = left_of(labels.shape, EDGE) & (labels == 0)
    np.testing.assert_array_equal(after == 3, expected)
    assert (after[10:20, 5:25] == 7).all()


def test_a_superpixel_click_fills_one_region():
    image = np.full((120, 160, 3), (40, 60, 200), np.uint8)
    image[50:70, 60:84] = (220, 200, 40)  # a sign, inside the brush
    labels = np.zeros((120, 160), np.uint8)
    edit = superpixel_fill(image, labels, [(70.5, 60.5)], 1, 48, 3)
    sign = np.zeros(labels.shape, bool)
    sign[50:70, 60:84] = True
    np.testing.assert_array_equal(written(labels, edit) == 3, sign)


def test_superpixels_never_cross_a_strong_edge():
    rng = np.random.default_rng(1)
    image = step_image(120, 160).astype(np.int16) + rng.integers(-12, 12, (120, 160, 3))
    image = np.clip(image, 0, 255).astype(np.uint8)
    labels = np.zeros((120, 160), np.uint8)
    edit = superpixel_fill(image, labels, [(20, 10), (50, 110)], 3, 24, 3)
    filled = written(labels, edit) == 3
    assert filled.sum() > 600 and not filled[:, EDGE:].any()


def roofline(h=200, w=240, roof=120):
    """Flat sky above a building whose roof is at row ``roof``; the sky is one superpixel
    far larger than a brush."""
    image = np.full((h, w, 3), (150, 190, 235), np.uint8)
    image[roof:] = (120, 90, 80)
    return image


def test_a_superpixel_click_near_a_roofline_changes_nothing_outside_the_brush():
    image, labels = roofline(), np.zeros((200, 240), np.uint8)  # all sky
    labels[120:] = 1
    edit = superpixel_fill(image, labels, [(100.5, 110.5)], 3, 34, 1)  # building, in the sky
    changed = written(labels, edit) != labels
    assert changed.sum() > 200
    assert not (changed & ~expected_disk(labels.shape, 100.5, 110.5, 34)).any()
    assert not changed[120:].any()  # nothing crossed the roof edge


def test_scribbles_of_two_classes_split_the_region_at_the_edge():
    image, labels = step_image(), np.zeros((40, 200), np.uint8)
    scribbles = [(2, [(40, 10), (40, 30)]), (5, [(80, 10), (80, 30)])]
    edit = resegment(Evidence(image, labels, 11), labels, scribbles, diameter=3, reach=30)
    after = written(labels, edit)
    # Along the scribbles each class goes up to the photo's edge between them...
    assert (after[10:31, 30:EDGE] == 2).all() and (after[10:31, EDGE:90] == 5).all()
    # ...and nothing changes beyond the reach.
    assert not (after[:, :10] != 0).any() and not (after[:, 111:] != 0).any()


def test_scribbled_classes_end_at_the_photos_edges_not_at_a_box():
    image = np.full((160, 160, 3), 200, np.uint8)
    cv2.circle(image, (80, 70), 30, (60, 40, 40), -1)  # a dark car on a light road
    car = image[..., 0] < 128
    labels = np.zeros((160, 160), np.uint8)  # all sky, as a bad pre-label might say
    scribbles = [(8, [(60, 70), (100, 70)]), (3, [(30, 130), (130, 130)])]
    edit = resegment(Evidence(image, labels, 11), labels, scribbles, diameter=5, reach=40)
    after = written(labels, edit)
    rim = cv2.dilate(car.astype(np.uint8), np.ones((3, 3), np.uint8)) != cv2.erode(
        car.astype(np.uint8), np.ones((3, 3), np.uint8)
    )
    assert ((after == 8) == car)[~rim].all()  # the car exactly, up to its rim pixels
    road = after == 3
    assert road[100:, 40:120].all()
    # where the road stops, it stops along a curve at its reach, not along a box's side
    rows = [np.flatnonzero(road[:, x])[0] for x in (30, 80, 130) if road[:, x].any()]
    assert max(rows) - min(rows) >= 3
    assert not road[:40].any()


def test_scribbles_of_one_class_are_refused():
    image, labels = step_image(), np.zeros((40, 200), np.uint8)
    with pytest.raises(SmartToolError, match="two classes"):
        resegment(Evidence(image, labels, 11), labels, [(2, [(20, 10)]), (2, [(120, 10)])], 3, 8)


def disk_image():
    image = np.full((120, 120, 3), 30, np.uint8)
    cv2.circle(image, (60, 60), 40, (230, 230, 230), -1)
    return image, image[..., 0] > 128


def test_the_snapping_polygon_follows_the_circle_that_straight_sides_cut():
    image, disk = disk_image()
    labels = np.zeros((120, 120), np.uint8)
    corners = [
        (60 + 40 * np.cos(a) + 0.5, 60 + 40 * np.sin(a) + 0.5)
        for a in np.linspace(0, 2 * np.pi, 6, endpoint=False)
    ]
    snapped = written(labels, snapping_polygon_fill(image, labels, corners, 4)) == 4
    straight = written(labels, polygon_fill(labels, corners, 4)) == 4
    ring = np.ones((3, 3), np.uint8)
    inner = cv2.erode(disk.astype(np.uint8), ring).astype(bool)
    outer = cv2.dilate(disk.astype(np.uint8), ring).astype(bool)
    assert snapped[inner].all() and not snapped[~outer].any()  # exact up to the edge pixels
    assert (straight != disk).sum() > 5 * (snapped != disk).sum()


def test_a_stroke_outside_the_image_is_refused():
    image, labels = step_image(), np.zeros((40, 200), np.uint8)
    with pytest.raises(SmartToolError, match="outside the image"):
        quick_select(Evidence(image, labels, 11), labels, [(-50, -5), (-10, -40)], 5, 3, 20)
    with pytest.raises(SmartToolError, match="outside the image"):
        superpixel_fill(image, labels, [(300, 20)], 1, 16, 3)


class ByBrightness:
    """A stand-in model: bright pixels are car (8), the rest road (3); it records its inputs."""

    def __init__(self):
        self.seen = []

    def __call__(self, image):
        self.seen.append(image.shape)
        grey = image.mean(axis=2)
        return SimpleNamespace(
            labels=np.where(grey > 128, 8, 3).astype(np.uint8), confidence=np.ones(grey.shape, np.float32)
        )


def test_zoomed_reinference_runs_enlarged_and_spares_a_persons_pixels():
    image = np.full((100, 100, 3), 20, np.uint8)
    image[40:50, 40:44] = 240  # a far pole the first look missed
    labels = np.full((100, 100), 3, np.uint8)
    edited = np.zeros((100, 100), bool)
    edited[40:45, 40:44] = True  # a person already labelled the pole's top as something else
    labels[40:45, 40:44] = 6
    model = ByBrightness()
    rect = zoom_rect(labels.shape, 30, 30, 60, 60)
    values = zoom_labels(model, image, rect, ZoomConfig(scale=2.0, context=0.25))
    assert model.seen == [(92, 92, 3)]  # 30 px and 8 px of context each side, enlarged 2x
    after = written(labels, zoom_edit(labels, rect, values, edited))
    expected = np.full((100, 100), 3, np.uint8)
    expected[45:50, 40:44] = 8
    expected[40:45, 40:44] = 6
    np.testing.assert_array_equal(after, expected)


def test_zoom_with_flip_runs_the_mirror_image_too():
    image = np.full((60, 60, 3), 20, np.uint8)
    model = ByBrightness()
    zoom_labels(model, image, Rect(10, 10, 30, 30), ZoomConfig(flip=True))
    assert len(model.seen) == 2


def test_a_zero_area_rectangle_is_refused():
    with pytest.raises(SmartToolError, match="rectangle"):
        zoom_rect((100, 100), 20, 20, 20, 70)
    with pytest.raises(SmartToolError, match="rectangle"):
        zoom_rect((100, 100), 200, 200, 260, 290)  # all outside


# --- through the editor: one undo step, protected mode, notices --------------------------------


def editor_on_step_image(tool):
    doc = LabelDocument(
        step_image(),
        np.zeros((40, 200), np.uint8),
        classes=ClassTable.default(),
        state=ImageState.PRELABELLED,
    )
    ed = Editor()
    ed.set_document(doc)
    ed.set_tool(tool)
    notices = []
    ed.notice.connect(notices.append)
    return ed, doc, notices


def test_a_quick_select_drag_is_one_undo_step_with_exact_bytes():
    ed, doc, _ = editor_on_step_image("quick_select")
    ed.set_class(4)
    ed.set_brush_size(80)  # reach 40
    before = doc.labels.tobytes()
    ed.press(30, 2)
    for y in range(5, 40, 4):
        ed.move(30, y)
    ed.release()
    after = doc.labels.copy()
    np.testing.assert_array_equal(after == 4, left_of(after.shape, EDGE))
    assert len(doc.undo_stack) == 1 and doc.undo_stack.undo_name == "Quick select"
    assert doc.human_edits[:, :EDGE].all() and not doc.human_edits[:, EDGE:].any()
    assert doc.undo() and doc.labels.tobytes() == before
    assert doc.redo() and doc.labels.tobytes() == after.tobytes()


def test_smart_tools_respect_the_protected_class():
    ed, doc, _ = editor_on_step_image("superpixel")
    doc.labels[:, 30:] = 1
    ed.set_protect_target(0)
    ed.set_class(5)
    ed.set_brush_size(16)
    ed.press(20.5, 20.5)
    ed.move(40.5, 20.5)
    ed.release()
    painted = doc.labels == 5
    assert painted.sum() > 100 and not painted[:, 30:].any() and (doc.labels[:, 30:] == 1).all()


def test_bad_gestures_give_a_notice_and_change_nothing():
    ed, doc, notices = editor_on_step_image("quick_select")
    before = doc.labels.tobytes()
    ed.press(-40, -40)
    ed.move(-20, -30)
    ed.release()
    ed.set_tool("scribble")
    ed.set_class(2)
    ed.press(20, 10)
    ed.move(20, 30)
    ed.release()
    ed.press(120, 10)
    ed.release()
    assert not ed.commit()
    ed.set_tool("zoom")
    ed.press(50, 10)
    ed.move(50, 30)
    ed.release()
    assert notices == [
        "The stroke is outside the image.",
        "Scribble at least two classes to re-segment a region.",
        "Drag a rectangle over the image to re-run the model on it.",
    ]
    assert doc.labels.tobytes() == before and len(doc.undo_stack) == 0


def test_scribble_and_snapping_polygon_through_the_editor():
    ed, doc, _ = editor_on_step_image("scribble")
    ed.set_brush_size(25)  # reach 50: every pixel between the scribbles is re-segmented
    for cls, x in ((2, 20), (5, 120)):
        ed.set_class(cls)
        ed.press(x, 10)
        ed.move(x, 30)
        ed.release()
    assert ed.commit()
    assert (doc.labels[:, 20:EDGE] == 2).all() and (doc.labels[:, EDGE:120] == 5).all()
    ed.set_tool("snap_polygon")
    ed.set_class(9)
    for x, y in ((62, 2), (150, 3), (150, 37), (63, 36)):
        ed.press(x, y)
        ed.release()
    ed.step_back()
    ed.press(63, 36)
    ed.release()
    assert ed.commit()
    # The left side, clicked at x = 62..63, snapped onto the edge (the pixel on either side).
    assert (doc.labels[5:35, EDGE:148] == 9).all() and not (doc.labels[:, : EDGE - 1] == 9).any()
    assert [s.name for s in doc.undo_stack._undo] == ["Scribble re-segment", "Edge-snapping polygon"]


class FakeModelService:
    """Runs a job at once, as the app's runner would deliver its outcome on the GUI thread."""

    def __init__(self, predict):
        self.predict = predict
        self.info = object()
        self.titles = []

    def submit(self, title, work):
        from app.document.events import Event

        self.titles.append(title)
        job = SimpleNamespace(succeeded=Event(), failed=Event())
        self._result = work(job)
        return job

    def deliver(self, job):
        job.succeeded.emit(self._result)


def test_zoom_through_the_editor_is_one_step_that_a_person_can_undo():
    image = np.full((100, 100, 3), 20, np.uint8)
    image[40:50, 40:44] = 240
    doc = LabelDocument(
        image, np.full((100, 100), 3, np.uint8), classes=ClassTable.default(), state=ImageState.PRELABELLED
    )
    ed = Editor()
    ed.set_document(doc)
    ed.set_tool("zoom")
    ed.model = FakeModelService(ByBrightness())
    jobs = []
    submit = ed.model.submit
    ed.model.submit = lambda title, work: jobs.append(submit(title, work)) or jobs[-1]
    ed.press(30, 30)
    ed.move(60, 60)
    assert ed.outline == [(30, 30), (60, 30), (60, 60), (30, 60)]
    ed.release()
    assert ed.outline == [] and len(jobs) == 1
    ed.model.deliver(jobs[0])
    assert (doc.labels[40:50, 40:44] == 8).all() and (doc.labels != 8).sum() == 100 * 100 - 40
    assert not doc.human_edits.any()  # the model wrote these pixels: still open to it
    assert doc.undo_stack.undo_name == "Zoomed re-inference"
    assert doc.undo() and (doc.labels == 3).all()


def test_a_persons_pixels_are_saved_beside_the_labels_and_reloaded(tmp_path):
    from app.document import Project
    from app.document.tools import brush

    cv2.imwrite(str(tmp_path / "street.png"), step_image()[..., ::-1])
    project = Project(tmp_path)
    doc, _ = project.load_document(0)
    doc.set_prediction(np.zeros(doc.shape, np.uint8), None, "m")
    project.save_document(doc)
    assert not project.edited_path(doc.path).exists()  # nobody edited yet
    doc.apply(brush(doc.labels, (20, 20), (40, 20), 9, 4))
    doc.apply(brush(doc.labels, (120, 20), (140, 20), 9, 8), by_person=False)  # the model's
    project.save_document(doc)
    again, _ = Project(tmp_path).load_document(0)
    np.testing.assert_array_equal(again.human_edits, doc.labels == 4)
    again.set_prediction(np.zeros(doc.shape, np.uint8), None, "m")  # a new pre-label: all the model's
    project.save_document(again)
    assert not again.human_edits.any() and not project.edited_path(doc.path).exists()
