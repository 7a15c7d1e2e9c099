"""Fine-tuning in video mode: the frames a person edited are the training set (decoded losslessly,
the machine-labelled frames left out), and the kept model becomes a version beside the video."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from app_test_helpers import drag
from app_video_helpers import BatchPredictor, square_box, write_clip
from PySide6 import QtCore
from test_finetune_flow import QUICK, wait_ended, wait_staged

from app.document.model_versions import ModelVersions
from app.finetune.staging import engine_class_names
from srcrm.base.io import read_image, read_label_png

pytestmark = pytest.mark.prelabel_by_hand  # these tests start pre-labelling themselves

EDITED = [2, 5, 9]


@pytest.fixture
def clip(tmp_path):
    folder = tmp_path / "videos"
    folder.mkdir()
    return write_clip(folder / "street.mp4", n=12)


def correct_frame(window, index: int) -> None:
    """Go to frame ``index`` and paint, as a person would: the square as car, a band of road."""
    window.videos.show_frame(index)
    window.editor.set_brush_size(9)
    x0, y0, x1, y1 = square_box(index)
    for class_id, points in (
        (8, [((x0 + x1) / 2, y0 + 4), ((x0 + x1) / 2, y1 - 4)]),
        (3, [(5, 56), (90, 56)]),
    ):
        window.editor.set_class(class_id)
        drag(window.canvas, [QtCore.QPointF(window.canvas.image_to_widget(x, y)) for x, y in points])


def prelabel_frame(window, index: int) -> None:
    """Machine labels on disk for frame ``index`` (not a person's work)."""
    video = window.video
    video.store.write(index, np.full((video.source.height, video.source.width), 3, np.uint8))


def test_fine_tune_on_the_edited_frames_keeps_a_version_beside_the_video(make_window, clip, qtbot):
    window = make_window(clip)  # the bundled default model
    assert window.model.info is not None, window.notice.text
    for index in EDITED:
        correct_frame(window, index)
    prelabel_frame(window, 7)
    video = window.video

    run = window.finetuning.start(QUICK)
    assert run is not None, window.notice.text
    wait_staged(qtbot, run)
    summary = run.progress.summary_label.text()
    assert "3 frames you edited in street.mp4" in summary and "2 to train on, 1 set aside" in summary
    staged = Path(run.scratch.name) / "data"
    names = [f"{i:06d}.png" for i in EDITED]
    assert sorted(p.name for p in (staged / "images").iterdir()) == names  # not frame 7
    assert sorted(p.name for p in (staged / "labels").iterdir()) == names
    for index, name in zip(EDITED, names):
        np.testing.assert_array_equal(read_image(staged / "images" / name), video.source.read(index))
        labels = read_label_png(staged / "labels" / name)
        np.testing.assert_array_equal(labels, video.store.read(index))
        assert (labels == 8).sum() > 50 and (labels == 3).sum() > 50
    assert (staged / "classes.txt").read_text().splitlines() == engine_class_names(video.classes)
    wait_ended(qtbot, window)

    dialog = run.report_dialog
    assert dialog is not None and dialog.isVisible(), run.progress.status_label.text()
    assert dialog.keep_button.text() == "Keep as v1 and Use It"
    dialog.keep_button.click()
    qtbot.waitUntil(
        lambda: window.model.info is not None and "v1.pt" in window.model.info.name, timeout=30000
    )
    label_root = clip.parent.resolve() / ".srcrm"
    assert video.label_dir.resolve() == label_root and video.store.folder.parent == video.label_dir
    registry = ModelVersions(label_root / "models")
    v1 = registry.get("v1")
    assert registry.current == "v1" and window.session.model_path == str(registry.file_of(v1))
    assert registry.file_of(v1).is_file() and v1.parent == "default" and v1.steps == 2
    assert set(v1.train_names + v1.holdout_names) == {f"{i:06d}" for i in EDITED}
    assert window.video is video and "Pre-label the Video" in window.notice.text
    assert not Path(run.scratch.name).exists() and window.finetuning.run is None

    # Opening the video again (another window, the default model) comes back to its version.
    again = make_window(clip)
    qtbot.waitUntil(
        lambda: (
            again.session.model_path == str(registry.file_of(v1))
            and again.model.info is not None
            and not again.model.loading
        ),
        timeout=30000,
    )
    again.close()

    # The Versions menu lists it, ticked; switching back to the default is remembered.
    window.menus.menu("model.versions").aboutToShow.emit()
    ticked = [a.text() for a in window.menus.menu("model.versions").actions() if a.isChecked()]
    assert len(ticked) == 1 and ticked[0].startswith("v1 ·")
    window.finetuning.switch_model_version(None)
    qtbot.waitUntil(
        lambda: (
            window.session.model_path is None and window.model.info is not None and not window.model.loading
        ),
        timeout=30000,
    )
    assert ModelVersions(label_root / "models").current is None


def test_fewer_than_two_edited_frames_are_refused(make_window, clip, qtbot):
    window = make_window(clip, predictor=BatchPredictor())
    correct_frame(window, 3)
    prelabel_frame(window, 6)  # labelled, but by a machine: not training material
    window.menus.action("model.finetune").trigger()  # would block on the options dialog if it got that far
    assert window.finetuning.run is None and window.notice.level == "warning"
    assert "at least 2 frames you edited; this video has 1" in window.notice.text
    assert not (clip.parent / ".srcrm" / "models").exists()
    window.menus.action("model.reprelabel_untouched").trigger()  # images only: it says what to use instead
    assert "Pre-label the Video" in window.notice.text and not window.model.busy
