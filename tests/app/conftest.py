"""Fixtures for the app tests: isolated settings, a fake and a real (tiny, untrained) model,
folders of images, and a main-window factory that always closes what it opened."""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app_test_helpers import FakePredictor  # noqa: E402
from app_video_helpers import write_clip  # noqa: E402

from app.qt_dialogs import QtDialogs  # noqa: E402


@pytest.fixture
def fake_predictor():
    return FakePredictor()


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory, write_checkpoint):
    """A real SRCRM checkpoint (untrained, small decoder) the engine's Predictor can load."""
    from srcrm.models.config import ModelConfig

    cfg = ModelConfig(num_classes=11, decoder_channels=32, crm_channels=16, aux_heads=False)
    return write_checkpoint(tmp_path_factory.mktemp("model") / "tiny.pt", cfg)


@pytest.fixture
def image_folder(tmp_path):
    """Four 120x160 images (one of them corrupt)."""
    folder = tmp_path / "images"
    folder.mkdir()
    for k in range(3):
        cv2.imwrite(
            str(folder / f"frame_{k:02d}.png"),
            np.random.default_rng(k).integers(0, 255, (120, 160, 3), dtype=np.uint8),
        )
    (folder / "frame_03.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    return folder


class FakeDialogs(QtDialogs):
    """Answers the app's questions without showing a dialog; records what was asked. A test
    sets an attribute to answer another question (``dialogs.save_file = lambda ...``); one it
    did not answer opens the real dialog, as in the app."""

    def __init__(self):
        self.replace_answer = False
        self.folder_policy = "skip"
        self.color = (255, 0, 255)
        self.text = "new class"
        self.quit_unsaved = True
        self.asked: list[str] = []

    def confirm_replace_edits(self, parent, name):
        self.asked.append(f"replace:{name}")
        return self.replace_answer

    def folder_edits_policy(self, parent, edited, total):
        self.asked.append(f"folder:{edited}/{total}")
        return self.folder_policy

    def confirm_quit_unsaved(self, parent, names, reason):
        self.asked.append(f"quit-unsaved:{','.join(names)}")
        return self.quit_unsaved

    def pick_color(self, parent, rgb, title):
        return self.color

    def ask_text(self, parent, title, label, text=""):
        return self.text

    def open_image(self, parent, start):
        return None

    def open_folder(self, parent, start):
        return None

    def open_checkpoint(self, parent, start):
        return None


@pytest.fixture
def dialogs():
    return FakeDialogs()


@pytest.fixture
def settings_path(tmp_path):
    return tmp_path / "settings" / "studio.ini"


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        'prelabel_by_hand: windows open with "Pre-label New '
        'Images When Opened" off (tests that start it themselves)',
    )


@pytest.fixture
def make_window(qtbot, settings_path, dialogs, request):
    """``make_window(path, predictor=..., model=..., restore=False)`` -> a shown MainWindow
    (``predictor_factory=`` replaces the whole model loading)."""
    by_hand = request.node.get_closest_marker("prelabel_by_hand") is not None
    from app.main_window import MainWindow
    from app.settings import AppSettings

    windows = []

    def factory(
        path=None,
        predictor=None,
        model=None,
        restore=False,
        wait_model=True,
        auto_prelabel=None,
        predictor_factory=None,
    ):
        if predictor_factory is None and predictor is not None:

            def predictor_factory(_path, device, _progress=None, p=predictor):
                if device == "cuda":
                    p.to("cuda")
                return p

        if auto_prelabel is None and by_hand:
            auto_prelabel = False
        if auto_prelabel is not None:  # "Pre-label New Images When Opened"
            AppSettings(settings_path).set_auto_prelabel(auto_prelabel)
        window = MainWindow(
            AppSettings(settings_path),
            dialogs=dialogs,
            predictor_factory=predictor_factory,
            model_path=str(model) if model else None,
            device="cpu",
        )
        qtbot.addWidget(window)
        window.resize(1200, 800)
        window.show()
        windows.append(window)
        window.images.start(path, restore=restore)
        if wait_model:
            qtbot.waitUntil(lambda: not window.model.loading, timeout=30000)
        return window

    yield factory
    for w in windows:
        if w.isVisible():
            w.close()


@pytest.fixture
def clip(tmp_path):
    """A short synthetic video (tests/app/app_video_helpers.py) in a folder of its own."""
    folder = tmp_path / "videos"
    folder.mkdir()
    return write_clip(folder / "street.mp4")
