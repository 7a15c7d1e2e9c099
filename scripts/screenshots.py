"""Render the README's app screenshots with the bundled default model (CPU, a minute or two):

* ``docs/app_screenshot.png``: the bundled sample image, pre-labelled as it opens;
* ``docs/app_video_screenshot.png``: the sample clip, pre-labelled as it opens ("Pre-label New
  Images When Opened" covers videos), on a frame in the middle, with the Video menu open.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py [OUT_DIR]

Settings and labels go to a temporary folder, so the user's own are left alone. An open menu
is a window of its own, so it is grabbed separately and painted over the window's picture."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6 import QtCore, QtGui, QtWidgets  # noqa: E402

from app.main_window import MainWindow  # noqa: E402
from app.settings import SAMPLE_IMAGE, SAMPLES_DIR, AppSettings  # noqa: E402

CLIP = SAMPLES_DIR / "camvid_0016E5_15hz.mp4"
FRAME = 50


def wait(app: QtWidgets.QApplication, done, timeout_s: float) -> None:
    end = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > end:
            raise TimeoutError("the app did not get there in time")
        app.processEvents()
        time.sleep(0.02)


def settle(app: QtWidgets.QApplication, seconds: float = 0.3) -> None:
    """Let posted events run (a label's new text lays the status bar out again one turn later),
    so the picture shows what a person would see."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def open_window(settings: Path, path: Path) -> MainWindow:
    window = MainWindow(AppSettings(settings), device="cpu")
    window.resize(1400, 900)
    window.show()
    window.images.start(path, restore=False)
    return window


def with_menu(app: QtWidgets.QApplication, window: MainWindow, menu: QtWidgets.QMenu) -> QtGui.QPixmap:
    """The window's picture with ``menu`` dropped down from its menu-bar title."""
    bar = window.menuBar()
    title = bar.actionGeometry(menu.menuAction())
    menu.popup(bar.mapToGlobal(title.bottomLeft()))
    wait(app, menu.isVisible, 5)
    settle(app)
    picture = window.grab()
    offset = window.mapFromGlobal(menu.mapToGlobal(QtCore.QPoint(0, 0)))
    painter = QtGui.QPainter(picture)
    painter.drawPixmap(offset, menu.grab())
    painter.end()
    menu.hide()
    return picture


def image_screenshot(app: QtWidgets.QApplication, tmp: Path, out: Path) -> None:
    window = open_window(tmp / "image.ini", SAMPLE_IMAGE)
    wait(app, lambda: window.model.info is not None, 120)
    wait(
        app,
        lambda: window.doc is not None and window.doc.state.value == "prelabelled" and not window.jobs.busy(),
        300,
    )
    wait(app, lambda: window.saver.idle, 30)
    window.notice.hide()
    settle(app)
    window.grab().save(str(out))
    window.close()


def video_screenshot(app: QtWidgets.QApplication, tmp: Path, out: Path) -> None:
    window = open_window(tmp / "video.ini", CLIP)
    wait(app, lambda: window.model.info is not None, 120)
    wait(app, lambda: window.jobs.busy(), 30)  # pre-labelling starts on its own
    wait(app, lambda: not window.jobs.busy(), 900)
    print(window.notice.text)
    window.videos.show_frame(FRAME)
    window.notice.hide()
    window.statusBar().showMessage(
        f"Pre-labelled {window.video.frame_count} frames with the default model as the clip opened"
    )
    wait(app, lambda: window.saver.idle, 30)
    with_menu(app, window, window.menus.menu("video")).save(str(out))
    window.close()


def main(out_dir: Path) -> None:
    app = QtWidgets.QApplication([sys.argv[0]])
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        image_screenshot(app, Path(tmp), out_dir / "app_screenshot.png")
        video_screenshot(app, Path(tmp), out_dir / "app_video_screenshot.png")
    print(f"wrote {out_dir / 'app_screenshot.png'} and {out_dir / 'app_video_screenshot.png'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs")
