"""The label document: strokes, undo/redo of region patches, states, events."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from app.document import ClassTable, ImageState, LabelDocument
from app.document.editor import Editor
from app.document.undo import TILE


def make_doc(h=300, w=400, fill=0, **kw):
    image = np.zeros((h, w, 3), np.uint8)
    return LabelDocument(image, np.full((h, w), fill, np.uint8), classes=ClassTable.default(), **kw)


def editor_for(doc, **kw):
    ed = Editor()
    ed.set_document(doc)
    for k, v in kw.items():
        setattr(ed, k, v)
    return ed


def stroke(ed, points):
    ed.press(*points[0])
    for p in points[1:]:
        ed.move(*p)
    ed.release()


def test_one_stroke_is_one_undo_step_and_undo_redo_restore_the_bytes():
    doc = make_doc()
    ed = editor_for(doc, brush_size=12, current_class=3)
    original = doc.labels.tobytes()
    stroke(ed, [(20, 20), (60, 30), (120, 80), (200, 90)])
    after_first = doc.labels.tobytes()
    ed.set_class(5)
    stroke(ed, [(100, 200), (300, 210)])
    after_second = doc.labels.tobytes()
    assert len(doc.undo_stack) == 2
    assert len({original, after_first, after_second}) == 3

    assert doc.undo() and doc.labels.tobytes() == after_first
    assert doc.undo() and doc.labels.tobytes() == original
    assert not doc.undo()
    assert doc.redo() and doc.labels.tobytes() == after_first
    assert doc.redo() and doc.labels.tobytes() == after_second
    assert not doc.redo()


def test_undo_stores_only_the_changed_region():
    doc = make_doc(2160, 3840)
    ed = editor_for(doc, brush_size=20, current_class=2)
    stroke(ed, [(100, 100), (2000, 1500)])  # a long diagonal: its bounding box is huge
    step = doc.undo_stack._undo[-1]
    changed = int((doc.labels == 2).sum())
    bbox_bytes = 1900 * 1400
    # Before + after bytes of the changed tiles: a few times the stroke, far below the bbox.
    assert step.nbytes < 2 * changed * 3
    assert step.nbytes < bbox_bytes / 10
    assert all(p.rect.width <= TILE and p.rect.height <= TILE for p in step.patches)


def test_undo_memory_bound_drops_the_oldest_steps():
    doc = make_doc(max_undo_bytes=60_000)
    ed = editor_for(doc, brush_size=40, current_class=1)
    for k in range(20):
        ed.set_class(1 + k % 5)
        stroke(ed, [(20 + 15 * k, 150), (20 + 15 * k, 160)])
    assert doc.undo_stack.nbytes <= 60_000
    assert 1 <= len(doc.undo_stack) < 20 and doc.undo_stack.dropped > 0
    # The newest steps still undo cleanly.
    before = doc.labels.copy()
    assert doc.undo() and doc.redo()
    np.testing.assert_array_equal(doc.labels, before)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["brush", "eraser", "fill", "protected"]),
            st.integers(0, 10),
            st.floats(0, 99),
            st.floats(0, 79),
            st.floats(0, 99),
            st.floats(0, 79),
            st.integers(1, 30),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_any_edit_sequence_undoes_and_redoes_exactly(ops):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, (80, 100), dtype=np.uint8)
    doc = LabelDocument(np.zeros((80, 100, 3), np.uint8), labels, classes=ClassTable.default())
    ed = editor_for(doc)
    history = [doc.labels.tobytes()]
    for tool, cls, x0, y0, x1, y1, size in ops:
        ed.set_tool(tool)
        ed.set_class(cls)
        ed.set_brush_size(size)
        stroke(ed, [(x0, y0), (x1, y1)])
        if doc.labels.tobytes() != history[-1]:
            history.append(doc.labels.tobytes())
    assert len(doc.undo_stack) == len(history) - 1
    for expected in reversed(history[:-1]):
        doc.undo()
        assert doc.labels.tobytes() == expected
    for expected in history[1:]:
        doc.redo()
        assert doc.labels.tobytes() == expected


def test_editing_marks_the_image_edited_and_events_report_dirty_rects():
    doc = make_doc(state=ImageState.PRELABELLED)
    rects, edits = [], []
    doc.labels_changed.connect(rects.append)
    doc.edited.connect(edits.append)
    ed = editor_for(doc, brush_size=5, current_class=4)
    stroke(ed, [(50.5, 60.5)])
    assert doc.state == ImageState.EDITED
    assert len(edits) == 1 and len(rects) == 1
    r = rects[0]
    assert (r.x0, r.y0, r.x1, r.y1) == (48, 58, 53, 63)
    changed = np.argwhere(doc.labels == 4)
    assert changed[:, 0].min() == 58 and changed[:, 1].max() == 52
    doc.undo()
    assert doc.state == ImageState.PRELABELLED


def test_prediction_is_one_undoable_step():
    doc = make_doc(fill=11)
    pred = np.full(doc.shape, 3, np.uint8)
    conf = np.full(doc.shape, 0.7, np.float32)
    doc.set_prediction(pred, conf, "m")
    assert doc.state == ImageState.PRELABELLED and (doc.labels == 3).all()
    doc.undo()
    assert doc.state == ImageState.NEW and (doc.labels == 11).all() and doc.confidence is None
    doc.redo()
    assert (doc.labels == 3).all() and np.allclose(doc.confidence, 0.7)


def test_editor_tools_and_shortcut_state():
    doc = make_doc(fill=0)
    doc.labels[100:200, 100:200] = 6
    ed = editor_for(doc)
    ed.set_tool("picker")
    ed.press(150, 150)
    assert ed.current_class == 6 and ed.tool == "brush"  # picker hands back to the brush
    ed.set_tool("polygon")
    ed.set_class(2)
    for p in [(10, 10), (60, 10), (60, 40)]:
        ed.press(*p)
        ed.release()
    assert ed.commit() and (doc.labels[12:20, 45:58] == 2).all()
    ed.grow_brush(3)
    assert ed.brush_size > 15
    ed.grow_brush(-100)
    assert ed.brush_size == 1


def test_eraser_paints_unlabelled_and_fill_gaps_closes_them():
    doc = make_doc(fill=1)
    doc.labels[:, 200:] = 2
    ed = editor_for(doc, brush_size=30)
    ed.set_tool("eraser")
    stroke(ed, [(200, 10), (200, 290)])
    assert (doc.labels == doc.classes.ignore_index).sum() > 30 * 250
    assert ed.fill_gaps()
    assert not (doc.labels == doc.classes.ignore_index).any()
    assert (doc.labels[:, :185] == 1).all() and (doc.labels[:, 215:] == 2).all()
