"""The tool table: the editor dispatches through it, and a patch edit writes several classes."""

import numpy as np
import pytest

from app.document import ClassTable, ImageState, LabelDocument, tool_table, tools
from app.document.editor import Editor
from app.document.geometry import Rect
from app.document.handlers.base import ToolHandler


def make_doc(h=60, w=80, fill=0):
    return LabelDocument(
        np.zeros((h, w, 3), np.uint8),
        np.full((h, w), fill, np.uint8),
        classes=ClassTable.default(),
        state=ImageState.PRELABELLED,
    )


def test_entries_are_unique_and_complete():
    ids = [s.id for s in tool_table.TOOLS]
    keys = [s.shortcut for s in tool_table.TOOLS]
    assert len(set(ids)) == len(ids) and len(set(keys)) == len(keys)
    assert all(s.label and s.tip and issubclass(s.handler, ToolHandler) for s in tool_table.TOOLS)
    with pytest.raises(ValueError, match="unknown tool"):
        Editor().set_tool("lasso")


def test_a_new_tool_is_one_handler_and_one_entry(monkeypatch):
    """A tool that writes a 2-class patch on release: the editor needs no change to run it."""

    class HalfAndHalf(ToolHandler):
        def press(self, x, y):
            self.corner = (int(x), int(y))

        def release(self):
            doc = self.editor.doc
            x, y = self.corner
            values = np.zeros((10, 10), np.uint8)
            values[:, 5:] = 7
            values[:, :5] = self.editor.current_class
            doc.apply(tools.patch(doc.labels, Rect(x, y, x + 10, y + 10), values), self.editor.spec.label)

    spec = tool_table.ToolSpec("halves", "Halves", "Shift+Q", "Two classes at once", HalfAndHalf)
    monkeypatch.setattr(tool_table, "TOOLS", (*tool_table.TOOLS, spec))
    doc = make_doc()
    saves = []
    doc.edited.connect(saves.append)
    ed = Editor()
    ed.set_document(doc)
    ed.set_class(3)
    ed.set_tool("halves")
    ed.press(20.5, 30.5)
    ed.release()
    assert (doc.labels[30:40, 20:25] == 3).all() and (doc.labels[30:40, 25:30] == 7).all()
    assert int((doc.labels != 0).sum()) == 100
    # One undo step named after the tool, announced once (that is what triggers the autosave).
    assert len(doc.undo_stack) == 1 and doc.undo_stack.undo_name == "Halves" and len(saves) == 1
    assert doc.state == ImageState.EDITED
    assert doc.undo() and not doc.labels.any() and doc.state == ImageState.PRELABELLED


def test_patch_keeps_only_changed_pixels_and_respects_only_over():
    labels = np.zeros((20, 20), np.uint8)
    labels[:, 10:] = 4
    values = np.full((20, 20), 4, np.uint8)
    values[:10] = 2
    edit = tools.patch(labels, Rect(0, 0, 20, 20), values)
    # The bottom-right quarter is already 4: only the pixels that change are in the mask.
    assert edit.count == 10 * 20 + 10 * 10 and not edit.mask[10:, 10:].any()
    only = tools.patch(labels, Rect(0, 0, 20, 20), values, only_over=0)
    out = labels.copy()
    tools.apply_edit(out, only)
    assert (out[:, 10:] == 4).all()  # class 4 was protected
    assert (out[:10, :10] == 2).all() and (out[10:, :10] == 4).all()
    mask = np.zeros((20, 20), bool)
    mask[0, 0] = True
    assert tools.patch(labels, Rect(0, 0, 20, 20), values, mask).count == 1
    with pytest.raises(ValueError):
        tools.patch(labels, Rect(15, 15, 25, 25), np.zeros((10, 10), np.uint8))


def test_polygon_is_multi_click_and_cancel_drops_it():
    doc = make_doc()
    ed = Editor()
    ed.set_document(doc)
    outlines = []
    ed.outline_changed.connect(outlines.append)
    ed.set_tool("polygon")
    assert ed.handler.multi_click
    for p in [(5, 5), (40, 5), (40, 30)]:
        ed.press(*p)
        ed.release()
    ed.step_back()
    assert ed.outline == [(5.0, 5.0), (40.0, 5.0)]
    ed.set_tool("brush")  # changing the tool cancels the polygon in progress
    assert ed.outline == [] and outlines[-1] == [] and not doc.labels.any()
