"""Learn-as-you-go with the real ``python -m srcrm learn`` child: a tiny model, a few small
images, a budget of seconds. The engine decides whether the update is kept; the app must carry
out what it decided and say it in words."""

from __future__ import annotations

import numpy as np
import pytest
from test_finetune_staging import make_labelled_project
from test_learn_mode import labels_of

from app.document.label_document import ImageState
from app.document.model_versions import ModelVersions

pytestmark = [pytest.mark.slow, pytest.mark.prelabel_by_hand]


def test_the_real_learner_runs_as_a_child_and_the_app_follows_its_decision(
    make_window, tmp_path, qtbot, tiny_checkpoint
):
    folder = make_labelled_project(
        tmp_path / "shots",
        [ImageState.DONE, ImageState.DONE, ImageState.EDITED, ImageState.NEW, ImageState.NEW],
        size=(64, 96),
    )
    window = make_window(folder, model=tiny_checkpoint)
    assert window.model.info is not None, window.notice.text
    learning = window.learning
    learning.set_active(True)  # five images: off by default
    learning.set_every(1)
    learning.budget_s = 2.0
    edited = labels_of(window, 2)
    assert window.session.open_document(2)
    assert window.commands.run("image.done")  # the third done image: one update
    run = learning.run
    assert run is not None
    qtbot.waitUntil(lambda: learning.run is None, timeout=240000)
    window.flush_saves()
    text = window.notice.text
    registry = ModelVersions.for_label_dir(folder / ".srcrm")
    if registry.list():  # kept: a version, in use, and the untouched images pre-labelled by it
        assert text.startswith("Learned from 2 of your images;"), text
        assert registry.current == "v1" and window.session.model_path == str(registry.file_of("v1"))
        assert [e.state for e in window.project.entries[3:]] == [ImageState.PRELABELLED] * 2
    else:  # dropped, in the engine's one line
        assert text.startswith("Learning: ") and "\n" not in text, text
        assert "kept the model in use" in text or "nothing new to learn" in text
    assert window.project.entries[2].state == ImageState.DONE
    np.testing.assert_array_equal(labels_of(window, 2), edited)
